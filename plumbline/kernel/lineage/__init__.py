"""What every run read and wrote: variables, files, and optional materialized copies.

Per cell, around the user's code (``CellRecorder`` calls these):

* ``begin`` (end of ``pre_run_cell``): the cell's **inputs** are the names its
  code reads, mutates or calls (static analysis) that exist in the namespace,
  IPython's own names and modules/library code excepted. Each links to the
  output that bound the very same object in this kernel (``namespace.Tracker``;
  no rehash) or, when nobody recorded it, is fingerprinted now and has no
  source. The input rows are written before the code runs, so a kernel killed
  mid-cell leaves them. A ``{name: id}`` snapshot of the namespace is taken and
  file capture starts (``files``).
* ``end`` (start of ``post_run_cell``, whatever the status): **outputs** are
  the names bound to another object than before (``assigned``: this confirms
  the static writes at run time and also sees ``exec``, ``%run`` and star
  imports) and the statically mutated inputs whose fingerprint changed
  (``mutated``). Deleted names leave the tracker. Fingerprinting the outputs,
  hashing the files and materializing is queued to one background thread
  (``worker``), so the execute reply is not delayed by it.
* ``wait`` (start of the next ``pre_run_cell``): blocks until that job is done,
  at most ``WAIT_TIMEOUT`` (then the cell runs and the user is told once); Ctrl-C
  while waiting stops the cell (and a Run All), not the hashing.

The ``{name: identity}`` snapshots use ``object.__hash__`` (the identity, as
``id()``) over C-level loops: ``id()`` is an audited event, slow as soon as
any audit hook is installed in the process (debuggers, security tools). Functions defined in the notebook that a cell calls add
the globals they read (transitively) to the cell's inputs.

The trade-off: the reply to a cell that produced a large value is immediate,
but the *next* cell starts only when the value is hashed, so that no value is
mutated while it is read and the next inputs see final hashes. Run All pays
the hashing time (about 0.1-0.5 s for a 1M x 12 frame); an interactive user
rarely does, having to type the next cell. User code that runs between cells
(widget callbacks, comms) may still touch a value while it is hashed.
"""

from __future__ import annotations

import dis
import functools
import time
import types
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from ...analysis import CellAnalysis, analyze
from ...fingerprint import Fingerprint, fingerprint
from ...store import Binding, IORecord, Store, io_id
from . import files
from .namespace import Snapshot, Tracker, Version, data_names, diff, is_data_name, is_data_value, rebound, snapshot
from .worker import Worker

ANALYSIS_FIELDS = ("reads", "writes", "deletes", "mutations", "imports", "definitions", "calls")
CLOSE_TIMEOUT = 20.0  # seconds the kernel's exit waits for the last hashing (Jupyter kills it after ~5 s)
WAIT_TIMEOUT = 60.0  # seconds a cell waits for the previous cells' hashing before it runs anyway


@functools.lru_cache(maxsize=128)
def analysis_of(code: str) -> tuple[CellAnalysis, dict]:
    """The analysis of a cell and its stored form (sorted lists); cached per code."""
    a = analyze(code)
    stored = {name: sorted(getattr(a, name)) for name in ANALYSIS_FIELDS}
    stored["error"] = a.error
    return a, stored


@dataclass
class _Cell:
    run_id: str
    analysis: CellAnalysis
    materialize: bool
    before: Snapshot
    input_hashes: dict[str, Optional[str]]
    capture: files.Capture
    started: float = field(default_factory=time.time)


