"""Where pipelines live, and loading, validating and writing their specs.

Layout (the project root is the folder that holds ``.plumbline/``, as for runs)::

    <root>/pipelines/<name>/pipeline.json      the spec (commit it with the notebook)
    <root>/pipelines/<name>/tasks/<task>.py    one generated module per task
    <root>/.plumbline/pipelines/<run id>/      logs and results of runs (not source)
    <root>/.plumbline/artifacts/               values crossing between tasks (default)

Every load validates the file against ``pipeline.schema.json`` (kept in this
package: JupyterLab reads ``schema/`` as settings) and then checks what a
schema cannot say: names that are identifiers, tasks that exist, no cycle, a
valid schedule, no path that leaves the project. A spec that fails is refused
with the first problem and where it is, never half-used.
"""

from __future__ import annotations

import hashlib
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any, Optional

from .models import PipelineSpec, name_problem

SCHEMA_FILE = Path(__file__).with_name("pipeline.schema.json")
PIPELINES_DIR = "pipelines"
SPEC_FILE = "pipeline.json"


class SpecError(ValueError):
    """A pipeline.json that cannot be used; the message says which file, what and how to fix it."""


class PathError(ValueError):
    """A path that leaves the project."""


@lru_cache(maxsize=1)
def schema() -> dict:
    return json.loads(SCHEMA_FILE.read_text("utf-8"))


@lru_cache(maxsize=1)
def _validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(schema())


def inside(root: Path, path: str | os.PathLike, what: str = "path") -> Path:
    """``path`` (relative to ``root``, or absolute) resolved, if it stays inside ``root``; PathError otherwise."""
    root = Path(root).resolve()
    candidate = Path(path)
    resolved = (candidate if candidate.is_absolute() else root / candidate).resolve()
    if not resolved.is_relative_to(root):
        raise PathError(f"The {what} {str(path)[:200]!r} is outside the project folder {root}; "
                        "use a path inside it.")
    return resolved


class Layout:
    """The files of the pipelines of one project."""

    def __init__(self, root: str | os.PathLike, store_dir: str | os.PathLike,
                 pipelines_dir: str = PIPELINES_DIR):
        self.root = Path(root).resolve()
        self.store_dir = Path(store_dir).resolve()
        self.pipelines_dir = inside(self.root, pipelines_dir, "pipelines folder")

    def folder(self, name: str) -> Path:
        problem = name_problem(name)
        if problem:
            raise PathError(problem)
        # a symlinked pipelines/<name> must not lead outside the project either
        return inside(self.root, self.pipelines_dir / name, "pipeline folder")

    def spec_file(self, name: str) -> Path:
        return self.folder(name) / SPEC_FILE

    def relative(self, path: Path) -> str:
        return Path(path).resolve().relative_to(self.root).as_posix()

    def run_dir(self, run_id: str) -> Path:
        return self.store_dir / "pipelines" / run_id

    def default_artifacts(self) -> Path:
        return self.store_dir / "artifacts"


def spec_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def dumps(spec: PipelineSpec) -> str:
    return json.dumps(spec.to_json(), indent=2, sort_keys=False, ensure_ascii=False) + "\n"


def validate_json(data: Any, where: str) -> PipelineSpec:
    """The spec in ``data`` (parsed JSON), or SpecError naming the first problem."""
    errors = sorted(_validator().iter_errors(data), key=lambda e: (len(e.absolute_path), list(map(str, e.absolute_path))))
    if errors:
        err = errors[0]
        at = "/".join(str(p) for p in err.absolute_path) or "(top level)"
        more = f" ({len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise SpecError(f"{where} is not a valid pipeline spec: at {at}: {err.message}{more}. "
                        "Fix the file, or promote the cells again (the notebook is the source).")
    spec = PipelineSpec.from_json(data)
    problem = semantic_problem(spec)
    if problem:
        raise SpecError(f"{where} is not a valid pipeline spec: {problem}. "
                        "Fix the file, or promote the cells again (the notebook is the source).")
    return spec


def semantic_problem(spec: PipelineSpec) -> Optional[str]:
    """What the schema cannot check: unique tasks, known upstreams, no cycle, a usable schedule."""
    from .cron import CronSchedule, ScheduleError, zone
    from .graph import CycleError, topological_order

    for n in [spec.name, *(t.name for t in spec.tasks)]:
        problem = name_problem(n, "A name")
        if problem:
            return problem
    names = [t.name for t in spec.tasks]
    if len(set(names)) != len(names):
        return "two tasks have the same name"
    known = set(names)
    for t in spec.tasks:
        if t.module != f"tasks/{t.name}.py":
            return f"task {t.name!r} names module {t.module!r}; it must be tasks/{t.name}.py"
        for up in t.upstream:
            if up not in known:
                return f"task {t.name!r} depends on {up!r}, which is not a task"
        for i in t.inputs:
            if i.task not in t.upstream:
                return f"task {t.name!r} reads {i.name!r} from {i.task!r}, which is not upstream of it"
    try:
        topological_order({t.name: t.upstream for t in spec.tasks})
    except CycleError as exc:
        return str(exc)
    try:
        if spec.schedule.cron is not None:
            CronSchedule(spec.schedule.cron, spec.schedule.timezone)
        else:
            zone(spec.schedule.timezone)
    except ScheduleError as exc:
        return f"schedule: {exc}"
    return None


def load(layout: Layout, name: str) -> tuple[PipelineSpec, str]:
    """The spec of pipeline ``name`` and the hash of its file; SpecError if missing or invalid."""
    path = layout.spec_file(name)
    where = layout.relative(path) if path.is_relative_to(layout.root) else str(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise SpecError(f"{where} is missing: the pipeline's folder was moved or deleted. Promote the cells "
                        f"again, or delete the pipeline (plumbline pipelines delete {name}).") from None
    except OSError as exc:
        raise SpecError(f"{where} cannot be read ({exc.strerror or exc}).") from None
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except (UnicodeDecodeError, ValueError) as exc:
        raise SpecError(f"{where} is not valid JSON ({exc}). Fix the file, or promote the cells again "
                        "(the notebook is the source).") from None
    spec = validate_json(data, where)
    if spec.name != name:
        raise SpecError(f"{where} names the pipeline {spec.name!r}, but its folder is {name!r}; rename one of them.")
    inside(layout.root, spec.notebook, "notebook")
    return spec, spec_hash(text)


def write(layout: Layout, spec: PipelineSpec, modules: dict[str, str]) -> str:
    """Write the spec and its task modules atomically (temporary files, then rename); the spec's hash."""
    folder = layout.folder(spec.name)
    (folder / "tasks").mkdir(parents=True, exist_ok=True)
    for task, source in modules.items():
        _atomic_write(folder / "tasks" / f"{task}.py", source)
    keep = {f"{t}.py" for t in modules}
    for stale in (folder / "tasks").glob("*.py"):
        if stale.name not in keep:  # a task that no longer exists after an update
            stale.unlink()
    text = dumps(spec)
    _atomic_write(folder / SPEC_FILE, text)  # last: a crash before it leaves the old spec in force
    return spec_hash(text)


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        tmp.write_text(text, "utf-8")
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
