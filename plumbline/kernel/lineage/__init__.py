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
* ``wait`` (start of the next ``pre_run_cell``): blocks until that job is done.

The trade-off: the reply to a cell that produced a large value is immediate,
but the *next* cell starts only when the value is hashed, so that no value is
mutated while it is read and the next inputs see final hashes. Run All pays
the hashing time (about 0.1-0.5 s for a 1M x 12 frame); an interactive user
rarely does, having to type the next cell. User code that runs between cells
(widget callbacks, comms) may still touch a value while it is hashed.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from ...analysis import CellAnalysis, analyze
from ...fingerprint import Fingerprint, fingerprint
from ...store.models import IORecord
from . import files
from .namespace import Tracker, Version, is_data_name, is_data_value, rebound, snapshot
from .worker import Worker

ANALYSIS_FIELDS = ("reads", "writes", "deletes", "mutations", "imports", "definitions", "calls")
CLOSE_TIMEOUT = 120.0  # seconds the kernel's exit waits for the last hashing


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
    before: dict[str, int]
    input_hashes: dict[str, Optional[str]]
    capture: files.Capture
    started: float = field(default_factory=time.time)


class Lineage:
    def __init__(self, shell: Any, write: Callable[..., None], store_dir: Path,
                 warn: Callable[[str], None]):
        self.shell = shell
        self.store_dir = Path(store_dir)
        self._write = write  # the recorder's thread-safe write backlog
        self.tracker = Tracker()
        self.worker = Worker(warn)
        self.policy = files.FilePolicy(self.store_dir)
        self.hasher = files.FileHasher()
        self._cells: dict[str, _Cell] = {}
        files.install()

    # -- around a cell ---------------------------------------------------------------------

    def wait(self, timeout: Optional[float] = None) -> None:
        """Let the previous cells' jobs finish; wrap pyarrow if it was imported meanwhile."""
        try:
            self.worker.wait(timeout)
        except KeyboardInterrupt:
            pass  # the user stops waiting: the cell runs, the hashing goes on
        files.wrap_pyarrow()

    def begin(self, run_id: str, analysis: CellAnalysis, materialize: bool = False) -> None:
        ns = self.shell.user_ns
        now = time.time()
        records, hashes = [], {}
        for name in sorted(analysis.reads | analysis.mutations | analysis.calls):
            if name not in ns or not is_data_name(self.shell, name):
                continue
            obj = ns[name]
            if not is_data_value(obj):
                continue
            version = self.tracker.get(name, obj)
            if version is None:  # bound outside any recorded cell: from outside
                version = Version.of(None, obj, fingerprint(obj))
                self.tracker.set(name, version)
            records.append(_io(run_id, "input", name, "read", version.fingerprint, now, version.io_id))
            hashes[name] = version.fingerprint.content_hash
        if records:
            self._write("record_io", records)
        self._cells[run_id] = _Cell(run_id, analysis, materialize, snapshot(self.shell), hashes, files.start())

    def end(self, run_id: str) -> None:
        cell = self._cells.pop(run_id, None)
        if cell is None:
            return
        events = files.stop(cell.capture)
        ended = time.time()
        ns = self.shell.user_ns
        after = snapshot(self.shell)
        self.tracker.drop(n for n in cell.before if n not in after)
        outputs, dropped = [], []
        names = rebound(cell.before, after, cell.analysis.writes, self.shell, self.tracker)
        for name in names:
            obj = ns.get(name)
            (outputs if is_data_value(obj) else dropped).append((name, obj, "assigned", None))
        self.tracker.drop(name for name, *_ in dropped)
        for name in sorted(cell.analysis.mutations):
            if name in cell.input_hashes and name not in names and name in ns:
                outputs.append((name, ns[name], "mutated", cell.input_hashes[name]))
        if outputs or events:
            self.worker.submit(functools.partial(self._finish, run_id, ended, outputs, events, cell.materialize))

    def close(self) -> None:
        self.worker.wait(CLOSE_TIMEOUT)

    # -- in the worker -----------------------------------------------------------------------

    def _finish(self, run_id: str, ended: float, outputs: list, events: list, materialize: bool) -> None:
        records: list[IORecord] = []
        kept = []
        for name, obj, how, before in outputs:
            fp = fingerprint(obj)
            if how == "mutated" and fp.content_hash is not None and fp.content_hash == before:
                continue  # mutated in the code, not in fact
            record = _io(run_id, "output", name, how, fp, ended)
            records.append(record)
            self.tracker.set(name, Version.of(record.id, obj, fp))
            kept.append((record.id, obj, fp))
        records.extend(self._file_records(run_id, ended, events))
        if records:
            self._write("record_io", records)
        if materialize:
            from ...artifacts import materialize as keep

            for io_id, obj, fp in kept:
                artifact, note = keep(obj, fp.content_hash, self.store_dir, exact="sampled" not in fp.strategy,
                                      estimated_bytes=fp.size_bytes)
                self._write("record_artifact", io_id, artifact, note)

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
                strategy="full", size_bytes=version.size_bytes,
            ))
        return records


def _io(run_id: str, direction: str, name: str, how: str, fp: Fingerprint, at: float,
        source: Optional[str] = None) -> IORecord:
    return IORecord(
        run_id=run_id, direction=direction, kind="variable", name=name, how=how, created_at=at, type=fp.type,
        value_hash=fp.content_hash, strategy=fp.strategy, shape=fp.shape, columns=fp.columns,
        size_bytes=fp.size_bytes, row_count=fp.shape[0] if fp.shape else None, source_io_id=source,
    )
