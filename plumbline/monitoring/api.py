"""``plumbline.drift`` and ``plumbline.profile``: the explicit API, in any cell.

``plumbline.drift(reference, current)`` takes, for either side, a DataFrame (a
Series, a numpy array, a table with ``to_pandas()``), a ``Profile``, a run id
(the run's one profiled output; short ids work) or a ``(run id, output name)``
pair (the profiles the recorder stored for component outputs). It displays
the drift panel (``display.py``) and returns a ``DriftResult``
(``.to_frame()``, ``.drifted``, ``.status``, ``.payload``).

``chunk=10_000`` compares every 10,000 consecutive rows of ``current`` with
the reference; ``chunk="1D"`` (any pandas frequency) every day, by the
``time`` column (or the frame's DatetimeIndex, or its only datetime column).
Each column then shows its worst chunk, and the measure over the chunks as
its history.
"""

from __future__ import annotations

import time as _time
from dataclasses import dataclass
from typing import Any, Optional

from . import display
from .drift import DRIFT, ColumnDrift, DriftReport, Options, compare, sort_columns
from .profiles import Profile
from .profiles import profile as _profile


@dataclass
class Side:
    label: str
    profile: Profile
    frame: Any = None  # the rows, when given
    run_id: Optional[str] = None
    name: Optional[str] = None
    io_id: Optional[str] = None

    def describe(self) -> dict:
        return {"label": self.label, "rows": self.profile.rows, "columns": len(self.profile.columns),
                "run_id": self.run_id, "name": self.name, "io_id": self.io_id,
                "created_at": self.profile.created_at, "source": "rows" if self.frame is not None else
                ("run" if self.run_id else "profile")}


def profile(value: Any, *, name: str = "value", multivariate: bool = True, threads: int = 2) -> Profile:
    """A profile of ``value``: mergeable (``a.merge(b)``), serializable (``to_bytes``/``Profile.from_bytes``)."""
    return _profile(value, name=name, multivariate=multivariate, threads=threads, label=None)


def drift(reference: Any, current: Any, *, chunk: Any = None, time: Optional[str] = None, columns=None,
          predictions=None, min_effect=None, numeric_measure: str = "wasserstein",
          categorical_measure: str = "jensen_shannon", judge_time: bool = False, show: bool = True,
          store: Any = None, reference_label: Optional[str] = None,
          current_label: Optional[str] = None) -> "DriftResult":
    """Compare ``current`` with ``reference``; display the drift panel and return the result.

    ``min_effect``: the smallest change flagged by the verdict's measure (a
    number, or {column: number}); ``predictions``: columns shown first (model
    outputs; guessed from names such as ``prediction``, ``score``, ``proba``);
    ``columns``: only these; ``numeric_measure``: one of wasserstein,
    jensen_shannon, psi, hellinger, ks; ``categorical_measure``:
    jensen_shannon or linf; ``judge_time``: also judge datetime columns.
    """
    options = Options(numeric_measure=numeric_measure, categorical_measure=categorical_measure,
                      min_effect=min_effect, columns=columns, predictions=predictions, judge_time=judge_time)
    resolver = _Resolver(store)
    ref = resolver.side(reference, "reference", reference_label)
    if chunk is None:
        cur = resolver.side(current, "current", current_label)
        report = compare(ref.profile, cur.profile, options)
        report.multivariate = _multivariate(ref, cur, resolver)
        _contributions(report)
        if cur.run_id and cur.name:
            _history(report, resolver.history(cur.run_id, cur.name))
        result = DriftResult(report, ref, cur, options)
    else:
        frame = _frame_of(current, "current")
        parts = list(_chunks(frame, chunk, time))
        if not parts:
            raise ValueError("the compared data has no rows to cut into chunks")
        reports = []
        for label, part in parts:
            side = Side(label, _profile(part, multivariate=False, label=label), frame=part)
            r = compare(ref.profile, side.profile, options)
            r.multivariate = _multivariate(ref, side, resolver)
            _contributions(r)
            reports.append((label, r))
        cur = Side(current_label or f"{len(parts)} chunks", _profile(frame, multivariate=False), frame=frame)
        result = DriftResult(_combine(reports), ref, cur, options, chunks=reports)
    if show:
        result.display()
    return result


