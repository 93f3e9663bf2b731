"""The scope walker: which names a cell loads from, binds in, deletes from and
mutates in its namespace (the cell's top level, i.e. the IPython user namespace).

Two rules shape it:

* **Flow-sensitive at the top level.** Statements are walked in execution order
  with the set of names *definitely* bound so far; a load of a name outside
  that set is a read (``a = 1; b = a`` reads nothing, ``if c: a = 1`` then
  ``b = a`` reads ``a``, because ``a`` may come from the namespace). Writes are
  every name the cell *may* bind. So reads and writes over-approximate: a
  spurious edge is cheaper than a missing one, and run time confirms.
* **Nested scopes are resolved like Python does** (function locals,
  closures, ``global``/``nonlocal``, class bodies invisible to their methods,
  comprehension targets local), and are walked where they are *defined*: a
  free name of a function, lambda or comprehension is a read unless the cell
  bound it before that point — whether or not the function is called here.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Iterable, Optional

from . import mutations as _mut


class DeferredScope(ast.stmt):
    """Statements run now in a fresh function scope, as ``%timeit`` runs its code.

    Names they load come from the namespace; names they bind stay local.
    Produced by ``magics.py``; never seen by the compiler.
    """

    _fields = ("body",)


_FUNCTION_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef)
_COMPREHENSIONS = (ast.ListComp, ast.SetComp, ast.GeneratorExp, ast.DictComp)


@dataclass
class _Scope:
    kind: str  # "function" (also lambda, DeferredScope), "class" or "comprehension"
    locals: frozenset[str]
    globals: frozenset[str] = frozenset()
    nonlocals: frozenset[str] = frozenset()


@dataclass
class NameFacts:
    reads: set[str] = field(default_factory=set)
    writes: set[str] = field(default_factory=set)
    deletes: set[str] = field(default_factory=set)
    mutations: set[str] = field(default_factory=set)
    definitions: set[str] = field(default_factory=set)
    calls: set[str] = field(default_factory=set)
    imports: set[str] = field(default_factory=set)
    #: names bound by ``import x [as y]`` in this cell: modules, not data, so a
    #: method call on them (``np.append(a, 1)``) is not a mutation.
    module_aliases: set[str] = field(default_factory=set)


def _import_binding(alias: ast.alias) -> str:
    # `import a.b.c` binds `a`; `import a.b as c` binds `c`.
    return alias.asname or alias.name.split(".")[0]


def _scope_bindings(nodes: Iterable[ast.AST]) -> tuple[set[str], set[str], set[str]]:
    """(locals, globals, nonlocals) of one scope, as the compiler's symbol table sees them:
    every name bound anywhere in the scope, not descending into nested scopes
    (except for walrus targets in comprehensions, which bind in this scope)."""
    local: set[str] = set()
    glob: set[str] = set()
    nonloc: set[str] = set()
    stack = list(nodes)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Global):
            glob.update(n.names)
        elif isinstance(n, ast.Nonlocal):
            nonloc.update(n.names)
        elif isinstance(n, (*_FUNCTION_DEFS, ast.ClassDef)):
            local.add(n.name)
        elif isinstance(n, ast.Lambda):
            pass
        elif isinstance(n, _COMPREHENSIONS):
            local.update(_walrus_targets(n))
        else:
            if isinstance(n, ast.Name) and isinstance(n.ctx, (ast.Store, ast.Del)):
                local.add(n.id)
            elif isinstance(n, (ast.Import, ast.ImportFrom)):
                local.update(_import_binding(a) for a in n.names if a.name != "*")
            elif isinstance(n, ast.ExceptHandler) and n.name:
                local.add(n.name)
            elif isinstance(n, (ast.MatchAs, ast.MatchStar)) and n.name:
                local.add(n.name)
            elif isinstance(n, ast.MatchMapping) and n.rest:
                local.add(n.rest)
            if not isinstance(n, DeferredScope):
                stack.extend(ast.iter_child_nodes(n))
    return local - glob - nonloc, glob, nonloc


def _walrus_targets(comp: ast.AST) -> set[str]:
    out: set[str] = set()
    stack = [comp]
    while stack:
        n = stack.pop()
        if isinstance(n, ast.NamedExpr) and isinstance(n.target, ast.Name):
            out.add(n.target.id)
        if not isinstance(n, (*_FUNCTION_DEFS, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(n))
    return out


def _comprehension_targets(comp: ast.AST) -> set[str]:
    out: set[str] = set()
    for gen in comp.generators:
        out.update(n.id for n in ast.walk(gen.target) if isinstance(n, ast.Name))
    return out


def _params(args: ast.arguments) -> set[str]:
    names = {a.arg for a in (*args.posonlyargs, *args.args, *args.kwonlyargs)}
    names.update(a.arg for a in (args.vararg, args.kwarg) if a is not None)
    return names


def _has_break(body: list[ast.stmt]) -> bool:
    """A `break` of *this* loop (not of a nested loop or function)."""
    stack = list(body)
    while stack:
        n = stack.pop()
        if isinstance(n, ast.Break):
            return True
        if not isinstance(n, (ast.For, ast.AsyncFor, ast.While, *_FUNCTION_DEFS, ast.ClassDef, ast.Lambda)):
            stack.extend(ast.iter_child_nodes(n))
        elif isinstance(n, (ast.For, ast.AsyncFor, ast.While)):
            stack.extend(n.orelse)  # a loop's else belongs to the enclosing loop
    return False


def _irrefutable(pattern: ast.pattern) -> bool:
    if isinstance(pattern, ast.MatchAs):
        return pattern.pattern is None or _irrefutable(pattern.pattern)
    if isinstance(pattern, ast.MatchOr):
        return any(_irrefutable(p) for p in pattern.patterns)
    return False


class ScopeWalker(ast.NodeVisitor):
    def __init__(self, mutating_methods: frozenset[str] = _mut.MUTATING_METHODS):
        self.facts = NameFacts()
        self.mutating_methods = mutating_methods
        self.scopes: list[_Scope] = []  # nested scopes, innermost last; empty = cell top level
        self.bound: set[str] = set()    # names definitely bound at top level at this point

    # --- resolution -------------------------------------------------------------

    def _is_namespace(self, name: str) -> bool:
        """Does `name`, here, refer to the cell's namespace (module globals)?"""
        for depth, scope in enumerate(reversed(self.scopes)):
            if name in scope.globals:
                return True
            if name in scope.nonlocals:
                return False
            if scope.kind == "class":
                # A class body's names are visible to the body itself, not to
                # the functions and comprehensions nested in it.
                if depth == 0 and name in scope.locals:
                    return False
                continue
            if name in scope.locals:
                return False
        return True

    def _load(self, name: str) -> None:
        if self._is_namespace(name) and name not in self.bound:
            self.facts.reads.add(name)

    def _bind(self, name: str, scope: Optional[_Scope] = None) -> None:
        if not self.scopes:
            self.facts.writes.add(name)
            self.bound.add(name)
        elif name in (scope or self.scopes[-1]).globals:
            # `global x; x = ...` in a function: a write whenever it is called.
            self.facts.writes.add(name)

    def _delete(self, name: str) -> None:
        if not self.scopes:
            self.facts.deletes.add(name)
            self.bound.discard(name)
        elif name in self.scopes[-1].globals:
            self.facts.deletes.add(name)

    def _mutate(self, node: Optional[ast.Name]) -> None:
        if node is not None and self._is_namespace(node.id):
            self.facts.mutations.add(node.id)

    def _nested(self, scope: _Scope, nodes: Iterable[ast.AST]) -> None:
        self.scopes.append(scope)
        try:
            for n in nodes:
                self.visit(n)
        finally:
            self.scopes.pop()

    def _run(self, stmts: Iterable[ast.AST], start: set[str]) -> set[str]:
        """Walk a block from `start`; return what is definitely bound at its end."""
        saved, self.bound = self.bound, set(start)
        try:
            for s in stmts:
                self.visit(s)
            return self.bound
        finally:
            self.bound = saved

    # --- names, targets, calls ----------------------------------------------------

    def visit_Name(self, node: ast.Name) -> None:
        if isinstance(node.ctx, ast.Load):
            self._load(node.id)
        elif isinstance(node.ctx, ast.Store):
            self._bind(node.id)
        else:
            self._delete(node.id)

    def _visit_target_owner(self, node: ast.Attribute | ast.Subscript) -> None:
        # `df["x"] = 1` / `del df.a`: the object named by df changes, df is not rebound
        # (its own Name node has Load context, so generic_visit records the read).
        if not isinstance(node.ctx, ast.Load):
            self._mutate(_mut.mutated_by_target(node))
        self.generic_visit(node)

    visit_Attribute = visit_Subscript = _visit_target_owner

    def visit_Call(self, node: ast.Call) -> None:
        if isinstance(node.func, ast.Name) and self._is_namespace(node.func.id):
            self.facts.calls.add(node.func.id)
        self._mutate(_mut.mutated_by_call(node, self.mutating_methods))
        self.generic_visit(node)

    def visit_NamedExpr(self, node: ast.NamedExpr) -> None:
        self.visit(node.value)
        # A walrus binds in the nearest enclosing non-comprehension scope.
        owner = next((s for s in reversed(self.scopes) if s.kind != "comprehension"), None)
        if owner is None:
            self.facts.writes.add(node.target.id)
            self.bound.add(node.target.id)
        else:
            self._bind(node.target.id, owner)

    # --- assignments: value before target --------------------------------------

    def visit_Assign(self, node: ast.Assign) -> None:
        self.visit(node.value)
        for t in node.targets:
            self.visit(t)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        # `x += 1` reads x, then rebinds it; `df["x"] += 1` reads and mutates df.
        if isinstance(node.target, ast.Name):
            self._load(node.target.id)
            self.visit(node.value)
            self._bind(node.target.id)
        else:
            self.visit(node.value)
            self.visit(node.target)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        # Annotations are evaluated at top level and in class bodies, not in functions.
        if not self.scopes or self.scopes[-1].kind == "class":
            self.visit(node.annotation)
        if node.value is not None:
            self.visit(node.value)
            self.visit(node.target)
        elif not isinstance(node.target, ast.Name):
            # `x: int` binds nothing; `df.a: int` still evaluates df.
            self.visit(node.target.value)

    # --- imports and definitions ------------------------------------------------

    def visit_Import(self, node: ast.Import) -> None:
        for alias in node.names:
            self.facts.imports.add(alias.name.split(".")[0])
            name = _import_binding(alias)
            self._bind(name)
            if not self.scopes:
                self.facts.module_aliases.add(name)

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        if node.level == 0 and node.module:
            self.facts.imports.add(node.module.split(".")[0])
        for alias in node.names:
            if alias.name != "*":  # star imports bind names we cannot know statically
                self._bind(_import_binding(alias))

    def _define(self, name: str) -> None:
        if not self.scopes:
            self.facts.definitions.add(name)
        self._bind(name)

    def _visit_arguments(self, args: ast.arguments) -> None:
        # Defaults and annotations are evaluated where the function is defined.
        for d in (*args.defaults, *args.kw_defaults):
            if d is not None:
                self.visit(d)
        for a in (*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg):
            if a is not None and a.annotation is not None:
                self.visit(a.annotation)

    def visit_FunctionDef(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for d in node.decorator_list:
            self.visit(d)
        self._visit_arguments(node.args)
        if node.returns is not None:
            self.visit(node.returns)
        local, glob, nonloc = _scope_bindings(node.body)
        scope = _Scope("function", frozenset(local | _params(node.args)), frozenset(glob), frozenset(nonloc))
        self._nested(scope, node.body)
        self._define(node.name)

    visit_AsyncFunctionDef = visit_FunctionDef

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._visit_arguments(node.args)
        local, _, _ = _scope_bindings([node.body])  # walrus targets
        self._nested(_Scope("function", frozenset(local | _params(node.args))), [node.body])

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        for n in (*node.decorator_list, *node.bases, *node.keywords):
            self.visit(n)
        local, glob, nonloc = _scope_bindings(node.body)
        self._nested(_Scope("class", frozenset(local), frozenset(glob), frozenset(nonloc)), node.body)
        self._define(node.name)

    def visit_DeferredScope(self, node: DeferredScope) -> None:
        local, glob, nonloc = _scope_bindings(node.body)
        self._nested(_Scope("function", frozenset(local), frozenset(glob), frozenset(nonloc)), node.body)

    def _visit_comprehension(self, node: ast.ListComp | ast.SetComp | ast.GeneratorExp | ast.DictComp) -> None:
        # The first iterable is evaluated in the enclosing scope; the rest in the
        # comprehension's own scope, where the loop targets live (and stay).
        gens = node.generators
        self.visit(gens[0].iter)
        scope = _Scope("comprehension", frozenset(_comprehension_targets(node)))
        parts: list[ast.AST] = []
        for i, gen in enumerate(gens):
            if i:
                parts.append(gen.iter)
            parts.append(gen.target)
            parts.extend(gen.ifs)
        parts.extend([node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt])
        self._nested(scope, parts)

    visit_ListComp = visit_SetComp = visit_GeneratorExp = visit_DictComp = _visit_comprehension

    # --- control flow: what is definitely bound after a branch --------------------

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        self.bound = self._run(node.body, self.bound) & self._run(node.orelse, self.bound)

    def _visit_loop(self, node: ast.For | ast.AsyncFor | ast.While) -> None:
        start = set(self.bound)
        if isinstance(node, ast.While):
            self.visit(node.test)
            body_start = set(self.bound)
        else:
            self.visit(node.iter)
            body_start = self._run([node.target], self.bound)
        # The body may run zero times: nothing it binds is definitely bound after.
        self._run(node.body, body_start)
        after_else = self._run(node.orelse, start)
        self.bound = start if _has_break(node.body) else after_else

    visit_For = visit_AsyncFor = visit_While = _visit_loop

    def visit_Try(self, node: ast.Try) -> None:
        start = set(self.bound)
        ends = [self._run(node.orelse, self._run(node.body, start))]
        for handler in node.handlers:
            saved, self.bound = self.bound, set(start)
            if handler.type is not None:
                self.visit(handler.type)
            if handler.name:
                self._bind(handler.name)
            self._run_in_place(handler.body)
            # Python deletes the `as` name when the handler ends.
            ends.append(self.bound - {handler.name})
            self.bound = saved
        joined = set.intersection(*ends)
        final = self._run(node.finalbody, start)
        self.bound = joined | (final - start)

    visit_TryStar = visit_Try

    def _run_in_place(self, stmts: Iterable[ast.AST]) -> None:
        for s in stmts:
            self.visit(s)

    def visit_Match(self, node: ast.Match) -> None:
        self.visit(node.subject)
        start = set(self.bound)
        ends = []
        exhaustive = False
        for case in node.cases:
            saved, self.bound = self.bound, set(start)
            self.visit(case.pattern)
            if case.guard is not None:
                self.visit(case.guard)
            self._run_in_place(case.body)
            ends.append(self.bound)
            self.bound = saved
            exhaustive |= case.guard is None and _irrefutable(case.pattern)
        if not exhaustive:
            ends.append(start)
        self.bound = set.intersection(*ends)

    def visit_MatchAs(self, node: ast.MatchAs) -> None:
        self.generic_visit(node)
        if node.name:
            self._bind(node.name)

    def visit_MatchStar(self, node: ast.MatchStar) -> None:
        if node.name:
            self._bind(node.name)

    def visit_MatchMapping(self, node: ast.MatchMapping) -> None:
        self.generic_visit(node)
        if node.rest:
            self._bind(node.rest)
