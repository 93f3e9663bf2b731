"""Which variables a cell read and rebound, and which recorded version each value is.

The tracker maps a name to the output (version) that last bound it in this
kernel: the output's io id, the object itself (a weak reference when the type
allows it, else a strong one) and its fingerprint. A cell that reads the same
object again links to that version without hashing it again. Values nobody
recorded (bound before recording, by a silent execute, by a widget callback)
are fingerprinted when first read and have no source: they came from outside.
"""

from __future__ import annotations

import sys
import threading
import types
import weakref
from dataclasses import dataclass
from itertools import compress
from operator import ne
from typing import Any, Iterable, Optional

from ...fingerprint import Fingerprint

BIG_BYTES = 1 << 16
_MISSING = object()
IPYTHON_NAMES = frozenset({"In", "Out", "exit", "quit", "get_ipython"})


@dataclass
class Version:
    io_id: Optional[str]  # the output that bound this value; None: came from outside
    run_id: Optional[str]  # the run of that output
    fingerprint: Fingerprint
    _ref: Any  # weakref.ref or the object itself
    _weak: bool

    @classmethod
    def of(cls, io_id: Optional[str], run_id: Optional[str], obj: Any, fp: Fingerprint) -> "Version":
        try:
            return cls(io_id, run_id, fp, weakref.ref(obj), True)
        except TypeError:  # int, str, list, dict...: not weakly referenceable
            return cls(io_id, run_id, fp, obj, False)

    def holds(self, obj: Any) -> bool:
        return (self._ref() if self._weak else self._ref) is obj


class Tracker:
    """name -> Version, shared by the cell thread and the fingerprint worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._versions: dict[str, Version] = {}
        # Names whose version holds a big value strongly (not weakly referenceable): checked
        # before every cell, so a value rebound or deleted outside a recorded cell is freed.
        self._big_strong: set[str] = set()

    def get(self, name: str, obj: Any) -> Optional[Version]:
        """The version of ``name`` if it still holds this very object."""
        with self._lock:
            version = self._versions.get(name)
        return version if version is not None and version.holds(obj) else None

    def has(self, name: str) -> bool:
        with self._lock:
            return name in self._versions

    def set(self, name: str, version: Version) -> None:
        big = not version._weak and _big(version)
        with self._lock:
            self._versions[name] = version
            if big:
                self._big_strong.add(name)
            else:
                self._big_strong.discard(name)

    def drop(self, names: Iterable[str]) -> None:
        with self._lock:
            for name in names:
                self._versions.pop(name, None)
                self._big_strong.discard(name)

    def release_stale(self, ns: dict) -> None:
        """Drop the big strongly held versions whose name no longer holds that value."""
        with self._lock:
            stale = [n for n in self._big_strong if not self._versions[n].holds(ns.get(n, _MISSING))]
        self.drop(stale)


def _big(version: Version) -> bool:
    size = version.fingerprint.size_bytes
    if size is None:  # a container: its own size (a list of 1M items is 8 MB of pointers)
        try:
            size = sys.getsizeof(version._ref)
        except Exception:  # noqa: BLE001
            return True
    return size >= BIG_BYTES


def is_data_name(shell: Any, name: str) -> bool:
    """Names that are the user's, not IPython's."""
    return not name.startswith("_") and name not in IPYTHON_NAMES and name not in _hidden(shell)


# Library functions implemented as their own types (numpy 2 wraps np.sum & co. in a dispatcher).
_FUNCTION_TYPE_NAMES = frozenset({"ufunc", "_ArrayFunctionDispatcher", "cython_function_or_method",
                                  "fused_cython_function"})
_CODE_TYPES = (type, types.FunctionType, types.BuiltinFunctionType, types.MethodType, types.BuiltinMethodType)


def is_data_value(obj: Any) -> bool:
    """Modules and code imported from libraries are not data; code defined in the notebook is.

    Only ``type(obj)`` is asked: ``isinstance`` would read ``obj.__class__``, which a
    proxy's ``__getattribute__`` may answer slowly or with an exception.
    """
    t = type(obj)
    if issubclass(t, types.ModuleType):
        return False
    if issubclass(t, _CODE_TYPES) or t.__name__ in _FUNCTION_TYPE_NAMES:
        try:
            return getattr(obj, "__module__", None) == "__main__"
        except Exception:  # noqa: BLE001 - a metaclass that refuses: treat it as data
            return True
    return True


# The identity of any object, as id() gives it; id() raises an audit event ("builtins.id"), which
# costs about 0.3 us per call as soon as any audit hook is installed in the process.
_ident = object.__hash__


@dataclass(eq=False)
class Snapshot:
    """The namespace's names, in order, and the identity of each value: no reference to any value."""

    keys: list
    idents: list


def snapshot(shell: Any) -> Snapshot:
    """Taken before and after every cell: C-level loops only (about 0.2 ms per 1,000 names).

    All names are kept, IPython's included; only the few that changed are filtered.
    """
    ns = shell.user_ns
    for _ in range(3):
        keys, idents = list(ns), list(map(_ident, ns.values()))
        if len(keys) == len(idents):  # no other thread added or removed a name in between
            return Snapshot(keys, idents)
    items = list(ns.items())
    return Snapshot([k for k, _ in items], [_ident(v) for _, v in items])


def diff(before: Snapshot, after: Snapshot) -> tuple[set, set]:
    """(names new or bound to another object, names gone), IPython's and hidden ones included."""
    n = len(before.keys)
    if after.keys[:n] == before.keys:  # the usual case: names rebound in place, new ones appended
        changed = set(compress(before.keys, map(ne, before.idents, after.idents)))
        changed.update(after.keys[n:])
        return changed, set()
    b = dict(zip(before.keys, before.idents))
    a = dict(zip(after.keys, after.idents))
    return {k for k, v in a.items() if b.get(k) != v}, set(b.keys() - a.keys())


def data_names(shell: Any, names: Iterable[str]) -> set:
    hidden = _hidden(shell)
    return {n for n in names if not n.startswith("_") and n not in hidden and n not in IPYTHON_NAMES}


def rebound(changed: Iterable[str], maybe_written: Iterable[str], shell: Any, tracker: Tracker) -> list[str]:
    """Data names bound to another object after the cell than before it.

    ``maybe_written`` (the static writes) covers an id reused by a new object
    after the old one was freed: the tracker's reference tells them apart.
    """
    names = data_names(shell, changed)
    ns = shell.user_ns
    for name in data_names(shell, maybe_written):
        if name not in names and name in ns:
            obj = ns[name]
            with tracker._lock:
                version = tracker._versions.get(name)
            if version is not None and not version.holds(obj):
                names.add(name)
    return sorted(n for n in names if n in ns)


def _hidden(shell: Any) -> Any:
    return getattr(shell, "user_ns_hidden", None) or {}