class DriftResult:
    """The outcome of ``plumbline.drift``: the panel's payload, the verdicts, ``to_frame()``."""

    def __init__(self, report: DriftReport, reference: Side, current: Side, options: Options,
                 chunks: Optional[list] = None):
        from .. import __version__

        self.report = report
        self.reference = reference
        self.current = current
        self.options = options
        self.chunks = chunks
        self.payload = display.payload(report, reference=reference.describe(), current=current.describe(),
                                       chunks=chunks, options=options, generated_by=f"plumbline {__version__}")
        self._shown_at: Optional[int] = None

    @property
    def status(self) -> str:
        return self.report.status

    @property
    def drifted(self) -> list[str]:
        """The columns that drifted (in a chunked result: in any chunk), most severe first."""
        return [c.column for c in self.report.drifted]

    def bundle(self) -> dict:
        return display.bundle(self.payload)

    def to_frame(self):
        """One row per column (per chunk and column when chunked): status, measure, threshold, every measure."""
        import pandas as pd

        rows = []
        for label, report in self.chunks or [(None, self.report)]:
            for c in report.columns:
                row = {"column": c.column, "role": c.role, "kind": c.kind, "status": c.status, "measure": c.measure,
                       "value": c.value, "threshold": c.threshold, "drift": c.status == DRIFT,
                       "null_change": c.null_change, "false_alarm": c.false_alarm, "message": c.message}
                if label is not None:
                    row = {"chunk": label, **row}
                for name, m in c.measures.items():
                    row[name] = m["value"]
                    if m.get("p_value") is not None:
                        row[f"{name}_p_value"] = m["p_value"]
                rows.append(row)
        frame = pd.DataFrame(rows)
        return frame.set_index(["chunk", "column"] if self.chunks else "column") if len(frame) else frame

    def display(self) -> None:
        """Show the panel in the running notebook (nothing outside IPython)."""
        try:
            from IPython import get_ipython
            from IPython.display import display as show
        except ImportError:
            return
        shell = get_ipython()
        if shell is None:
            return
        show(self.bundle(), raw=True)
        self._shown_at = getattr(shell, "execution_count", None)

    def _ipython_display_(self) -> None:
        # drift() already showed it in this cell: the cell's value must not show it twice.
        from IPython import get_ipython

        shell = get_ipython()
        if self._shown_at is not None and shell is not None and shell.execution_count == self._shown_at:
            return
        self.display()

    def __repr__(self) -> str:
        return f"<plumbline DriftResult: {self.payload['summary']['message']}>"


# -- resolving inputs ---------------------------------------------------------------------------


