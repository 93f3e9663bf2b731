"""Model performance while labels are missing, realized performance as they arrive, and where the two disagree.

Everything a window needs is a **fixed-length float64 vector of additive sums** (counts, sums of
calibrated probabilities, histograms); the estimator owns the layout, the monitor keeps an
``(n_windows, aggregate_length)`` matrix, adds rows as predictions and labels arrive
(``add_predictions`` / ``add_labels``, vectorized, in place) and calls ``summarize`` on any row or
sum of rows (a cumulative view is a cumsum).

Classification (``ClassifierReference``), binary, from the model's raw P(y = 1):

* **CBPE** (confidence-based). Isotonic calibration of the raw score, **cross-fitted** on the
  reference with ``FOLDS`` stratified folds: each reference row is calibrated by the calibrator
  that did not see it, so the reference's own estimates are honest (NannyML refits on the whole
  reference and estimates in-sample). Calibration is used only when the cross-fitted expected
  calibration error (``ECE_BINS`` equal-count bins) is lower than the raw score's. The expected
  confusion matrix: a row predicted 1 adds p to TP and 1 − p to FP, predicted 0 adds p to FN and
  1 − p to TN. Non-additive metrics (precision, recall, F1) come from the expected counts; ROC AUC
  from a histogram of the raw score (``SCORE_BINS`` bins at reference quantiles, the decision
  threshold one of the edges) with the sum of p per bin — never from averaging.
  The band is ±``BAND_Z`` standard errors where the variance is the **Poisson-binomial variance of
  the realized metric given p** (delta method on the confusion sums; Hanley–McNeil for AUC) **plus
  the calibrator's own variance**: the aggregate keeps the sums of every fold calibrator too, and
  their spread gives a grouped-jackknife variance ``(K − 1)/K · Σ(θ_k − θ̄)²``. NannyML's SE ignores
  the calibrator. CBPE assumes P(y | score) is the reference's; where the importance-weighted
  estimate (which also conditions on the features) disagrees and is reliable, the band is widened on
  that side to reach it: ``[min(cbpe, iw) − z·SE, max(cbpe, iw) + z·SE]`` — the disagreement is an
  estimate of CBPE's covariate-shift bias that NannyML's band cannot show.
* **Importance-weighted** ("iw"). The reference is split in two halves: on the first, a shallow
  decision tree of y on the raw score and the features (categoricals as their ``TOP_CATEGORIES``
  commonest values plus "other", ordered by delay rate) defines buckets, split again by the predicted
  class; on the **held-out** second half, each bucket's rate of y = 1 is measured. A window's
  estimate re-weights those rates by the window's bucket counts; its variance adds the rates'
  estimation error to the window's outcome noise. ``ess`` is the effective sample size of the
  re-weighted held-out rows. Rows in buckets with fewer than ``MIN_BUCKET_ROWS`` held-out rows, or
  outside the reference's support (a numeric feature beyond the reference's range, a category the
  reference never saw), are **extrapolation**: their contribution falls back to their calibrated p,
  their share is ``extrapolation``, and above ``EXTRAPOLATION_SHARE`` the estimate is
  ``reliable: false`` with a warning of kind "extrapolation".
* **Realized** metrics from the labelled rows: Wilson intervals for accuracy, precision and recall,
  delta method for F1, Hanley–McNeil on the binned AUC; the labels count.
* **Thresholds** sized to the window: the reference's realized value ∓ ``THRESHOLD_Z`` × the
  standard deviation of the difference between a window of n rows and the reference
  (per-row variance × (1/N + 1/n), as ``thresholds.size_factor``), never from chunks of a reference
  that contains them. A performance **alert** when the whole CBPE band lies below the lower
  threshold (or, with enough labels, the whole realized interval does) — not from a point estimate.
* **Concept drift**: with at least ``MIN_LABELS`` labels, the realized value of the labelled rows is
  compared with the CBPE estimate *of the same rows* and its own band; outside it the metric gets
  ``concept_drift: true`` and an alert of kind "concept_drift". When every row is labelled the two
  bands are the window's band, so the flag is exactly "realized outside the band".
* **Label bias**: the labelled rows' score histogram against the unlabelled rows' (chi² on
  ``BIAS_GROUPS`` score groups at p < ``BIAS_P`` and a total-variation distance above
  ``BIAS_MIN_TV``): a warning of kind "label_bias" — the realized value may not be the window's.

Regression (``RegressorReference``), DLE-style: one ``DecisionTreeRegressor`` (``LOSS_LEAVES``
leaves) of |error| and error² at once on the features and the prediction, cross-fitted on the
reference (``FOLDS``), the window's MAE and RMSE estimated from the sums of the predicted losses;
realized MAE / RMSE from the labels. One tree, not a boosted model per loss: ``row_state`` is a
lookup per row (about 1 ms per 100,000 rows, against 140 ms for two 25-tree boosted models, whose
mean relative error on the flights covariate-shift batches was 0.8% against the tree's 1.0%).

Scores are read on a grid of ``1/CELLS`` (65,536 cells): a row's score bin and calibrated p are
table look-ups (the isotonic calibrators evaluated at the cell centres), which keeps ``row_state`` +
``add_predictions`` near 10 ms per 100,000 rows. The predicted class is ``score >= threshold``
rounded up to the grid (``score >= 0.5`` by default; scikit-learn's ``predict`` says 0 at exactly 0.5).

Bad inputs raise ``EstimationError`` (a ``ValueError``) saying what happened and what to do.
"""

from __future__ import annotations

import io
import math
import pickle
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

FORMAT = 1
FOLDS = 5
ECE_BINS = 10
SCORE_BINS = 100
CELLS = 1 << 16  # scores are read on a grid of 1/65536: bins are unions of cells, calibrators are tables over cells
BAND_Z = 3.0  # CBPE / IW / DLE bands: ±3 standard errors (NannyML's width)
THRESHOLD_Z = 3.0
REALIZED_Z = 1.959963984540054  # realized intervals: 95%
MIN_LABELS = 100  # labels a window needs before its realized value is compared with the estimate
MIN_REFERENCE = 2_000
LOSS_LEAVES = 64  # leaves of the DLE loss tree (|error| and error² at once): row_state is one lookup per row
TREE_LEAVES = 48
TOP_CATEGORIES = 24
MIN_BUCKET_ROWS = 30
EXTRAPOLATION_SHARE = 0.10
BIAS_GROUPS = 10
BIAS_P = 1e-3
BIAS_MIN_TV = 0.05
CLASSIFICATION_METRICS = ("accuracy", "precision", "recall", "f1", "roc_auc")
REGRESSION_METRICS = ("mae", "rmse")
CONCEPT_DRIFT_MESSAGE = "estimate and realized disagree — likely concept drift (P(y|x) changed)"


class EstimationError(ValueError):
    """Bad input to the estimators: the message says what happened and what to do."""


# -- inputs -----------------------------------------------------------------------------------------


