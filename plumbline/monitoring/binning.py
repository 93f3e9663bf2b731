"""Histograms on one lattice shared by every profile, so comparisons and merges are exact.

A profile counts a numeric column's values in bins ``[i * 2**e, (i + 1) * 2**e)``
for integers ``i``: the bin width is a power of two and the edges are its
multiples, whatever the data. Two profiles therefore always share edges: the
finer one is coarsened (``i >> (e2 - e1)``, adjacent bins added) to the
coarser width, and both then count the *same* bins exactly — no interpolation,
no error from re-binning. Merging is adding counts after the same alignment.

The width is chosen per profile from the spread of the middle 99.8% of its
values (``CORE_BINS`` bins across it); values further out keep their own
lattice bins, stored sparsely (only non-empty bins are kept), so one outlier
does not flatten the histogram. At most ``MAX_BINS`` non-empty bins are kept:
beyond that the width doubles until they fit, which bounds a profile's size.

From these counts a comparison builds its bins (``comparison_edges``): cut
points at lattice edges where the reference's cumulative share crosses equal
steps, so every comparison bin holds about the same share of the reference.
Measures on those bins (Jensen–Shannon, PSI, Hellinger) are then exact: the
same as binning the raw rows at the same edges. The Wasserstein distance from
lattice counts is within one bin width of the exact value on the raw rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

CORE_BINS = 1024  # bins across the middle 99.8% of a column's values
MAX_BINS = 4096  # non-empty bins kept per column at most
DENSE_LIMIT = 1 << 20  # widest index range counted with one bincount
MIN_EXP, MAX_EXP = -1000, 1000  # 2**e stays a normal float64
CHUNK = 1 << 20  # rows binned at a time (bounds the temporaries)


@dataclass
class Lattice:
    """Non-empty bins ``index`` (sorted int64) with their ``counts`` (int64), width ``2**exp``."""

    exp: int
    index: Any
    counts: Any

    @property
    def width(self) -> float:
        return 2.0 ** self.exp

    @property
    def total(self) -> int:
        return int(self.counts.sum())

    def coarsened(self, exp: int) -> "Lattice":
        """The same counts on the coarser lattice of width ``2**exp`` (exp >= self.exp)."""
        import numpy as np

        if exp < self.exp:
            raise ValueError(f"cannot refine a lattice from 2**{self.exp} to 2**{exp}")
        if exp == self.exp or len(self.index) == 0:
            return Lattice(exp, self.index.copy(), self.counts.copy())
        index = self.index >> (exp - self.exp)  # arithmetic shift: floor division for negatives too
        return Lattice(exp, *_sum_sorted(index, self.counts, np))

    def limited(self, max_bins: int = MAX_BINS) -> "Lattice":
        lattice = self
        while len(lattice.index) > max_bins and lattice.exp < MAX_EXP:
            lattice = lattice.coarsened(lattice.exp + 1)
        return lattice

    def to_json(self) -> dict:
        import numpy as np

        deltas = np.diff(self.index, prepend=self.index[:1]) if len(self.index) else self.index
        return {"log2_width": self.exp, "start": int(self.index[0]) if len(self.index) else 0,
                "steps": deltas[1:].tolist(), "counts": self.counts.tolist()}

    @classmethod
    def from_json(cls, data: dict) -> "Lattice":
        import numpy as np

        counts = np.asarray(data["counts"], dtype=np.int64)
        steps = np.asarray(data["steps"], dtype=np.int64)
        if len(counts) == 0:
            return cls(int(data["log2_width"]), np.zeros(0, np.int64), counts)
        if len(steps) != len(counts) - 1 or (steps <= 0).any() or (counts < 0).any():
            raise ValueError("a profile's histogram is damaged (steps and counts disagree)")
        index = np.concatenate([[int(data["start"])], int(data["start"]) + np.cumsum(steps)]).astype(np.int64)
        return cls(int(data["log2_width"]), index, counts)


def empty(exp: int = 0) -> Lattice:
    import numpy as np

    return Lattice(exp, np.zeros(0, np.int64), np.zeros(0, np.int64))


def width_exponent(low: float, high: float, largest: float) -> int:
    """The lattice exponent for values whose middle spans [low, high] and whose largest magnitude is ``largest``."""
    import math

    spread = high - low
    if not spread > 0 or not math.isfinite(spread):
        spread = abs(largest) or 1.0  # a constant column: any width holds it in one bin
    exp = math.floor(math.log2(spread / CORE_BINS))
    # Bin indices stay exact integers in float64 (below 2**52), so binning is exact.
    while abs(largest) / 2.0 ** exp > 2.0 ** 52:
        exp += 1
    return max(MIN_EXP, min(MAX_EXP, exp))


def build(values, exp: int, low: float, high: float) -> Lattice:
    """Count finite float64 ``values`` on the lattice ``2**exp``; [low, high] is their middle (dense part)."""
    import numpy as np

    if len(values) == 0:
        return empty(exp)
    scale = 2.0 ** -exp
    vmin, vmax = float(values.min()), float(values.max())
    first, last = int(np.floor(vmin * scale)), int(np.floor(vmax * scale))
    if last - first < DENSE_LIMIT:
        core_first, core_last = first, last
    else:  # far outliers: count the middle densely, the tails sparsely
        core_first = max(first, int(np.floor(low * scale)) - CORE_BINS)
        core_last = min(last, int(np.floor(high * scale)) + CORE_BINS)
        if core_last - core_first >= DENSE_LIMIT:
            core_first, core_last = core_first, core_first + DENSE_LIMIT - 1
    size = core_last - core_first + 1
    dense = np.zeros(size, dtype=np.int64)
    tails_index, tails_counts = [], []
    buffer = np.empty(min(CHUNK, len(values)), dtype=np.float64)
    for start in range(0, len(values), CHUNK):
        part = values[start:start + CHUNK]
        scaled = buffer[:len(part)]
        np.multiply(part, scale, out=scaled)  # exact: a power of two
        np.floor(scaled, out=scaled)
        scaled -= core_first  # exact: integers below 2**52 (width_exponent)
        if core_first == first and core_last == last:
            dense += np.bincount(scaled.astype(np.intp), minlength=size)[:size]
            continue
        inside = (scaled >= 0) & (scaled < size)
        dense += np.bincount(scaled[inside].astype(np.intp), minlength=size)[:size]
        outside = scaled[~inside]
        if len(outside):
            idx, cnt = np.unique(outside.astype(np.int64), return_counts=True)
            tails_index.append(idx + core_first)
            tails_counts.append(cnt.astype(np.int64))
    nonzero = np.flatnonzero(dense)
    index = (nonzero + core_first).astype(np.int64)
    counts = dense[nonzero]
    if tails_index:
        index = np.concatenate([index, *tails_index])
        counts = np.concatenate([counts, *tails_counts])
        order = np.argsort(index, kind="stable")
        index, counts = _sum_sorted(index[order], counts[order], np)
    return Lattice(exp, index, counts).limited()


def aligned(a: Lattice, b: Lattice) -> tuple[Lattice, Lattice]:
    """Both on the coarser of their two lattices."""
    exp = max(a.exp, b.exp)
    return a.coarsened(exp), b.coarsened(exp)


def merged(a: Lattice, b: Lattice) -> Lattice:
    import numpy as np

    a, b = aligned(a, b)
    index = np.concatenate([a.index, b.index])
    counts = np.concatenate([a.counts, b.counts])
    order = np.argsort(index, kind="stable")
    return Lattice(a.exp, *_sum_sorted(index[order], counts[order], np)).limited()


def union_counts(a: Lattice, b: Lattice):
    """(sorted union of bins, counts of a, counts of b) of two lattices of the same width."""
    import numpy as np

    if a.exp != b.exp:
        raise ValueError("align the lattices first")
    union = sorted_union(a.index, b.index)
    ca = np.zeros(len(union), np.int64)
    cb = np.zeros(len(union), np.int64)
    ca[np.searchsorted(union, a.index)] = a.counts
    cb[np.searchsorted(union, b.index)] = b.counts
    return union, ca, cb


def sorted_union(a, b):
    """The sorted distinct values of two sorted arrays (``np.union1d``, without its hash-and-sort pass)."""
    import numpy as np

    both = np.concatenate([a, b])
    both.sort(kind="stable")  # two sorted runs: one merge
    if len(both) < 2:
        return both
    keep = np.empty(len(both), dtype=bool)
    keep[0] = True
    np.not_equal(both[1:], both[:-1], out=keep[1:])
    return both[keep]


def comparison_edges(union, reference_counts, bins: int):
    """Lattice indices where comparison bins start (after the first): equal shares of the reference.

    Bin ``j`` is ``[edge[j-1], edge[j])`` in lattice units, the first open to the
    left and the last to the right, so current values outside the reference's
    range are counted too. A point mass holding more than one share makes fewer bins.
    """
    import numpy as np

    cumulative = np.cumsum(reference_counts)
    total = cumulative[-1] if len(cumulative) else 0
    if total == 0 or bins < 2:
        return np.zeros(0, np.int64)
    targets = total * np.arange(1, bins) / bins
    positions = np.searchsorted(cumulative, targets, side="left")
    positions = positions[positions < len(union) - 1]
    return np.unique(union[positions] + 1)


def counts_in(union, counts, edges):
    """Counts of ``counts`` (on ``union`` bins) in the comparison bins starting at ``edges``."""
    import numpy as np

    which = np.searchsorted(edges, union, side="right")
    return np.bincount(which, weights=counts, minlength=len(edges) + 1).astype(np.float64)


def display_bins(a: Lattice, b: Lattice, low: float, high: float, bins: int = 30) -> Optional[dict]:
    """Shares of a and b on about ``bins`` equal-width lattice bins over [low, high], plus below/above."""
    import math

    import numpy as np

    if a.exp != b.exp:
        a, b = aligned(a, b)
    totals = (a.total, b.total)
    if not (math.isfinite(low) and math.isfinite(high)) or sum(totals) == 0:
        return None
    spread = high - low
    exp = a.exp
    while spread / 2.0 ** exp > bins and exp < MAX_EXP:
        exp += 1
    width = 2.0 ** exp
    first, last = math.floor(low / width), math.floor(high / width)
    edges = np.arange(first, last + 2, dtype=np.int64)

    def shares(lattice: Lattice, total: int):
        # Bins of the coarser display lattice by shifting the indices (the counts add up in bincount).
        which = np.searchsorted(edges, lattice.index >> (exp - lattice.exp), side="right")  # 0: below
        counts = np.bincount(which, weights=lattice.counts, minlength=len(edges) + 1)
        return (counts / max(total, 1)).tolist()

    sa, sb = shares(a, totals[0]), shares(b, totals[1])
    return {
        "edges": (edges * width).tolist(),
        "reference": sa[1:-1], "current": sb[1:-1],
        "reference_below": sa[0], "current_below": sb[0],
        "reference_above": sa[-1], "current_above": sb[-1],
    }


def _sum_sorted(index, counts, np):
    """Add the counts of equal (sorted) indices."""
    if len(index) == 0:
        return index.astype(np.int64), counts.astype(np.int64)
    starts = np.flatnonzero(np.concatenate([[True], index[1:] != index[:-1]]))
    return index[starts].astype(np.int64), np.add.reduceat(counts, starts).astype(np.int64)