class Lineage:
    def __init__(self, shell: Any, write: Callable[..., None], store_dir: Path,
                 warn: Callable[[str], None], session: str = ""):
        self.shell = shell
        self.store_dir = Path(store_dir)
        self.session = session  # the kernel session whose bindings (what names hold) are recorded
        self._write = write  # the recorder's backlog: write(Store.method, *args)
        self.tracker = Tracker()
        self.worker = Worker(warn)
        self.policy = files.FilePolicy(self.store_dir)
        self.hasher = files.FileHasher()
        self._cells: dict[str, _Cell] = {}
        # Called on the worker with (run id, [(io id, name, value)]) once a run's outputs are recorded
        # (kernel/monitoring.py profiles them there).
        self.observers: list[Callable[[str, list], None]] = []
        self._warn = warn
        self._told_slow = False
        self._closed = False
        files.install()

    # -- around a cell ---------------------------------------------------------------------

    def wait(self, timeout: Optional[float] = None) -> str:
        """Let the previous cells' jobs finish; wrap pyarrow if it was imported meanwhile.

        'done', 'timeout' (the cell runs while the hashing goes on; the user is
        told once) or 'interrupted' (Ctrl-C while waiting: the caller stops the cell).
        """
        files.wrap_pyarrow()
        try:
            done = self.worker.wait(WAIT_TIMEOUT if timeout is None else timeout)
        except KeyboardInterrupt:
            return "interrupted"
        if done:
            self._told_slow = False
            return "done"
        if not self._told_slow:
            self._told_slow = True
            self._warn(f"Plumbline: the outputs of a previous cell are still being fingerprinted after "
                       f"{WAIT_TIMEOUT if timeout is None else timeout:.0f} s; this cell runs now, and its inputs "
                       "may link to older versions.")
        return "timeout"

    def begin(self, run_id: str, analysis: CellAnalysis, materialize: bool = False, outermost: bool = True) -> None:
        ns = self.shell.user_ns
        before = snapshot(self.shell)
        if outermost:
            # Leftovers of a cell whose end never came (an interrupt inside the hooks).
            self._cells.clear()
            files.stop_thread()
            # Big values rebound or deleted between recorded cells (silent executes, callbacks).
            self.tracker.release_stale(ns)
        now = time.time()
        records, hashes, outside = [], {}, []
        names = analysis.reads | analysis.mutations | analysis.calls
        names |= globals_of_called(ns, analysis.calls)
        for name in sorted(names):
            if name not in ns or not is_data_name(self.shell, name):
                continue
            obj = ns[name]
            if not is_data_value(obj):
                continue
            version = self.tracker.get(name, obj)
            if version is None:  # bound outside any recorded cell: from outside
                version = Version.of(None, None, obj, fingerprint(obj))
                self.tracker.set(name, version)
                outside.append(Binding(name, None))  # the kernel no longer holds a recorded version of it
            records.append(_io(run_id, "input", name, "read", version.fingerprint, now, version.io_id, version.run_id))
            hashes[name] = version.fingerprint.content_hash
        if records:
            self._write(Store.record_io, records)
        if outside:
            self._write(Store.record_bindings, self.session, run_id, now, outside)
        self._cells[run_id] = _Cell(run_id, analysis, materialize, before, hashes, files.start())

    def end(self, run_id: str) -> None:
        cell = self._cells.pop(run_id, None)
        if cell is None:
            return
        events = files.stop(cell.capture)
        ended = time.time()
        ns = self.shell.user_ns
        after = snapshot(self.shell)
        changed, gone = diff(cell.before, after)
        deleted = data_names(self.shell, gone)
        self.tracker.drop(deleted)
        outputs, dropped = [], []
        names = rebound(changed, cell.analysis.writes, self.shell, self.tracker)
        for name in names:
            obj = ns.get(name)
            (outputs if is_data_value(obj) else dropped).append((name, obj, "assigned", None))
        # What the kernel holds now: a rebound name holds this run's output (its id is known
        # before the worker writes it), a deleted one nothing; a recorded value replaced by code
        # (a module, a library function) no recorded version. A mutation is known only once
        # hashed: the worker says it.
        bindings = [Binding(name, io_id(run_id, "output", "variable", name)) for name, *_ in outputs]
        bindings += [Binding(name, None) for name, *_ in dropped if self.tracker.has(name)]
        self.tracker.drop(name for name, *_ in dropped)
        bindings += [Binding(name, None, deleted=True) for name in sorted(deleted)]
        if bindings:
            self._write(Store.record_bindings, self.session, run_id, ended, bindings)
        # Static mutations, and static writes that kept the same object (``x += [1]`` on a list):
        # outputs if the fingerprint says the value changed.
        for name in sorted((cell.analysis.mutations | cell.analysis.writes) & cell.input_hashes.keys()):
            if name not in names and name in ns:
                outputs.append((name, ns[name], "mutated", cell.input_hashes[name]))
        if outputs or events:
            depends = self._dependencies(run_id, cell, [name for name, *_ in outputs])
            self.worker.submit(functools.partial(self._finish, run_id, ended, outputs, events, cell.materialize,
                                                 depends))

    def _dependencies(self, run_id: str, cell: _Cell, names: list[str]) -> dict[str, tuple[Optional[list], bool]]:
        """name -> (the ids of the variable inputs its value was made from, or None: not known;
        whether it passed through a call, so through the files the cell read).

        A notebook function among them brings the globals it reads (as the inputs did).
        """
        out: dict[str, tuple[Optional[list], bool]] = {}
        inputs = cell.input_hashes
        ns = self.shell.user_ns
        for name in names:
            static = cell.analysis.depends_on(name)
            if static is None:  # bound by exec, %run, a star import: the analysis cannot say
                out[name] = (None, True)
                continue
            used = {n for n in static if n in inputs}
            if used:
                used |= globals_of_called(ns, used) & inputs.keys()
            out[name] = (sorted(io_id(run_id, "input", "variable", n) for n in used),
                         name in cell.analysis.through_calls)
        return out

    def close(self) -> None:
        """At the kernel's exit or unload: the last jobs get a little time; later ones write nothing."""
        try:
            self.worker.wait(CLOSE_TIMEOUT)
        finally:
            self._closed = True

    # -- in the worker -----------------------------------------------------------------------

    def _finish(self, run_id: str, ended: float, outputs: list, events: list, materialize: bool,
                depends: Optional[dict] = None) -> None:
        if self._closed:
            return
        records: list[IORecord] = []
        kept = []
        seen = []
        failed = []
        mutated = []
        try:
            records.extend(self._file_records(run_id, ended, events))
        except Exception as exc:  # noqa: BLE001
            failed.append(f"files ({type(exc).__name__}: {exc})")
        file_inputs = [r.id for r in records if r.direction == "input"]
        for name, obj, how, before in outputs:
            try:
                fp = fingerprint(obj)
            except Exception as exc:  # noqa: BLE001 - one value must not lose the others
                failed.append(f"{name} ({type(exc).__name__}: {exc})")
                continue
            if how == "mutated" and fp.exact and fp.content_hash == before:
                continue  # mutated in the code, not in fact (a sampled or identity hash proves nothing)
            variables, via_calls = (depends or {}).get(name, (None, True))
            made_from = None if variables is None else tuple(variables + (file_inputs if via_calls else []))
            record = _io(run_id, "output", name, how, fp, ended, depends_on=made_from)
            records.append(record)
            self.tracker.set(name, Version.of(record.id, run_id, obj, fp))
            kept.append((record.id, obj, fp))
            seen.append((record.id, name, obj))
            if how == "mutated":
                mutated.append(Binding(name, record.id))
        del outputs[:]  # no reference to the values beyond this job
        if records and not self._closed:
            self._write(Store.record_io, records)
        if mutated and not self._closed:
            self._write(Store.record_bindings, self.session, run_id, ended, mutated)
        for observe in self.observers if seen and not self._closed else ():
            try:
                observe(run_id, seen)
            except Exception as exc:  # noqa: BLE001
                failed.append(f"observer ({type(exc).__name__}: {exc})")
        del seen[:]
        if materialize and not self._closed:
            from ...artifacts import materialize as keep

            for io_id, obj, fp in kept:
                artifact, note = keep(obj, fp.content_hash, self.store_dir, exact=fp.exact,
                                      estimated_bytes=fp.size_bytes)
                self._write(Store.record_artifact, io_id, artifact, note)
        if failed:
            self._warn("Plumbline could not fingerprint some outputs of a run: " + "; ".join(failed))

    def _file_records(self, run_id: str, ended: float, events: list) -> list[IORecord]:
        records, seen = [], set()
        for path, direction in events:
            name = self.policy.name(path)
            if name is None or (name, direction) in seen:
                continue
            seen.add((name, direction))
            version = self.hasher.hash(path)
            if version is None:  # a directory, or gone again
                continue
            records.append(IORecord(
                run_id=run_id, direction="input" if direction == "read" else "output", kind="file", name=name,
                how=direction, created_at=ended, type="file", value_hash=version.content_hash,
                strategy=version.strategy, size_bytes=version.size_bytes,
            ))
        return records


