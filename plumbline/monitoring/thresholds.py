"""Thresholds that fit the sizes compared: learned from the reference, never from a reference that contains the chunk.

For a column, the threshold of a measure is a high quantile (``1 - ALPHA``)
of that measure between **two independent samples drawn from the reference's
distribution**, one of the reference's size ``N`` and one of the compared
size ``n``. So thresholds shrink as chunks grow, and noise in the reference
itself (a small reference) widens them. NannyML compares each reference chunk
with a reference that contains it (its #426), which makes its thresholds too
tight; here the two samples never overlap.

How the quantile is obtained:

* **small samples** (fewer than ``EXACT_BELOW`` expected rows in some
  comparison bin; fewer than ``SMALL`` rows for Wasserstein and KS):
  ``REPLICATES`` multinomial draws of both samples on the reference's
  binned distribution (the comparison bins for the binned measures, an
  equal-share grid of ``GRID`` bins for Wasserstein and KS), the measure
  computed on each pair;
* **otherwise, the large-sample limit of that same resampling**, which is
  exact to first order and costs nothing: with ``c = 1/N + 1/n``,
  Jensen–Shannon distance ``sqrt(c·χ²(K−1)/(8 ln 2))``, Hellinger
  ``sqrt(c·χ²(K−1)/8)``, PSI ``c·χ²(K−1)`` (K bins), KS
  ``K_{1−α}·sqrt(c)`` (Kolmogorov), L∞ on shares from simulated Gaussian
  share differences, and Wasserstein ``sqrt(c)`` times the quantile of
  ``∫|B(F(x))|dx`` over a Brownian bridge B at CDF levels of the reference
  (uniform in the middle, geometric in the tails), integrated over the
  reference's own lattice geometry (simulated once per reference column and
  cached: it does not depend on n).

Then ``threshold = max(quantile, minimum effect, 2 × the measure's stated
error)``: the minimum effect (``MIN_EFFECT``, settable per column) keeps huge
samples from flagging changes nobody cares about (with millions of rows every
p-value is ~0 and every difference "significant"), and an effect smaller than
twice the error of the profiles can be an artifact of the sketches.

Each judged column also gets the probability of a false alarm at its
threshold under no drift (``false_alarm``); their sum over the columns is the
expected number of false alarms a comparison shows.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from typing import Optional

ALPHA = 0.0025  # nominal false alarms per measure: the 99.75th percentile (finite samples have heavier tails than the limits)
REPLICATES = 400  # multinomial draws for small samples
BRIDGES = 1000  # Brownian bridges simulated per reference column (Wasserstein)
GRID = 60  # equal-share grid for the Wasserstein/KS simulations
EXACT_BELOW = 10.0  # expected rows per bin under which the limits are not trusted
#: Category shares are sparse: the χ² limit of Jensen–Shannon is anti-conservative (like the G-test) until
#: every category expects this many rows; below it the shares are resampled.
CATEGORY_EXACT_BELOW = 50.0
SMALL = 100  # fewer rows on a side: Wasserstein and KS by multinomial resampling too
TAIL_ROWS = 10.0  # CDF levels where a sample expects fewer rows than this are simulated with Poisson counts
TAIL_SHARE = 0.02  # ...when they hold more than this share of the expected Wasserstein distance
#: Compared sizes at which a prepared reference keeps Poisson-tailed Wasserstein nulls (interpolated between).
SIZE_GRID = (100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000, 3_000_000, 10_000_000)
TABLE_LEVELS = (0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.995, 0.998, 0.999, 0.9995)
SEED = 7_331

#: Smallest effect flagged, per measure, unless a column sets its own.
MIN_EFFECT = {
    "wasserstein": 0.05,  # a twentieth of the reference's standard deviation
    "jensen_shannon": 0.02,  # about a 0.05 sigma shift of a normal; ~3 points of a category's share
    "hellinger": 0.02,
    "psi": 0.005,
    "ks": 0.02,
    "linf": 0.02,  # two points of a category's share
}
NULL_MIN_EFFECT = 0.01  # a change of the missing share below one point is never flagged


@dataclass
class Threshold:
    value: float
    quantile: float  # the resampled quantile alone
    floor: str  # what set the threshold: 'resampled', 'minimum effect' or 'sketch error'
    false_alarm: float  # probability of exceeding it under no drift


def combine(quantile: float, min_effect: float, error: float, tail) -> Threshold:
    """The threshold from its three parts; ``tail(t)`` is P(measure > t) under no drift."""
    candidates = [(quantile, "resampled"), (min_effect, "minimum effect"), (2 * error, "sketch error")]
    value, floor = max(candidates, key=lambda c: c[0])
    alarm = min(ALPHA, max(0.0, float(tail(value)))) if value > 0 else 1.0
    return Threshold(value=float(value), quantile=float(quantile), floor=floor, false_alarm=alarm)


@functools.lru_cache(maxsize=256)
def chi2_quantile(dof: int) -> float:
    from scipy.special import chdtri  # scipy.special: scipy.stats costs ~0.3 ms a call here

    return float(chdtri(max(dof, 1), ALPHA))


def chi2_tail(statistic: float, dof: int) -> float:
    from scipy.special import chdtrc

    return float(chdtrc(max(dof, 1), max(statistic, 0.0)))


def normal_isf(p: float) -> float:
    from scipy.special import ndtri

    return float(-ndtri(p))


def normal_sf(x: float) -> float:
    from scipy.special import ndtr

    return float(ndtr(-x))


def size_factor(reference_n: float, current_n: float) -> float:
    """c = 1/N + 1/n: the variance scale of a difference between samples of these sizes."""
    return 1.0 / max(reference_n, 1) + 1.0 / max(current_n, 1)


# -- binned measures ---------------------------------------------------------------------


def binned_limits(bins: int, c: float) -> dict:
    """Large-sample quantiles and tails of JS distance, Hellinger and PSI on ``bins`` bins."""
    dof = max(bins - 1, 1)
    q = chi2_quantile(dof)
    ln2 = math.log(2)
    return {
        "jensen_shannon": (math.sqrt(c * q / (8 * ln2)), lambda t: chi2_tail(t * t * 8 * ln2 / c, dof)),
        "hellinger": (math.sqrt(c * q / 8), lambda t: chi2_tail(t * t * 8 / c, dof)),
        "psi": (c * q, lambda t: chi2_tail(t / c, dof)),
    }


def ks_limit(c: float):
    from scipy.special import kolmogorov

    return _kolmogorov_quantile() * math.sqrt(c), lambda t: float(kolmogorov(t / math.sqrt(c)))


@functools.lru_cache(maxsize=1)
def _kolmogorov_quantile() -> float:
    from scipy.special import kolmogi

    return float(kolmogi(ALPHA))


def exact_needed(shares, reference_n: float, current_n: float, below: float = EXACT_BELOW) -> bool:
    """Whether some bin expects fewer than ``below`` rows of the smaller side (the limits are not trusted)."""
    import numpy as np

    positive = shares[shares > 0]
    if len(positive) == 0:
        return False
    return float(np.min(positive)) * min(reference_n, current_n) < below


def sorted_quantile(values, q: float) -> float:
    """``np.quantile(values, q)`` (its default, linear method; the same arithmetic, so the same float) of
    values already sorted: np.quantile partitions them again, ~20x the cost of this on a few hundred."""
    import numpy as np

    n = len(values)
    if n == 0 or np.isnan(values[-1]):  # np.sort puts NaN last; np.quantile gives NaN then
        return float("nan")
    virtual = (n - 1) * float(q)
    if virtual >= n - 1:
        return float(values[-1])
    if virtual < 0:
        return float(values[0])
    previous = math.floor(virtual)
    gamma = virtual - previous
    a, b = float(values[previous]), float(values[previous + 1])
    difference = b - a
    return b - difference * (1 - gamma) if gamma >= 0.5 else a + difference * gamma


def empirical(samples) -> tuple[float, callable]:
    """The (1 - ALPHA) quantile of simulated measures and their tail function."""
    import numpy as np

    values = np.sort(np.asarray(samples, dtype=np.float64))
    quantile = sorted_quantile(values, 1 - ALPHA) if len(values) else 0.0

    def tail(t: float) -> float:
        # Counted past the threshold, with one pseudo-count so a finite simulation never says 0.
        return (len(values) - np.searchsorted(values, t, side="right") + 1) / (len(values) + 1)

    return quantile, tail


def multinomial_pairs(shares, reference_n: int, current_n: int, replicates: int = REPLICATES, seed: int = SEED,
                      below: float = EXACT_BELOW):
    """Shares of ``replicates`` independent sample pairs (sizes N and n) drawn from ``shares``.

    A side whose every bin expects ``below`` rows or more is drawn from the
    multinomial's Gaussian limit (the same up to terms that vanish there, and 8x cheaper).
    """
    import numpy as np

    rng = np.random.default_rng(seed)
    p = np.asarray(shares, dtype=np.float64)
    p = p / p.sum()

    def draw(size: int):
        size = max(int(size), 1)
        positive = p[p > 0]
        if len(positive) and float(positive.min()) * size >= below:
            g = gaussian_share_differences(p, 1.0 / size, replicates, seed=int(rng.integers(1 << 30)))
            return np.clip(p + g, 0.0, None)
        return rng.multinomial(size, p, size=replicates) / size

    return draw(reference_n), draw(current_n)


def gaussian_share_differences(shares, c: float, replicates: int = BRIDGES, seed: int = SEED):
    """Differences of shares between two samples, in the large-sample (Gaussian) limit."""
    import numpy as np

    rng = np.random.default_rng(seed)
    p = np.asarray(shares, dtype=np.float64)
    root = np.sqrt(p)
    z = rng.standard_normal((replicates, len(p)))
    g = root * z - p * (z @ root)[:, None]  # covariance diag(p) - p p^T
    return math.sqrt(c) * g


# -- Wasserstein ------------------------------------------------------------------------------


def bridge_levels(reference_n: int):
    """CDF levels the Brownian bridge is simulated at: 0, uniform steps of 1/GRID, 2**-k toward both ends, 1."""
    import numpy as np

    floor = 0.5 / max(reference_n, 1)
    tails = 2.0 ** -np.arange(1, 31)
    tails = tails[tails > floor]
    levels = np.concatenate([[0.0, 1.0], np.arange(1, GRID) / GRID, tails, 1 - tails])
    return np.unique(np.clip(levels, 0.0, 1.0))


def gaussian_bridge(levels, replicates: int = BRIDGES, seed: int = SEED):
    """|B(t)| at ``levels`` (0 ... 1) for ``replicates`` Brownian bridges B."""
    import numpy as np

    rng = np.random.default_rng(seed)
    steps = np.diff(levels)
    z = rng.standard_normal((replicates, len(steps))) * np.sqrt(steps)
    walk = np.cumsum(z, axis=1)
    bridge = walk - levels[1:] * walk[:, -1:]  # B(t) = W(t) - t W(1)
    return np.abs(np.concatenate([np.zeros((replicates, 1)), bridge], axis=1))


def integrate(absolute, weight_low, weight_high):
    """Σ_j |D(t_j)|·weight_low[j] + |D(t_j+1)|·weight_high[j]: ∫|D(F(x))|dx with |D| linear in t."""
    return absolute[:, :-1] @ weight_low + absolute[:, 1:] @ weight_high


def tail_share(levels, weight_low, weight_high, rows: float) -> float:
    """The share of E∫|B(F(x))|dx that lies where fewer than TAIL_ROWS rows of a ``rows`` sample fall."""
    import numpy as np

    expected = np.sqrt(2 * levels * (1 - levels) / np.pi)
    parts = expected[:-1] * weight_low + expected[1:] * weight_high
    total = float(parts.sum())
    if total <= 0:
        return 0.0
    outer = (rows * np.minimum(levels[:-1], 1 - levels[1:])) < TAIL_ROWS
    return float(parts[outer].sum()) / total


def gaussian_from(levels, weight_low, weight_high, most: int) -> Optional[int]:
    """The smallest sample size in [1, most] at which ``tail_share`` is at most TAIL_SHARE (None: none).

    ``tail_share`` only falls as the sample grows (fewer levels lie in its tails), so a
    bisection on it finds the size where the Gaussian limit takes over, exactly as
    evaluating it at every size would."""
    def gaussian(rows: int) -> bool:
        return tail_share(levels, weight_low, weight_high, rows) <= TAIL_SHARE

    most = max(int(most), 1)
    if not gaussian(most):
        return None
    low, high = 1, most  # gaussian(high) holds
    while low < high:
        middle = (low + high) // 2
        if gaussian(middle):
            high = middle
        else:
            low = middle + 1
    return low


def wasserstein_with_tails(levels, weight_low, weight_high, reference_n: int, current_n: int,
                           replicates: int = BRIDGES, seed: int = SEED):
    """Samples of W(F_N, F_n) (raw units) under no drift: the Gaussian bridge where both samples
    have many rows, Poisson counts of both samples in the tails where either has few.

    In a heavy tail a sample holds a handful of far values, and each moves W by a
    lot: the Gaussian limit misses that, Poisson counts (the small-count limit of
    the multinomial) do not.
    """
    import numpy as np

    rng = np.random.default_rng(seed + 1)
    c = size_factor(reference_n, current_n)
    absolute = gaussian_bridge(levels, replicates, seed) * math.sqrt(c)
    rows = min(reference_n, current_n)
    mass = np.diff(levels)
    low = np.flatnonzero(rows * levels < TAIL_ROWS)  # levels in the lower tail (0 included)
    high = np.flatnonzero(rows * (1 - levels) < TAIL_ROWS)  # levels in the upper tail (1 included)
    for tail, forward in ((low, True), (high, False)):
        if len(tail) < 2:
            continue
        lam = mass[tail[:-1]]  # the mass between consecutive tail levels
        a = rng.poisson(lam * reference_n, size=(replicates, len(lam))) / reference_n
        b = rng.poisson(lam * current_n, size=(replicates, len(lam))) / current_n
        if forward:  # F_ref - F_cur at each tail level, summed from the left
            d = np.concatenate([np.zeros((replicates, 1)), np.cumsum(a - b, axis=1)], axis=1)
            absolute[:, tail] = np.abs(d)
        else:  # from the right: minus the mass above each level
            d = np.concatenate([np.cumsum((a - b)[:, ::-1], axis=1)[:, ::-1], np.zeros((replicates, 1))], axis=1)
            absolute[:, tail] = np.abs(d)
    return integrate(absolute, weight_low, weight_high)


def quantile_table(samples) -> list:
    """[[p, quantile]] of simulated samples at TABLE_LEVELS: what a profile keeps of a simulation."""
    import numpy as np

    values = np.quantile(np.asarray(samples, dtype=np.float64), TABLE_LEVELS)
    return [[float(p), float(q)] for p, q in zip(TABLE_LEVELS, values)]


def from_table(table) -> tuple[float, callable]:
    """(1 - ALPHA) quantile and tail function from a quantile table (log-tail linear between points)."""
    import numpy as np

    ps = np.array([p for p, _ in table])
    qs = np.maximum.accumulate(np.array([q for _, q in table]))
    quantile = float(np.interp(1 - ALPHA, ps, qs))
    logs = np.log(1 - ps)

    def tail(t: float) -> float:
        if t <= qs[0]:
            return float(1 - ps[0]) if t >= 0 else 1.0
        if t >= qs[-1]:
            spread = max(qs[-1] - qs[-3], 1e-300)
            return float(np.exp(logs[-1] - (t - qs[-1]) / spread * (logs[-3] - logs[-1])))
        return float(np.exp(np.interp(t, qs, logs)))

    return quantile, tail


def wasserstein_of_shares(a, b, gaps):
    """W1 between binned distributions (rows of shares) with F linear inside each bin."""
    import numpy as np

    d = np.cumsum(a - b, axis=-1)
    d = np.concatenate([np.zeros(d.shape[:-1] + (1,)), d], axis=-1)
    left, right = d[..., :-1], d[..., 1:]
    same = left * right >= 0
    total = np.abs(left) + np.abs(right)
    with np.errstate(invalid="ignore", divide="ignore"):
        crossing = np.where(total > 0, (left * left + right * right) / (2 * total), 0.0)
    area = np.where(same, total / 2, crossing)
    return area @ np.asarray(gaps, dtype=np.float64)


def ks_of_shares(a, b):
    import numpy as np

    return np.max(np.abs(np.cumsum(a - b, axis=-1)), axis=-1)


def null_share_threshold(reference_share: float, reference_n: int, current_n: int,
                         min_effect: float = NULL_MIN_EFFECT) -> Threshold:
    """Threshold of |change in the share of missing values| (two-proportion normal limit)."""
    p = min(max(reference_share, 0.0), 1.0)
    sd = math.sqrt(p * (1 - p) * size_factor(reference_n, current_n))
    quantile = normal_isf(ALPHA / 2) * sd

    def tail(t: float) -> float:
        return 2 * normal_sf(t / sd) if sd > 0 else (0.0 if t > 0 else 1.0)

    return combine(quantile, min_effect, 0.0, tail)


def expected_false_alarms(alarms) -> float:
    return float(sum(a for a in alarms if a is not None))


def minimum_effect(measure: str, overrides: Optional[dict], column: str) -> float:
    """The minimum effect of ``measure`` for ``column``: a number for every column, or {column: number}."""
    if overrides is None:
        return MIN_EFFECT[measure]
    if isinstance(overrides, (int, float)) and not isinstance(overrides, bool):
        return float(overrides)
    value = overrides.get(column, overrides.get("*", MIN_EFFECT[measure]))
    return float(value)
