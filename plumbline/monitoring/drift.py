"""Drift between two profiles, column by column: effect sizes with thresholds, p-values only on the side.

Numeric columns (numbers, durations; times only when asked, see ``Options``):

* **Wasserstein** distance in units of the reference's standard deviation
  (the verdict's measure by default): ``∫|F_ref − F_cur| dx / std_ref`` from the
  lattice histograms with each CDF linear inside a bin; within one bin width
  (``error``, also in std units) of the exact value on the raw rows;
* **Jensen–Shannon distance** (base 2, in [0, 1]), **PSI** (shares floored at
  ``PSI_FLOOR``) and **Hellinger** distance on comparison bins cut at lattice
  edges into equal shares of the reference — exact, the same as binning the
  raw rows at those edges;
* **KS distance** from the two KLL sketches (evaluated at every value either
  retains), within the sum of their rank errors (``error``) of the exact
  two-sample KS statistic; its asymptotic p-value is shown, never judged.

Categorical columns: **Jensen–Shannon distance** (the verdict's measure) and
**L∞** (the largest change of one category's share) on the shares of the
categories either profile holds at ``CATEGORY_MIN_SHARE`` or more (at most
``MAX_CATEGORIES``), the rest pooled as "other"; a chi² p-value on the side.

Each column also gets the change of its share of missing values, judged by
its own threshold. A column drifts when its measure exceeds its threshold
(``thresholds.py``) or its missing share moved beyond its threshold.

Never a NaN verdict: empty and all-missing columns, constant columns, a
one-row reference, a column whose type changed, identifier-like columns with
mostly distinct values, time columns — each gets a status and a message
instead (``STATUSES``).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Callable, Optional

from . import binning, thresholds
from .kinds import DATETIME, NUMBER_KINDS, kind_label
from .profiles import ColumnProfile, Profile

DRIFT, OK, SCHEMA, NOT_JUDGED = "drift", "ok", "schema", "not judged"
STATUSES = (DRIFT, OK, SCHEMA, NOT_JUDGED)
NUMERIC_MEASURES = ("wasserstein", "jensen_shannon", "psi", "hellinger", "ks")
CATEGORICAL_MEASURES = ("jensen_shannon", "linf")
MEASURE_TITLES = {"wasserstein": "Wasserstein / std", "jensen_shannon": "Jensen–Shannon", "psi": "PSI",
                  "hellinger": "Hellinger", "ks": "KS", "linf": "L∞ share"}
PSI_FLOOR = 1e-4
OVERLAY_PROBABILITIES = tuple(i / 50 for i in range(51))  # the ECDF an overlay draws
MAX_BINS = 20  # comparison bins of a numeric column, at most
ROWS_PER_BIN = 20  # and at least this many rows of the smaller side per bin
CATEGORY_MIN_SHARE = 0.001
MAX_CATEGORIES = 50
SHOWN_CATEGORIES = 20
MIN_VALUES = 10  # fewer values on either side: not judged (a handful of rows shows no distribution)
IDENTIFIER_SHARE, IDENTIFIER_MIN = 0.5, 1000  # mostly distinct values: an identifier, not judged
PREDICTION_NAME = re.compile(r"(^|[_\W])(pred|preds|prediction|predictions|predicted|score|scores|proba|probas|"
                             r"probability|probabilities|yhat|y_hat|logit|logits)([_\W]|$)", re.IGNORECASE)


@dataclass
class Options:
    numeric_measure: str = "wasserstein"
    categorical_measure: str = "jensen_shannon"
    #: Minimum effect of the verdict's measure: a number for every column or {column: number} ("*": default).
    min_effect: object = None
    null_min_effect: float = thresholds.NULL_MIN_EFFECT
    #: Columns compared (None: all); prediction/score columns shown first (None: guessed from names).
    columns: Optional[list] = None
    predictions: Optional[list] = None
    judge_time: bool = False

    def __post_init__(self):
        if self.numeric_measure not in NUMERIC_MEASURES:
            raise ValueError(f"numeric_measure must be one of {', '.join(NUMERIC_MEASURES)}, "
                             f"not {self.numeric_measure!r}")
        if self.categorical_measure not in CATEGORICAL_MEASURES:
            raise ValueError(f"categorical_measure must be one of {', '.join(CATEGORICAL_MEASURES)}, "
                             f"not {self.categorical_measure!r}")
        if self.min_effect is not None and not isinstance(self.min_effect, (int, float, dict)):
            raise ValueError("min_effect is a number, or a dict {column: number}")


@dataclass
class ColumnDrift:
    column: str
    kind: str
    role: str  # 'prediction' | 'feature'
    status: str
    message: str
    measure: Optional[str] = None
    value: Optional[float] = None
    threshold: Optional[float] = None
    threshold_floor: Optional[str] = None
    false_alarm: Optional[float] = None
    measures: dict = field(default_factory=dict)  # name -> {value, threshold, error, p_value}
    reference_rows: int = 0
    current_rows: int = 0
    reference_null_share: float = 0.0
    current_null_share: float = 0.0
    null_threshold: Optional[float] = None
    null_drift: bool = False
    reference_dtype: Optional[str] = None
    current_dtype: Optional[str] = None
    _overlay: Optional[dict] = field(default=None, repr=False)
    #: Builds the overlay when it is first read: a verdict (the automatic profiles' badge) needs none.
    _overlay_build: Optional[Callable[[], dict]] = field(default=None, repr=False, compare=False)
    unseen: list = field(default_factory=list)  # [(value, current share)] not in the reference
    vanished: list = field(default_factory=list)  # [(value, reference share)] gone now
    contribution: Optional[float] = None  # share of the multivariate error increase
    notes: list = field(default_factory=list)
    history: list = field(default_factory=list)  # [{label, value, threshold, status}] over runs or chunks

    @property
    def overlay(self) -> Optional[dict]:
        """The reference vs current overlay the panel draws (histogram and ECDF, or top categories)."""
        if self._overlay is None and self._overlay_build is not None:
            self._overlay, self._overlay_build = self._overlay_build(), None
        return self._overlay

    @overlay.setter
    def overlay(self, value: Optional[dict]) -> None:
        self._overlay, self._overlay_build = value, None

    @property
    def null_change(self) -> float:
        return self.current_null_share - self.reference_null_share

    @property
    def severity(self) -> float:
        """How far past (or below) its threshold the column is: value / threshold."""
        if self.status == SCHEMA:
            return math.inf
        ratios = []
        if self.value is not None and self.threshold:
            ratios.append(self.value / self.threshold)
        if self.null_threshold:
            ratios.append(abs(self.null_change) / self.null_threshold)
        return max(ratios, default=0.0)


@dataclass
class DriftReport:
    columns: list
    reference_rows: int
    current_rows: int
    multivariate: Optional[dict] = None
    notes: list = field(default_factory=list)
    expected_override: Optional[float] = None  # a chunked comparison: the sum over its chunks

    @property
    def judged(self) -> list:
        return [c for c in self.columns if c.status in (DRIFT, OK)]

    @property
    def drifted(self) -> list:
        return [c for c in self.columns if c.status == DRIFT]

    @property
    def schema_changes(self) -> list:
        return [c for c in self.columns if c.status == SCHEMA]

    @property
    def drifted_share(self) -> float:
        judged = len(self.judged)
        return len(self.drifted) / judged if judged else 0.0

    @property
    def expected_false_alarms(self) -> float:
        if self.expected_override is not None:
            return self.expected_override
        return thresholds.expected_false_alarms(c.false_alarm for c in self.judged)

    @property
    def status(self) -> str:
        if self.drifted or (self.multivariate or {}).get("drift"):
            return DRIFT
        if self.schema_changes:
            return SCHEMA
        if not self.judged:
            return NOT_JUDGED
        return OK


def compare(reference: Profile, current: Profile, options: Optional[Options] = None) -> DriftReport:
    """Compare two profiles column by column (the multivariate measure needs rows: see api.py)."""
    options = options or Options()
    names = list(reference.columns) + [n for n in current.columns if n not in reference.columns]
    if options.columns is not None:
        wanted = [str(c) for c in options.columns]
        unknown = [c for c in wanted if c not in reference.columns and c not in current.columns]
        if unknown:
            raise KeyError(f"no column {', '.join(repr(c) for c in unknown)} in either table "
                           f"(columns: {', '.join(names[:20])}{'…' if len(names) > 20 else ''})")
        names = [n for n in names if n in wanted]
    predictions = set(options.predictions) if options.predictions is not None else None
    rows = []
    for name in names:
        ref, cur = reference.columns.get(name), current.columns.get(name)
        role = "prediction" if (name in predictions if predictions is not None else PREDICTION_NAME.search(name)) \
            else "feature"
        rows.append(compare_columns(name, ref, cur, reference.rows, current.rows, role, options))
    notes = []
    if reference.rows == 1:
        notes.append("The reference has one row: thresholds are very wide; use a larger reference.")
    if reference.rows == 0:
        notes.append("The reference has no rows: nothing can be compared with it.")
    if current.rows == 0:
        notes.append("The compared data has no rows: nothing to compare.")
    return DriftReport(columns=sort_columns(rows), reference_rows=reference.rows, current_rows=current.rows,
                       notes=notes)


def sort_columns(rows: list) -> list:
    order = {DRIFT: 0, SCHEMA: 1, OK: 2, NOT_JUDGED: 3}
    return sorted(rows, key=lambda c: (c.role != "prediction", order[c.status],
                                       -(c.severity if math.isfinite(c.severity) else 1e300), c.column))


def compare_columns(name: str, ref: Optional[ColumnProfile], cur: Optional[ColumnProfile], reference_rows: int,
                    current_rows: int, role: str, options: Options) -> ColumnDrift:
    if ref is None:
        return ColumnDrift(name, cur.kind, role, SCHEMA, f"new column ({kind_label(cur.kind)}, {cur.dtype})",
                           current_rows=cur.rows, current_dtype=cur.dtype, current_null_share=cur.null_share)
    if cur is None:
        return ColumnDrift(name, ref.kind, role, SCHEMA, f"missing now (was {kind_label(ref.kind)}, {ref.dtype})",
                           reference_rows=ref.rows, reference_dtype=ref.dtype,
                           reference_null_share=ref.null_share)
    row = ColumnDrift(name, ref.kind, role, OK, "", reference_rows=ref.rows, current_rows=cur.rows,
                      reference_null_share=ref.null_share, current_null_share=cur.null_share,
                      reference_dtype=ref.dtype, current_dtype=cur.dtype,
                      notes=list(dict.fromkeys(ref.notes + cur.notes)))
    if (ref.kind in NUMBER_KINDS) != (cur.kind in NUMBER_KINDS) or (ref.kind == DATETIME) != (cur.kind == DATETIME):
        row.status = SCHEMA
        row.message = (f"type changed: {kind_label(ref.kind)} ({ref.dtype}) in the reference, "
                       f"{kind_label(cur.kind)} ({cur.dtype}) now")
        return row
    if ref.rows == 0 or cur.rows == 0:
        row.status = NOT_JUDGED
        row.message = "no rows in the reference" if ref.rows == 0 else "no rows now"
        return row
    few = [(side, n) for side, n in (("the reference", ref.present), ("now", cur.present)) if 0 < n < MIN_VALUES]
    if few:
        side, n = few[0]
        row.status = NOT_JUDGED
        row.message = (f"too few values to judge: {n} {side} (at least {MIN_VALUES} on each side; "
                       "use a larger reference or chunk)")
        return row
    null = thresholds.null_share_threshold(ref.null_share, ref.rows, cur.rows, options.null_min_effect)
    row.null_threshold = null.value
    row.null_drift = abs(row.null_change) > null.value
    if ref.kind in NUMBER_KINDS:
        _numeric(row, ref, cur, options)
    else:
        _categorical(row, ref, cur, options)
    if row.status == OK and row.null_drift:
        row.status = DRIFT
    if row.null_drift:
        change = f"missing values {_pct(ref.null_share)} -> {_pct(cur.null_share)}"
        row.message = f"{row.message}; {change}" if row.message else change
    if row.status in (DRIFT, OK):
        alarms = [a for a in (row.false_alarm, null.false_alarm if ref.null_share > 0 else 0.0) if a is not None]
        row.false_alarm = min(1.0, sum(alarms))
    return row


# -- numbers -------------------------------------------------------------------------------------


def _numeric(row: ColumnDrift, ref: ColumnProfile, cur: ColumnProfile, options: Options) -> None:
    R, C = ref.numeric, cur.numeric
    if R.n == 0 or C.n == 0:
        if R.n == 0 and C.n == 0:
            row.status, row.message = NOT_JUDGED, "no values in either (all missing)"
        else:
            row.message = "no values in the reference (all missing)" if R.n == 0 else "no values now (all missing)"
        return
    a, b = binning.aligned(R.lattice, C.lattice)
    union, ra, ca = binning.union_counts(a, b)
    width = a.width
    scale = R.std if R.std > 0 else 0.0
    bins = max(2, min(MAX_BINS, min(R.n, C.n) // ROWS_PER_BIN))
    edges = binning.comparison_edges(union, ra, bins)
    pr = binning.counts_in(union, ra, edges) / R.n
    pc = binning.counts_in(union, ca, edges) / C.n
    raw_w = lattice_wasserstein(union, ra / R.n, ca / C.n, width)
    ks, ks_error, ks_p = ks_from_sketches(R, C)
    values = {"jensen_shannon": float(js_distance(pr, pc)), "psi": float(psi(pr, pc)),
              "hellinger": float(hellinger(pr, pc)), "ks": ks}
    errors = {"jensen_shannon": 0.0, "psi": 0.0, "hellinger": 0.0, "ks": ks_error}
    measure = options.numeric_measure
    if scale > 0:
        values["wasserstein"], errors["wasserstein"] = raw_w / scale, width / scale
    else:
        row.notes.append(f"the reference is constant ({_short(R.minimum)}): compared by Jensen–Shannon on shares, "
                         "since it has no standard deviation")
        if measure == "wasserstein":
            measure = "jensen_shannon"
    limits = _numeric_nulls(R, C, union, ra, edges, scale, pr)
    for name, value in values.items():
        q, tail = limits[name]
        minimum = thresholds.minimum_effect(name, options.min_effect if name == measure else None, row.column)
        t = thresholds.combine(q, minimum, errors[name], tail)
        row.measures[name] = {"value": value, "threshold": t.value, "error": errors[name],
                              "p_value": ks_p if name == "ks" else None, "floor": t.floor,
                              "false_alarm": t.false_alarm}
    if "wasserstein" in values:
        row.measures["wasserstein"]["raw"] = raw_w
    chosen = row.measures[measure]
    row.measure, row.value, row.threshold = measure, chosen["value"], chosen["threshold"]
    row.threshold_floor, row.false_alarm = chosen["floor"], chosen["false_alarm"]
    if ref.kind == DATETIME and not options.judge_time:
        row.status = NOT_JUDGED
        row.message = "a time column: measured, not judged (later data always differs in time; judge_time=True)"
    elif row.value > row.threshold:
        row.status = DRIFT
        row.message = _numeric_message(measure, row.value, row.threshold, R, C)
    else:
        row.status = OK
        row.message = f"{MEASURE_TITLES[measure]} {row.value:.3g} <= {row.threshold:.3g}"
    if ref.rows == 1:
        row.notes.append("one-row reference: only very large changes can show")
    row._overlay_build = lambda: numeric_overlay(ref, cur, a, b)


def _numeric_message(measure, value, threshold, R, C) -> str:
    shift = ""
    if R.std > 0:
        shift = f"; mean {_short(R.mean)} -> {_short(C.mean)} ({(C.mean - R.mean) / R.std:+.2f} std)"
    return f"{MEASURE_TITLES[measure]} {value:.3g} > {threshold:.3g}{shift}"


def _numeric_nulls(R, C, union, ra, edges, scale, pr) -> dict:
    """(quantile, tail) of each numeric measure under no drift at these sizes (``pr``: the reference's shares)."""
    c = thresholds.size_factor(R.n, C.n)
    bins = len(edges) + 1
    if thresholds.exact_needed(pr, R.n, C.n):
        cache = R.__dict__.setdefault("_null_cache", {})
        key = ("binned", pr.tobytes(), int(C.n))  # the reference's shares on these bins, at this size
        if key not in cache:
            a, b = thresholds.multinomial_pairs(pr, R.n, C.n)
            oldest = next((k for k in cache if isinstance(k, tuple) and k[0] == "binned"), None)
            if oldest is not None and len(cache) > 64:
                cache.pop(oldest)
            cache[key] = {"jensen_shannon": thresholds.empirical(js_distance(a, b)),
                          "psi": thresholds.empirical(psi(a, b)), "hellinger": thresholds.empirical(hellinger(a, b))}
        out = dict(cache[key])
    else:
        out = dict(thresholds.binned_limits(bins, c))
    if min(R.n, C.n) < thresholds.SMALL:
        out.update(_small_resampled(R, C, union, ra, scale))
        return out
    out["ks"] = thresholds.ks_limit(c)
    if scale > 0:
        out["wasserstein"] = _wasserstein_null(R, C, scale)
    return out


def _wasserstein_null(R, C, scale):
    """(quantile, tail) of W/std under no drift: the reference's Gaussian-bridge table, or, when the
    tails carry weight at these sizes (heavy-tailed columns, small chunks), the Poisson-tailed
    simulation — from the tables the reference profile keeps (``Profile.prepare_reference``),
    interpolated in log n between the sizes of ``thresholds.SIZE_GRID``, else simulated now and cached."""
    import numpy as np

    root = math.sqrt(thresholds.size_factor(R.n, C.n))
    tables = bridge_table(R)
    start = tables["gaussian_from"]  # the smallest sample whose tails carry little weight (None: no such)
    if start is not None and min(R.n, C.n) >= start:
        cache = R.__dict__.setdefault("_null_cache", {})
        if "gaussian" not in cache:
            cache["gaussian"] = thresholds.from_table(tables["gaussian"])
        q, tail = cache["gaussian"]
        return q * root, lambda t: tail(t / root)
    kept = tables.get("tails") or []
    sizes = [n for n, _ in kept]
    if kept and sizes[0] <= C.n <= sizes[-1]:
        j = min(int(np.searchsorted(sizes, C.n)), len(sizes) - 1)
        i = max(j - 1, 0) if sizes[j] != C.n else j
        (n1, t1), (n2, t2) = kept[i], kept[j]
        w = 0.0 if n1 == n2 else (math.log(C.n) - math.log(n1)) / (math.log(n2) - math.log(n1))
        table = [[p, (1 - w) * a + w * b] for (p, a), (_, b) in zip(t1, t2)]
        q, tail = thresholds.from_table(table)
        return q * root, lambda t: tail(t / root)
    cache = R.__dict__.setdefault("_null_cache", {})
    key = ("tails", R.n, C.n)
    if key not in cache:
        levels, low, high = bridge_geometry(R)
        samples = thresholds.wasserstein_with_tails(levels, low, high, R.n, C.n) / scale
        cache[key] = thresholds.empirical(samples)
    return cache[key]


def bridge_geometry(R):
    """CDF levels and the x-lengths weighting |B| at both ends of each level step, from the reference's lattice.

    ∫|B(F(x))|dx is Σ_j |B(t_j)|·low[j] + |B(t_j+1)|·high[j], with |B| linear in t
    between levels and x-lengths from the lattice (F linear inside a bin, flat
    across empty bins): discrete and heavy-tailed columns keep their real geometry.
    """
    import numpy as np

    cache = R.__dict__.setdefault("_null_cache", {})
    if "geometry" not in cache:
        lattice = R.lattice
        width = lattice.width
        counts = lattice.counts.astype(np.float64) / max(R.n, 1)
        after = np.cumsum(counts)
        before = after - counts
        levels = thresholds.bridge_levels(R.n)
        steps = np.diff(levels)
        gaps = (np.diff(lattice.index) - 1).astype(np.float64) * width  # empty bins after each bin
        seg_lo = np.concatenate([before, after[:-1]])
        seg_hi = np.concatenate([after, after[:-1]])
        seg_len = np.concatenate([np.full(len(counts), width), gaps])
        j = np.clip(np.searchsorted(levels, (seg_lo + seg_hi) / 2, side="right") - 1, 0, len(steps) - 1)
        s_lo = np.clip((seg_lo - levels[j]) / steps[j], 0, 1)
        s_hi = np.clip((seg_hi - levels[j]) / steps[j], 0, 1)
        upper = seg_len * (s_lo + s_hi) / 2
        cache["geometry"] = (levels, np.bincount(j, weights=seg_len - upper, minlength=len(steps)),
                             np.bincount(j, weights=upper, minlength=len(steps)))
    return cache["geometry"]


def bridge_table(R, sizes=()) -> dict:
    """The Wasserstein null tables a reference column keeps (``NumericSummary.bridge``):
    ``gaussian``: quantiles of ∫|B(F_ref(x))|dx / std (the large-sample limit, independent of n);
    ``tails``: [[n, quantiles of W / (std sqrt(1/N + 1/n))]] with Poisson tails, for the ``sizes`` where
    the tails carry weight; ``gaussian_from``: the smallest sample size (of the smaller side) from which
    the tails carry no more than ``thresholds.TAIL_SHARE`` (None: not even at the reference's own size),
    so a comparison knows which table applies without the lattice geometry."""
    tables = R.bridge if isinstance(R.bridge, dict) else {}
    if "gaussian" in tables and "gaussian_from" in tables and (not sizes or "tails" in tables):
        return tables
    levels, low, high = bridge_geometry(R)
    if "gaussian" not in tables:
        samples = thresholds.integrate(thresholds.gaussian_bridge(levels), low, high) / (R.std or 1.0)
        tables["gaussian"] = thresholds.quantile_table(samples)
    if "gaussian_from" not in tables:
        tables["gaussian_from"] = thresholds.gaussian_from(levels, low, high, R.n)
    if sizes and "tails" not in tables:
        kept = []
        for n in sizes:
            if thresholds.tail_share(levels, low, high, min(R.n, n)) <= thresholds.TAIL_SHARE:
                break
            root = math.sqrt(thresholds.size_factor(R.n, n))
            samples = thresholds.wasserstein_with_tails(levels, low, high, R.n, n) / (R.std or 1.0) / root
            kept.append([int(n), thresholds.quantile_table(samples)])
        tables["tails"] = kept
    R.bridge = tables
    return tables


def _small_resampled(R, C, union, ra, scale) -> dict:
    """Tiny samples: Wasserstein and KS on multinomial sample pairs from the reference's equal-share grid."""
    import numpy as np

    grid = binning.comparison_edges(union, ra, thresholds.GRID)
    shares = binning.counts_in(union, ra, grid) / R.n
    a, b = thresholds.multinomial_pairs(shares, R.n, C.n)
    width = 2.0 ** max(R.lattice.exp, C.lattice.exp)
    points = np.concatenate([[R.minimum], grid * width, [R.maximum]])
    points = np.maximum.accumulate(np.clip(points, min(R.minimum, C.minimum), max(R.maximum, C.maximum)))
    out = {"ks": thresholds.empirical(thresholds.ks_of_shares(a, b))}
    if scale > 0:
        out["wasserstein"] = thresholds.empirical(thresholds.wasserstein_of_shares(a, b, np.diff(points)) / scale)
    return out


def lattice_wasserstein(union, p, q, width: float) -> float:
    """∫|F_p − F_q| dx for shares on lattice bins ``union`` (each CDF linear inside a bin)."""
    import numpy as np

    if len(union) == 0:
        return 0.0
    d = np.cumsum(p - q)
    inside = thresholds.wasserstein_of_shares(p[None, :], q[None, :], np.full(len(p), width))[0]
    gaps = (np.diff(union) - 1).astype(np.float64) * width  # empty lattice bins between non-empty ones
    between = float(np.abs(d[:-1]) @ gaps) if len(gaps) else 0.0
    return float(inside + between)


def ks_from_sketches(R, C) -> tuple[float, float, Optional[float]]:
    """KS distance of the two KLL sketches, its error bound, and its asymptotic p-value (never a verdict).

    Each sketch's CDF is a step function of its retained items and their weights
    (what ``get_cdf`` evaluates); the largest gap between two step functions lies at
    one of their items, so comparing them there is exact for the sketches. It is
    within the sum of the two rank errors of the exact two-sample KS statistic.
    """
    import numpy as np
    from scipy.special import kolmogorov

    items_r, cdf_r = _sketch_cdf(R)
    items_c, cdf_c = _sketch_cdf(C)
    points = binning.sorted_union(items_r, items_c)

    def at(items, cdf):
        index = np.searchsorted(items, points, side="right")
        return np.where(index > 0, cdf[np.maximum(index - 1, 0)], 0.0)

    ks = float(np.max(np.abs(at(items_r, cdf_r) - at(items_c, cdf_c)))) if len(points) else 0.0
    n_eff = R.n * C.n / (R.n + C.n)
    return ks, R.rank_error + C.rank_error, float(kolmogorov(math.sqrt(n_eff) * ks))


def _sketch_cdf(R):
    """(sorted retained items, CDF after each) of a column's KLL sketch (cached)."""
    import numpy as np

    cache = R.__dict__.setdefault("_null_cache", {})
    if "cdf" not in cache:
        items, weights = R.kll_items()
        order = np.argsort(items, kind="stable")
        items, weights = items[order], weights[order]
        cumulative = np.cumsum(weights)
        last = np.concatenate([items[1:] != items[:-1], [True]])  # ties: the CDF after the last copy
        cache["cdf"] = (items[last], cumulative[last] / max(cumulative[-1], 1.0))
    return cache["cdf"]


def numeric_overlay(ref: ColumnProfile, cur: ColumnProfile, a, b) -> dict:
    R, C = ref.numeric, cur.numeric
    probabilities = list(OVERLAY_PROBABILITIES)
    cache = R.__dict__.setdefault("_null_cache", {})
    if "overlay quantiles" not in cache:  # the reference's, for every comparison against it
        cache["overlay quantiles"] = R.quantiles(probabilities + [0.005, 0.995])
    qr, qc = list(cache["overlay quantiles"]), C.quantiles(probabilities + [0.005, 0.995])
    low, high = min(qr[-2], qc[-2]), max(qr[-1], qc[-1])
    qr, qc = qr[:-2], qc[:-2]
    histogram = binning.display_bins(a, b, low, high) if high > low else None
    if histogram is None:  # (nearly) constant: one bar at the value
        histogram = {"edges": [low, low + (a.width or 1.0)], "reference": [1.0], "current": [1.0],
                     "reference_below": 0.0, "current_below": 0.0, "reference_above": 0.0, "current_above": 0.0}
    return {"type": "histogram", "axis": "time" if ref.kind == DATETIME else "number", **histogram,
            "ecdf": {"probabilities": probabilities, "reference": qr, "current": qc},
            "reference_mean": R.mean, "current_mean": C.mean, "reference_std": R.std, "current_std": C.std,
            "reference_min": R.minimum, "reference_max": R.maximum, "current_min": C.minimum,
            "current_max": C.maximum}


# -- categories ------------------------------------------------------------------------------------


def _categorical(row: ColumnDrift, ref: ColumnProfile, cur: ColumnProfile, options: Options) -> None:
    import numpy as np

    R, C = ref.categories, cur.categories
    if R.n == 0 or C.n == 0:
        if R.n == 0 and C.n == 0:
            row.status, row.message = NOT_JUDGED, "no values in either (all missing)"
        else:
            row.message = "no values in the reference (all missing)" if R.n == 0 else "no values now (all missing)"
        return
    for side, summary in (("the reference", R), ("now", C)):
        if summary.distinct >= IDENTIFIER_MIN and summary.distinct >= IDENTIFIER_SHARE * summary.n:
            row.status = NOT_JUDGED
            row.message = (f"looks like an identifier ({summary.distinct:,.0f} distinct values in {summary.n:,} "
                           f"rows {side}): not judged")
            row._overlay_build = lambda: categorical_overlay(*category_shares(R, C)[:3], R, C)
            return
    labels, pr, pc, errors = category_shares(R, C)
    values = {"jensen_shannon": float(js_distance(pr, pc)), "linf": float(np.max(np.abs(pr - pc)))}
    share_error = errors[0] + errors[1]
    tracked = max(len(labels), 1)
    errs = {"linf": share_error, "jensen_shannon": math.sqrt(min(1.0, tracked * share_error / 2))
            if share_error else 0.0}
    p_value = _chi2_p(pr * R.n, pc * C.n)
    limits = _categorical_nulls(pr, R.n, C.n, R.__dict__.setdefault("_null_cache", {}), labels)
    measure = options.categorical_measure
    for name, value in values.items():
        q, tail = limits[name]
        minimum = thresholds.minimum_effect(name, options.min_effect if name == measure else None, row.column)
        t = thresholds.combine(q, minimum, errs[name], tail)
        row.measures[name] = {"value": value, "threshold": t.value, "error": errs[name],
                              "p_value": p_value if name == measure else None, "floor": t.floor,
                              "false_alarm": t.false_alarm}
    chosen = row.measures[measure]
    row.measure, row.value, row.threshold = measure, chosen["value"], chosen["threshold"]
    row.threshold_floor, row.false_alarm = chosen["floor"], chosen["false_alarm"]
    reference_counts = dict(R.counts())
    complete = R.rest == 0 and R.truncation == 0
    row.unseen = [(v, n / C.n) for v, n in C.counts() if v not in reference_counts][:SHOWN_CATEGORIES]
    current_counts = dict(C.counts())
    row.vanished = [(v, n / R.n) for v, n in R.counts() if v not in current_counts and n / R.n >= 0.01][:SHOWN_CATEGORIES]
    if row.unseen and not complete:
        row.notes.append(f"'unseen' means not among the reference's {len(reference_counts)} most frequent values")
    if row.value > row.threshold:
        row.status = DRIFT
        moved = int(np.argmax(np.abs(pr - pc)))
        row.message = (f"{MEASURE_TITLES[measure]} {row.value:.3g} > {row.threshold:.3g}; "
                       f"'{labels[moved]}' {_pct(pr[moved])} -> {_pct(pc[moved])}")
    else:
        row.status = OK
        row.message = f"{MEASURE_TITLES[measure]} {row.value:.3g} <= {row.threshold:.3g}"
    if row.unseen:
        shown = ", ".join(f"'{v}' ({_pct(s)})" for v, s in row.unseen[:3])
        row.message += f"; unseen: {shown}{' …' if len(row.unseen) > 3 else ''}"
    row._overlay_build = lambda: categorical_overlay(labels, pr, pc, R, C)


def category_shares(R, C):
    """Labels (tracked categories + 'other'), reference and current shares, and each side's share error."""
    import numpy as np

    cr, cc = dict(R.counts()), dict(C.counts())
    keys = set(cr) | set(cc)
    ranked = sorted(keys, key=lambda k: (-max(cr.get(k, 0) / R.n, cc.get(k, 0) / C.n), k))
    tracked = [k for k in ranked if max(cr.get(k, 0) / R.n, cc.get(k, 0) / C.n) >= CATEGORY_MIN_SHARE]
    tracked = tracked[:MAX_CATEGORIES]
    pr = np.array([cr.get(k, 0.0) for k in tracked]) / R.n
    pc = np.array([cc.get(k, 0.0) for k in tracked]) / C.n
    other_r, other_c = max(0.0, 1 - pr.sum()), max(0.0, 1 - pc.sum())
    labels = list(tracked)
    if other_r > 1e-12 or other_c > 1e-12:
        labels.append("(other)")
        pr, pc = np.append(pr, other_r), np.append(pc, other_c)
    return labels, pr, pc, (R.count_error / R.n, C.count_error / C.n)


def _categorical_nulls(pr, reference_n, current_n, cache: Optional[dict] = None, labels=()) -> dict:
    """Category shares are resampled at both sizes (each side drawn exactly until its categories expect
    CATEGORY_EXACT_BELOW rows): the χ² limit of Jensen–Shannon understates its tail on sparse categories.
    Cached on the reference per (categories, sizes)."""
    import numpy as np

    key = ("categories", tuple(labels), int(reference_n), int(current_n))
    if cache is not None and key in cache:
        return cache[key]
    a, b = thresholds.multinomial_pairs(pr, reference_n, current_n, below=thresholds.CATEGORY_EXACT_BELOW)
    found = {"jensen_shannon": thresholds.empirical(js_distance(a, b)),
             "linf": thresholds.empirical(np.max(np.abs(a - b), axis=1))}
    if cache is not None:
        if len(cache) > 16:
            cache.pop(next(iter(cache)))
        cache[key] = found
    return found


def categorical_overlay(labels, pr, pc, R, C) -> dict:
    reference_counts = dict(R.counts())
    rows = [{"value": label, "reference": float(r), "current": float(c),
             "unseen": label != "(other)" and label not in reference_counts and c > 0}
            for label, r, c in zip(labels, pr, pc)]
    other = [r for r in rows if r["value"] == "(other)"]
    shown = [r for r in rows if r["value"] != "(other)"][:SHOWN_CATEGORIES]
    rest = [r for r in rows if r["value"] != "(other)"][SHOWN_CATEGORIES:]
    if rest or other:
        shown.append({"value": "(other)", "reference": sum(r["reference"] for r in rest + other),
                      "current": sum(r["current"] for r in rest + other), "unseen": False})
    return {"type": "categories", "categories": shown, "reference_distinct": R.distinct,
            "current_distinct": C.distinct}


def _chi2_p(observed_r, observed_c) -> Optional[float]:
    import numpy as np

    from .thresholds import chi2_tail

    table = np.vstack([observed_r, observed_c])
    table = table[:, table.sum(axis=0) > 0]
    if table.shape[1] < 2:
        return None
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / table.sum()
    statistic = float(((table - expected) ** 2 / expected).sum())
    return chi2_tail(statistic, table.shape[1] - 1)


# -- the formulas (vectorized over leading axes) -------------------------------------------------------


def js_distance(p, q):
    """Jensen–Shannon distance, base 2 (0: same shares, 1: disjoint)."""
    import numpy as np

    p, q = np.broadcast_arrays(np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64))
    m = (p + q) / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        # x log2(x / m) where x > 0 (then m > 0 too), 0 where x is 0 (0 log 0 = 0; the NaNs are replaced)
        kp = p * np.log2(p / m)
        kq = q * np.log2(q / m)
    kp[~(p > 0)] = 0.0
    kq[~(q > 0)] = 0.0
    divergence = np.clip((kp.sum(axis=-1) + kq.sum(axis=-1)) / 2, 0.0, 1.0)
    return np.sqrt(divergence)


def psi(p, q):
    """Population stability index: Σ (q − p) ln(q / p), shares floored at PSI_FLOOR."""
    import numpy as np

    p = np.maximum(np.asarray(p, dtype=np.float64), PSI_FLOOR)
    q = np.maximum(np.asarray(q, dtype=np.float64), PSI_FLOOR)
    return ((q - p) * np.log(q / p)).sum(axis=-1)


def hellinger(p, q):
    """Hellinger distance sqrt(1 − Σ sqrt(p q)), in [0, 1]."""
    import numpy as np

    p, q = np.asarray(p, dtype=np.float64), np.asarray(q, dtype=np.float64)
    return np.sqrt(np.clip(1 - np.sqrt(np.clip(p, 0, None) * np.clip(q, 0, None)).sum(axis=-1), 0.0, 1.0))


def _pct(share: float) -> str:
    return f"{share * 100:.1f}%"


def _short(value: float) -> str:
    return f"{value:.4g}"

