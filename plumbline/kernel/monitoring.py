"""Automatic profiles of component outputs and their drift verdicts, off the cell's critical path.

When the lineage worker has fingerprinted a component run's outputs
(``Lineage.observers``), every output that is a pandas DataFrame or Series or a
numpy array is handed to this module's own thread, which profiles it
(``plumbline.monitoring.profiles``, one core), keeps the profile file beside
the store, compares it with the component's **reference** and records the
verdict (``drift_verdicts``, replicated: the component badge reads it).

**Not on the critical path, and consistent.** The next cell does not wait
for profiling (only for the fingerprint, as before). The value is profiled
from a snapshot taken on the lineage worker, while the next cell still
waits: a DataFrame's shallow copy, which pandas' copy-on-write (the default,
and only, mode of pandas 3) keeps unchanged if the notebook later modifies
the frame in place; an array's copy (below ``COPY_LIMIT`` bytes). Without
copy-on-write (pandas < 3 and the option off) or for a larger array, the value
is profiled on the lineage worker itself, so the next cell waits for it. A
waiting frame's numeric columns move at once into buffers the profiler keeps
and reuses (``snapshots.py``), so the notebook's own memory is let go as
without Plumbline (held, it made the next cells take new memory). At
most ``MAX_PENDING`` snapshots holding ``PENDING_BYTES`` wait to be profiled;
beyond that the lineage worker waits, which bounds memory. A frame of more
than ``MAX_VALUES`` values is profiled from a uniform sample of its rows (the
profile says so).

**Not beside the next cell either.** A profile takes a core and holds the GIL
for parts of its work (sketch updates, hashing categories): run beside the
next cells, it made Run All of a 1M x 12 component cell 1.5x slower. So the
profiler starts a job only when the kernel is idle (no cell for ``QUIET``
seconds: a Run All's cells come back to back, an interactive user types), or
at once when something waits for it (``wait``: ``sync``, the kernel's exit,
the end of a pipeline task, a snapshot that cannot wait) or the waiting
snapshots reach their bounds. A job started in an idle kernel pauses between
its steps (each column, the comparison) while a cell runs. When cells keep the kernel busy for longer than
``DEFER_LIMIT`` seconds, jobs run beside them, at most ``BUSY_SHARE`` of the
time, so a long Run All still gets its verdicts as it goes. Pipeline tasks
(``defer=False``) profile beside their cells: the task waits for its profiles
at its end anyway. Every output still gets its profile and verdict, in order.

**Reference policy** (``metadata.plumbline.drift.reference``, per component):
``"first"`` (the default), ``"previous"``, or a run id (pinned). The first run
is the default because it never moves by itself: gradual drift adds up
against it, and a drifted batch never becomes the baseline the next batch
passes, as it would with "previous"; pin a run when the data legitimately
changed. ``metadata.plumbline.drift.profile = false`` turns profiling off for
a component.

The built-in ``drift`` check (``plumbline/checks/builtin/drift.py``) asks this
module for the same profile (computed once per run and output, whoever asks
first) and the same reference.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import OrderedDict, deque
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Optional

from ..store import DriftColumnRecord, DriftRecord, ProfileRecord, Store
from .snapshots import BufferPool, copy_array, settle

POLICIES = ("first", "previous")
DEFAULT_POLICY = "first"
MAX_PENDING = 16  # snapshots waiting to be profiled, at most (then the lineage worker waits)
PENDING_BYTES = 1 << 30  # ... holding at most this many bytes (one always may wait, whatever its size)
QUIET = 0.25  # seconds without a cell after which the kernel counts as idle
DEFER_LIMIT = 10.0  # seconds a profile waits for an idle kernel before it may run beside cells
BUSY_SHARE = 0.05  # ... and then the profiles started beside cells take at most this share of the time
IDLE_CHECK = 10.0  # seconds between checks for pool buffers to free while no job waits
COPY_LIMIT = 256 << 20  # arrays copied for the profiler up to this size (and frames' numbers moved to the pool)
POOL_BYTES = 512 << 20  # free pool buffers kept for the next snapshots, at most (for IDLE_RELEASE seconds)
MAX_VALUES = 200_000_000  # values profiled per output at most (a row sample beyond)
REMEMBERED = 32  # profiles kept in memory (recent outputs and references)
_RUN_ID = re.compile(r"^[0-9a-fA-F-]{4,64}$")


@dataclass(frozen=True)
class Policy:
    reference: str  # 'first' | 'previous' | 'pinned'
    pinned_run: Optional[str] = None
    enabled: bool = True


def policy_of(metadata: Any) -> Policy:
    """The drift policy of a cell's component from its metadata; malformed values fall back to the default."""
    meta = metadata.get("plumbline") if isinstance(metadata, dict) else None
    drift = meta.get("drift") if isinstance(meta, dict) else None
    if not isinstance(drift, dict):
        return Policy(DEFAULT_POLICY)
    enabled = drift.get("profile") is not False
    reference = drift.get("reference", DEFAULT_POLICY)
    if reference in POLICIES:
        return Policy(reference, enabled=enabled)
    if isinstance(reference, str) and _RUN_ID.match(reference):
        return Policy("pinned", reference, enabled)
    return Policy(DEFAULT_POLICY, enabled=enabled)


