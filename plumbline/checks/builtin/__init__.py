"""The built-in checks. Importing them registers them; none imports pandas or sklearn up front."""

from __future__ import annotations

import copy

# Import order is catalog order: data checks, then batch arrival, training set, model, drift.
from . import frame, batch, training, model, drift  # noqa: F401,I001  (registration)
from ._registry import BUILTINS, Builtin, Context, Outcome

__all__ = ["BUILTINS", "Builtin", "Context", "Outcome", "catalog"]


def catalog() -> list[dict]:
    """The built-in checks as the UI needs them to build a form; plain JSON."""
    return [copy.deepcopy(b.describe()) for b in BUILTINS.values()]
