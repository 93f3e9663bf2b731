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
is profiled on the lineage worker itself, so the next cell waits for it. At
most ``MAX_PENDING`` snapshots wait to be profiled; beyond that the lineage
worker waits, which bounds memory. A frame of more than ``MAX_VALUES``
values is profiled from a uniform sample of its rows (the profile says so).

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

import queue
import re
import threading
import time
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from ..store import DriftColumnRecord, DriftRecord, ProfileRecord, Store

POLICIES = ("first", "previous")
DEFAULT_POLICY = "first"
MAX_PENDING = 2  # snapshots waiting to be profiled, at most
COPY_LIMIT = 256 << 20  # arrays copied for the profiler up to this size; larger ones profiled in place
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
class Reference:
    run_id: str
    io_id: str
    profile: Any
    policy: str


class KernelMonitor:
    def __init__(self, write: Callable[..., None], store: Callable[[], Optional[Store]], store_dir: Path,
                 warn: Callable[[str], None], notebook: Callable[[], Optional[str]]):
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
        self._jobs: "queue.Queue" = queue.Queue(maxsize=MAX_PENDING)
        self._thread: Optional[threading.Thread] = None
        self._closed = False

    # -- around a cell (the recorder) -------------------------------------------------------------

    def begin(self, run_id: str, component: Any, metadata: Any) -> None:
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
            snapshot, safe = _snapshot(value)
            if snapshot is None:
                continue
            job = (run, output_id, name, snapshot, id(value))
            if not safe:  # no copy-on-write: profile now, while the next cell waits
                self.wait()
                self._run_job(job)
                continue
            with self._lock:
                if self._thread is None or not self._thread.is_alive():
                    self._thread = threading.Thread(target=self._loop, name="plumbline-profile", daemon=True)
                    self._thread.start()
            self._jobs.put(job)  # bounded memory: the lineage worker waits while MAX_PENDING jobs wait

    def _loop(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                self._run_job(job)
            finally:
                job = None  # the snapshot: let it go now, not when the next job comes
                self._jobs.task_done()

    def _run_job(self, job) -> None:
        run, output_id, name, snapshot, original = job
        try:
            self._record(run, output_id, name, snapshot, original)
        except Exception as exc:  # noqa: BLE001 - a profile must never break the kernel
            self._warn(f"Plumbline could not profile the output '{name}' of component '{run.component}': "
                       f"{type(exc).__name__}: {exc}")

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Until every profile job is done; False on timeout."""
        with self._jobs.all_tasks_done:
            return self._jobs.all_tasks_done.wait_for(lambda: not self._jobs.unfinished_tasks, timeout)

    def close(self, timeout: float = 10.0) -> None:
        self.wait(timeout)
        self._closed = True

    # -- profiles and references (the profiler and the drift check) ---------------------------------

    def profile_for(self, run_id: str, name: str, value: Any, original: Any = None) -> Any:
        """The profile of ``value`` (bound to ``name`` in ``run_id``): computed once, whoever asks first.

        Keyed by the object too (``original``: the object ``value`` is a snapshot of), so
        a before-check's profile of an input is never taken for the output that replaced it.
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
                result = profile(frame, name=name, threads=1, multivariate=False)
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

    def _record(self, run: _Run, output_id: str, name: str, snapshot: Any, original: int) -> None:
        from ..monitoring import storage
        from ..monitoring.profiles import VERSION

        reference = self.reference_for(run, name)
        current = self.profile_for(run.run_id, name, snapshot, _Id(original))
        if reference is None or run.policy.reference == "previous":
            # This profile may be a later run's reference: fit its multivariate model and simulate its
            # Wasserstein nulls now, once, and keep them in its bytes. (Later runs under the 'first'
            # policy never become references: they skip both.)
            if current.multivariate is None and current.rows > 1:
                from ..monitoring.multivariate import fit_model

                current.multivariate, note = fit_model(_bounded(snapshot, name)[0], current)
                if note:
                    current.notes.append(note)
            current.prepare_reference()
        data = current.to_bytes()
        path, digest = storage.write(self.store_dir, data)
        if self._closed:
            return
        self._write(Store.record_profile, ProfileRecord(
            io_id=output_id, run_id=run.run_id, name=name, rows=current.rows, columns=len(current.columns),
            hash=digest, path=path, size_bytes=len(data), format_version=VERSION, created_at=time.time()))
        verdict = self._verdict(run, output_id, name, current, snapshot, reference)
        self._write(Store.record_drift, verdict)
        key = (run.notebook, run.component, name)
        mine = Reference(run.run_id, output_id, current, run.policy.reference)
        self._latest[key] = mine
        self._first.setdefault(key, mine)

    def _verdict(self, run: _Run, output_id: str, name: str, current: Any, snapshot: Any,
                 reference: Optional[Reference]) -> DriftRecord:
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


def _snapshot(value: Any) -> tuple[Any, bool]:
    """(what to profile, whether it stays unchanged if the notebook changes ``value`` later); None: not profiled."""
    module = type(value).__module__ or ""
    if module.startswith("pandas"):
        import pandas as pd

        if isinstance(value, (pd.DataFrame, pd.Series)):
            return value.copy(deep=False), _copy_on_write(pd)
        return None, False
    if module == "numpy" and type(value).__name__ == "ndarray":
        if value.ndim not in (1, 2) or value.dtype.kind not in "biufmMOUS":
            return None, False
        if value.nbytes <= COPY_LIMIT:
            return value.copy(), True
        return value, False
    return None, False


def _copy_on_write(pd) -> bool:
    if int(pd.__version__.split(".")[0]) >= 3:
        return True
    try:
        return pd.get_option("mode.copy_on_write") is True
    except Exception:  # noqa: BLE001
        return False


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
