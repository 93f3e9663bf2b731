"""``plumbline.monitor``: a model's estimated and realized performance per window, kept up to date.

``mon = plumbline.monitor("delay-model", model=clf, reference=(X_valid, y_valid), window="1D")``
fits the estimators on the reference (``estimation.py``); ``mon.log_predictions(X)`` scores a
batch (or takes ``proba=``) and adds it to its windows; ``mon.log_feedback(ids, y)`` joins
labels to the predictions they belong to, whenever they arrive; ``mon`` shows the panel.

A window's aggregate is a fixed-length vector of sums (counts, sums of calibrated scores,
histograms) that a batch adds to: a refresh costs the windows the batch touched, never all
history. The raw rows are Parquet files in the monitor's folder (``monitor_files.py``), the
panel's per-window series are rows of the store (``store/monitors.py``), replicated to the
browser. Reopening a monitor by name (in another kernel, or in a pipeline task, which has no
model in memory: it is kept in the folder) continues it.
"""

from __future__ import annotations

import hashlib
import shutil
import time
from pathlib import Path
from typing import Any, Optional

from . import monitor_display
from .monitor_files import DUPLICATE, JOINED, LABELS, PREDICTIONS, UNKNOWN, Columns, IdIndex, MonitorFolder
from .windowing import WindowError, Windowing, timestamps_ns

CLASSIFICATION_METRICS = ["accuracy", "precision", "recall", "f1", "roc_auc"]
REGRESSION_METRICS = ["mae", "rmse"]
MAX_MESSAGES = 20
STATUS_WINDOWS = 3
_COUNTERS = ("predictions", "labels", "unknown_feedback", "duplicate_feedback", "batches", "label_batches")


class MonitorError(ValueError):
    """Input a monitor cannot take; nothing of the call was stored."""


class FeedbackReport:
    """What ``log_feedback`` did with each label."""

    def __init__(self, joined: int, unknown: int, duplicates: int, pending_joined: int = 0):
        self.joined, self.unknown, self.duplicates, self.pending_joined = joined, unknown, duplicates, pending_joined

    def message(self) -> str:
        parts = [f"{self.joined:,} labels joined"]
        if self.unknown:
            parts.append(f"{self.unknown:,} for ids not logged yet were kept (they join when those predictions "
                         "are logged)")
        if self.duplicates:
            parts.append(f"{self.duplicates:,} repeated a label already given and were ignored (kept in the labels "
                         "file)")
        return "; ".join(parts)

    def __repr__(self) -> str:
        return f"<plumbline feedback: {self.message()}>"


def monitor(name: str, model: Any = None, reference: Any = None, *, window: Any = "1D", kind: Optional[str] = None,
            threshold: float = 0.5, store: Any = None, replace: bool = False) -> "Monitor":
    """Create the monitor ``name``, or open it when it exists (``reference`` omitted, or the same one).

    ``reference``: ``(X, y)`` rows the model did not train on, with their labels; ``window``: a
    row count (``10_000``) or a period (``"1D"``, ``"6h"``, ``"1W"``) of the predictions'
    timestamps; ``kind``: "classification" (binary: P(y=1) from ``predict_proba``) or
    "regression", guessed from the model; ``threshold``: the score above which a prediction
    is class 1; ``replace=True``: start the monitor again with this reference.
    """
    if not isinstance(name, str) or not name.strip() or len(name) > 200:
        raise MonitorError("a monitor's name is a non-empty string of at most 200 characters")
    store = _store(store)
    existing = store.monitor(name)
    if reference is None:
        if existing is None:
            raise MonitorError(f"there is no monitor {name!r} yet: create it with a reference, "
                               f"plumbline.monitor({name!r}, model=..., reference=(X_valid, y_valid))")
        return Monitor(store, existing, model=model)
    try:
        windowing = Windowing.parse(window)
    except WindowError as exc:
        raise MonitorError(str(exc)) from None
    fitted = _Fitted.fit(model, reference, kind=kind, threshold=threshold, windowing=windowing)
    if existing is not None:
        same = existing["reference"].get("hash") == fitted.hash and existing["window"] == fitted.windowing.spec
        if same and not replace:
            return Monitor(store, existing, model=model)
        if not replace:
            raise MonitorError(
                f"a monitor named {name!r} exists with another reference or window ({existing['window']}, "
                f"{existing['reference'].get('rows')} reference rows): pass replace=True to start it again with this "
                "one (its history is deleted), or give this monitor another name")
        Monitor(store, existing).delete()
    return Monitor.create(store, name, fitted, model)


def _store(store: Any):
    from .api import _Resolver

    return _Resolver(store).store()


def _notebook() -> Optional[str]:
    try:
        from ..kernel import recorder
    except ImportError:  # pragma: no cover - the kernel package is always there
        return None
    active = recorder()
    return getattr(active, "notebook_path", None) if active is not None else None


