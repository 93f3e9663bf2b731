"""Which syntactic forms change an object in place, and which name holds that object.

This module only answers "which variable's object does this node mutate?" as a
``Name`` node; whether that name means the cell's namespace (and so counts) is
the scope walker's job (``names.py``). Static analysis can only guess here:
the recorder confirms with fingerprints before and after the cell.
"""

from __future__ import annotations

import ast
from typing import Optional

#: Method names that may change their receiver in place. A guess by name, so it
#: errs on the side of "may mutate": a spurious mutation costs one extra
#: fingerprint comparison at run time, a missed one costs a lineage edge.
#: Pass ``mutating_methods=`` to :func:`plumbline.analysis.analyze` to change it.
MUTATING_METHODS: frozenset[str] = frozenset({
    # scikit-learn style estimators learn state in place
    "fit", "fit_transform", "fit_predict", "partial_fit", "set_params",
    # list
    "append", "extend", "insert", "remove", "pop", "clear", "sort", "reverse",
    # dict
    "update", "setdefault", "popitem",
    # set
    "add", "discard", "difference_update", "intersection_update",
    "symmetric_difference_update",
    # numpy arrays
    "fill", "resize", "put", "itemset", "setflags",
    # explicit dunder calls
    "__setitem__", "__delitem__", "__setattr__", "__delattr__", "__iadd__",
})


def root_name(node: ast.expr) -> Optional[ast.Name]:
    """The variable at the bottom of ``a.b[c].d``: ``a``.

    Stops at anything else (a call, a literal): ``f()["x"] = 1`` mutates an
    object no variable of the cell names, so there is nothing to report.
    """
    while isinstance(node, (ast.Attribute, ast.Subscript)):
        node = node.value
    return node if isinstance(node, ast.Name) else None


def mutated_by_target(target: ast.expr) -> Optional[ast.Name]:
    """``df["x"] = ...``, ``df.attr = ...``, ``df["x"] += 1``, ``del df["x"]``: ``df``."""
    if isinstance(target, (ast.Attribute, ast.Subscript)):
        return root_name(target)
    return None


def _truthy_inplace(call: ast.Call) -> bool:
    # `inplace=flag` may be True at run time, so only a literal False/None is safe.
    for kw in call.keywords:
        if kw.arg == "inplace":
            return not (isinstance(kw.value, ast.Constant) and kw.value.value in (False, None, 0))
    return False


def mutated_by_call(call: ast.Call, mutating_methods: frozenset[str] = MUTATING_METHODS) -> Optional[ast.Name]:
    """``model.fit(X)``, ``lst.append(x)``, ``df.drop(..., inplace=True)``: the receiver's root name.

    Only method calls count: an object passed as an argument (``shuffle(lst)``,
    ``train(model, X)``) may be mutated too, but nothing in the syntax says so.
    """
    func = call.func
    if not isinstance(func, ast.Attribute):
        return None
    if func.attr in mutating_methods or _truthy_inplace(call):
        return root_name(func.value)
    return None