_GLOBAL_OPS = frozenset({"LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "DELETE_GLOBAL"})


@functools.lru_cache(maxsize=1024)
def _globals_of_code(code: types.CodeType) -> frozenset:
    """The global names a function's code (and the code nested in it) uses."""
    names = {i.argval for i in dis.get_instructions(code) if i.opname in _GLOBAL_OPS}
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            names |= _globals_of_code(const)
    return frozenset(names)


def globals_of_called(ns: dict, calls: Any, limit: int = 64) -> set:
    """Globals read by the notebook's own functions a cell calls, transitively.

    ``out = scale(3)`` reads ``cfg`` when ``scale``, defined in an earlier cell,
    does: static analysis of the cell alone cannot see it.
    """
    found: set = set()
    todo = [n for n in calls if n in ns]
    seen: set = set()
    while todo and len(seen) < limit:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        fn = ns.get(name)
        if type(fn) is not types.FunctionType or getattr(fn, "__module__", None) != "__main__":
            continue
        for g in _globals_of_code(fn.__code__):
            if g in ns:
                found.add(g)
                todo.append(g)
    return found


def _io(run_id: str, direction: str, name: str, how: str, fp: Fingerprint, at: float,
        source: Optional[str] = None, source_run: Optional[str] = None,
        depends_on: Optional[tuple[str, ...]] = None) -> IORecord:
    return IORecord(
        run_id=run_id, direction=direction, kind="variable", name=name, how=how, created_at=at, type=fp.type,
        value_hash=fp.content_hash, strategy=fp.strategy, shape=fp.shape, columns=fp.columns,
        size_bytes=fp.size_bytes, row_count=fp.shape[0] if fp.shape else None, source_io_id=source,
        source_run_id=source_run, depends_on=depends_on,
    )