class _Fitted:
    """A reference fitted for a new monitor: the estimator, its kind, metrics and a hash of its rows."""

    def __init__(self, ref, kind: str, windowing: Windowing, hash_: str, rows: int, columns: Optional[list]):
        self.ref, self.kind, self.windowing, self.hash, self.rows, self.columns = \
            ref, kind, windowing, hash_, rows, columns

    @classmethod
    def fit(cls, model, reference, *, kind, threshold, windowing: Windowing) -> "_Fitted":
        import numpy as np

        from . import estimation

        if not (isinstance(reference, tuple) and len(reference) == 2):
            raise MonitorError("reference is a pair (X, y): rows the model did not train on and their labels")
        X, y = reference
        y = _labels_array(y, "the reference's labels")
        if len(X) != len(y):
            raise MonitorError(f"the reference has {len(X):,} rows of features but {len(y):,} labels")
        kind = kind or _guess_kind(model, y)
        features = _features(X)
        columns = list(features.columns) if features is not None else None
        digest = hashlib.sha256(np.ascontiguousarray(y).tobytes())
        window_rows = windowing.rows
        if window_rows is None:  # a period: its row count is known once predictions arrive
            if len(y) < estimation.MIN_REFERENCE:
                raise MonitorError(f"the reference has {len(y):,} rows; a monitor needs at least "
                                   f"{estimation.MIN_REFERENCE:,} labelled reference rows, else its own noise "
                                   "outweighs a window's: pass more rows the model did not train on")
            window_rows = estimation.MIN_REFERENCE
        try:
            if kind == "classification":
                proba = _probabilities(model, X, "the reference")
                digest.update(np.ascontiguousarray(proba, dtype=np.float64).tobytes())
                ref = estimation.ClassifierReference.fit(proba, y, features=features, window_rows=window_rows,
                                                         threshold=threshold)
            elif kind == "regression":
                pred = _regression_predictions(model, X, "the reference")
                digest.update(np.ascontiguousarray(pred, dtype=np.float64).tobytes())
                ref = estimation.RegressorReference.fit(pred, y, features=features, window_rows=window_rows)
            else:
                raise MonitorError(f"kind is 'classification' or 'regression', not {kind!r}")
        except estimation.EstimationError as exc:
            raise MonitorError(str(exc)) from None
        return cls(ref, kind, windowing, digest.hexdigest()[:32], len(y), columns)


def _guess_kind(model, y) -> str:
    if model is not None and hasattr(model, "predict_proba"):
        return "classification"
    if model is not None and hasattr(model, "predict"):
        import numpy as np

        values = np.unique(y[~np.isnan(y)] if y.dtype.kind == "f" else y)
        if len(values) <= 2 and set(values.tolist()) <= {0, 1, True, False}:
            raise MonitorError("the model has no predict_proba, and the labels are 0/1: CBPE estimates a classifier "
                               "from its probabilities. Use a model with predict_proba (or wrap it in "
                               "sklearn.calibration.CalibratedClassifierCV), or pass kind='regression' if the target "
                               "is a number")
        return "regression"
    raise MonitorError("model has neither predict_proba nor predict: pass a fitted classifier or regressor")


def _labels_array(y, what: str):
    import numpy as np

    array = np.asarray(y)
    if array.ndim != 1:
        raise MonitorError(f"{what} are one value per row (got shape {array.shape})")
    if array.dtype == bool:
        array = array.astype(np.int8)
    if array.dtype.kind not in "iuf":
        raise MonitorError(f"{what} must be numbers (0/1 for a classifier), not {array.dtype}")
    if array.dtype.kind == "f" and not np.isfinite(array).all():
        bad = np.flatnonzero(~np.isfinite(array))
        raise MonitorError(f"{what}: {len(bad):,} are NaN or infinite (first at row {bad[0]}); drop them or give "
                           "their real labels later with log_feedback")
    return array


def _features(X):
    """The rows as a DataFrame (the importance-weighting buckets read a few of its columns)."""
    if X is None:
        return None
    import pandas as pd

    if isinstance(X, pd.DataFrame):
        return X
    if hasattr(X, "to_pandas"):
        return X.to_pandas()
    import numpy as np

    array = np.asarray(X)
    if array.ndim == 1:
        array = array[:, None]
    return pd.DataFrame(array, columns=[f"x{i}" for i in range(array.shape[1])])


def _probabilities(model, X, what: str):
    import numpy as np

    if model is None:
        raise MonitorError(f"no model to score {what}: pass model=..., or proba=... (P(y=1) per row)")
    if not hasattr(model, "predict_proba"):
        raise MonitorError("the model has no predict_proba: CBPE estimates a classifier from its probabilities. "
                           "Use a model with predict_proba (or sklearn.calibration.CalibratedClassifierCV), "
                           "or pass proba=... yourself")
    proba = np.asarray(model.predict_proba(X))
    if proba.ndim == 2:
        if proba.shape[1] > 2:
            raise MonitorError(f"the model predicts {proba.shape[1]} classes; monitors estimate binary classifiers "
                               "(one monitor per class against the rest works)")
        proba = proba[:, -1]
    return proba


