"""Which variables a cell read and rebound, and which recorded version each value is.

The tracker maps a name to the output (version) that last bound it in this
kernel: the output's io id, the object itself (a weak reference when the type
allows it, else a strong one) and its fingerprint. A cell that reads the same
object again links to that version without hashing it again. Values nobody
recorded (bound before recording, by a silent execute, by a widget callback)
are fingerprinted when first read and have no source: they came from outside.
"""

from __future__ import annotations

import threading
import types
import weakref
from dataclasses import dataclass
from typing import Any, Iterable, Optional

from ...fingerprint import Fingerprint

IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})


@dataclass
class Version:
    io_id: Optional[str]  # the output that bound this value; None: came from outside
    fingerprint: Fingerprint
    _ref: Any  # weakref.ref or the object itself
    _weak: bool

    @classmethod
    def of(cls, io_id: Optional[str], obj: Any, fp: Fingerprint) -> "Version":
        try:
            return cls(io_id, fp, weakref.ref(obj), True)
        except TypeError:  # int, str, list, dict...: not weakly referenceable
            return cls(io_id, fp, obj, False)

    def holds(self, obj: Any) -> bool:
        return (self._ref() if self._weak else self._ref) is obj


class Tracker:
    """name -> Version, shared by the cell thread and the fingerprint worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[str, Version] = {}

    def get(self, name: str, obj: Any) -> Optional[Version]:
        """The version of ``name`` if it still holds this very object."""
        with self._lock:
            version = self._versions.get(name)
        return version if version is not None and version.holds(obj) else None

    def set(self, name: str, version: Version) -> None:
        with self._lock:
            self._versions[name] = version

    def drop(self, names: Iterable[str]) -> None:
        with self._lock:
            for name in names:
                self._versions.pop(name, None)


def is_data_name(shell: Any, name: str) -> bool:
    """Names that are the user's, not IPython's."""
    return not name.startswith("_") and name not in IPYTHON_NAMES and name not in _hidden(shell)


def is_data_value(obj: Any) -> bool:
    """Modules and code imported from libraries are not data; code defined in the notebook is."""
    if isinstance(obj, types.ModuleType):
        return False
    if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType, types.MethodType,
                        types.BuiltinMethodType)) or type(obj).__name__ == "ufunc":
        return getattr(obj, "__module__", None) == "__main__"
    return True


def snapshot(shell: Any) -> dict[str, int]:
    """{name: id(value)} of the user's names: cheap, taken before and after every cell."""
    hidden = _hidden(shell)
    return {name: id(value) for name, value in list(shell.user_ns.items())
            if not name.startswith("_") and name not in hidden and name not in IPYTHON_NAMES}


def rebound(before: dict[str, int], after: dict[str, int], maybe_written: Iterable[str], shell: Any,
            tracker: Tracker) -> list[str]:
    """Names bound to another object after the cell than before it.

    ``maybe_written`` (the static writes) covers an id reused by a new object
    after the old one was freed: the tracker's reference tells them apart.
    """
    names = {n for n, ident in after.items() if before.get(n) != ident}
    ns = shell.user_ns
    for name in maybe_written:
        if name in after and name not in names and name in ns:
            obj = ns[name]
            with tracker._lock:
                version = tracker._versions.get(name)
            if version is not None and not version.holds(obj):
                names.add(name)
    return sorted(names)


def _hidden(shell: Any) -> Any:
    return getattr(shell, "user_ns_hidden", None) or {}