class _Resolver:
    def __init__(self, store: Any):
        self._store = store
        self._opened = None

    def store(self):
        if self._store is not None:
            return self._store
        if self._opened is None:
            from ..kernel import recorder

            active = recorder()
            if active is not None:
                active.sync()  # the last runs' profiles may still be in flight
                self._opened = active.store
            if self._opened is None:
                from ..store import Store, resolve_store_path

                self._opened = Store(resolve_store_path(None))
        return self._opened

    def store_dir(self):
        from pathlib import Path

        return Path(self.store().path).parent

    def side(self, value: Any, role: str, label: Optional[str]) -> Side:
        if isinstance(value, Profile):
            return Side(label or value.label or f"{role} profile", value)
        if isinstance(value, str):
            return self._run(value, None, role, label)
        if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, str) for v in value):
            return self._run(value[0], value[1], role, label)
        frame = _frame_of(value, role)
        return Side(label or role, _profile(frame, label=label or role), frame=frame)

    def _run(self, run: str, name: Optional[str], role: str, label: Optional[str]) -> Side:
        from .storage import load

        store = self.store()
        run_id = self._run_id(run)
        if name is None:
            stored = store.profiles_of_run(run_id)
            if not stored:
                raise LookupError(f"run {run_id[:8]} has no profiled output (profiles are kept for the DataFrame "
                                  "and array outputs of component runs)")
            if len(stored) > 1:
                names = ", ".join(r["name"] for r in stored)
                raise LookupError(f"run {run_id[:8]} has several profiled outputs ({names}): pass (run, name)")
            record = stored[0]
        else:
            record = store.profile_of(run_id, name)
            if record is None:
                names = ", ".join(r["name"] for r in store.profiles_of_run(run_id)) or "none"
                raise LookupError(f"run {run_id[:8]} has no profile of '{name}' (its profiled outputs: {names})")
        try:
            stored_profile = load(self.store_dir(), record["path"])
        except FileNotFoundError:
            raise LookupError(f"the profile file of '{record['name']}' of run {run_id[:8]} is gone "
                              f"({record['path']} under the store's folder)") from None
        text = label or f"run {run_id[:8]} · {record['name']}"
        return Side(text, stored_profile, run_id=run_id, name=record["name"], io_id=record["io_id"])

    def _run_id(self, run: str) -> str:
        store = self.store()
        if store.run(run) is not None:
            return run
        matches = store.profiled_runs_with_prefix(run) if len(run) >= 4 else []
        if len(matches) == 1:
            return matches[0]
        if len(matches) > 1:
            raise LookupError(f"the run id '{run}' is ambiguous ({', '.join(m[:12] for m in matches)}…): give more of it")
        raise LookupError(f"no run '{run}' in the store {store.path}")

    def history(self, run_id: str, name: str) -> list[dict]:
        try:
            return self.store().drift_history(run_id, name)
        except Exception:  # noqa: BLE001 - history is a courtesy; the comparison stands without it
            return []

    def stored_multivariate(self, current: Side, reference: Side) -> Optional[dict]:
        if not (current.io_id and reference.io_id):
            return None
        verdict = self.store().drift_verdict(current.io_id)
        if verdict is None or verdict["reference_io_id"] != reference.io_id or verdict["multivariate"] is None:
            return None
        contributions = {c["column"]: c["contribution"] for c in self.store().drift_columns(current.io_id)
                         if c["contribution"] is not None}
        return stored_multivariate(verdict, contributions)


def stored_multivariate(verdict: dict, contributions: dict) -> dict:
    value, threshold = verdict["multivariate"], verdict["multivariate_threshold"]
    drifted = bool(verdict["multivariate_drift"])
    return {"available": True, "measure": "PCA reconstruction error", "value": value, "threshold": threshold,
            "reference_value": verdict["multivariate_reference"], "drift": drifted, "rows": verdict["rows"],
            "contributions": contributions, "message": (
                f"mean reconstruction error {value:.3g} {'>' if drifted else '<='} {threshold:.3g} "
                f"(reference held out: {verdict['multivariate_reference']:.3g}; computed when the run was recorded)")}


def _frame_of(value: Any, role: str):
    from .kinds import as_frame

    return as_frame(value, role)


def _multivariate(ref: Side, cur: Side, resolver: _Resolver) -> dict:
    from . import multivariate

    model = ref.profile.multivariate
    if cur.frame is not None and model is not None:
        try:
            return multivariate.compare(model, cur.frame)
        except Exception as exc:  # noqa: BLE001 - the univariate verdicts stand without it
            return {"available": False, "message": f"multivariate measure failed: {type(exc).__name__}: {exc}"}
    stored = resolver.stored_multivariate(cur, ref) if cur.run_id else None
    if stored is not None:
        return stored
    if model is None:
        why = ("the reference has fewer than two varying columns" if len(ref.profile.columns) < 2 or ref.frame is not None
               else "the reference profile has no multivariate model (profile it from rows)")
    else:
        why = "it needs the rows of the compared data: pass a DataFrame rather than a profile"
    return {"available": False, "message": f"multivariate measure not available: {why}"}


