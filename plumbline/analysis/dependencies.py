"""Per value, not per cell: which namespace names each value a cell binds was made from.

``FEATURES = ['hour', 'weekday']`` in a cell that also reads ``flights`` depends
on nothing; ``X = flights[FEATURES]`` depends on ``flights``. The walk is the
scope walker's (``names.py``), one top-level statement at a time, with an
environment ``name -> the namespace names its value came from`` for the names
the cell itself bound so far:

* A statement's value depends on the namespace names it loads that the cell
  may not have bound before it (reads), and on the dependencies of the
  cell-bound names it loads (``b = a + 1`` after ``a = x * 2``: ``b`` depends
  on ``x``).
* Every name a statement binds or mutates (``df["x"] = ...``, ``model.fit(X)``)
  takes that statement's dependencies; a mutated name also keeps its own
  (a mutation reads its receiver).
* A compound statement (``if``, ``for``, ``while``, ``try``, ``with``,
  ``match``) is one unit: what it binds depends on everything it loads,
  conditions included (a value chosen by ``if flag:`` depends on ``flag``).
  Its bindings may not happen, so they add to what the name had before.
* A function or class depends on the namespace names its body loads when it
  runs (its free names), decorators, defaults and bases: calling it later
  depends on them.

``through_calls`` are the names whose value passed through a call (or an
``await`` or a ``with``): code the analyzer cannot see may have read a file
there, so the recorder counts the cell's file inputs among their
dependencies. A value built from literals and names only did not.

Statement-level, so it over-approximates within a statement: in
``a, b = f(x), g(y)`` both ``a`` and ``b`` depend on ``x`` and ``y``.
"""

from __future__ import annotations

import ast
from typing import Iterable, Optional

from .ambient import is_ambient
from .names import ScopeWalker

_COMPOUND = (ast.If, ast.For, ast.AsyncFor, ast.While, ast.Try, ast.With, ast.AsyncWith, ast.Match)
if hasattr(ast, "TryStar"):
    _COMPOUND = (*_COMPOUND, ast.TryStar)
_CALL_NODES = (ast.Call, ast.Await, ast.With, ast.AsyncWith)


class DependencyWalker(ScopeWalker):
    """The scope walker, recording per top-level statement what it loads, binds and mutates."""

    def __init__(self, mutating_methods: frozenset[str]):
        super().__init__(mutating_methods)
        self._loads: set[str] = set()     # namespace names loaded, bound in the cell or not
        self._reads: set[str] = set()     # of those, the ones that may come from the namespace
        self._binds: set[str] = set()
        self._mutates: set[str] = set()
        self.dependencies: dict[str, frozenset[str]] = {}
        self.through_calls: set[str] = set()

    # -- hooks into the scope walker --------------------------------------------------------

    def _load(self, name: str) -> None:
        if self._is_namespace(name):
            self._loads.add(name)
            if name not in self.bound:
                self._reads.add(name)
        super()._load(name)

    def _bind(self, name: str, scope=None) -> None:
        if not self.scopes or name in (scope or self.scopes[-1]).globals:
            self._binds.add(name)
        super()._bind(name, scope)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        # A walrus at top level (or in a top-level comprehension) binds in the namespace.
        if not any(s.kind != "comprehension" for s in self.scopes):
            self._binds.add(node.target.id)
        super().visit_NamedExpr(node)

    def _delete(self, name: str) -> None:
        if not self.scopes or name in self.scopes[-1].globals:
            self.dependencies.pop(name, None)
            self.through_calls.discard(name)
        super()._delete(name)

    def _mutate(self, node: Optional[ast.Name]) -> None:
        if node is not None and self._is_namespace(node.id):
            self._mutates.add(node.id)
        super()._mutate(node)

    # -- the cell, statement by statement ---------------------------------------------------------

    def walk_cell(self, body: Iterable[ast.stmt]) -> None:
        for statement in body:
            self._loads, self._reads, self._binds, self._mutates = set(), set(), set(), set()
            self.visit(statement)
            self._take(statement)

    def _take(self, statement: ast.stmt) -> None:
        deps: set[str] = {n for n in self._reads if not is_ambient(n) or n in self.dependencies}
        calls = any(isinstance(n, _CALL_NODES) for n in ast.walk(statement))
        for name in self._loads:
            if name in self.dependencies:
                deps |= self.dependencies[name]
                calls = calls or name in self.through_calls
        maybe = isinstance(statement, _COMPOUND)
        for name in self._binds | self._mutates:
            mine = set(deps)
            if maybe or name in self._mutates and name not in self._binds:
                mine |= self.dependencies.get(name, frozenset())
                calls_before = name in self.through_calls
            else:
                calls_before = False
            self.dependencies[name] = frozenset(mine)
            if calls or calls_before:
                self.through_calls.add(name)
            else:
                self.through_calls.discard(name)
