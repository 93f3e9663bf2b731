"""Multivariate drift: how badly a PCA fitted on the reference reconstructs the current rows.

Univariate measures miss a change in how columns move together (two
features that were correlated no longer are). Like NannyML's data
reconstruction drift: the reference's rows are encoded — numeric columns
standardized with the reference's exact mean and std, categorical columns
frequency-encoded with the reference's shares (a value unseen there is 0)
and then standardized, missing values at the mean (0) — and a scikit-learn
PCA keeping ``VARIANCE`` of the variance is fitted on ``1 - HELD_OUT`` of a
sample of up to ``FIT_ROWS`` reference rows. The measure is the mean
Euclidean distance between a row and its reconstruction.

The threshold is learned on the **held-out** reference rows (which the PCA
never saw): under no drift the mean error of n current rows is about normal
with the held-out mean and variance ``var * (1/n + 1/n_held_out)``; the
threshold is its ``1 - ALPHA`` quantile, at least ``MIN_EFFECT`` (relative)
above the held-out mean. Each column's contribution is its share of the
increase in squared residuals over the held-out rows.

The fitted model is small (the encodings, the components, the held-out
statistics) and is stored inside the reference's profile (``Profile.multivariate``),
so a later batch is compared against it without the reference rows. The
current batch's rows are needed: a measure from two profiles alone is not
possible (and is said so).
"""

from __future__ import annotations

import math
from typing import Any, Optional

from .kinds import CATEGORY_KINDS, NUMERIC, column_names

VARIANCE = 0.65  # NannyML's default share of variance kept
FIT_ROWS = 50_000  # reference rows sampled to fit and hold out
SCORE_ROWS = 200_000  # current rows scored at most (a uniform sample beyond)
HELD_OUT = 0.3
MAX_FEATURES = 200
CODES = 50  # most frequent values of a categorical column encoded by their share; others 0
MIN_EFFECT = 0.02  # relative increase of the mean error never flagged below this
SEED = 424_242


def features(profile) -> list[tuple[str, str]]:
    """(column, 'number' | 'category') of the columns a model encodes: varying numbers and categories."""
    out = []
    for column in profile.columns.values():
        if column.kind == NUMERIC and column.numeric is not None and column.numeric.n > 1 and column.numeric.std > 0:
            out.append((column.name, "number"))
        elif column.kind in CATEGORY_KINDS and column.categories is not None and column.categories.n > 0 \
                and len(column.categories.counts()) > 1:
            out.append((column.name, "category"))
    return out[:MAX_FEATURES]


def fit_model(frame, profile) -> tuple[Optional[dict], Optional[str]]:
    """The multivariate model of ``frame`` (JSON-ready), or None and why."""
    import numpy as np

    chosen = features(profile)
    if len(chosen) < 2:
        return None, None  # one column: nothing multivariate to measure
    rows = len(frame)
    if rows < 20:
        return None, f"multivariate model skipped: {rows} rows are too few to fit and hold out"
    rng = np.random.default_rng(SEED)
    take = np.sort(rng.choice(rows, size=min(rows, FIT_ROWS), replace=False))
    sample = frame.iloc[take]
    codes = {}
    for name, kind in chosen:
        if kind == "category":
            summary = profile.columns[name].categories
            codes[name] = {value: count / summary.n for value, count in summary.counts()[:CODES]}
    model = {"features": [[n, k] for n, k in chosen], "codes": codes, "center": [], "scale": []}
    raw = _raw(sample, model, column_names(frame))
    center = raw.mean(axis=0)
    scale = raw.std(axis=0)
    for j, (name, kind) in enumerate(chosen):
        if kind == "number":  # the profile's exact moments of the whole column
            center[j], scale[j] = profile.columns[name].numeric.mean, profile.columns[name].numeric.std
    scale[scale <= 0] = 1.0
    model["center"], model["scale"] = center.tolist(), scale.tolist()
    z = _standardize(raw, center, scale)
    order = rng.permutation(len(z))
    cut = max(2, int(round(len(z) * (1 - HELD_OUT))))
    fit, held = z[order[:cut]], z[order[cut:]]
    if len(held) < 5:
        return None, "multivariate model skipped: too few rows to hold out"
    from sklearn.decomposition import PCA

    pca = PCA(n_components=VARIANCE, svd_solver="full", random_state=0).fit(fit)
    model["components"] = pca.components_.tolist()
    model["pca_mean"] = pca.mean_.tolist()
    model["variance_kept"] = float(pca.explained_variance_ratio_.sum())
    errors, squares = _errors(held, model)
    model["held_out"] = {"rows": int(len(held)), "mean": float(errors.mean()), "std": float(errors.std(ddof=1)),
                         "feature_squares": squares.mean(axis=0).tolist()}
    return model, None