def _regression_predictions(model, X, what: str):
    import numpy as np

    if model is None or not hasattr(model, "predict"):
        raise MonitorError(f"no model to predict {what}: pass model=..., or predictions=...")
    return np.asarray(model.predict(X), dtype=np.float64)


class Monitor:
    """One monitor: its reference, its windows, the raw rows in its folder."""

    def __init__(self, store, row: dict, *, model: Any = None, ref=None):
        from . import estimation

        self.store = store
        self.row = row
        self.id = row["id"]
        self.name = row["name"]
        self.kind = row["kind"]
        self.windowing = Windowing.parse(row["window"] if row["window_kind"] == "time"
                                         else int(row["window"].split()[0]))
        self.folder = MonitorFolder(Path(store.path).parent / row["folder"])
        if ref is None:
            data = self.folder.read_bytes("reference.bin")
            if data is None:
                raise MonitorError(f"the reference of monitor {self.name!r} is missing from {self.folder.path}: "
                                   "create the monitor again with replace=True")
            cls = estimation.ClassifierReference if self.kind == "classification" else estimation.RegressorReference
            ref = cls.from_bytes(data)
        self.ref = ref
        self.model = model if model is not None else self._stored_model()
        self._columns = row["reference"].get("columns")
        self._messages: list = list(row.get("messages") or [])
        self._updated_at: float = row.get("updated_at") or time.time()
        self._triggers_cache: Optional[list] = None
        self._reset_memory()
        self._catch_up()

    # -- creation ------------------------------------------------------------------------

    @classmethod
    def create(cls, store, name: str, fitted: _Fitted, model: Any) -> "Monitor":
        summary = fitted.ref.reference_summary()
        reference = {"rows": fitted.rows, "hash": fitted.hash, "columns": fitted.columns, **summary}
        metrics = CLASSIFICATION_METRICS if fitted.kind == "classification" else REGRESSION_METRICS
        estimators = ["cbpe", "iw"] if fitted.kind == "classification" else ["dle"]
        row = store.create_monitor(name=name, kind=fitted.kind, window=fitted.windowing.spec,
                                   window_kind=fitted.windowing.kind, notebook=_notebook(),
                                   primary_metric=metrics[0], metrics=metrics, estimators=estimators,
                                   reference=monitor_display.finite(reference))
        folder = MonitorFolder(Path(store.path).parent / row["folder"])
        try:
            folder.create()
            folder.write_bytes("reference.bin", fitted.ref.to_bytes())
            message = _save_model(folder, model)
        except BaseException:
            store.delete_monitor(row["id"])
            shutil.rmtree(folder.path, ignore_errors=True)
            raise
        mon = cls(store, row, model=model, ref=fitted.ref)
        if message:
            mon._message("warning", message)
        mon._save_rows(set())
        return mon

    def delete(self) -> None:
        """Forget this monitor: its rows in the store and its folder."""
        self.store.delete_monitor(self.id)
        shutil.rmtree(self.folder.path, ignore_errors=True)

    def _stored_model(self):
        data = self.folder.read_bytes("model.joblib")
        if data is None:
            return None
        import io

        import joblib

        try:
            return joblib.load(io.BytesIO(data))
        except Exception:  # noqa: BLE001 - a model that no longer loads: the monitor still takes proba=
            return None

    # -- memory ----------------------------------------------------------------------------

    def _reset_memory(self) -> None:
        self._reset_aggregates()
        self._ids: Optional[IdIndex] = None  # loaded on the first write (duplicate checks, joins)
        self._rows = Columns()
        self._loaded = {PREDICTIONS: 0, LABELS: 0}
        self._pending = None  # unknown feedback: DataFrame(id, y, ts)

    def _reset_aggregates(self) -> None:
        import numpy as np

        L = self.ref.aggregate_length
        self.keys = np.zeros(0, dtype=np.int64)
        self.agg = np.zeros((0, L), dtype=np.float64)
        self.counts = np.zeros((0, 2), dtype=np.int64)  # predictions, labels per window
        self._row_of_key: dict = {}
        self.totals = dict.fromkeys(_COUNTERS, 0)
        self.generation = -1
        self._window_json: dict = {}

    def _catch_up(self, *, full: bool = False) -> None:
        """Read what another process (or a crash) left: the state file, then batches it does not count.

        The rows in memory (ids, kept state) are read on, batch by batch; ``full`` reads them
        again from the start (after a failed write left them half updated).
        """
        generation = self.folder.generation()
        if generation == self.generation and not full:
            return
        import numpy as np

        state = self.folder.read_state()
        if full:
            self._reset_memory()
        else:
            self._reset_aggregates()
        if state is not None:
            self.keys = state["keys"].astype(np.int64)
            self.agg = state["agg"].astype(np.float64)
            self.counts = state["counts"].astype(np.int64)
            self.totals = dict(zip(_COUNTERS, (int(v) for v in state["totals"])))
            self._row_of_key = {int(k): i for i, k in enumerate(self.keys)}
        replayed = set()
        for number in self.folder.batch_numbers(PREDICTIONS):
            if number > self.totals["batches"]:
                replayed |= self._replay_predictions(number)
        late_labels = [n for n in self.folder.batch_numbers(LABELS) if n > self.totals["label_batches"]]
        if late_labels or self._ids is not None:
            self._load_rows()  # (10 million ids take a second: only when labels need them, or read on)
        for number in late_labels:
            replayed |= self._replay_labels(number)
        self.generation = generation
        self._window_json = {}
        if replayed:
            self._write_state()
        self._summaries_for_all()

    def _replay_predictions(self, number: int) -> set:
        batch = self.folder.read_batch(PREDICTIONS, number)
        rows = self._rows_of_keys(batch["window"])
        state = {k: v for k, v in batch.items() if k not in ("id", "ts", "window")}
        self.ref.add_predictions(self.agg, rows, state)
        self._count(rows, 0)
        self.totals["predictions"] += len(rows)
        self.totals["batches"] = number
        return set(rows.tolist())

    def _replay_labels(self, number: int) -> set:
        batch = self.folder.read_batch(LABELS, number)
        joined = batch["status"] == JOINED
        positions = self._ids.lookup(batch["id"][joined]) if self._ids is not None else None
        touched = set()
        if positions is not None and len(positions):
            ok = positions >= 0
            touched = self._add_labels(positions[ok], batch["y"][joined][ok])
        waiting = batch["status"] == UNKNOWN
        if waiting.any():
            import pandas as pd

            frame = pd.DataFrame({"id": batch["id"][waiting], "y": batch["y"][waiting], "ts": batch["ts"][waiting]})
            self._pending = frame if self._pending is None else pd.concat([self._pending, frame], ignore_index=True)
            self.totals["unknown_feedback"] = len(self._pending)
        self.totals["label_batches"] = number
        self._loaded[LABELS] = number
        return touched

    def _load_rows(self) -> None:
        """The per-prediction rows in memory: ids, windows, kept state, which have a label."""
        import pandas as pd

        if self._ids is None:
            self._ids = IdIndex()
        for number in self.folder.batch_numbers(PREDICTIONS):
            if number <= self._loaded[PREDICTIONS]:
                continue
            batch = self.folder.read_batch(PREDICTIONS, number)
            self._append_rows(batch["id"], self._rows_of_keys(batch["window"]),
                              {k: v for k, v in batch.items() if k not in ("id", "ts", "window")})
            self._loaded[PREDICTIONS] = number
        for number in self.folder.batch_numbers(LABELS):
            if number <= self._loaded[LABELS] or number > self.totals["label_batches"]:
                continue
            batch = self.folder.read_batch(LABELS, number)
            for status in (JOINED, UNKNOWN):
                chosen = batch["status"] == status
                if not chosen.any():
                    continue
                if status == JOINED:
                    positions = self._ids.lookup(batch["id"][chosen])
                    self._rows.set("labelled", positions[positions >= 0], True)
                    self._drop_pending(batch["id"][chosen])
                else:
                    frame = pd.DataFrame({"id": batch["id"][chosen], "y": batch["y"][chosen],
                                          "ts": batch["ts"][chosen]})
                    self._pending = frame if self._pending is None else pd.concat([self._pending, frame],
                                                                                  ignore_index=True)
            self._loaded[LABELS] = number
        if self._pending is not None and not len(self._pending):
            self._pending = None

    def _append_rows(self, ids, rows, state: dict) -> None:
        import numpy as np

        start = self._rows.size
        self._rows.append({"window_row": rows.astype(np.int32), "labelled": np.zeros(len(rows), dtype=bool),
                           **state})
        self._ids.add(ids, np.arange(start, start + len(rows), dtype=np.int64))

    def _drop_pending(self, ids) -> None:
        if self._pending is None:
            return
        import pandas as pd

        self._pending = self._pending[~self._pending["id"].isin(pd.Index(ids))].reset_index(drop=True)

    def _rows_of_keys(self, keys):
        """The aggregate row of each window key, new windows appended."""
        import numpy as np

        keys = np.asarray(keys, dtype=np.int64)
        if len(keys) and keys.min() == keys.max():
            distinct, inverse = keys[:1], np.zeros(len(keys), dtype=np.int64)
        else:
            distinct, inverse = np.unique(keys, return_inverse=True)
        mapped = np.empty(len(distinct), dtype=np.int64)
        for i, key in enumerate(distinct.tolist()):
            row = self._row_of_key.get(key)
            if row is None:
                row = len(self.keys)
                self._row_of_key[key] = row
                self.keys = np.append(self.keys, key)
                self.agg = np.vstack([self.agg, np.zeros((1, self.agg.shape[1]))])
                self.counts = np.vstack([self.counts, np.zeros((1, 2), dtype=np.int64)])
            mapped[i] = row
        return mapped[inverse]

    def _count(self, rows, column: int) -> None:
        import numpy as np

        self.counts[:, column] += np.bincount(rows, minlength=len(self.counts))[: len(self.counts)]

    def _add_labels(self, positions, y) -> set:
        """Add the labels of rows at ``positions`` (known, not labelled yet) to their windows."""
        rows = self._rows.gather("window_row", positions).astype("int64")
        state = {name: self._rows.gather(name, positions) for name in self._rows.names()
                 if name not in ("window_row", "labelled")}
        self.ref.add_labels(self.agg, rows, state, y)
        self._rows.set("labelled", positions, True)
        self._count(rows, 1)
        self.totals["labels"] += len(positions)
        return set(rows.tolist())

    def _write_state(self) -> None:
        import numpy as np

        self.folder.write_state(keys=self.keys, agg=self.agg, counts=self.counts,
                                totals=np.array([self.totals[k] for k in _COUNTERS], dtype=np.int64))
        self.generation = self.folder.bump_generation(self.folder.generation())

    # -- logging -------------------------------------------------------------------------

    def log_predictions(self, X: Any = None, *, ids: Any = None, timestamps: Any = None, proba: Any = None,
                        predictions: Any = None):
        """Add a batch of predictions; returns their ids (given or numbered on).

        ``X``: the rows the model scores (and the importance-weighting buckets read);
        ``proba``: P(y=1) per row when already computed (a classifier), ``predictions``:
        a regressor's outputs; ``timestamps``: when each prediction was made (a period
        window; default now). Invalid input raises ``MonitorError`` and stores nothing.
        """
        import numpy as np

        with self.folder.locked():
            self._catch_up()
            if self._ids is None:
                self._load_rows()
            features = self._batch_features(X)
            scores, n = self._scores(X, proba, predictions)
            ids_index = self._new_ids(ids, n)
            try:
                ts = timestamps_ns(timestamps, n) if (timestamps is not None or self.windowing.kind == "time") \
                    else np.zeros(n, dtype=np.int64)
            except WindowError as exc:
                raise MonitorError(str(exc)) from None
            keys = self.windowing.keys(n, self.totals["predictions"], ts)
            state = self.ref.row_state(scores, features)
            number = max(self.folder.batch_numbers(PREDICTIONS) or [0]) + 1
            ids_array = ids_index.to_numpy()
            late = int((keys < self.keys.max()).sum()) if len(self.keys) else 0
            self.folder.write_batch(PREDICTIONS, number, {"id": ids_array, "ts": ts, "window": keys, **state})
            try:
                rows = self._rows_of_keys(keys)
                self.ref.add_predictions(self.agg, rows, state)
                self._count(rows, 0)
                self.totals["predictions"] += n
                self.totals["batches"] = number
                self._append_rows(ids_array, rows, state)
                self._loaded[PREDICTIONS] = number
                touched = set(np.unique(rows).tolist())
                joined = self._join_pending(ids_index)
                touched |= joined
                self._write_state()
            except BaseException:
                self._catch_up(full=True)  # memory may be half updated: read the files again
                raise
            if late:
                self._message("info", f"{late:,} predictions of the last batch fell in earlier windows (their "
                                      "timestamps are older); those windows were updated")
            self._save_rows(touched)
        return ids_array

    def _scores(self, X, proba, predictions):
        import numpy as np

        if X is not None and len(X) == 0:
            raise MonitorError("the batch is empty: nothing to log")
        if self.kind == "classification":
            if proba is None:
                if X is None:
                    raise MonitorError("log_predictions needs the rows X (the model scores them) or proba=...")
                proba = _probabilities(self.model, X, "this batch")
            values = np.asarray(proba, dtype=np.float64)
            if values.ndim == 2 and values.shape[1] == 2:
                values = values[:, 1]
            if values.ndim != 1:
                raise MonitorError(f"proba is P(y=1) per row, one number each (got shape {values.shape})")
            bad = ~np.isfinite(values) | (values < 0) | (values > 1)
            if bad.any():
                where = np.flatnonzero(bad)
                raise MonitorError(f"{len(where):,} probabilities are NaN or outside [0, 1] (first at row {where[0]}: "
                                   f"{values[where[0]]!r}); nothing of this batch was stored — fix or drop those rows")
        else:
            if predictions is None:
                if X is None:
                    raise MonitorError("log_predictions needs the rows X (the model predicts them) or predictions=...")
                predictions = _regression_predictions(self.model, X, "this batch")
            values = np.asarray(predictions, dtype=np.float64)
            if values.ndim != 1 or not np.isfinite(values).all():
                raise MonitorError("predictions are one finite number per row; nothing of this batch was stored")
        if X is not None and len(X) != len(values):
            raise MonitorError(f"{len(X):,} rows but {len(values):,} scores: give one per row")
        if not len(values):
            raise MonitorError("the batch is empty: nothing to log")
        return values, len(values)

    def _batch_features(self, X):
        if X is None or not self._columns:
            return None
        frame = _features(X)
        missing = [c for c in self._columns if c not in frame.columns]
        if missing:
            raise MonitorError(f"this batch lacks the reference's columns {', '.join(map(str, missing[:5]))}: "
                               "log the same features the reference had")
        return frame

    def _new_ids(self, ids, n):
        import numpy as np
        import pandas as pd

        if ids is None:
            start = self.totals["predictions"]
            return pd.Index(np.arange(start, start + n, dtype=np.int64))
        index = pd.Index(ids)
        if len(index) != n:
            raise MonitorError(f"{len(index):,} ids for {n:,} predictions: give one id per row")
        if index.dtype.kind == "f":
            if index.isna().any():
                raise MonitorError("some ids are missing (NaN): every prediction needs an id to join its label to")
            if (index != np.floor(index)).any():
                raise MonitorError("ids are integers or strings, not fractions")
            index = index.astype(np.int64)
        elif index.dtype.kind == "O" and index.isna().any():
            raise MonitorError("some ids are missing (None): every prediction needs an id to join its label to")
        if not index.is_unique:
            repeated = index[index.duplicated()].unique()[:5].tolist()
            raise MonitorError(f"the batch repeats ids ({', '.join(map(str, repeated))}…); each prediction needs "
                               "its own id. Nothing of this batch was stored")
        known = self._ids.lookup(index)
        if (known >= 0).any():
            repeated = index[known >= 0][:5].tolist()
            raise MonitorError(f"{int((known >= 0).sum()):,} ids were logged before ({', '.join(map(str, repeated))}…)"
                               "; each prediction needs its own id. Nothing of this batch was stored")
        return index

    def _join_pending(self, ids_index) -> set:
        """Labels that came before their predictions join now."""
        import numpy as np

        if self._pending is None or not len(self._pending):
            return set()
        hit = self._pending["id"].isin(ids_index).to_numpy()
        if not hit.any():
            return set()
        waiting = self._pending[hit]
        positions = self._ids.lookup(waiting["id"].to_numpy())
        touched = self._add_labels(positions, waiting["y"].to_numpy())
        number = max(self.folder.batch_numbers(LABELS) or [0]) + 1
        self.folder.write_batch(LABELS, number, {"id": waiting["id"].to_numpy(), "y": waiting["y"].to_numpy(),
                                                 "ts": waiting["ts"].to_numpy(),
                                                 "status": np.full(len(waiting), JOINED, dtype=np.int8)})
        self.totals["label_batches"] = number
        self._loaded[LABELS] = number
        self._pending = self._pending[~hit].reset_index(drop=True)
        self.totals["unknown_feedback"] = len(self._pending)
        return touched

    def log_feedback(self, ids: Any, y_true: Any, *, timestamps: Any = None) -> FeedbackReport:
        """Join labels to their predictions: late, partial, in any order. Returns what became of each."""
        import numpy as np
        import pandas as pd

        with self.folder.locked():
            self._catch_up()
            if self._ids is None:
                self._load_rows()
            y = _labels_array(y_true, "labels")
            if self.kind == "classification" and not np.isin(y, (0, 1)).all():
                odd = np.unique(y[~np.isin(y, (0, 1))])[:5].tolist()
                raise MonitorError(f"labels of a binary classifier are 0 or 1 (or booleans), not {odd}; "
                                   "nothing was stored")
            index = pd.Index(ids)
            if len(index) != len(y):
                raise MonitorError(f"{len(index):,} ids for {len(y):,} labels: give one label per id")
            if index.isna().any():
                raise MonitorError("some ids are missing: each label needs the id of its prediction")
            if index.dtype.kind == "f":
                index = index.astype(np.int64)
            try:
                ts = timestamps_ns(timestamps, len(y), what="label timestamps")
            except WindowError as exc:
                raise MonitorError(str(exc)) from None
            status = np.full(len(y), JOINED, dtype=np.int8)
            status[np.asarray(index.duplicated())] = DUPLICATE
            positions = self._ids.lookup(index)
            unknown = (positions < 0) & (status != DUPLICATE)
            status[unknown] = UNKNOWN
            known = np.flatnonzero(status == JOINED)
            labelled = self._rows.gather("labelled", positions[known])
            status[known[labelled]] = DUPLICATE
            if self._pending is not None and unknown.any():
                again = index[unknown].isin(pd.Index(self._pending["id"]))  # waiting already
                status[np.flatnonzero(unknown)[again]] = DUPLICATE
                unknown = status == UNKNOWN
            number = max(self.folder.batch_numbers(LABELS) or [0]) + 1
            self.folder.write_batch(LABELS, number, {"id": index.to_numpy(), "y": y, "ts": ts, "status": status})
            try:
                join = np.flatnonzero(status == JOINED)
                touched = self._add_labels(positions[join], y[join]) if len(join) else set()
                if unknown.any():
                    frame = pd.DataFrame({"id": index.to_numpy()[unknown], "y": y[unknown], "ts": ts[unknown]})
                    self._pending = frame if self._pending is None else pd.concat([self._pending, frame],
                                                                                  ignore_index=True)
                self.totals["unknown_feedback"] = 0 if self._pending is None else len(self._pending)
                duplicates = int((status == DUPLICATE).sum())
                self.totals["duplicate_feedback"] += duplicates
                self.totals["label_batches"] = number
                self._loaded[LABELS] = number
                self._write_state()
            except BaseException:
                self._catch_up(full=True)
                raise
            report = FeedbackReport(len(join), int(unknown.sum()), duplicates)
            if report.unknown or report.duplicates:
                self._message("warning", report.message())
            self._save_rows(touched)
        return report

    # -- summaries -----------------------------------------------------------------------

    def _summaries_for_all(self) -> None:
        self._refresh_json(set(range(len(self.keys))))

    def _refresh_json(self, touched: set) -> list[int]:
        """Recompute the window objects of touched rows, and the cumulative views after them."""
        import numpy as np

        if not len(self.keys):
            return []
        order = np.argsort(self.keys, kind="stable")
        position = {int(r): p for p, r in enumerate(order)}
        first = min((position[r] for r in touched), default=len(order))
        changed = set(int(r) for r in touched)
        cumulative = self.agg[order[:first]].sum(axis=0) if first else np.zeros(self.agg.shape[1])
        cum_counts = self.counts[order[:first]].sum(axis=0) if first else np.zeros(2, dtype=np.int64)
        for p in range(first, len(order)):
            row = int(order[p])
            cumulative = cumulative + self.agg[row]
            cum_counts = cum_counts + self.counts[row]
            key = int(self.keys[row])
            if row in changed or key not in self._window_json:
                own = self._summary(self.agg[row], self.counts[row])
                label, start, end = self.windowing.describe(key)
                window = {"index": key, "label": label, "start": start, "end": end, **own}
            else:
                window = self._window_json[key]
            window["cumulative"] = {k: v for k, v in self._summary(cumulative, cum_counts).items()}
            self._window_json[key] = window
            changed.add(row)
        return sorted(changed)

    def _summary(self, agg_row, counts) -> dict:
        predictions, labels = int(counts[0]), int(counts[1])
        summary = self.ref.summarize(agg_row).to_json()
        return monitor_display.finite({
            "predictions": predictions, "labels": labels,
            "coverage": labels / predictions if predictions else None,
            "metrics": summary.get("metrics", {}), "alerts": summary.get("alerts", []),
            "warnings": summary.get("warnings", []),
        })

    def _save_rows(self, touched: set) -> None:
        """Write the changed windows and the totals to the store (the panel and the sidebar read them)."""
        from ..store.errors import StoreError

        changed = self._refresh_json(touched)
        pending = getattr(self, "_unsaved", set()) | {int(self.keys[r]) for r in changed}
        windows = [self._window_row(key) for key in sorted(pending) if key in self._window_json]
        try:
            self.store.save_monitor_state(self.id, totals=self._totals_row(), windows=windows)
            self._unsaved = set()
            self._updated_at = time.time()
        except StoreError as exc:
            # The rows are files already; the store gets these windows with the next write.
            self._unsaved = pending
            self._message("warning", f"the store could not be updated ({exc}); the predictions and labels are saved "
                                     "in the monitor's folder and the panel catches up on the next write")
        self._check_triggers()

    def _window_row(self, key: int) -> dict:
        w = self._window_json[key]
        metrics = w.get("metrics", {}).values()
        return {"window_index": key, "label": w["label"], "start": w["start"], "end": w["end"],
                "predictions": w["predictions"], "labels": w["labels"],
                "alert": any(m.get("alert") for m in metrics),
                "concept_drift": any(m.get("concept_drift") for m in metrics), "series": w}

    def _latest(self) -> Optional[dict]:
        if not self._window_json:
            return None
        return self._window_json[max(self._window_json)]

    def status(self) -> str:
        """Of the last ``STATUS_WINDOWS`` windows: concept drift, else an alert, else ok.

        Not the latest window alone: labels come late, so the window that shows concept
        drift is rarely the newest one.
        """
        if not self._window_json:
            return "no data"
        recent = [self._window_json[k] for k in sorted(self._window_json)[-STATUS_WINDOWS:]]
        metrics = [m for w in recent for m in w.get("metrics", {}).values()]
        if any(m.get("concept_drift") for m in metrics):
            return "concept_drift"
        if any(m.get("alert") for m in metrics):
            return "alert"
        return "ok"

    def _totals_row(self) -> dict:
        alerts = sum(1 for w in self._window_json.values()
                     if any(m.get("alert") or m.get("concept_drift") for m in w.get("metrics", {}).values()))
        return {"predictions": self.totals["predictions"], "labels": self.totals["labels"],
                "unknown_feedback": self.totals["unknown_feedback"], "alerts": alerts, "status": self.status(),
                "messages": self._messages[-MAX_MESSAGES:], "triggers": self.triggers()}

    def _message(self, level: str, text: str) -> None:
        self._messages.append({"level": level, "message": text, "at": time.time()})
        self._messages = self._messages[-MAX_MESSAGES:]

    # -- triggers ------------------------------------------------------------------------

    def trigger(self, pipeline: str, *, on: str = "alert", labels: Optional[int] = None,
                component: Optional[str] = None, cooldown: Any = "1D", approval: bool = True) -> dict:
        """Ask for a run of the promoted pipeline ``pipeline`` on a monitor alert (``on="alert"``),
        every ``labels`` new labelled rows (``on="labels"``), or a drift verdict on an output of the
        component ``component`` (``on="drift"``); at most once per ``cooldown`` ("1D", "6h" or
        seconds). With ``approval`` (the default) the request waits in the Pipelines panel for
        someone to start it: retraining on bad data unattended is the feedback loop to avoid.
        """
        from . import triggers

        spec = triggers.validate(self.store, pipeline, on=on, labels=labels, cooldown=cooldown, component=component)
        row = self.store.set_monitor_trigger(self.id, pipeline=pipeline, on_event=on, labels=spec["labels"],
                                             component=spec["component"],
                                             cooldown_seconds=spec["cooldown_seconds"], approval=approval)
        self._triggers_cache = None
        self._save_rows(set())
        return row

    def triggers(self) -> list:
        if self._triggers_cache is None:
            from . import triggers

            self._triggers_cache = triggers.describe(self.store, self.id)
        return self._triggers_cache

    def _check_triggers(self) -> None:
        from . import triggers

        fired = triggers.evaluate(self, self.store)
        if fired:
            self._triggers_cache = None
            for request in fired:
                self._message("info", f"asked for a run of pipeline {request['pipeline']!r}: {request['reason']}"
                                      + (" (awaiting approval in the Pipelines panel)"
                                         if request["status"] == "awaiting approval" else ""))
            self.store.save_monitor_state(self.id, totals=self._totals_row(), windows=[])

    # -- reading -------------------------------------------------------------------------

    def payload(self) -> dict:
        self._triggers_cache = None  # a request may have been decided in the Pipelines panel since
        return monitor_display.payload(self)

    def windows(self) -> list[dict]:
        return [self._window_json[k] for k in sorted(self._window_json)]

    def to_frame(self, cumulative: bool = False):
        """One row per window: volume, coverage, and per metric each estimate, its band and the realized value."""
        return monitor_display.frame(self.windows(), self.row["metrics"], cumulative=cumulative)

    def refresh(self) -> "Monitor":
        """Read what other processes (a pipeline task, another kernel) logged since."""
        self._catch_up()
        return self

    def _repr_mimebundle_(self, include=None, exclude=None):
        self._catch_up()
        return monitor_display.bundle(self.payload())

    def __repr__(self) -> str:
        return (f"<plumbline monitor {self.name!r}: {self.kind}, window {self.windowing.spec}, "
                f"{self.totals['predictions']:,} predictions, {self.totals['labels']:,} labels, {self.status()}>")

    def __reduce__(self):
        # A monitor crossing to another process (a pipeline's next task) is opened there by name.
        return (_reopen, (str(self.store.path), self.name))

    def bytes_per_prediction(self) -> Optional[float]:
        n = self.totals["predictions"]
        return self.folder.bytes_stored(PREDICTIONS) / n if n else None


def _reopen(store_path: str, name: str) -> Monitor:
    from ..store import Store

    return monitor(name, store=Store(store_path))


def _save_model(folder: MonitorFolder, model) -> Optional[str]:
    """Keep the model with the monitor, so a pipeline task can log without it in memory."""
    if model is None:
        return None
    import io

    import joblib

    buffer = io.BytesIO()
    try:
        joblib.dump(model, buffer)
    except Exception as exc:  # noqa: BLE001 - any pickling failure: the monitor works with proba=
        return (f"the model could not be saved with the monitor ({type(exc).__name__}: {exc}); elsewhere pass "
                "model= when opening it, or log proba= yourself")
    folder.write_bytes("model.joblib", buffer.getvalue())
    return None