def _probabilities(proba, what: str = "proba") -> np.ndarray:
    p = np.asarray(proba)
    if p.ndim == 2 and p.shape[1] == 2:
        p = p[:, 1]
    if p.ndim != 1:
        raise EstimationError(f"{what} must be one probability per row (P(y = 1)); got an array of shape {p.shape}")
    try:
        p = p.astype(np.float64, copy=False)
    except (TypeError, ValueError) as exc:
        raise EstimationError(f"{what} must be numbers in [0, 1]: {exc}") from None
    bad = ~((p >= 0) & (p <= 1))  # NaN fails both
    if bad.any():
        where = np.flatnonzero(bad)
        nan = int(np.isnan(p[where]).sum())
        shown = ", ".join(str(int(i)) for i in where[:5]) + (", …" if len(where) > 5 else "")
        raise EstimationError(
            f"{what} has {len(where):,} value(s) that are not probabilities in [0, 1] ({nan:,} NaN, "
            f"{len(where) - nan:,} out of range) at row(s) {shown}: pass predict_proba(X)[:, 1] "
            "(not decision_function or logits) and drop or impute the rows that give NaN")
    return p


def _labels(y, n: int, what: str = "y_true") -> np.ndarray:
    y = np.asarray(y)
    if y.ndim != 1:
        raise EstimationError(f"{what} must be one label per row; got an array of shape {y.shape}")
    if len(y) != n:
        raise EstimationError(f"length mismatch: {n:,} probabilities but {len(y):,} labels in {what}; "
                              "pass one label per row, in the same order")
    if y.dtype == bool:
        return y.astype(np.int8)
    try:
        yf = y.astype(np.float64)
    except (TypeError, ValueError):
        raise EstimationError(f"{what} must be 0/1 (or booleans); got values like {y[:3].tolist()}") from None
    bad = ~((yf == 0) | (yf == 1))
    if bad.any():
        where = np.flatnonzero(bad)
        raise EstimationError(f"{what} must be 0/1 (or booleans): {len(where):,} other value(s), e.g. "
                              f"{yf[where[0]]!r} at row {int(where[0])}; binary classification only")
    return yf.astype(np.int8)


def _windows(window, n: int, rows: int) -> np.ndarray:
    w = np.asarray(window)
    if w.ndim == 0:
        w = np.full(n, int(w), dtype=np.int64)
    if len(w) != n:
        raise EstimationError(f"length mismatch: {n:,} rows but {len(w):,} window indices")
    w = w.astype(np.int64, copy=False)
    if n and (w.min() < 0 or w.max() >= rows):
        raise EstimationError(f"window index out of range: the aggregate has {rows} row(s), "
                              f"indices run {int(w.min())}..{int(w.max())}; grow the aggregate first")
    return w


def _check_reference_rows(n: int, window_rows: int) -> None:
    if window_rows is None or int(window_rows) < 1:
        raise EstimationError(f"window_rows must be a positive number of rows per window; got {window_rows!r}")
    need = max(MIN_REFERENCE, int(window_rows))
    if n < need:
        raise EstimationError(
            f"the reference has {n:,} rows, too few for windows of {int(window_rows):,} rows: it needs at least "
            f"{need:,} (max({MIN_REFERENCE:,}, window_rows)), else its own noise outweighs the window's; "
            "pass more labelled rows or choose smaller windows")


def _frame(features, n: int):
    if features is None:
        return None
    import pandas as pd

    frame = features if isinstance(features, pd.DataFrame) else pd.DataFrame(features)
    if len(frame) != n:
        raise EstimationError(f"length mismatch: {n:,} rows of predictions but {len(frame):,} rows of features")
    return frame


def _bincount_into(agg: np.ndarray, window: np.ndarray, parts) -> None:
    """``agg[window[i], offset + index[i]] += weight[i]`` for each ``(offset, index, weight)`` part."""
    if len(window) == 0:
        return
    L = agg.shape[1]
    lo, hi = int(window.min()), int(window.max())
    if hi - lo < 256:
        base = (window - lo) * L
        span = hi - lo + 1
        flat = agg[lo:hi + 1].reshape(-1) if agg[lo:hi + 1].flags.c_contiguous else None
        out = np.zeros(span * L) if flat is None else None
        target = flat if flat is not None else out
        for offset, index, weight in parts:
            idx = base + offset + index
            target += np.bincount(idx, weights=weight, minlength=span * L)
        if out is not None:
            agg[lo:hi + 1] += out.reshape(span, L)
        return
    for offset, index, weight in parts:
        np.add.at(agg, (window, offset + index), 1.0 if weight is None else weight)


# -- metric maths ---------------------------------------------------------------------------------------


def _div(a, b):
    return a / b if b > 0 else None


def _confusion_metrics(tp, fn, n1, n0, v1, v0) -> dict:
    """Metrics and their variances from (expected or realized) TP and FN, the predicted-class counts
    n1 / n0 (known exactly), and the variances v1 / v0 of TP and FN."""
    n = n1 + n0
    out = {}
    out["accuracy"] = (_div(tp + n0 - fn, n), _div(v1 + v0, n * n))
    out["precision"] = (_div(tp, n1), _div(v1, n1 * n1))
    pos = tp + fn
    out["recall"] = (_div(tp, pos), _div(fn * fn * v1 + tp * tp * v0, pos ** 4))
    d = n1 + pos
    out["f1"] = (_div(2 * tp, d), _div(4 * (n1 + fn) ** 2 * v1 + 4 * tp * tp * v0, d ** 4))
    return out


def _auc(pos: np.ndarray, neg: np.ndarray):
    """Binned ROC AUC (bins in increasing score, ties counted half) and its Hanley–McNeil variance."""
    P, N = float(pos.sum()), float(neg.sum())
    if P <= 0 or N <= 0:
        return None, None
    below = np.cumsum(neg) - neg
    a = float((pos * (below + 0.5 * neg)).sum() / (P * N))
    q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
    var = (a * (1 - a) + max(P - 1, 0) * (q1 - a * a) + max(N - 1, 0) * (q2 - a * a)) / (P * N)
    return a, max(var, 0.0)


def _wilson(k: float, n: float, z: float = REALIZED_Z):
    if n <= 0:
        return None, None
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    return max(0.0, centre - half), min(1.0, centre + half)


def _finite(x):
    if x is None:
        return None
    x = float(x)
    return x if math.isfinite(x) else None


def _band(value, var, z=BAND_Z, lo=0.0, hi=1.0, gap=0.0):
    """value ± z·sqrt(var), widened on one side by ``gap`` (the signed distance to another estimate)."""
    if value is None or var is None:
        return {"value": _finite(value), "lower": None, "upper": None}
    half = z * math.sqrt(max(var, 0.0))
    return {"value": _finite(value), "lower": _finite(max(lo, value + min(gap, 0.0) - half)),
            "upper": _finite(min(hi, value + max(gap, 0.0) + half))}


def _jackknife(values: list) -> float:
    vals = [v for v in values if v is not None]
    k = len(vals)
    if k < 2:
        return 0.0
    mean = sum(vals) / k
    return (k - 1) / k * sum((v - mean) ** 2 for v in vals)


def _ece(p: np.ndarray, y: np.ndarray, bins: int = ECE_BINS) -> float:
    order = np.argsort(p, kind="stable")
    total = 0.0
    for part in np.array_split(order, bins):
        if len(part):
            total += len(part) * abs(float(y[part].mean()) - float(p[part].mean()))
    return total / len(p)


@dataclass
class WindowSummary:
    """One window (or a sum of windows): the per-window ``metrics`` of the monitor payload, alerts, warnings."""

    predictions: int
    labels: int
    metrics: dict
    alerts: list = field(default_factory=list)
    warnings: list = field(default_factory=list)

    @property
    def coverage(self) -> Optional[float]:
        return self.labels / self.predictions if self.predictions else None

    @property
    def alert(self) -> bool:
        return any(a["kind"] == "performance" for a in self.alerts)

    @property
    def concept_drift(self) -> bool:
        return any(a["kind"] == "concept_drift" for a in self.alerts)

    def to_json(self) -> dict:
        return {"predictions": int(self.predictions), "labels": int(self.labels), "coverage": _finite(self.coverage),
                "metrics": self.metrics, "alerts": list(self.alerts), "warnings": list(self.warnings)}


