"""Static analysis of a notebook cell: what it reads, writes, deletes and mutates.

One analyzer for the lineage recorder (which confirms its guesses with run-time
fingerprints) and the pipeline compiler (which turns reads/writes into data
edges between tasks)::

    >>> from plumbline.analysis import analyze
    >>> a = analyze('clean = raw.dropna()\\nclean["x"] = clean["x"].astype(int)')
    >>> sorted(a.reads), sorted(a.writes), sorted(a.mutations)
    (['raw'], ['clean'], ['clean'])

Modules, one job each:

* ``magics.py`` — IPython syntax to a Python AST, keeping the Python inside
  ``%time``/``%%timeit``/``!cmd $var``… visible;
* ``names.py`` — the scope walker (reads, writes, deletes, calls, imports,
  definitions; where a mutation's name lives);
* ``mutations.py`` — which syntax mutates which object (``MUTATING_METHODS``);
* ``ambient.py`` — builtins and IPython-injected names, which are not reads;
* ``dependencies.py`` — per value: the namespace names each bound or mutated
  name was made from, statement by statement (``dependencies``), and which
  values passed through a call (``through_calls``: they may come from a file).

What it cannot see (run time can): aliasing (``a = df; a["x"] = 1`` mutates
``df``'s object but reports ``a``), objects mutated by a function they are
passed to (``np.random.shuffle(arr)``), names bound by ``from m import *``,
``exec``/``globals()[...]``, ``%run`` and other magics that are not Python.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Optional

from .ambient import is_ambient
from .magics import parse_cell
from .mutations import MUTATING_METHODS
from .dependencies import DependencyWalker

__all__ = ["CellAnalysis", "analyze", "MUTATING_METHODS"]

_EMPTY: frozenset[str] = frozenset()


@dataclass(frozen=True)
class CellAnalysis:
    reads: frozenset[str] = _EMPTY        # loaded from the namespace (may be read)
    writes: frozenset[str] = _EMPTY       # bound at top level (may be written)
    deletes: frozenset[str] = _EMPTY      # `del x` (top level or `global x`)
    mutations: frozenset[str] = _EMPTY    # objects that may change in place
    imports: frozenset[str] = _EMPTY      # top-level packages imported, at any depth
    definitions: frozenset[str] = _EMPTY  # functions and classes defined at top level
    calls: frozenset[str] = _EMPTY        # bare names called that resolve to the namespace
    error: Optional[str] = None           # why the cell could not be analyzed; sets empty
    #: name bound or mutated -> the reads its value was made from (a constant: none)
    dependencies: Mapping[str, frozenset[str]] = field(default_factory=dict, hash=False, compare=False)
    #: bound or mutated names whose value passed through a call (so maybe through a file read)
    through_calls: frozenset[str] = _EMPTY

    def depends_on(self, name: str) -> Optional[frozenset[str]]:
        """The reads ``name``'s value came from; None when the cell did not bind it (run time did)."""
        return self.dependencies.get(name)


def analyze(source: str, *, mutating_methods: frozenset[str] = MUTATING_METHODS) -> CellAnalysis:
    """Analyze one cell's source (IPython syntax allowed). Never raises."""
    try:
        tree = parse_cell(source)
    except SyntaxError as exc:
        where = f" (line {exc.lineno})" if exc.lineno else ""
        return CellAnalysis(error=f"SyntaxError: {exc.msg}{where}")
    except Exception as exc:  # noqa: BLE001 - a bad cell must never break the recorder
        return CellAnalysis(error=f"{type(exc).__name__}: {exc}")
    try:
        walker = DependencyWalker(frozenset(mutating_methods))
        walker.walk_cell(tree.body)
    except Exception as exc:  # noqa: BLE001 - e.g. RecursionError on absurdly nested code
        return CellAnalysis(error=f"analysis failed: {type(exc).__name__}: {exc}")
    f = walker.facts

    # Builtins and IPython's names are not data, unless this cell rebinds them
    # (then a rerun of the cell would read the rebound value).
    def from_namespace(names: set[str]) -> frozenset[str]:
        return frozenset(n for n in names if n in f.writes or not is_ambient(n))

    return CellAnalysis(
        reads=from_namespace(f.reads),
        writes=frozenset(f.writes),
        deletes=frozenset(f.deletes),
        mutations=frozenset(f.mutations - f.module_aliases),
        imports=frozenset(f.imports),
        definitions=frozenset(f.definitions),
        calls=from_namespace(f.calls),
        dependencies=dict(walker.dependencies),
        through_calls=frozenset(walker.through_calls),
    )