@dataclass
class _Run:
    run_id: str
    component: str
    notebook: str
    policy: Policy


@dataclass
class _Job:
    run: _Run
    output_id: str
    name: str
    snapshot: Any
    original: int  # id() of the value the snapshot is of
    queued: float  # time.monotonic()
    size: int  # bytes the snapshot holds (at least)
    beside: bool = False  # it went on while a cell ran (counts against BUSY_SHARE)
    settled: bool = False  # the snapshot's numeric data is in the pool's buffers (snapshots.py)
    buffers: list = field(default_factory=list)  # ... those buffers, returned to the pool after the job


@dataclass
class Reference:
    run_id: str
    io_id: str
    profile: Any
    policy: str


class KernelMonitor:
    def __init__(self, write: Callable[..., None], store: Callable[[], Optional[Store]], store_dir: Path,
                 warn: Callable[[str], None], notebook: Callable[[], Optional[str]], defer: bool = True):
        self._write = write  # the recorder's backlog: write(Store.method, *args)
        self._store = store
        self.store_dir = Path(store_dir)
        self._warn = warn
        self._notebook = notebook
        self._stack: list[_Run] = []  # component runs in progress (nested runs stack)
        self._runs: "OrderedDict[str, _Run]" = OrderedDict()  # recent component runs, for their outputs
        self._profiles: "OrderedDict[tuple, Future]" = OrderedDict()  # (run id, name) -> Future[Profile]
        self._latest: dict[tuple, Reference] = {}  # (notebook, component, name) -> its latest profile
        self._first: dict[tuple, Reference] = {}  # ... and its first
        self._lock = threading.Lock()
        # One thread, jobs in order: a run's verdict needs the previous run's profile recorded.
        # It starts a job when the kernel is idle (see _delay); everything below is under _cond.
        self.defer = defer
        self._cond = threading.Condition()
        self._pending: "deque[_Job]" = deque()
        self._pending_bytes = 0
        self._unfinished = 0  # jobs waiting or running
        self._urgent = 0  # callers of wait(): everything runs now
        self._blocked = 0  # lineage workers waiting for room: the oldest job runs now
        self._arriving = False  # a cell's pre_run_cell started (it may wait for the fingerprint first)
        self._last_activity = time.monotonic()  # when a cell last started or ended
        self._next_beside = 0.0  # no job starts beside cells before this (BUSY_SHARE)
        self._pool = BufferPool(POOL_BYTES)  # where waiting snapshots keep their numbers
        self._thread: Optional[threading.Thread] = None
        self._closed = False

    # -- around a cell (the recorder) -------------------------------------------------------------

    def arriving(self) -> None:
        """A cell is about to run (the top of pre_run_cell, before it waits for the previous fingerprint)."""
        with self._cond:
            self._arriving = True
            self._last_activity = time.monotonic()

    def begin(self, run_id: str, component: Any, metadata: Any) -> None:
        with self._cond:
            self._arriving = False
            self._last_activity = time.monotonic()
        if component is None:
            self._stack.append(None)
            return
        run = _Run(run_id, component.name, self._notebook() or "", policy_of(metadata))
        self._stack.append(run)
        with self._lock:
            self._runs[run_id] = run
            while len(self._runs) > REMEMBERED:
                self._runs.popitem(last=False)

    def end(self, run_id: str) -> None:
        if self._stack:
            self._stack.pop()
        with self._cond:
            self._arriving = False
            self._last_activity = time.monotonic()
            self._cond.notify_all()  # the profiler counts the quiet time from now

    def current(self) -> Optional[_Run]:
        return self._stack[-1] if self._stack else None

    # -- outputs (the lineage worker) --------------------------------------------------------------

    def on_outputs(self, run_id: str, outputs: list) -> None:
        """``outputs``: [(io id, name, value)] of a run just fingerprinted (on the lineage worker)."""
        with self._lock:
            run = self._runs.get(run_id)
        if run is None or not run.policy.enabled or self._closed:
            return
        for output_id, name, value in outputs:
            snapshot, safe, buffers = _snapshot(value, self._pool)
            if snapshot is None:
                continue
            job = _Job(run, output_id, name, snapshot, id(value), time.monotonic(), _size_of(snapshot),
                       settled=bool(buffers) or not _is_frame_or_series(snapshot), buffers=buffers)
            if not safe:  # no copy-on-write: profile now, while the next cell waits
                self.wait()
                self._run_job(job, pausing=False)
                continue
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._loop, name="plumbline-profile", daemon=True)
                    self._thread.start()
            self._put(job)

    def _put(self, job: "_Job") -> None:
        """Queue a job; bounded memory: the lineage worker waits while the waiting snapshots are at the bounds."""
        with self._cond:
            while self._pending and (len(self._pending) >= MAX_PENDING
                                     or self._pending_bytes + job.size > PENDING_BYTES):
                self._blocked += 1
                self._cond.notify_all()
                try:
                    self._cond.wait()
                finally:
                    self._blocked -= 1
            self._pending.append(job)
            self._pending_bytes += job.size
            self._unfinished += 1
            self._cond.notify_all()

    def _delay(self, queued: float) -> float:
        """Seconds until a job queued at ``queued`` may start or go on (<= 0: now). Under _cond.

        A profile holds the GIL for parts of its work and takes a core: run beside
        the user's cells, it slows them (Run All by half on a 1M x 12 frame). So a job
        starts when the kernel is idle (no cell for QUIET seconds); when something
        waits for it (``wait``: sync, close, the end of a pipeline task) or the
        lineage worker waits for room, at once; and when cells keep the kernel busy
        for more than DEFER_LIMIT seconds, beside them, but at most BUSY_SHARE of the time.
        """
        if not self.defer or self._urgent or self._blocked:
            return 0.0
        now = time.monotonic()
        if self._stack or self._arriving:
            idle = math.inf
        else:
            idle = self._last_activity + QUIET - now
        beside = max(queued + DEFER_LIMIT, self._next_beside) - now
        return min(idle, beside)

    def _checkpoint(self, job: "_Job") -> None:
        """Between the steps of a job (each column's profile, the comparison, ...): a job started in an idle
        kernel pauses here while a cell runs, so it never takes a core from the cells that came after it
        (it ran on into the next cells of a Run All by up to a second: 1.3x on a 1M x 12 frame)."""
        with self._cond:
            while not self._closed:
                delay = self._delay(job.queued)
                if delay <= 0:
                    if self.defer and not (self._urgent or self._blocked) and self._busy():
                        job.beside = True
                    return
                self._cond.wait(min(delay, 1.0))

    def _busy(self) -> bool:
        return bool(self._stack) or self._arriving or time.monotonic() - self._last_activity < QUIET

    def _settle_one(self) -> bool:
        """Move the oldest unsettled waiting snapshot into pool buffers (letting go of the notebook's arrays
        now, not when the kernel is next idle); False if none was left. Called without _cond held."""
        with self._cond:
            job = next((j for j in self._pending if not j.settled), None)
            if job is None:
                return False
            job.settled = True  # only this thread settles and pops jobs: it stays in the queue meanwhile
            snapshot = job.snapshot
        try:
            moved, buffers = settle(snapshot, self._pool, COPY_LIMIT)
        except Exception:  # noqa: BLE001 - profiled as it is, holding the notebook's arrays a little longer
            return True
        job.snapshot, job.buffers = moved, buffers
        return True

    def _loop(self) -> None:
        while True:
            while self._settle_one():
                pass
            with self._cond:
                while True:
                    if any(not j.settled for j in self._pending):
                        break  # a snapshot came meanwhile: settle it first
                    if self._pending:
                        delay = self._delay(self._pending[0].queued)
                        if delay <= 0:
                            break
                        self._cond.wait(min(delay, 1.0))
                    elif self._closed:
                        self._pool.clear()
                        return  # closed and nothing left: the thread ends (and lets go of the profiles)
                    else:
                        self._cond.wait(IDLE_CHECK)
                        self._pool.release_idle()
                if any(not j.settled for j in self._pending):
                    continue
                job = self._pending.popleft()
                self._pending_bytes -= job.size
                job.beside = self.defer and not (self._urgent or self._blocked) and self._busy()
                self._cond.notify_all()  # room for a lineage worker that waits
            started = time.monotonic()
            try:
                self._run_job(job, pausing=True)
            finally:
                beside, buffers = job.beside, job.buffers
                job = None  # the snapshot: let it go now, not when the next job comes
                self._pool.give(buffers)
                with self._cond:
                    if beside:
                        took = time.monotonic() - started
                        self._next_beside = time.monotonic() + took * (1 - BUSY_SHARE) / BUSY_SHARE
                    self._unfinished -= 1
                    self._cond.notify_all()

    def _run_job(self, job: "_Job", pausing: bool) -> None:
        """``pausing``: the job may pause between its steps while a cell runs (not when a cell waits for it)."""
        run, output_id, name, snapshot, original = job.run, job.output_id, job.name, job.snapshot, job.original
        checkpoint = (lambda: self._checkpoint(job)) if pausing else None
        try:
            self._record(run, output_id, name, snapshot, original, checkpoint)
        except Exception as exc:  # noqa: BLE001 - a profile must never break the kernel
            self._warn(f"Plumbline could not profile the output '{name}' of component '{run.component}': "
                       f"{type(exc).__name__}: {exc}")

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Until every profile job is done (they run now, idle kernel or not); False on timeout."""
        with self._cond:
            self._urgent += 1
            self._cond.notify_all()
            try:
                return self._cond.wait_for(lambda: not self._unfinished, timeout)
            finally:
                self._urgent -= 1

    def close(self, timeout: float = 10.0) -> None:
        self.wait(timeout)
        with self._cond:
            self._closed = True
            self._cond.notify_all()

    # -- profiles and references (the profiler and the drift check) ---------------------------------

    def profile_for(self, run_id: str, name: str, value: Any, original: Any = None,
                    checkpoint: Optional[Callable[[], None]] = None) -> Any:
        """The profile of ``value`` (bound to ``name`` in ``run_id``): computed once, whoever asks first.

        Keyed by the object too (``original``: the object ``value`` is a snapshot of), so
        a before-check's profile of an input is never taken for the output that replaced it.
        ``checkpoint``: called before each column (where the profiler pauses while a cell runs).
        """
        from ..monitoring.profiles import profile

        key = (run_id, name, _key_id(value if original is None else original))
        with self._lock:
            future = self._profiles.get(key)
            owner = future is None
            if owner:
                future = Future()
                self._profiles[key] = future
                while len(self._profiles) > REMEMBERED:
                    self._profiles.popitem(last=False)
        if owner:
            try:
                frame, note = _bounded(value, name)
                result = profile(frame, name=name, threads=1, multivariate=False, checkpoint=checkpoint)
                if note:
                    result.notes.append(note)
                future.set_result(result)
            except BaseException as exc:
                future.set_exception(exc)
        return future.result()

    def reference_for(self, run: _Run, name: str) -> Optional[Reference]:
        """The profile ``name`` of ``run`` is compared with, under the component's policy; None: there is none yet."""
        from ..monitoring.storage import load

        key = (run.notebook, run.component, name)
        policy = run.policy
        if policy.reference == "pinned":
            for remembered in (self._first.get(key), self._latest.get(key)):
                if remembered is not None and remembered.run_id == policy.pinned_run:
                    return remembered
        else:
            remembered = (self._first if policy.reference == "first" else self._latest).get(key)
            if remembered is not None and remembered.run_id != run.run_id:
                return remembered
        store = self._store()
        if store is None:
            return None
        if policy.reference == "pinned":
            record = store.profile_of(policy.pinned_run, name)
            if record is None:
                matches = store.profiled_runs_with_prefix(policy.pinned_run)
                record = store.profile_of(matches[0], name) if len(matches) == 1 else None
        else:
            record = store.reference_profile(run.run_id, name, policy.reference)
        if record is None:
            return None
        try:
            found = Reference(record["run_id"], record["io_id"], load(self.store_dir, record["path"]),
                              policy.reference)
        except (OSError, ValueError) as exc:
            self._warn(f"Plumbline: the reference profile of '{name}' (run {record['run_id'][:8]}) cannot be read "
                       f"({exc}); this run becomes the reference.")
            return None
        if policy.reference == "first":
            self._first.setdefault(key, found)
        return found

    # -- one output -----------------------------------------------------------------------------------

    def _record(self, run: _Run, output_id: str, name: str, snapshot: Any, original: int,
                checkpoint: Optional[Callable[[], None]] = None) -> None:
        from ..monitoring import storage
        from ..monitoring.profiles import VERSION

        pause = checkpoint or (lambda: None)
        reference = self.reference_for(run, name)
        current = self.profile_for(run.run_id, name, snapshot, _Id(original), checkpoint)
        if reference is None or run.policy.reference == "previous":
            # This profile may be a later run's reference: fit its multivariate model and simulate its
            # Wasserstein nulls now, once, and keep them in its bytes. (Later runs under the 'first'
            # policy never become references: they skip both.)
            if current.multivariate is None and current.rows > 1:
                from ..monitoring.multivariate import fit_model

                pause()
                current.multivariate, note = fit_model(_bounded(snapshot, name)[0], current)
                if note:
                    current.notes.append(note)
            pause()
            current.prepare_reference()
        pause()
        data = current.to_bytes()
        path, digest = storage.write(self.store_dir, data)
        if self._closed:
            return
        self._write(Store.record_profile, ProfileRecord(
            io_id=output_id, run_id=run.run_id, name=name, rows=current.rows, columns=len(current.columns),
            hash=digest, path=path, size_bytes=len(data), format_version=VERSION, created_at=time.time()))
        pause()
        verdict = self._verdict(run, output_id, name, current, snapshot, reference, pause)
        self._write(Store.record_drift, verdict)
        if verdict.status == "drift":
            from ..monitoring.triggers import on_drift

            self._write(on_drift, run.component, name, verdict.message)  # monitors' drift triggers
        key = (run.notebook, run.component, name)
        mine = Reference(run.run_id, output_id, current, run.policy.reference)
        self._latest[key] = mine
        self._first.setdefault(key, mine)

    def _verdict(self, run: _Run, output_id: str, name: str, current: Any, snapshot: Any,
                 reference: Optional[Reference], pause: Callable[[], None] = lambda: None) -> DriftRecord:
        from ..monitoring import multivariate
        from ..monitoring.drift import compare

        policy = run.policy.reference
        base = dict(io_id=output_id, run_id=run.run_id, name=name, policy=policy, created_at=time.time(),
                    rows=current.rows, columns=len(current.columns))
        if reference is None:
            why = {"first": "the first profile of this output: later runs are compared with it",
                   "previous": "no earlier run of this component profiled this output",
                   "pinned": f"the pinned run {str(run.policy.pinned_run)[:8]} has no profile of this output"}[policy]
            return DriftRecord(status="reference", message=why, **base)
        try:
            report = compare(reference.profile, current)
            model = reference.profile.multivariate
            if model is not None and _is_frame(snapshot):
                pause()
                report.multivariate = multivariate.compare(model, snapshot)
                for column in report.columns:
                    column.contribution = (report.multivariate.get("contributions") or {}).get(column.column)
        except Exception as exc:  # noqa: BLE001 - say so in the verdict, never lose the profile
            return DriftRecord(status="error", message=f"comparison failed: {type(exc).__name__}: {exc}",
                               reference_io_id=reference.io_id, reference_run_id=reference.run_id, **base)
        from ..monitoring.display import summary_message

        # The column a badge names: the panel's first drifted one (predictions first), else its first.
        worst = next((c for c in report.columns if c.status == "drift"),
                     next((c for c in report.columns if c.status == "schema"), report.columns[0] if report.columns else None))
        mv = report.multivariate or {}
        return DriftRecord(
            status=report.status, message=summary_message(report), reference_io_id=reference.io_id,
            reference_run_id=reference.run_id, judged=len(report.judged), drifted=len(report.drifted),
            schema_changes=len(report.schema_changes), drifted_share=report.drifted_share,
            worst_column=worst.column if worst else None, worst_measure=worst.measure if worst else None,
            worst_value=worst.value if worst else None, worst_threshold=worst.threshold if worst else None,
            multivariate=mv.get("value") if mv.get("available") else None,
            multivariate_threshold=mv.get("threshold") if mv.get("available") else None,
            multivariate_reference=mv.get("reference_value") if mv.get("available") else None,
            multivariate_drift=mv.get("drift") if mv.get("available") else None,
            expected_false_alarms=report.expected_false_alarms, reference_rows=report.reference_rows,
            column_rows=tuple(DriftColumnRecord(
                column=c.column, position=i, kind=c.kind, role=c.role, status=c.status, measure=c.measure,
                value=_finite(c.value), threshold=_finite(c.threshold), null_change=_finite(c.null_change),
                contribution=_finite(c.contribution), message=c.message) for i, c in enumerate(report.columns)),
            **base)