def _threshold_of(ref_value, per_row_var, n_ref, n, z=THRESHOLD_Z, side="lower", lo=0.0, hi=1.0):
    if ref_value is None or per_row_var is None or n <= 0:
        return {"lower": None, "upper": None}
    half = z * math.sqrt(per_row_var * (1.0 / max(n_ref, 1) + 1.0 / n))
    if side == "lower":
        return {"lower": _finite(max(lo, ref_value - half)), "upper": None}
    return {"lower": None, "upper": _finite(min(hi, ref_value + half))}


# -- classification -----------------------------------------------------------------------------------


class _Encoder:
    """Features -> a numeric matrix for the bucket tree, and the rows outside the reference's support."""

    def __init__(self, frame, y):
        import pandas as pd

        self.columns = list(frame.columns)
        self.kinds, self.maps, self.ranges = {}, {}, {}
        for name in self.columns:
            col = frame[name]
            if pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col):
                values = col.to_numpy(dtype=np.float64, na_value=np.nan)
                finite = values[np.isfinite(values)]
                self.kinds[name] = "numeric"
                self.ranges[name] = (float(finite.min()), float(finite.max())) if len(finite) else (0.0, 0.0)
            else:
                values = col.astype(object).where(col.notna(), "(missing)").astype(str).to_numpy()
                cats, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
                top = np.argsort(-counts, kind="stable")[:TOP_CATEGORIES]
                rate = np.bincount(inverse, weights=y, minlength=len(cats)) / np.maximum(counts, 1)
                other = np.setdiff1d(np.arange(len(cats)), top)
                other_rate = (float((rate[other] * counts[other]).sum() / counts[other].sum())
                              if len(other) else float(y.mean()))
                # code: the rank of the category's rate of y among the top ones and "other"
                groups = list(cats[top]) + ["(other)"]
                rates = np.append(rate[top], other_rate)
                rank = np.empty(len(groups))
                rank[np.argsort(rates, kind="stable")] = np.arange(len(groups))
                self.kinds[name] = "categorical"
                self.maps[name] = (pd.Index(list(cats[top])), rank, pd.Index(cats.tolist()))

    def transform(self, frame, first=None):
        """(X float32 C-contiguous, outside bool); with ``first``, that column comes before the features."""
        import pandas as pd

        n = len(frame)
        lead = 0 if first is None else 1
        X = np.empty((n, len(self.columns) + lead), dtype=np.float32)
        if first is not None:
            X[:, 0] = first
        outside = np.zeros(n, dtype=bool)
        missing = [c for c in self.columns if c not in frame.columns]
        if missing:
            raise EstimationError(f"features are missing column(s) {', '.join(map(str, missing))} that the "
                                  f"reference had ({', '.join(map(str, self.columns))}); pass the same columns")
        for j, name in enumerate(self.columns, start=lead):
            col = frame[name]
            if self.kinds[name] == "numeric":
                if not (pd.api.types.is_bool_dtype(col) or pd.api.types.is_numeric_dtype(col)):
                    raise EstimationError(f"feature {name!r} was numeric in the reference but is {col.dtype} here")
                v = col.to_numpy(dtype=np.float64, na_value=np.nan)
                lo, hi = self.ranges[name]
                outside |= (v < lo) | (v > hi)
                X[:, j] = v
            else:
                top, rank, seen_index = self.maps[name]
                codes, uniques = pd.factorize(col, use_na_sentinel=False)  # hashing: ~1 ms per 100k rows
                uniq = np.asarray(uniques, dtype=object)
                uniq = np.where(pd.isna(uniq), "(missing)", uniq).astype(str).astype(object)
                pos = top.get_indexer(uniq)
                code_of = np.where(pos >= 0, rank[np.maximum(pos, 0)], rank[-1])
                unseen = seen_index.get_indexer(uniq) < 0
                X[:, j] = code_of[codes]
                if unseen.any():
                    outside |= unseen[codes]
        return X, outside


