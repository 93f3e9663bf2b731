"""Names that a cell finds in its namespace without any cell having put them there.

Builtins and the variables IPython injects are not data a cell reads, so they
would only add noise (and false edges) to lineage.
"""

from __future__ import annotations

import builtins
import re

BUILTIN_NAMES: frozenset[str] = frozenset(dir(builtins))

#: What IPython puts in the user namespace: output/input history and helpers.
#: User names that merely start with ``_`` (``_tmp``) are ordinary variables.
IPYTHON_NAMES: frozenset[str] = frozenset({
    "get_ipython", "In", "Out", "exit", "quit", "_oh", "_ih", "_dh", "_sh",
})
_IPYTHON_HISTORY = re.compile(r"_+|_i{1,3}|_i?\d+")


def is_ambient(name: str) -> bool:
    """True for builtins (``print``) and IPython's injected names (``_``, ``_i3``, ``Out``)."""
    return name in BUILTIN_NAMES or name in IPYTHON_NAMES or _IPYTHON_HISTORY.fullmatch(name) is not None