class _Id:
    """Stands for an object by its id (the lineage worker lets go of the object itself)."""

    __slots__ = ("value",)

    def __init__(self, value: int):
        self.value = value


def _key_id(obj: Any) -> int:
    return obj.value if isinstance(obj, _Id) else id(obj)


def _snapshot(value: Any, pool: BufferPool) -> tuple[Any, bool, list]:
    """(what to profile, whether it stays unchanged if the notebook changes ``value`` later, the pool
    buffers it is in); None: not profiled."""
    module = type(value).__module__ or ""
    if module.startswith("pandas"):
        import pandas as pd

        if isinstance(value, (pd.DataFrame, pd.Series)):
            return value.copy(deep=False), _copy_on_write(pd), []
        return None, False, []
    if module == "numpy" and type(value).__name__ == "ndarray":
        if value.ndim not in (1, 2) or value.dtype.kind not in "biufmMOUS":
            return None, False, []
        if value.nbytes <= COPY_LIMIT:
            copy, buffers = copy_array(value, pool)
            return copy, True, buffers
        return value, False, []
    return None, False, []


def _size_of(value: Any) -> int:
    """Bytes a snapshot holds, at least (object columns count their pointers only)."""
    try:
        if hasattr(value, "memory_usage"):
            used = value.memory_usage(index=True, deep=False)
            return int(used.sum()) if hasattr(used, "sum") else int(used)
        return int(getattr(value, "nbytes", 0))
    except Exception:  # noqa: BLE001
        return 0