def _contributions(report: DriftReport) -> None:
    shares = (report.multivariate or {}).get("contributions") or {}
    for c in report.columns:
        if c.column in shares:
            c.contribution = shares[c.column]


def _history(report: DriftReport, rows: list[dict]) -> None:
    by_column: dict[str, list] = {}
    for r in rows:
        by_column.setdefault(r["column"], []).append(
            {"label": _time.strftime("%Y-%m-%d %H:%M", _time.localtime(r["started_at"])), "run_id": r["run_id"],
             "value": r["value"], "threshold": r["threshold"], "status": r["status"]})
    for c in report.columns:
        c.history = by_column.get(c.column, [])


def _chunks(frame, chunk: Any, time_column: Optional[str]):
    import pandas as pd

    if isinstance(chunk, bool) or not isinstance(chunk, (int, str)):
        raise TypeError(f"chunk is a number of rows (10_000) or a pandas frequency ('1D', '1W'), not {chunk!r}")
    if isinstance(chunk, int):
        if chunk < 1:
            raise ValueError(f"chunk must be at least 1 row, not {chunk}")
        for start in range(0, len(frame), chunk):
            yield f"rows {start:,}–{min(start + chunk, len(frame)) - 1:,}", frame.iloc[start:start + chunk]
        return
    try:
        pd.tseries.frequencies.to_offset(chunk)
    except ValueError:
        raise ValueError(f"chunk {chunk!r} is not a pandas frequency (e.g. '1D', '6h', '1W', '1MS')") from None
    if time_column is not None:
        if time_column not in frame.columns:
            raise KeyError(f"no column '{time_column}' to cut chunks by time")
        keys = pd.to_datetime(frame[time_column])
    elif isinstance(frame.index, pd.DatetimeIndex):
        keys = frame.index.to_series()
    else:
        times = [c for c in frame.columns if pd.api.types.is_datetime64_any_dtype(frame[c])]
        if len(times) != 1:
            found = ", ".join(map(str, times)) or "none"
            raise ValueError(f"chunk={chunk!r} cuts by time: name the time column with time=... "
                             f"(datetime columns: {found})")
        keys = frame[times[0]]
    for period, part in frame.groupby(keys.dt.floor(chunk) if hasattr(keys, "dt") else keys, sort=True):
        yield str(period), part


def _combine(reports: list) -> DriftReport:
    """One report for a chunked comparison: each column at its worst chunk, the chunks as its history."""
    names: dict[str, list[tuple[str, ColumnDrift]]] = {}
    for label, report in reports:
        for c in report.columns:
            names.setdefault(c.column, []).append((label, c))
    columns = []
    for name, seen in names.items():
        worst = max(seen, key=lambda pair: (pair[1].status == DRIFT, pair[1].severity))[1]
        worst.history = [{"label": label, "value": c.value, "threshold": c.threshold, "status": c.status}
                         for label, c in seen]
        columns.append(worst)
    last = reports[-1][1]
    combined = DriftReport(columns=sort_columns(columns), reference_rows=last.reference_rows,
                           current_rows=sum(r.current_rows for _, r in reports),
                           notes=list(dict.fromkeys(n for _, r in reports for n in r.notes)))
    combined.multivariate = max((r.multivariate for _, r in reports if (r.multivariate or {}).get("available")),
                                key=lambda m: (m["drift"], m["value"] / m["threshold"] if m["threshold"] else 0),
                                default=last.multivariate)
    combined.expected_override = sum(r.expected_false_alarms for _, r in reports)
    return combined