class ClassifierReference:
    """A binary classifier's reference: calibrators, buckets, thresholds, and the aggregate layout."""

    kind = "classification"
    metrics = CLASSIFICATION_METRICS
    estimators = ("cbpe", "iw")

    # -- fitting -------------------------------------------------------------------------------------

    @classmethod
    def fit(cls, proba, y_true, features=None, window_rows: int = 10_000, seed: int = 0,
            threshold: float = 0.5) -> "ClassifierReference":
        from sklearn.isotonic import IsotonicRegression
        from sklearn.model_selection import StratifiedKFold
        from sklearn.tree import DecisionTreeClassifier

        p = _probabilities(proba)
        y = _labels(y_true, len(p))
        frame = _frame(features, len(p))
        if not (0 < float(threshold) < 1):
            raise EstimationError(f"threshold must be strictly between 0 and 1; got {threshold!r}")
        n = len(p)
        positives = int(y.sum())
        if positives == 0 or positives == n:
            only = 1 if positives else 0
            raise EstimationError(f"the reference has a single class (every one of its {n:,} labels is {only}): "
                                  "no performance can be estimated from it; pass a reference with both classes")
        _check_reference_rows(n, window_rows)
        if min(positives, n - positives) < 2 * FOLDS:
            raise EstimationError(f"the reference has only {min(positives, n - positives)} row(s) of its rarer "
                                  f"class; it needs at least {2 * FOLDS} to cross-fit the calibration")
        self = cls.__new__(cls)
        self.threshold = float(threshold)
        self.window_rows = int(window_rows)
        self.n_ref = n
        self.seed = int(seed)
        rng = np.random.default_rng(seed)

        # Score bins: unions of grid cells at reference quantiles, the decision threshold one of the edges.
        self.t_cell = int(math.ceil(self.threshold * CELLS - 1e-9))  # pred = 1 from this cell on
        qs = np.rint(np.quantile(p, np.linspace(0, 1, SCORE_BINS + 1)[1:-1]) * CELLS).astype(np.int64)
        self.starts = np.unique(np.append(qs[(qs > 0) & (qs < CELLS)], self.t_cell))  # cells where a bin starts
        self.B = len(self.starts) + 1

        # Cross-fitted isotonic calibration.
        folds = StratifiedKFold(FOLDS, shuffle=True, random_state=int(rng.integers(1 << 31)))
        oof = np.empty(n)
        fold_cal = []
        for k, (train, test) in enumerate(folds.split(p, y)):
            iso = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p[train], y[train])
            fold_cal.append((iso.X_thresholds_.copy(), iso.y_thresholds_.copy()))
            oof[test] = np.interp(p[test], *fold_cal[-1])
        full = IsotonicRegression(y_min=0.0, y_max=1.0, out_of_bounds="clip").fit(p, y)
        self.ece_before = _ece(p, y)
        self.ece_after = _ece(oof, y)
        self.calibrated = bool(self.ece_after < self.ece_before)
        self.calibrators = [(full.X_thresholds_.copy(), full.y_thresholds_.copy())] + fold_cal if self.calibrated \
            else None
        self._derive()
        # Honest reference p: each row calibrated by the fold calibrator that did not see it.
        ref_p = oof if self.calibrated else self.tables[0][self._cells(p)]

        # Reference realized metrics, per-row variances (thresholds), cross-fitted CBPE on the reference.
        bins = self._bins(p)
        pred = bins >= self.bt
        self._ref_bins = {"n": np.bincount(bins, minlength=self.B).astype(float),
                          "y": np.bincount(bins, weights=y, minlength=self.B)}
        self.reference_realized = self._realized(self._ref_bins["n"], self._ref_bins["y"])
        self.per_row_var = self._per_row_variances(self._ref_bins["n"], self._ref_bins["y"])
        self.thresholds = {m: _threshold_of(v, self.per_row_var.get(m), n, self.window_rows)
                           for m, (v, _var) in self.reference_realized.items()}
        self.reference_cbpe = {}
        tp, fn = float(ref_p[pred].sum()), float(ref_p[~pred].sum())
        n1 = float(pred.sum())
        for m, (v, _var) in _confusion_metrics(tp, fn, n1, n - n1, 0.0, 0.0).items():
            self.reference_cbpe[m] = v
        sp = np.bincount(bins, weights=ref_p, minlength=self.B)
        self.reference_cbpe["roc_auc"] = _auc(sp, self._ref_bins["n"] - sp)[0]

        # Importance-weighting buckets: a tree on half A, rates on held-out half B.
        order = rng.permutation(n)
        half_a, half_b = order[: n // 2], order[n // 2:]
        self.encoder = _Encoder(frame.iloc[half_a], y[half_a]) if frame is not None else None
        X = self._tree_input(p, frame)
        leaf_min = max(50, len(half_a) // (4 * TREE_LEAVES))
        tree = DecisionTreeClassifier(max_leaf_nodes=TREE_LEAVES, min_samples_leaf=leaf_min,
                                      random_state=int(rng.integers(1 << 31)))
        tree.fit(X[half_a], y[half_a])
        self.tree = tree
        leaves = np.flatnonzero(tree.tree_.children_left == -1)
        self.leaf_index = np.full(tree.tree_.node_count, -1, dtype=np.int16)
        self.leaf_index[leaves] = np.arange(len(leaves))
        self.G = 2 * len(leaves)  # bucket = leaf * 2 + predicted class; G and G + 1: outside the support
        self.n_buckets = self.G + 2
        outside = self._outside(frame)
        bucket = self._buckets(X, pred, outside)
        b_b = bucket[half_b]
        self.bucket_rows = np.bincount(b_b, minlength=self.n_buckets).astype(float)
        self.bucket_pos = np.bincount(b_b, weights=y[half_b], minlength=self.n_buckets)
        self.bucket_rows[self.G:] = 0  # outside the support: no reference rows by definition
        self.bucket_pos[self.G:] = 0
        self.supported = self.bucket_rows >= MIN_BUCKET_ROWS
        self.bucket_rate = np.where(self.supported, self.bucket_pos / np.maximum(self.bucket_rows, 1), 0.0)
        # Per bucket x score bin, the held-out positives and negatives (IW ROC AUC).
        cell = b_b.astype(np.int64) * self.B + bins[half_b]
        self.bucket_bin_pos = np.bincount(cell, weights=y[half_b], minlength=self.n_buckets * self.B).reshape(
            self.n_buckets, self.B)
        self.bucket_bin_neg = np.bincount(cell, minlength=self.n_buckets * self.B).reshape(
            self.n_buckets, self.B) - self.bucket_bin_pos
        counts = np.bincount(bucket, minlength=self.n_buckets).astype(float)
        self.reference_iw = self._iw_metrics(counts, self._pred_group_p(bucket, ref_p))
        self.reference_extrapolation = float(counts[~self.supported].sum() / n)
        self._layout()
        return self

    def _derive(self):
        """The lookup tables over score cells (rebuilt on load rather than saved: 3 MB)."""
        self.cell_bin = np.searchsorted(self.starts, np.arange(CELLS), side="right").astype(np.int64)
        self.bt = int(self.cell_bin[self.t_cell])  # bins >= bt predict 1
        centres = (np.arange(CELLS) + 0.5) / CELLS
        if self.calibrators is not None:  # (K + 1, CELLS): the full calibrator, then the fold calibrators
            self.tables = np.stack([np.interp(centres, x, v) for x, v in self.calibrators])
        else:
            self.tables = np.tile(centres, (FOLDS + 1, 1))

    def __getstate__(self):
        state = dict(self.__dict__)
        for name in ("cell_bin", "tables"):
            state.pop(name, None)
        return state

    def _tree_input(self, p, frame):
        if frame is None:
            return np.ascontiguousarray(p, dtype=np.float32)[:, None]
        X, _ = self.encoder.transform(frame, first=p)
        return X

    def _outside(self, frame):
        if frame is None or self.encoder is None:
            return None
        return self.encoder.transform(frame)[1]

    def _buckets(self, X, pred, outside):
        leaf = self.leaf_index[self.tree.tree_.apply(np.ascontiguousarray(X, dtype=np.float32))]
        bucket = leaf.astype(np.int16) * 2 + pred.astype(np.int16)
        if outside is not None and outside.any():
            bucket[outside] = self.G + pred[outside].astype(np.int16)
        return bucket

    def _pred_group_p(self, bucket, p):
        return {"p": np.bincount(bucket, weights=p, minlength=self.n_buckets),
                "pq": np.bincount(bucket, weights=p * (1 - p), minlength=self.n_buckets)}

    def _layout(self):
        B, K1, NB = self.B, FOLDS + 1, self.n_buckets
        parts = [("n", B), ("sp", K1 * B), ("spq", B),  # all rows: counts, sum p per calibrator, sum p(1-p)
                 ("ln", B), ("ly", B), ("lp", B), ("lpq", B), ("lpf", K1 * 2),  # labelled rows
                 ("bn", NB), ("bp", NB), ("bpq", NB)]  # IW buckets: counts, sum p, sum p(1-p) (extrapolation)
        self.offsets, at = {}, 0
        for name, size in parts:
            self.offsets[name] = (at, size)
            at += size
        self.aggregate_length = at

    # -- per-row state and aggregates ------------------------------------------------------------------

    @staticmethod
    def _cells(score):
        return np.minimum((np.asarray(score, dtype=np.float64) * CELLS).astype(np.int64), CELLS - 1)

    def _bins(self, score):
        return self.cell_bin[self._cells(score)]

    def row_state(self, proba, features=None) -> dict:
        p = _probabilities(proba)
        frame = _frame(features, len(p))
        score = p.astype(np.float32)
        pred = (self._cells(score) >= self.t_cell).astype(np.int8)
        if self.encoder is not None and frame is None:
            raise EstimationError("the reference was fitted with features, so row_state needs them too: pass the "
                                  f"same columns ({', '.join(map(str, self.encoder.columns))})")
        outside = None
        if self.encoder is not None:
            X, outside = self.encoder.transform(frame, first=score)
        else:
            X = score[:, None]
        bucket = self._buckets(X, pred.astype(bool), outside)
        return {"score": score, "pred": pred, "bucket": bucket}

    def _state(self, state, n=None):
        try:
            score = np.asarray(state["score"], dtype=np.float64)
            bucket = np.asarray(state["bucket"]).astype(np.int64)
        except KeyError as exc:
            raise EstimationError(f"row state is missing {exc}: pass the dict row_state returned") from None
        if n is not None and len(score) != n:
            raise EstimationError(f"length mismatch: {n:,} rows but a state of {len(score):,}")
        return score, bucket

    def add_predictions(self, agg: np.ndarray, window, state: dict) -> None:
        score, bucket = self._state(state)
        n = len(score)
        w = _windows(window, n, agg.shape[0])
        self._check_agg(agg)
        cells = self._cells(score)
        bins = self.cell_bin[cells]
        o = self.offsets
        p0 = self.tables[0][cells]
        pq = p0 * (1 - p0)
        parts = [(o["n"][0], bins, None), (o["sp"][0], bins, p0), (o["spq"][0], bins, pq),
                 (o["bn"][0], bucket, None), (o["bp"][0], bucket, p0), (o["bpq"][0], bucket, pq)]
        for k in range(1, FOLDS + 1):
            parts.append((o["sp"][0] + k * self.B, bins, self.tables[k][cells]))
        _bincount_into(agg, w, parts)

    def add_labels(self, agg: np.ndarray, window, state: dict, y_true) -> None:
        score, _bucket = self._state(state)
        n = len(score)
        y = _labels(y_true, n)
        w = _windows(window, n, agg.shape[0])
        self._check_agg(agg)
        cells = self._cells(score)
        bins = self.cell_bin[cells]
        pred = (bins >= self.bt).astype(np.int64)
        o = self.offsets
        p0 = self.tables[0][cells]
        parts = [(o["ln"][0], bins, None), (o["ly"][0], bins, y.astype(np.float64)), (o["lp"][0], bins, p0),
                 (o["lpq"][0], bins, p0 * (1 - p0)), (o["lpf"][0], pred, p0)]
        for k in range(1, FOLDS + 1):
            parts.append((o["lpf"][0] + 2 * k, pred, self.tables[k][cells]))
        _bincount_into(agg, w, parts)

    def _check_agg(self, agg):
        if not isinstance(agg, np.ndarray) or agg.ndim != 2 or agg.shape[1] != self.aggregate_length \
                or agg.dtype != np.float64:
            raise EstimationError(f"the aggregate must be a float64 array of shape (windows, "
                                  f"{self.aggregate_length}); got {getattr(agg, 'shape', None)} "
                                  f"{getattr(agg, 'dtype', None)}")

    def _get(self, row, name):
        at, size = self.offsets[name]
        return row[at:at + size]

    # -- the pieces of a summary ---------------------------------------------------------------------

    def _realized(self, n_b, y_b) -> dict:
        bt = self.bt
        n1, n0 = float(n_b[bt:].sum()), float(n_b[:bt].sum())
        tp, fn = float(y_b[bt:].sum()), float(y_b[:bt].sum())
        out = {m: (v, None) for m, (v, _) in _confusion_metrics(tp, fn, n1, n0, 0.0, 0.0).items()}
        out["roc_auc"] = _auc(y_b, n_b - y_b)
        return out

    def _per_row_variances(self, n_b, y_b) -> dict:
        """Per-row variance of each realized metric at the reference's composition (multinomial, delta method)."""
        bt = self.bt
        n = float(n_b.sum())
        f = np.array([y_b[bt:].sum(), n_b[bt:].sum() - y_b[bt:].sum(), y_b[:bt].sum(),
                      n_b[:bt].sum() - y_b[:bt].sum()]) / n  # tp, fp, fn, tn shares
        cov = np.diag(f) - np.outer(f, f)
        tp, fp, fn, tn = f
        grads = {"accuracy": np.array([1, 0, 0, 1.0])}
        if tp + fp > 0:
            grads["precision"] = np.array([fp, -tp, 0, 0]) / (tp + fp) ** 2
        if tp + fn > 0:
            grads["recall"] = np.array([fn, 0, -tp, 0]) / (tp + fn) ** 2
        d = 2 * tp + fp + fn
        if d > 0:
            grads["f1"] = np.array([2 * (fp + fn), -2 * tp, -2 * tp, 0]) / d ** 2
        out = {m: float(g @ cov @ g) for m, g in grads.items()}
        a, _ = _auc(y_b, n_b - y_b)
        pi = float(y_b.sum() / n)
        if a is not None:
            q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
            out["roc_auc"] = float(((q1 - a * a) / (1 - pi) + (q2 - a * a) / pi))
        return out

    def _cbpe(self, n_b, sp, spq):
        """CBPE metrics: (value, variance) with the Poisson-binomial and calibrator variances."""
        bt = self.bt
        n1, n0 = float(n_b[bt:].sum()), float(n_b[:bt].sum())
        v1, v0 = float(spq[bt:].sum()), float(spq[:bt].sum())
        base = _confusion_metrics(float(sp[0, bt:].sum()), float(sp[0, :bt].sum()), n1, n0, v1, v0)
        base["roc_auc"] = _auc(sp[0], n_b - sp[0])
        out = {}
        for m in CLASSIFICATION_METRICS:
            value, var = base[m]
            if value is None:
                out[m] = (None, None, 0.0)
                continue
            cal = 0.0
            if self.calibrators is not None:
                folds = []
                for k in range(1, FOLDS + 1):
                    if m == "roc_auc":
                        folds.append(_auc(sp[k], n_b - sp[k])[0])
                    else:
                        folds.append(_confusion_metrics(float(sp[k, bt:].sum()), float(sp[k, :bt].sum()),
                                                        n1, n0, 0, 0)[m][0])
                cal = _jackknife(folds)
            out[m] = (value, (var or 0.0) + cal, cal)
        return out

    def _iw_metrics(self, counts, pg):
        """IW metrics (value, variance) and the extra figures from the window's bucket counts."""
        sup = self.supported
        pred1 = (np.arange(self.n_buckets) % 2) == 1
        rate, m = self.bucket_rate, np.maximum(self.bucket_rows, 1)
        c = counts
        # supported buckets: rows x held-out rate; extrapolated rows: their calibrated p
        exp_pos = np.where(sup, c * rate, pg["p"])
        var_pos = np.where(sup, c * rate * (1 - rate) + c * c * rate * (1 - rate) / m, pg["pq"])
        n1, n0 = float(c[pred1].sum()), float(c[~pred1].sum())
        tp, fn = float(exp_pos[pred1].sum()), float(exp_pos[~pred1].sum())
        v1, v0 = float(var_pos[pred1].sum()), float(var_pos[~pred1].sum())
        out = {m_: v for m_, v in _confusion_metrics(tp, fn, n1, n0, v1, v0).items()}
        # AUC: held-out rows re-weighted by window count / held-out count of their bucket
        weight = np.where(sup, c / m, 0.0)
        pos = weight @ self.bucket_bin_pos
        neg = weight @ self.bucket_bin_neg
        a, _ = _auc(pos, neg)
        total = float(c.sum())
        sw2 = float((np.where(sup, c * c / m, 0.0)).sum())
        supported_rows = float(c[sup].sum())
        ess = supported_rows ** 2 / sw2 if sw2 > 0 else 0.0
        if a is not None:
            # Hanley–McNeil at the window's size (its outcome noise) plus the same at the held-out rows'
            # effective size (the re-weighted rates' own noise): var · (1 + n / ess)
            P, N = max(tp + fn, 1e-9), max(total - tp - fn, 1e-9)
            q1, q2 = a / (2 - a), 2 * a * a / (1 + a)
            var = (a * (1 - a) + (P - 1) * (q1 - a * a) + (N - 1) * (q2 - a * a)) / (P * N)
            var *= 1 + (supported_rows / ess if ess > 0 else 1.0)
            out["roc_auc"] = (a, max(var, 0.0))
        else:
            out["roc_auc"] = (None, None)
        extrap = float(c[~sup].sum() / total) if total > 0 else 0.0
        out["_extra"] = {"ess": ess, "extrapolation": extrap}
        return out

    # -- summaries -------------------------------------------------------------------------------------

    def summarize(self, agg_row) -> WindowSummary:
        row = np.asarray(agg_row, dtype=np.float64)
        if row.shape != (self.aggregate_length,):
            raise EstimationError(f"an aggregate row has {self.aggregate_length} values; got shape {row.shape}")
        B = self.B
        n_b = self._get(row, "n")
        total = float(n_b.sum())
        ln = self._get(row, "ln")
        labels = float(ln.sum())
        metrics, alerts, warnings = {}, [], []
        if total <= 0:
            for m in CLASSIFICATION_METRICS:
                metrics[m] = {"cbpe": None, "iw": None, "realized": None, "threshold": {"lower": None, "upper": None},
                              "alert": False, "concept_drift": False}
            return WindowSummary(0, int(round(labels)), metrics, alerts, warnings)
        sp = self._get(row, "sp").reshape(FOLDS + 1, B)
        cbpe = self._cbpe(n_b, sp, self._get(row, "spq"))
        iw = self._iw_metrics(self._get(row, "bn"), {"p": self._get(row, "bp"), "pq": self._get(row, "bpq")})
        extra = iw.pop("_extra")
        reliable = extra["extrapolation"] <= EXTRAPOLATION_SHARE
        # labelled rows
        ly, lp, lpq = self._get(row, "ly"), self._get(row, "lp"), self._get(row, "lpq")
        lpf = self._get(row, "lpf").reshape(FOLDS + 1, 2)
        realized = self._realized(ln, ly) if labels > 0 else None
        labelled_cbpe = self._labelled_cbpe(ln, lp, lpq, lpf, cbpe) if labels >= MIN_LABELS else None
        for m in CLASSIFICATION_METRICS:
            value, var, _cal = cbpe[m]
            iv, ivar = iw[m]
            # CBPE assumes P(y | score) is the reference's; the importance-weighted estimate conditions on the
            # features too. Where they disagree the band reaches the other estimate (when that one is reliable).
            gap = (iv - value) if (reliable and iv is not None and value is not None) else 0.0
            cb = _band(value, var, gap=gap)
            ib = _band(iv, ivar)
            ib.update({"ess": _finite(extra["ess"]), "extrapolation": _finite(extra["extrapolation"]),
                       "reliable": bool(reliable)})
            thr = _threshold_of(self.reference_realized[m][0], self.per_row_var.get(m), self.n_ref, total)
            entry = {"cbpe": cb, "iw": ib, "realized": None, "threshold": thr, "alert": False, "concept_drift": False}
            if realized is not None:
                entry["realized"] = self._realized_entry(m, realized[m], ln, ly)
            low = thr["lower"]
            if low is not None and cb["upper"] is not None and cb["upper"] < low:
                entry["alert"] = True
                alerts.append({"kind": "performance", "metric": m,
                               "message": f"estimated {m} {cb['value']:.3f} (band {cb['lower']:.3f}–{cb['upper']:.3f}) "
                                          f"is below the threshold {low:.3f} for {int(total):,} rows"})
            elif (low is not None and labels >= MIN_LABELS and entry["realized"] is not None
                  and entry["realized"]["upper"] is not None and entry["realized"]["upper"] < low):
                entry["alert"] = True
                r = entry["realized"]
                alerts.append({"kind": "performance", "metric": m,
                               "message": f"realized {m} {r['value']:.3f} (interval {r['lower']:.3f}–{r['upper']:.3f}, "
                                          f"{int(labels):,} labels) is below the threshold {low:.3f}"})
            if labelled_cbpe is not None and realized is not None:
                rv = realized[m][0]
                ev, evar = labelled_cbpe[m]
                if rv is not None and ev is not None and evar is not None:
                    half = BAND_Z * math.sqrt(max(evar, 0.0))
                    if rv < ev + min(gap, 0.0) - half or rv > ev + max(gap, 0.0) + half:
                        entry["concept_drift"] = True
                        alerts.append({"kind": "concept_drift", "metric": m, "message": CONCEPT_DRIFT_MESSAGE})
            metrics[m] = entry
        if not reliable:
            warnings.append({"kind": "extrapolation", "metric": None, "message": (
                f"{extra['extrapolation']:.0%} of the rows are in regions the reference barely covers (buckets with "
                f"fewer than {MIN_BUCKET_ROWS} held-out reference rows, or values outside the reference's range): the "
                f"importance-weighted estimate is unreliable above {EXTRAPOLATION_SHARE:.0%}, and CBPE rests on "
                "calibration there")})
        if 0 < labels < MIN_LABELS:
            warnings.append({"kind": "few_labels", "metric": None, "message": (
                f"{int(labels):,} label(s) so far: realized values are shown, but estimate and realized are compared "
                f"from {MIN_LABELS} labels on")})
        bias = self._label_bias(n_b, ln) if 0 < labels < total else None
        if bias:
            warnings.append({"kind": "label_bias", "metric": None, "message": bias})
        return WindowSummary(int(round(total)), int(round(labels)), metrics, alerts, warnings)

    def _labelled_cbpe(self, ln, lp, lpq, lpf, cbpe):
        bt = self.bt
        n1, n0 = float(ln[bt:].sum()), float(ln[:bt].sum())
        v1, v0 = float(lpq[bt:].sum()), float(lpq[:bt].sum())
        base = _confusion_metrics(float(lp[bt:].sum()), float(lp[:bt].sum()), n1, n0, v1, v0)
        base["roc_auc"] = _auc(lp, ln - lp)
        out = {}
        for m in CLASSIFICATION_METRICS:
            value, var = base[m]
            if value is None:
                out[m] = (None, None)
                continue
            cal = 0.0
            if self.calibrators is not None:
                if m == "roc_auc":
                    cal = cbpe[m][2]  # the window's calibrator spread (the labelled rows keep no fold histograms)
                else:
                    cal = _jackknife([_confusion_metrics(float(lpf[k, 1]), float(lpf[k, 0]), n1, n0, 0, 0)[m][0]
                                      for k in range(1, FOLDS + 1)])
            out[m] = (value, (var or 0.0) + cal)
        return out

    def _realized_entry(self, m, value_var, ln, ly):
        value, _ = value_var
        labels = int(round(float(ln.sum())))
        if value is None:
            return {"value": None, "lower": None, "upper": None, "labels": labels}
        bt = self.bt
        tp, fn = float(ly[bt:].sum()), float(ly[:bt].sum())
        n1, n0 = float(ln[bt:].sum()), float(ln[:bt].sum())
        if m == "accuracy":
            lo, hi = _wilson(tp + n0 - fn, n1 + n0)
        elif m == "precision":
            lo, hi = _wilson(tp, n1)
        elif m == "recall":
            lo, hi = _wilson(tp, tp + fn)
        elif m == "f1":
            v1, v0 = tp * (1 - tp / n1) if n1 else 0.0, fn * (1 - fn / n0) if n0 else 0.0
            var = _confusion_metrics(tp, fn, n1, n0, v1, v0)["f1"][1] or 0.0
            b = _band(value, var, REALIZED_Z)
            lo, hi = b["lower"], b["upper"]
        else:
            _, var = _auc(ly, ln - ly)
            b = _band(value, var, REALIZED_Z)
            lo, hi = b["lower"], b["upper"]
        return {"value": _finite(value), "lower": _finite(lo), "upper": _finite(hi), "labels": labels}

    def _label_bias(self, n_b, ln):
        """A message when the labelled rows' scores differ from the unlabelled rows' (or None)."""
        from scipy.special import chdtrc

        groups = np.minimum(np.arange(self.B) * BIAS_GROUPS // self.B, BIAS_GROUPS - 1)
        lab = np.bincount(groups, weights=ln, minlength=BIAS_GROUPS)
        unl = np.bincount(groups, weights=n_b - ln, minlength=BIAS_GROUPS)
        keep = (lab + unl) > 0
        lab, unl = lab[keep], unl[keep]
        L, U = lab.sum(), unl.sum()
        if L < MIN_LABELS or U < MIN_LABELS or len(lab) < 2:
            return None
        col = lab + unl
        e_l, e_u = col * L / (L + U), col * U / (L + U)
        chi2 = float(((lab - e_l) ** 2 / np.maximum(e_l, 1e-12)).sum()
                     + ((unl - e_u) ** 2 / np.maximum(e_u, 1e-12)).sum())
        p = float(chdtrc(len(lab) - 1, chi2))
        tv = 0.5 * float(np.abs(lab / L - unl / U).sum())
        if p < BIAS_P and tv > BIAS_MIN_TV:
            return (f"the {int(L):,} labelled rows are not a random sample of the window: their scores differ from "
                    f"the unlabelled rows' (total variation {tv:.2f}, chi² p = {p:.1g}); the realized values describe "
                    "the labelled rows, not the window")
        return None

    # -- the reference and persistence -----------------------------------------------------------------

    def reference_summary(self) -> dict:
        metrics = {}
        for m in CLASSIFICATION_METRICS:
            metrics[m] = {"realized": _finite(self.reference_realized[m][0]), "cbpe": _finite(self.reference_cbpe.get(m)),
                          "iw": _finite(self.reference_iw[m][0]), "threshold": self.thresholds[m]}
        return {"rows": int(self.n_ref), "calibrated": bool(self.calibrated), "ece_before": _finite(self.ece_before),
                "ece_after": _finite(self.ece_after), "threshold": self.t_cell / CELLS, "window_rows": self.window_rows,
                "buckets": int(self.supported.sum()), "extrapolation": _finite(self.reference_extrapolation),
                "metrics": metrics}

    def to_bytes(self) -> bytes:
        buf = io.BytesIO()
        pickle.dump({"format": FORMAT, "kind": self.kind, "state": self.__getstate__()}, buf,
                    protocol=pickle.HIGHEST_PROTOCOL)
        return buf.getvalue()

    @classmethod
    def from_bytes(cls, data: bytes):
        try:
            obj = pickle.loads(data)
        except Exception as exc:  # noqa: BLE001
            raise EstimationError(f"these bytes are not a saved reference ({exc}); save one with to_bytes()") from None
        if not isinstance(obj, dict) or obj.get("kind") != cls.kind:
            raise EstimationError(f"these bytes are not a saved {cls.__name__}")
        if obj.get("format") != FORMAT:
            raise EstimationError(f"a reference saved in format {obj.get('format')}, this version reads {FORMAT}: "
                                  "fit the reference again")
        self = cls.__new__(cls)
        self.__dict__.update(obj["state"])
        if hasattr(self, "_derive"):
            self._derive()
        return self


# -- regression -----------------------------------------------------------------------------------------


class RegressorReference:
    """A regressor's reference: DLE-style loss models of |error| and error², cross-fitted."""

    kind = "regression"
    metrics = REGRESSION_METRICS
    estimators = ("dle",)

    @classmethod
    def fit(cls, y_pred, y_true, features=None, window_rows: int = 10_000, seed: int = 0) -> "RegressorReference":
        from sklearn.tree import DecisionTreeRegressor
        from sklearn.model_selection import KFold

        yp = np.asarray(y_pred, dtype=np.float64)
        if yp.ndim != 1:
            raise EstimationError(f"y_pred must be one prediction per row; got shape {yp.shape}")
        yt = np.asarray(y_true, dtype=np.float64)
        if len(yt) != len(yp):
            raise EstimationError(f"length mismatch: {len(yp):,} predictions but {len(yt):,} labels in y_true")
        for what, v in (("y_pred", yp), ("y_true", yt)):
            bad = ~np.isfinite(v)
            if bad.any():
                raise EstimationError(f"{what} has {int(bad.sum()):,} NaN or infinite value(s), first at row "
                                      f"{int(np.flatnonzero(bad)[0])}: drop or impute those rows")
        n = len(yp)
        frame = _frame(features, n)
        _check_reference_rows(n, window_rows)
        self = cls.__new__(cls)
        self.window_rows, self.n_ref, self.seed = int(window_rows), n, int(seed)
        rng = np.random.default_rng(seed)
        err = yt - yp
        self.encoder = _Encoder(frame, np.abs(err)) if frame is not None else None
        X = self._input(yp, frame)
        folds = KFold(FOLDS, shuffle=True, random_state=int(rng.integers(1 << 31)))
        oof_a, oof_s = np.empty(n), np.empty(n)
        # One tree predicts both losses: row_state is a single lookup per row (a boosted model per loss
        # cost ~70 ms per 100,000 rows each, and logging must keep up with a million predictions a second).
        params = dict(max_leaf_nodes=LOSS_LEAVES, min_samples_leaf=max(50, n // (4 * LOSS_LEAVES)),
                      random_state=int(rng.integers(1 << 31)))
        losses = np.column_stack([np.abs(err), err ** 2])
        for train, test in folds.split(X):
            model = DecisionTreeRegressor(**params).fit(X[train], losses[train])
            both = np.maximum(model.predict(X[test]), 0)
            oof_a[test], oof_s[test] = both[:, 0], both[:, 1]
        self.loss_model = DecisionTreeRegressor(**params).fit(X, losses)
        # residual variances of the losses around their predictions (per row), from the held-out predictions
        self.var_abs = float(np.mean((np.abs(err) - oof_a) ** 2))
        self.var_sq = float(np.mean((err ** 2 - oof_s) ** 2))
        # the loss models' own error: the held-out mean bias's variance (the models are refit on all rows)
        self.bias_var_abs = float(np.var(np.abs(err) - oof_a) / n)
        self.bias_var_sq = float(np.var(err ** 2 - oof_s) / n)
        self.reference_realized = {"mae": float(np.mean(np.abs(err))), "rmse": float(np.sqrt(np.mean(err ** 2)))}
        self.reference_dle = {"mae": float(oof_a.mean()), "rmse": float(np.sqrt(oof_s.mean()))}
        mse = float(np.mean(err ** 2))
        self.per_row_var = {"mae": float(np.var(np.abs(err))),
                            "rmse": float(np.var(err ** 2) / (4 * mse)) if mse > 0 else 0.0}
        self.thresholds = {m: _threshold_of(v, self.per_row_var[m], n, self.window_rows, side="upper", hi=math.inf)
                           for m, v in self.reference_realized.items()}
        # extrapolation buckets: deciles of the predicted absolute loss; the last bucket: outside the support
        hat = np.maximum(self.loss_model.predict(X)[:, 0], 0)
        self.loss_edges = np.unique(np.quantile(hat, np.linspace(0, 1, 11)[1:-1]))
        self.n_buckets = len(self.loss_edges) + 2
        self.offsets, at = {}, 0
        for name, size in (("n", 1), ("a", 1), ("s", 1), ("a2", 1), ("bn", self.n_buckets),
                           ("m", 1), ("ea", 1), ("es", 1), ("es2", 1), ("la", 1), ("ls", 1)):
            self.offsets[name] = (at, size)
            at += size
        self.aggregate_length = at
        return self

    def _input(self, yp, frame):
        cols = [yp.astype(np.float32)[:, None]]
        if frame is not None:
            cols.append(self.encoder.transform(frame)[0])
        return np.hstack(cols)

    def row_state(self, y_pred, features=None) -> dict:
        yp = np.asarray(y_pred, dtype=np.float64)
        bad = ~np.isfinite(yp)
        if bad.any():
            raise EstimationError(f"y_pred has {int(bad.sum()):,} NaN or infinite value(s), first at row "
                                  f"{int(np.flatnonzero(bad)[0])}: drop or impute those rows")
        frame = _frame(features, len(yp))
        if self.encoder is not None and frame is None:
            raise EstimationError("the reference was fitted with features, so row_state needs them too")
        cols = [yp.astype(np.float32)[:, None]]
        outside = None
        if frame is not None:
            encoded, outside = self.encoder.transform(frame)
            cols.append(encoded)
        both = np.maximum(self.loss_model.predict(np.hstack(cols)), 0).astype(np.float32)
        a, s = both[:, 0], both[:, 1]
        bucket = np.searchsorted(self.loss_edges, a).astype(np.int16)
        if outside is not None:
            bucket[outside] = self.n_buckets - 1
        return {"pred": yp.astype(np.float32), "abs_loss_hat": a, "sq_loss_hat": s, "bucket": bucket}

    def _check_agg(self, agg):
        ClassifierReference._check_agg(self, agg)

    def add_predictions(self, agg, window, state) -> None:
        a = np.asarray(state["abs_loss_hat"], dtype=np.float64)
        s = np.asarray(state["sq_loss_hat"], dtype=np.float64)
        b = np.asarray(state["bucket"]).astype(np.int64)
        w = _windows(window, len(a), agg.shape[0])
        self._check_agg(agg)
        zero = np.zeros(len(a), dtype=np.int64)
        o = self.offsets
        _bincount_into(agg, w, [(o["n"][0], zero, None), (o["a"][0], zero, a), (o["s"][0], zero, s),
                                (o["a2"][0], zero, a * a), (o["bn"][0], b, None)])

    def add_labels(self, agg, window, state, y_true) -> None:
        yp = np.asarray(state["pred"], dtype=np.float64)
        yt = np.asarray(y_true, dtype=np.float64)
        if len(yt) != len(yp):
            raise EstimationError(f"length mismatch: {len(yp):,} rows of state but {len(yt):,} labels")
        bad = ~np.isfinite(yt)
        if bad.any():
            raise EstimationError(f"y_true has {int(bad.sum()):,} NaN or infinite value(s), first at row "
                                  f"{int(np.flatnonzero(bad)[0])}")
        w = _windows(window, len(yp), agg.shape[0])
        self._check_agg(agg)
        e = np.abs(yt - yp)
        zero = np.zeros(len(e), dtype=np.int64)
        o = self.offsets
        _bincount_into(agg, w, [(o["m"][0], zero, None), (o["ea"][0], zero, e), (o["es"][0], zero, e * e),
                                (o["es2"][0], zero, e ** 4),
                                (o["la"][0], zero, np.asarray(state["abs_loss_hat"], dtype=np.float64)),
                                (o["ls"][0], zero, np.asarray(state["sq_loss_hat"], dtype=np.float64))])

    def summarize(self, agg_row) -> WindowSummary:
        row = np.asarray(agg_row, dtype=np.float64)
        if row.shape != (self.aggregate_length,):
            raise EstimationError(f"an aggregate row has {self.aggregate_length} values; got shape {row.shape}")
        g = {k: row[at:at + size] for k, (at, size) in self.offsets.items()}
        n, m = float(g["n"][0]), float(g["m"][0])
        metrics, alerts, warnings = {}, [], []
        extrap = float(g["bn"][-1] / n) if n > 0 else 0.0
        for name in REGRESSION_METRICS:
            entry = {"dle": None, "realized": None, "threshold": {"lower": None, "upper": None}, "alert": False,
                     "concept_drift": False}
            if n > 0:
                thr = _threshold_of(self.reference_realized[name], self.per_row_var[name], self.n_ref, n, side="upper",
                                    hi=math.inf)
                entry["threshold"] = thr
                est, var = self._dle(name, n, g["a"][0], g["s"][0])
                entry["dle"] = _band(est, var, lo=0.0, hi=math.inf)
                band = entry["dle"]
                if thr["upper"] is not None and band["lower"] is not None and band["lower"] > thr["upper"]:
                    entry["alert"] = True
                    alerts.append({"kind": "performance", "metric": name, "message": (
                        f"estimated {name} {est:.4g} (band {entry['dle']['lower']:.4g}–{entry['dle']['upper']:.4g}) "
                        f"is above the threshold {thr['upper']:.4g} for {int(n):,} rows")})
            if m > 0:
                if name == "mae":
                    value = g["ea"][0] / m
                    var = max(g["es"][0] / m - value ** 2, 0) / m
                else:
                    mse = g["es"][0] / m
                    value = math.sqrt(mse)
                    var = max(g["es2"][0] / m - mse ** 2, 0) / m / (4 * mse) if mse > 0 else 0.0
                r = _band(value, var, REALIZED_Z, lo=0.0, hi=math.inf)
                r["labels"] = int(round(m))
                entry["realized"] = r
                if m >= MIN_LABELS:
                    ev, evar = self._dle(name, m, g["la"][0], g["ls"][0])
                    if ev is not None and abs(value - ev) > BAND_Z * math.sqrt(evar):
                        entry["concept_drift"] = True
                        alerts.append({"kind": "concept_drift", "metric": name, "message": CONCEPT_DRIFT_MESSAGE})
            metrics[name] = entry
        if extrap > EXTRAPOLATION_SHARE:
            warnings.append({"kind": "extrapolation", "metric": None, "message": (
                f"{extrap:.0%} of the rows have feature values outside the reference's range: the loss model "
                "extrapolates there")})
        if 0 < m < MIN_LABELS:
            warnings.append({"kind": "few_labels", "metric": None, "message": (
                f"{int(m):,} label(s) so far: estimate and realized are compared from {MIN_LABELS} labels on")})
        return WindowSummary(int(round(n)), int(round(m)), metrics, alerts, warnings)

    def _dle(self, name, n, sum_a, sum_s):
        if n <= 0:
            return None, None
        if name == "mae":
            value = sum_a / n
            return value, self.var_abs / n + self.bias_var_abs
        mse = max(sum_s / n, 1e-300)
        var_mse = self.var_sq / n + self.bias_var_sq
        return math.sqrt(mse), var_mse / (4 * mse)

    def reference_summary(self) -> dict:
        return {"rows": int(self.n_ref), "calibrated": False, "ece_before": None, "ece_after": None,
                "window_rows": self.window_rows,
                "metrics": {m: {"realized": _finite(self.reference_realized[m]), "dle": _finite(self.reference_dle[m]),
                                "threshold": self.thresholds[m]} for m in REGRESSION_METRICS}}

    to_bytes = ClassifierReference.to_bytes
    from_bytes = classmethod(ClassifierReference.from_bytes.__func__)
