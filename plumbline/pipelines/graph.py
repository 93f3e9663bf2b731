"""The task graph: topological order (stable: ties keep notebook order), cycles, what lies downstream."""

from __future__ import annotations

from typing import Iterable, Mapping


class CycleError(ValueError):
    """The tasks depend on each other in a circle."""


def topological_order(upstream: Mapping[str, Iterable[str]]) -> list[str]:
    """Every task after all of its upstream tasks; among ready tasks, the mapping's order (Kahn)."""
    deps = {task: set(ups) for task, ups in upstream.items()}
    order_index = {task: i for i, task in enumerate(deps)}
    for task, ups in deps.items():
        unknown = ups - deps.keys()
        if unknown:
            raise ValueError(f"task {task!r} depends on unknown task(s) {', '.join(sorted(unknown))}")
    done: list[str] = []
    placed: set[str] = set()
    while len(done) < len(deps):
        ready = [t for t in deps if t not in placed and deps[t] <= placed]
        if not ready:
            left = [t for t in deps if t not in placed]
            raise CycleError(f"the tasks {' -> '.join(_cycle(deps, left))} depend on each other in a cycle")
        ready.sort(key=order_index.__getitem__)
        done.append(ready[0])
        placed.add(ready[0])
    return done


def _cycle(deps: Mapping[str, set], left: list[str]) -> list[str]:
    """One cycle among ``left``, as a path that returns to its start."""
    start = left[0]
    path, seen = [start], {start}
    node = start
    while True:
        nxt = sorted(d for d in deps[node] if d in left)[0]
        if nxt in seen:
            return path[path.index(nxt):] + [nxt]
        path.append(nxt)
        seen.add(nxt)
        node = nxt


def downstream(upstream: Mapping[str, Iterable[str]], task: str) -> set[str]:
    """Every task that depends on ``task``, directly or not."""
    children: dict[str, set] = {t: set() for t in upstream}
    for t, ups in upstream.items():
        for u in ups:
            children.setdefault(u, set()).add(t)
    out: set[str] = set()
    todo = [task]
    while todo:
        for child in children.get(todo.pop(), ()):
            if child not in out:
                out.add(child)
                todo.append(child)
    return out
