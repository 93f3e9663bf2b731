"""Statement by statement: what a cell's top-level statements are and when they read.

The pipeline compiler needs two facts the cell-level analysis blends together:

* **what kind** each top-level statement is (an import, a definition, an
  assignment, an expression...), to tell a setup cell (imports, functions,
  constants: the shared prelude of every task) from a cell that does work;
* **when** a definition reads a name: ``def f(): return df.x`` reads ``df``
  only when ``f`` is *called*, so the task that calls ``f`` needs ``df``, not
  the cell that defines it (the case Kale misses). Decorators, defaults and a
  class body run at definition time; function bodies are deferred.

The same scope walker as :func:`plumbline.analysis.analyze` does the work.
"""

from __future__ import annotations

import ast
import copy
from dataclasses import dataclass
from typing import Iterable, Optional

from .ambient import is_ambient
from .magics import parse_cell
from .names import ScopeWalker

_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass(frozen=True)
class Statement:
    kind: str  # 'import' | 'definition' | 'assignment' | 'expression' | 'other'
    line: int
    reads: frozenset[str]  # read when the statement runs
    deferred: frozenset[str]  # read only when a function it defines runs
    writes: frozenset[str]
    mutations: frozenset[str]
    calls: frozenset[str]  # names and attribute names called when it runs (``read_csv``, ``open``, ``f``)
    defines: frozenset[str] = frozenset()  # functions and classes it defines
    star_import: bool = False


def _facts(nodes: Iterable[ast.stmt]):
    walker = ScopeWalker()
    walker.visit(ast.Module(body=list(nodes), type_ignores=[]))
    f = walker.facts

    def from_namespace(names: set[str]) -> frozenset[str]:
        return frozenset(n for n in names if n in f.writes or not is_ambient(n))

    return from_namespace(f.reads), frozenset(f.writes), frozenset(f.mutations - f.module_aliases)


def _without_bodies(node: ast.stmt) -> ast.stmt:
    """The part of a definition that runs when it is defined (decorators, defaults, bases, class body)."""
    shell = copy.deepcopy(node)
    if isinstance(shell, _FUNCTIONS):
        shell.body = [ast.Pass()]
    elif isinstance(shell, ast.ClassDef):
        shell.body = [_without_bodies(s) if isinstance(s, (*_FUNCTIONS, ast.ClassDef)) else s for s in shell.body]
    return shell


def _called_names(node: ast.AST) -> frozenset[str]:
    """Names of what a statement calls when it runs (not inside the functions or lambdas it defines)."""
    out: set[str] = set()
    stack = [node]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Call):
            if isinstance(n.func, ast.Name):
                out.add(n.func.id)
            elif isinstance(n.func, ast.Attribute):
                out.add(n.func.attr)
        if n is not node and isinstance(n, (*_FUNCTIONS, ast.Lambda)):
            continue
        if isinstance(n, _FUNCTIONS) and n is node:
            stack.extend(n.decorator_list)
            stack.extend(d for d in (*n.args.defaults, *n.args.kw_defaults) if d is not None)
            continue
        stack.extend(ast.iter_child_nodes(n))
    return frozenset(out)


def _kind(node: ast.stmt) -> str:
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return "import"
    if isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
        return "definition"
    if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
        return "assignment"
    if isinstance(node, ast.Expr):
        return "expression"
    return "other"


def statements(source: str) -> Optional[list[Statement]]:
    """The top-level statements of a cell (IPython syntax allowed); None if it does not parse."""
    try:
        tree = parse_cell(source)
    except Exception:  # noqa: BLE001 - SyntaxError and the like: the caller reports the cell's analysis error
        return None
    out = []
    for node in tree.body:
        try:
            reads, writes, mutations = _facts([node])
            deferred: frozenset[str] = frozenset()
            defines: frozenset[str] = frozenset()
            if isinstance(node, (*_FUNCTIONS, ast.ClassDef)):
                now, _, _ = _facts([_without_bodies(node)])
                deferred = reads - now - {node.name}
                reads = now
                defines = frozenset({node.name})
            star = isinstance(node, ast.ImportFrom) and any(a.name == "*" for a in node.names)
            out.append(Statement(kind=_kind(node), line=getattr(node, "lineno", 0), reads=reads, deferred=deferred,
                                 writes=writes, mutations=mutations, calls=_called_names(node), defines=defines,
                                 star_import=star))
        except Exception:  # noqa: BLE001 - e.g. RecursionError: an unknown statement, never a crash
            out.append(Statement(kind="other", line=getattr(node, "lineno", 0), reads=frozenset(),
                                 deferred=frozenset(), writes=frozenset(), mutations=frozenset(), calls=frozenset()))
    return out
