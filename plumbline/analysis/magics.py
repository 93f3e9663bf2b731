"""IPython cell source -> a plain Python AST in which the cell's Python stays visible.

``TransformerManager.transform_cell`` turns IPython syntax into calls
(``%time x = f(y)`` -> ``get_ipython().run_line_magic('time', 'x = f(y)')``),
which hides the Python inside string constants. This module undoes that for
the magics whose argument *is* Python run in the user namespace, and makes the
``$name`` / ``{expr}`` that IPython expands in shell commands and magic lines
visible as loads:

=====================================  ============================================
IPython syntax                         seen as
=====================================  ============================================
``%time S``, ``%%time``, ``%prun S``,  the statements S, spliced in place (they run
``%%prun``, ``%%capture [out]``        in the user namespace; ``out`` is a write)
``%timeit S``, ``%%timeit``            S in a function scope: reads only, its
                                       bindings stay inside timeit
``v = %time E``                        ``v = E``
``!cmd $a {b+1}``, ``x = !cmd``,       loads of ``a`` and ``b`` ("may read": IPython
``%magic $a``, ``%%cellmagic $a``      leaves the text alone if they are undefined)
anything else (``%run``, ``%store``,   only ``get_ipython()`` (ambient): what the
``%%bash`` bodies, ``%xdel``, ...)     magic reads or writes is not seen
=====================================  ============================================
"""

from __future__ import annotations

import ast
import re
from typing import Optional

from IPython.core.inputtransformer2 import TransformerManager

from .names import DeferredScope

_transformer = TransformerManager()

# Magics whose argument is Python run in the user namespace, with their option
# specs (IPython's parse_options/getopt syntax: "x:" takes a value).
_SPLICED = {"time": "", "prun": "D:l:rs:T:q", "capture": ""}
_ISOLATED = {"timeit": "n:r:tcp:qo"}
_CAPTURE_FLAGS = {"--no-stderr", "--no-stdout", "--no-display"}
_EXPANDING = {"run_line_magic", "run_cell_magic", "system", "getoutput"}


def to_python(source: str) -> str:
    return _transformer.transform_cell(source)


def parse_cell(source: str) -> ast.Module:
    """Parse a cell (IPython syntax allowed); raises SyntaxError as running it would."""
    code = to_python(source)
    tree = ast.parse(code)
    # ast.parse accepts what only the compiler rejects (`return` or `break` at top
    # level); compile as IPython does, top-level `await` allowed, to report those too.
    compile(tree, "<cell>", "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT, dont_inherit=True)
    return _MagicExpander().visit(tree)


def _parse_inner(code: str, mode: str = "exec") -> Optional[ast.AST]:
    # A magic's body may itself hold IPython syntax (`%%time` over `!ls`).
    try:
        tree = ast.parse(to_python(code) if mode == "exec" else code.strip(), mode=mode)
    except (SyntaxError, ValueError):
        return None
    return _MagicExpander().visit(tree)


def _strip_options(arg: str, spec: str) -> str:
    """Drop leading getopt-style options (`-n1 -r 3 -qo`) from a magic's argument."""
    takes_value = {c for c, nxt in zip(spec, spec[1:] + " ") if c != ":" and nxt == ":"}
    flags = set(spec) - {":"}
    pos = 0
    want_value = False
    for m in re.finditer(r"\S+", arg):
        tok = m.group()
        if want_value:
            want_value = False
        elif tok.startswith("-") and len(tok) > 1 and tok[1] in flags:
            for i, c in enumerate(tok[1:], start=1):
                if c not in flags:
                    return arg[m.start():]  # `-x + 1` is code, not an option
                if c in takes_value:
                    want_value = i == len(tok) - 1  # `-n 3` vs `-n3`
                    break
        else:
            break
        pos = m.end()
    # No leading blank: IPython 8 dedents it when the code is transformed, IPython 9 does not.
    return arg[pos:].lstrip()


def _magic(call: ast.AST) -> Optional[tuple[str, list[str]]]:
    """`get_ipython().<method>('const', ...)` -> (method, [string args])."""
    if not (isinstance(call, ast.Call) and isinstance(call.func, ast.Attribute)):
        return None
    owner = call.func.value
    if not (isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name)
            and owner.func.id == "get_ipython" and not owner.args):
        return None
    if call.func.attr not in _EXPANDING:
        return None
    args = [a.value for a in call.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
    if len(args) != len(call.args) or not args:
        return None
    return call.func.attr, args


_DOLLAR = re.compile(r"\$\$|\$([A-Za-z_]\w*)")
_BRACES = re.compile(r"\{\{|\{([^{}]+)\}")


def _expansions(text: str) -> list[ast.expr]:
    """The names IPython's var_expand may substitute into `text`."""
    # IPython does not expand `$` inside single quotes (`awk '{print $1}'`).
    unquoted = re.sub(r"'[^']*'", "", text)
    found: list[ast.expr] = [ast.Name(m.group(1), ast.Load()) for m in _DOLLAR.finditer(unquoted) if m.group(1)]
    for m in _BRACES.finditer(text):
        if m.group(1):
            expr = _parse_inner(m.group(1), "eval")
            if expr is not None:
                found.append(expr.body)
    return found


class _MagicExpander(ast.NodeTransformer):
    def visit_Expr(self, node: ast.Expr):
        spliced = self._statements(node.value)
        return spliced if spliced is not None else self.generic_visit(node)

    def _statements(self, call: ast.AST) -> Optional[list[ast.stmt]]:
        found = _magic(call)
        if found is None:
            return None
        method, args = found
        if method == "run_line_magic" and len(args) == 2:
            name, line, body = args[0], args[1], None
        elif method == "run_cell_magic" and len(args) == 3:
            name, line, body = args
        else:
            return None
        if name in _SPLICED:
            prefix: list[ast.stmt] = []
            if name == "capture" and body is not None:
                out = [t for t in line.split() if t not in _CAPTURE_FLAGS]
                if out and out[0].isidentifier():
                    prefix = [ast.Assign([ast.Name(out[0], ast.Store())], ast.Constant(None))]
                code = body
            else:
                code = body if body is not None else _strip_options(line, _SPLICED[name])
            tree = _parse_inner(code)
            return None if tree is None else tree.body + prefix
        if name in _ISOLATED:
            # %%timeit's line is setup code, run in the same scope as the body.
            setup = _strip_options(line, _ISOLATED[name])
            code = setup if body is None else setup + "\n" + body
            tree = _parse_inner(code)
            return None if tree is None else [DeferredScope(tree.body)]
        return None

    def visit_Call(self, node: ast.Call):
        found = _magic(node)
        if found is not None:
            method, args = found
            if method == "run_line_magic" and len(args) == 2 and args[0] in {**_SPLICED, **_ISOLATED}:
                # `v = %time E`: the value is E's (timeit runs E in its own scope)
                name = args[0]
                spec = _SPLICED.get(name, _ISOLATED.get(name, ""))
                tree = _parse_inner(_strip_options(args[1], spec), "eval")
                if tree is not None:
                    if name in _ISOLATED:
                        return ast.Lambda(ast.arguments([], [], None, [], [], None, []), tree.body)
                    return tree.body
            # Shell commands and magic lines: make IPython's $name/{expr} expansion visible.
            # (args: `cmd` for system/getoutput, `name, line[, body]` for magics; a
            # cell magic's body is not expanded.)
            text = args[1] if method.startswith("run_") and len(args) > 1 else args[0]
            node.args = node.args + _expansions(text)
            return node
        return self.generic_visit(node)