def _copy_on_write(pd) -> bool:
    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    try:
        return pd.get_option("mode.copy_on_write") is True
    except Exception:  # noqa: BLE001
        return False


def _is_frame_or_series(value: Any) -> bool:
    return type(value).__name__ in ("DataFrame", "Series") and (type(value).__module__ or "").startswith("pandas")


def _is_frame(value: Any) -> bool:
    return type(value).__name__ == "DataFrame" and (type(value).__module__ or "").startswith("pandas")


def _bounded(value: Any, name: str) -> tuple[Any, Optional[str]]:
    """The value, or a uniform sample of its rows when it holds more than MAX_VALUES values."""
    from ..monitoring.kinds import as_frame

    frame = as_frame(value, name)
    values = frame.shape[0] * max(frame.shape[1], 1)
    if values <= MAX_VALUES:
        return frame, None
    rows = max(1, MAX_VALUES // max(frame.shape[1], 1))
    sample = frame.sample(n=rows, random_state=0).sort_index()
    return sample, (f"profiled from a uniform sample of {rows:,} of its {frame.shape[0]:,} rows "
                    f"(more than {MAX_VALUES:,} values)")


def _finite(value: Optional[float]) -> Optional[float]:
    import math

    return value if isinstance(value, (int, float)) and math.isfinite(value) else None