def compare(model: dict, frame, alpha: Optional[float] = None) -> dict:
    """The multivariate measure of ``frame`` against a reference model (JSON-ready)."""
    import numpy as np

    from .thresholds import ALPHA

    names = column_names(frame)
    missing = [n for n, _ in model["features"] if n not in names]
    if missing:
        return {"available": False, "message": f"columns of the reference model missing now: "
                f"{', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}"}
    rows = len(frame)
    if rows == 0:
        return {"available": False, "message": "no rows to reconstruct"}
    if rows > SCORE_ROWS:
        take = np.sort(np.random.default_rng(SEED).choice(rows, size=SCORE_ROWS, replace=False))
        frame = frame.iloc[take]
    z = _standardize(_raw(frame, model, names), np.asarray(model["center"]), np.asarray(model["scale"]))
    errors, squares = _errors(z, model)
    held = model["held_out"]
    value = float(errors.mean())
    from .thresholds import normal_isf, normal_sf

    sd = held["std"] * math.sqrt(1 / rows + 1 / held["rows"])
    level = ALPHA if alpha is None else alpha
    quantile = held["mean"] + normal_isf(level) * sd
    threshold = max(quantile, held["mean"] * (1 + MIN_EFFECT))
    increase = np.maximum(squares.mean(axis=0) - np.asarray(held["feature_squares"]), 0.0)
    total = float(increase.sum())
    contributions = {name: (float(v) / total if total > 0 else 0.0)
                     for (name, _), v in zip(model["features"], increase)}
    return {"available": True, "measure": "PCA reconstruction error", "value": value, "threshold": float(threshold),
            "reference_value": held["mean"], "drift": value > threshold, "rows": rows,
            "components": len(model["components"]), "variance_kept": model["variance_kept"],
            "false_alarm": float(min(level, normal_sf((threshold - held["mean"]) / sd))) if sd > 0 else 0.0,
            "contributions": contributions, "message": (
                f"mean reconstruction error {value:.3g} {'>' if value > threshold else '<='} {threshold:.3g} "
                f"(reference held out: {held['mean']:.3g})")}


def _raw(frame, model: dict, names: list) -> Any:
    """The features as floats: numbers as they are, categories as their reference share; NaN for missing."""
    import numpy as np
    import pandas as pd

    position = {n: i for i, n in enumerate(names)}
    out = np.empty((len(frame), len(model["features"])), dtype=np.float64)
    for j, (name, kind) in enumerate(model["features"]):
        series = frame.iloc[:, position[name]]
        if kind == "number":
            out[:, j] = pd.to_numeric(series, errors="coerce").to_numpy(dtype="float64", na_value=np.nan)
        else:
            # Share by distinct value, then by row: the text of each distinct value once (a map over the
            # rows was 0.6 s of a 200,000-row comparison); missing and unseen values weigh 0.
            shares = model["codes"].get(name, {})
            try:
                codes, uniques = pd.factorize(series, use_na_sentinel=True)
            except TypeError:  # unhashable values (lists): by their text
                text = series.astype(object).where(series.notna(), None).map(lambda v: None if v is None else str(v))
                codes, uniques = pd.factorize(text, use_na_sentinel=True)
            lookup = np.fromiter((shares.get(str(v), 0.0) for v in uniques), dtype=np.float64, count=len(uniques))
            out[:, j] = np.append(lookup, 0.0)[codes]  # code -1 (missing) reads the appended 0
    return out


def _standardize(raw, center, scale):
    import numpy as np

    z = raw - center
    z /= scale
    # missing (and infinite) values at the reference's mean
    return np.nan_to_num(z, copy=False, nan=0.0, posinf=0.0, neginf=0.0)


def _errors(z, model: dict):
    import numpy as np

    components = np.asarray(model["components"])
    mean = np.asarray(model["pca_mean"])
    centered = z - mean
    reconstructed = centered @ components.T @ components + mean
    residual = z - reconstructed
    squares = residual * residual
    return np.sqrt(squares.sum(axis=1)), squares
