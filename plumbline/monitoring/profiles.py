"""Profiles: a compact, mergeable, serializable summary of a table, column by column.

Per column (``ColumnProfile``): rows and missing values; for numbers
(``NumericSummary``) the exact count, min, max, mean and variance (kept as a
sum of squared deviations, merged with Chan's formula), a histogram on the
shared power-of-two lattice (``binning.py``; exact counts), a KLL quantile
sketch (Apache DataSketches) and an HLL distinct estimate; for categories
(``CategorySummary``) the counts of the most frequent values in a DataSketches
frequent-items sketch, the rest of the rows, and an HLL distinct estimate.

**Stated errors.** Counts, nulls, min, max, mean, std and histogram counts
are exact (up to float rounding). Quantiles and ranks are within
``NumericSummary.rank_error`` of the truth with 99% confidence: the KLL
sketch's own normalized rank error (``normalized_rank_error(False)``, the
library's 99th-percentile fit) plus, for columns longer than
``KLL_SAMPLE`` values, the Dvoretzky–Kiefer–Wolfowitz bound of the uniform
sample the sketch reads (``sqrt(ln(2/0.01) / 2m)`` for m sampled values: 0.32%
at m = 2**18). The sample keeps the sketch's cost flat: reading 10M values
costs the sketch 0.37 s on one core here, reading 262,144 costs 10 ms. Category
counts are exact for the ``ITEM_CAPACITY`` most frequent values of a profile
(larger counts are never missing); ``CategorySummary.count_error`` bounds the
count of any value after merges. HLL distinct counts are within about 1.6%
(lg_k = 12); for float columns the HLL reads at most ``HLL_VALUES`` sampled
values, so the estimate is a lower bound (``distinct_lower_bound``).

**Merging.** ``a.merge(b)`` is the profile of the rows of both, within the same
errors: moments, counts and histograms exactly; KLL sketches merge (a
sketch that read a sparser sample is merged 2**k times, so every row weighs
the same); frequent items and HLL sketches merge as the library merges them.

**Bounded.** Columns are read in chunks; a column costs its exact passes
(sum, dot, min, max, one binning pass) plus a bounded sample; a profile is a
few KB per column (``Profile.to_bytes``: JSON, zlib-compressed).
"""

from __future__ import annotations

import base64
import json
import math
import time
import zlib
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Optional

from . import binning
from .kinds import BOOLEAN, CATEGORY_KINDS, DATETIME, NUMBER_KINDS, NUMERIC, ColumnValues, as_frame, column_names, column_values

FORMAT = "plumbline-profile"
VERSION = 1
KLL_K = 200  # rank error 1.33% (99%); 5 KB per column
KLL_SAMPLE = 1 << 18  # values the quantile sketch reads per column at most
KLL_FEED = 1 << 15  # values per sketch update call: holds the GIL ~1 ms at a time
HLL_LG_K = 12  # distinct estimates within ~1.6%
HLL_VALUES = 1 << 14  # float values fed to the distinct sketch at most
DISTINCT_FEED = 1 << 16  # category values fed to the distinct sketch at most
ITEMS_LG = 10  # frequent-items map of 1,024 slots: 768 values counted exactly
ITEM_CAPACITY = 768
CONFIDENCE_LN = math.log(2 / 0.01)  # DKW at 99%
SEED = 20_250_101


def _ds():
    import datasketches

    return datasketches


@dataclass
class NumericSummary:
    n: int  # finite values
    infinite: int
    minimum: float
    maximum: float
    mean: float
    m2: float  # sum of squared deviations from the mean
    integer: bool  # an integer dtype: a lattice bin of width <= 1 holds one value
    lattice: binning.Lattice
    kll: Any  # datasketches.kll_doubles_sketch of a sample at rate 2**-kll_exp
    kll_exp: int
    sample_error: float  # DKW bound of that sample (0 when the sketch read every value)
    hll: Any
    distinct_lower_bound: bool
    #: This column's Wasserstein null tables (drift.bridge_table); computed when first needed.
    bridge: Optional[dict] = None

    @property
    def variance(self) -> float:
        return self.m2 / (self.n - 1) if self.n > 1 else 0.0

    @property
    def std(self) -> float:
        return math.sqrt(max(self.variance, 0.0))

    @property
    def rank_error(self) -> float:
        """Bound on the error of any rank or CDF value from ``kll`` (99% confidence)."""
        if self.n == 0:
            return 0.0
        sketch = self.kll.normalized_rank_error(False) if self.kll.is_estimation_mode() else 0.0
        return sketch + self.sample_error

    @property
    def distinct(self) -> float:
        if self.n == 0:
            return 0.0
        if self.integer and self.lattice.exp <= 0:
            return float(len(self.lattice.index))  # one integer per bin: exact
        return float(self.hll.get_estimate())

    def kll_items(self):
        """(items, weights) the KLL sketch retains, as float64 arrays (what iterating it yields).

        Read from the sketch's serialized form (``kll_retained``): iterating the
        binding yields one Python tuple per item, ~0.5 µs each, the bulk of a comparison's time.
        """
        return kll_retained(self.kll)

    def quantiles(self, qs: Iterable[float]) -> list[float]:
        if self.n == 0:
            return []
        return [float(v) for v in self.kll.get_quantiles(list(qs))]

    def merge(self, other: "NumericSummary") -> "NumericSummary":
        ds = _ds()
        if other.n == 0:
            return _copy_numeric(self, infinite=self.infinite + other.infinite)
        if self.n == 0:
            return _copy_numeric(other, infinite=self.infinite + other.infinite)
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = self.mean + delta * other.n / n
        m2 = self.m2 + other.m2 + delta * delta * self.n * other.n / n
        exp = min(self.kll_exp, other.kll_exp)
        kll = ds.kll_doubles_sketch(KLL_K)
        for part in (self, other):
            for _ in range(2 ** (part.kll_exp - exp)):  # equal weight per row
                kll.merge(part.kll)
        union = ds.hll_union(HLL_LG_K)
        union.update(self.hll)
        union.update(other.hll)
        return NumericSummary(
            n=n, infinite=self.infinite + other.infinite, minimum=min(self.minimum, other.minimum),
            maximum=max(self.maximum, other.maximum), mean=mean, m2=m2, integer=self.integer and other.integer,
            lattice=binning.merged(self.lattice, other.lattice), kll=kll, kll_exp=exp,
            sample_error=(self.sample_error * self.n + other.sample_error * other.n) / n,
            hll=union.get_result(), distinct_lower_bound=self.distinct_lower_bound or other.distinct_lower_bound,
        )

    def to_json(self) -> dict:
        return {
            "n": self.n, "infinite": self.infinite, "min": _num(self.minimum), "max": _num(self.maximum),
            "mean": _num(self.mean), "m2": _num(self.m2), "integer": self.integer,
            "lattice": self.lattice.to_json(), "kll": _b64(self.kll.serialize()), "kll_log2_rate": -self.kll_exp,
            "sample_error": self.sample_error, "hll": _b64(self.hll.serialize_compact()),
            "distinct_lower_bound": self.distinct_lower_bound, "bridge": self.bridge,
        }

    @classmethod
    def from_json(cls, data: dict) -> "NumericSummary":
        ds = _ds()
        return cls(
            n=int(data["n"]), infinite=int(data["infinite"]), minimum=_float(data["min"]), maximum=_float(data["max"]),
            mean=_float(data["mean"]), m2=_float(data["m2"]), integer=bool(data["integer"]),
            lattice=binning.Lattice.from_json(data["lattice"]),
            kll=ds.kll_doubles_sketch.deserialize(_unb64(data["kll"])), kll_exp=-int(data["kll_log2_rate"]),
            sample_error=float(data["sample_error"]), hll=ds.hll_sketch.deserialize(_unb64(data["hll"])),
            distinct_lower_bound=bool(data["distinct_lower_bound"]),
            bridge=data["bridge"] if isinstance(data.get("bridge"), dict) else None,
        )


@dataclass
class CategorySummary:
    n: int  # values present
    items: Any  # datasketches.frequent_strings_sketch
    rest: int  # values not fed to the sketch (beyond its capacity)
    truncation: int  # largest count of a value not fed (bounds what the sketch may miss)
    hll: Any
    distinct_exact: Optional[int]  # known exactly for a profile of one table
    hll_complete: bool

    @property
    def count_error(self) -> float:
        """Bound on the error of any value's count (0 while every value was counted exactly)."""
        if self.n == 0:
            return 0.0
        cached = self.__dict__.get("_count_error")
        if cached is None:
            errors = max((upper - lower for _, _, lower, upper in self._items()), default=0)
            cached = self.__dict__["_count_error"] = float(errors + self.truncation)
        return cached

    @property
    def distinct(self) -> float:
        if self.distinct_exact is not None:
            return float(self.distinct_exact)
        return float(self.hll.get_estimate()) if self.n else 0.0

    @property
    def distinct_lower_bound(self) -> bool:
        return self.distinct_exact is None and not self.hll_complete

    def counts(self) -> list[tuple[str, float]]:
        """(value, estimated count), most frequent first (ties by value)."""
        cached = self.__dict__.get("_counts")
        if cached is None:
            cached = sorted(((item, float(estimate)) for item, estimate, _, _ in self._items()),
                            key=lambda pair: (-pair[1], pair[0]))
            self.__dict__["_counts"] = cached
        return cached

    def _items(self):
        if self.n == 0 or self.items.is_empty():
            return []
        return self.items.get_frequent_items(_ds().frequent_items_error_type.NO_FALSE_NEGATIVES)

    def merge(self, other: "CategorySummary") -> "CategorySummary":
        ds = _ds()
        items = ds.frequent_strings_sketch.deserialize(self.items.serialize())
        items.merge(other.items)
        union = ds.hll_union(HLL_LG_K)
        union.update(self.hll)
        union.update(other.hll)
        return CategorySummary(
            n=self.n + other.n, items=items, rest=self.rest + other.rest,
            truncation=self.truncation + other.truncation, hll=union.get_result(),
            distinct_exact=(self.distinct_exact if other.n == 0 else other.distinct_exact if self.n == 0 else None),
            hll_complete=self.hll_complete and other.hll_complete,
        )

    def to_json(self) -> dict:
        return {"n": self.n, "items": _b64(self.items.serialize()), "rest": self.rest, "truncation": self.truncation,
                "hll": _b64(self.hll.serialize_compact()), "distinct": self.distinct_exact,
                "hll_complete": self.hll_complete}

    @classmethod
    def from_json(cls, data: dict) -> "CategorySummary":
        ds = _ds()
        return cls(n=int(data["n"]), items=ds.frequent_strings_sketch.deserialize(_unb64(data["items"])),
                   rest=int(data["rest"]), truncation=int(data["truncation"]),
                   hll=ds.hll_sketch.deserialize(_unb64(data["hll"])),
                   distinct_exact=None if data["distinct"] is None else int(data["distinct"]),
                   hll_complete=bool(data["hll_complete"]))


@dataclass
class ColumnProfile:
    name: str
    kind: str
    dtype: str
    rows: int
    nulls: int
    numeric: Optional[NumericSummary] = None
    categories: Optional[CategorySummary] = None
    notes: list = field(default_factory=list)

    @property
    def present(self) -> int:
        """Rows with a value (infinite numbers included)."""
        return self.rows - self.nulls

    @property
    def null_share(self) -> float:
        return self.nulls / self.rows if self.rows else 0.0

    def merge(self, other: "ColumnProfile") -> "ColumnProfile":
        if other.rows == 0:
            return _copy_column(self)
        if self.rows == 0:
            return _copy_column(other)
        if (self.kind in NUMBER_KINDS) != (other.kind in NUMBER_KINDS):
            raise ValueError(f"column '{self.name}' holds {self.kind} values in one profile and {other.kind} values "
                             "in the other: profiles of different schemas cannot be merged.")
        notes = list(dict.fromkeys(self.notes + other.notes))
        return ColumnProfile(
            name=self.name, kind=self.kind, dtype=self.dtype if self.dtype == other.dtype else f"{self.dtype}|{other.dtype}",
            rows=self.rows + other.rows, nulls=self.nulls + other.nulls,
            numeric=self.numeric.merge(other.numeric) if self.numeric else None,
            categories=self.categories.merge(other.categories) if self.categories else None, notes=notes,
        )

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "dtype": self.dtype, "rows": self.rows, "nulls": self.nulls,
                "notes": self.notes, "numeric": self.numeric.to_json() if self.numeric else None,
                "categories": self.categories.to_json() if self.categories else None}

    @classmethod
    def from_json(cls, data: dict) -> "ColumnProfile":
        return cls(name=str(data["name"]), kind=str(data["kind"]), dtype=str(data["dtype"]), rows=int(data["rows"]),
                   nulls=int(data["nulls"]), notes=[str(n) for n in data.get("notes") or []],
                   numeric=NumericSummary.from_json(data["numeric"]) if data.get("numeric") else None,
                   categories=CategorySummary.from_json(data["categories"]) if data.get("categories") else None)


@dataclass
class Profile:
    """The profile of one table (or of several merged). ``columns`` keeps the table's order."""

    rows: int
    columns: dict  # name -> ColumnProfile
    multivariate: Optional[dict] = None  # multivariate.Model.to_json() of this table, if fitted
    created_at: float = field(default_factory=time.time)
    label: Optional[str] = None
    notes: list = field(default_factory=list)

    def __repr__(self) -> str:
        return f"<plumbline Profile: {self.rows:,} rows x {len(self.columns)} columns>"

    def __getitem__(self, name: str) -> ColumnProfile:
        return self.columns[name]

    def merge(self, other: "Profile") -> "Profile":
        """The profile of the rows of both (the multivariate model does not merge: it is dropped)."""
        if not isinstance(other, Profile):
            raise TypeError(f"merge takes a Profile, not {type(other).__name__}")
        names = list(self.columns) + [n for n in other.columns if n not in self.columns]
        columns = {}
        for name in names:
            a, b = self.columns.get(name), other.columns.get(name)
            if a is None or b is None:
                # A column one part lacks: its rows there count as missing values.
                have = a or b
                missing_rows = other.rows if a is not None else self.rows
                blank = ColumnProfile(name, have.kind, have.dtype, missing_rows, missing_rows,
                                      numeric=_empty_numeric() if have.numeric else None,
                                      categories=_empty_categories() if have.categories else None)
                columns[name] = (a or blank).merge(b or blank)
            else:
                columns[name] = a.merge(b)
        notes = list(dict.fromkeys(self.notes + other.notes))
        return Profile(rows=self.rows + other.rows, columns=columns, multivariate=None,
                       created_at=max(self.created_at, other.created_at), label=None, notes=notes)

    def to_json(self) -> dict:
        return {"format": FORMAT, "version": VERSION, "rows": self.rows, "created_at": self.created_at,
                "label": self.label, "notes": self.notes, "columns": [c.to_json() for c in self.columns.values()],
                "multivariate": self.multivariate}

    @classmethod
    def from_json(cls, data: dict) -> "Profile":
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise ValueError("not a Plumbline profile")
        if int(data.get("version", 0)) > VERSION:
            raise ValueError(f"this profile has format version {data.get('version')}; this Plumbline reads up to "
                             f"{VERSION}: upgrade Plumbline.")
        columns = [ColumnProfile.from_json(c) for c in data["columns"]]
        return cls(rows=int(data["rows"]), columns={c.name: c for c in columns}, multivariate=data.get("multivariate"),
                   created_at=float(data.get("created_at") or 0.0), label=data.get("label"),
                   notes=[str(n) for n in data.get("notes") or []])

    def to_bytes(self) -> bytes:
        """The serialized profile: JSON (sketches in base64), zlib-compressed."""
        return zlib.compress(json.dumps(self.to_json(), separators=(",", ":"), allow_nan=False).encode(), 6)

    @classmethod
    def from_bytes(cls, data: bytes) -> "Profile":
        try:
            text = zlib.decompress(data)
        except zlib.error as exc:
            raise ValueError(f"not a Plumbline profile (not zlib data: {exc})") from None
        return cls.from_json(json.loads(text))

    def summary(self) -> list[dict]:
        """One plain row per column (for ``to_frame`` and the text view)."""
        out = []
        for c in self.columns.values():
            row = {"column": c.name, "kind": c.kind, "dtype": c.dtype, "rows": c.rows, "nulls": c.nulls}
            if c.numeric is not None and c.numeric.n:
                q = c.numeric.quantiles([0.25, 0.5, 0.75])
                row.update(mean=c.numeric.mean, std=c.numeric.std, min=c.numeric.minimum, p25=q[0], p50=q[1],
                           p75=q[2], max=c.numeric.maximum, distinct=c.numeric.distinct)
            if c.categories is not None and c.categories.n:
                top = c.categories.counts()[:1]
                row.update(distinct=c.categories.distinct, top=top[0][0] if top else None,
                           top_share=top[0][1] / c.categories.n if top else None)
            out.append(row)
        return out

    def to_frame(self):
        import pandas as pd

        return pd.DataFrame(self.summary()).set_index("column")

    def prepare_reference(self) -> "Profile":
        """Simulate what comparisons against this profile need once (each numeric column's Wasserstein
        nulls, at the sizes of ``thresholds.SIZE_GRID``), so it is kept in the bytes and later
        comparisons skip it (tens of ms per numeric column, once)."""
        from .drift import bridge_table
        from .thresholds import SIZE_GRID

        for column in self.columns.values():
            if column.numeric is not None and column.numeric.n > 1 and column.numeric.std > 0:
                bridge_table(column.numeric, SIZE_GRID)
        return self


# -- building ------------------------------------------------------------------------------


def profile(value: Any, *, name: str = "value", threads: int = 2, multivariate: bool = True,
            label: Optional[str] = None, checkpoint: Optional[Callable[[], None]] = None) -> Profile:
    """The profile of a DataFrame (Series, array, table with ``to_pandas``).

    ``threads``: columns profiled at once (numpy releases the GIL, so two use
    both cores); ``multivariate``: also fit the PCA model a multivariate drift
    comparison uses against this table (``multivariate.py``); ``checkpoint``:
    called before each column (the kernel's profiler pauses there while a cell runs).
    """
    frame = as_frame(value, name)
    names = column_names(frame)
    rows = len(frame)

    def one(i: int) -> ColumnProfile:
        if checkpoint is not None:
            checkpoint()
        return profile_column(column_values(names[i], frame.iloc[:, i]), seed=SEED + i)

    if threads > 1 and frame.shape[1] > 1:
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="plumbline-profile") as pool:
            columns = list(pool.map(one, range(frame.shape[1])))
    else:
        columns = [one(i) for i in range(frame.shape[1])]
    result = Profile(rows=rows, columns={c.name: c for c in columns}, label=label)
    if multivariate and rows > 1:
        from .multivariate import fit_model

        model, note = fit_model(frame, result)
        result.multivariate = model
        if note:
            result.notes.append(note)
    return result


def profile_column(column: ColumnValues, seed: int = SEED) -> ColumnProfile:
    if column.kind in NUMBER_KINDS:
        numbers = column.numbers
        summary, nulls = numeric_summary(numbers, integer=column.kind == NUMERIC and _integer_dtype(column.dtype),
                                         seed=seed)
        notes = list(column.notes)
        if summary.infinite:
            notes.append(f"{summary.infinite:,} infinite values: counted, left out of the statistics")
        return ColumnProfile(column.name, column.kind, column.dtype, column.rows, nulls, numeric=summary, notes=notes)
    summary, nulls = category_summary(column.categories)
    return ColumnProfile(column.name, column.kind, column.dtype, column.rows, nulls, categories=summary,
                         notes=list(column.notes))


def numeric_summary(x, *, integer: bool = False, seed: int = SEED) -> tuple[NumericSummary, int]:
    """The summary of float64 values (NaN = missing) and the number missing."""
    import numpy as np

    ds = _ds()
    total = float(x.sum()) if len(x) else 0.0
    if len(x) and math.isfinite(total):
        finite, nulls, infinite = x, 0, 0
    else:
        nan = np.isnan(x)
        nulls = int(np.count_nonzero(nan))
        keep = np.isfinite(x)
        infinite = len(x) - nulls - int(np.count_nonzero(keep))
        finite = x[keep]
        total = float(finite.sum()) if len(finite) else 0.0
    n = len(finite)
    if n == 0:
        return _empty_numeric(infinite=infinite, integer=integer), nulls
    low, high = float(finite.min()), float(finite.max())
    mean = total / n if math.isfinite(total) else float(np.mean(finite / n) * n)
    squares = float(np.dot(finite, finite))
    m2 = squares - n * mean * mean
    if not math.isfinite(squares) or not math.isfinite(mean) or m2 <= 1e-6 * squares:
        m2 = _two_pass_m2(finite, mean, np)  # cancellation (a large mean, a small spread) or overflow
    rng = np.random.default_rng(seed)
    if n <= KLL_SAMPLE:
        sample, exp, sample_error = finite, 0, 0.0
    else:
        exp = math.ceil(math.log2(n / KLL_SAMPLE))
        size = max(1, round(n / 2 ** exp))
        sample = finite[rng.integers(0, n, size)]
        sample_error = math.sqrt(CONFIDENCE_LN / (2 * size))
    kll = ds.kll_doubles_sketch(KLL_K)
    for start in range(0, len(sample), KLL_FEED):
        # The binding takes writable arrays only; pandas hands out read-only ones (copy-on-write).
        kll.update(np.require(sample[start:start + KLL_FEED], np.float64, ("C", "W")))
    middle_low, middle_high = kll.get_quantile(0.001), kll.get_quantile(0.999)
    exp_width = binning.width_exponent(middle_low, middle_high, max(abs(low), abs(high)))
    if integer:
        exp_width = min(exp_width, 0)  # one integer per bin while they fit in MAX_BINS: distinct counts exact
    lattice = binning.build(finite, exp_width, middle_low, middle_high)
    hll = ds.hll_sketch(HLL_LG_K)
    if integer and lattice.exp <= 0:
        for i in lattice.index.tolist():  # one integer per bin: feed each value once
            hll.update(int(math.ceil(i * lattice.width)))
        lower_bound = False
    else:
        fed = sample[:HLL_VALUES] if len(sample) > HLL_VALUES else sample
        for v in np.unique(fed).tolist():
            hll.update(float(v))
        lower_bound = len(fed) < n
    return NumericSummary(n=n, infinite=infinite, minimum=low, maximum=high, mean=mean, m2=max(m2, 0.0),
                          integer=integer, lattice=lattice, kll=kll, kll_exp=exp, sample_error=sample_error,
                          hll=hll, distinct_lower_bound=lower_bound), nulls


def category_summary(series) -> tuple[CategorySummary, int]:
    """The summary of a column of categories (NA = missing) and the number missing."""
    ds = _ds()
    rows = len(series)
    try:
        counts = series.value_counts(dropna=True, sort=True)
    except TypeError:  # unhashable values that kinds.py did not catch
        counts = series.dropna().map(str).value_counts(sort=True)
    present = int(counts.sum())
    keys = [str(k) for k in counts.index.tolist()]
    values = [int(v) for v in counts.tolist()]
    if len(set(keys)) != len(keys):  # different values with the same text (1 and "1"): one category
        merged: dict[str, int] = {}
        for k, v in zip(keys, values):
            merged[k] = merged.get(k, 0) + v
        pairs = sorted(merged.items(), key=lambda kv: (-kv[1], kv[0]))
        keys, values = [k for k, _ in pairs], [v for _, v in pairs]
    items = ds.frequent_strings_sketch(ITEMS_LG)
    fed = 0
    for k, v in zip(keys[:ITEM_CAPACITY], values[:ITEM_CAPACITY]):
        items.update(k, v)
        fed += v
    truncation = values[ITEM_CAPACITY] if len(values) > ITEM_CAPACITY else 0
    hll = ds.hll_sketch(HLL_LG_K)
    for k in keys[:DISTINCT_FEED]:
        hll.update(k)
    summary = CategorySummary(n=present, items=items, rest=present - fed, truncation=truncation, hll=hll,
                              distinct_exact=len(keys), hll_complete=len(keys) <= DISTINCT_FEED)
    return summary, rows - present


def kll_retained(sketch):
    """(items, weights) retained by a ``kll_doubles_sketch``, read from its serialization with numpy.

    The DataSketches KLL layout (serial versions 1 and 2): an 8-byte preamble
    (preamble ints, serial version, family 15, flags, k, m); when the sketch
    holds two or more items, n (uint64), min k (uint16), the number of levels
    L (uint8), a pad byte, the L level offsets (uint32), min, max, then the
    retained items level by level (level h weighs 2**h). One item: the
    preamble and that item (weight 1). Anything else (a future layout, a count
    that does not add up to n) falls back to iterating the sketch.
    """
    import struct

    import numpy as np

    data = bytes(sketch.serialize())
    try:
        preamble, version, family, flags = data[0], data[1], data[2], data[3]
        if family == 15 and flags & 0x01:  # empty
            return np.zeros(0), np.zeros(0)
        if family == 15 and version == 2 and preamble == 2 and flags & 0x04 and len(data) == 16:  # one item
            return np.frombuffer(data, "<f8", 1, 8).copy(), np.ones(1)
        if family == 15 and version == 1 and preamble == 5:
            n, _, levels = struct.unpack_from("<QHB", data, 8)
            offsets = np.frombuffer(data, "<u4", levels, 20).astype(np.int64)
            start = 20 + 4 * levels + 16  # after the offsets, min and max
            items = np.frombuffer(data, "<f8", offset=start)
            bounds = np.append(offsets, offsets[0] + len(items)) - offsets[0]
            sizes = np.diff(bounds)
            if len(items) and (sizes >= 0).all() and (len(data) - start) % 8 == 0:
                weights = np.repeat(2.0 ** np.arange(levels), sizes)
                if float(weights.sum()) == float(n) and len(weights) == len(items):
                    return items.copy(), weights
    except (IndexError, struct.error, ValueError):
        pass
    pairs = np.array(list(sketch), dtype=np.float64).reshape(-1, 2)
    return pairs[:, 0].copy(), pairs[:, 1].copy()


def _two_pass_m2(x, mean: float, np) -> float:
    total = 0.0
    for start in range(0, len(x), binning.CHUNK):
        part = x[start:start + binning.CHUNK] - mean
        total += float(np.dot(part, part))
    return total


def _integer_dtype(dtype: str) -> bool:
    return dtype.lower().startswith(("int", "uint"))


def _empty_numeric(infinite: int = 0, integer: bool = False) -> NumericSummary:
    ds = _ds()
    return NumericSummary(n=0, infinite=infinite, minimum=math.nan, maximum=math.nan, mean=math.nan, m2=0.0,
                          integer=integer, lattice=binning.empty(), kll=ds.kll_doubles_sketch(KLL_K), kll_exp=0,
                          sample_error=0.0, hll=ds.hll_sketch(HLL_LG_K), distinct_lower_bound=False)


def _empty_categories() -> CategorySummary:
    ds = _ds()
    return CategorySummary(n=0, items=ds.frequent_strings_sketch(ITEMS_LG), rest=0, truncation=0,
                           hll=ds.hll_sketch(HLL_LG_K), distinct_exact=0, hll_complete=True)


def _copy_numeric(s: NumericSummary, **changes) -> NumericSummary:
    return NumericSummary.from_json({**s.to_json(), **{k: v for k, v in changes.items()}})


def _copy_column(c: ColumnProfile) -> ColumnProfile:
    return ColumnProfile.from_json(c.to_json())


def _num(value: float):
    """JSON has no NaN: a missing statistic (an empty column) is null."""
    return value if value is not None and math.isfinite(value) else None


def _float(value) -> float:
    return math.nan if value is None else float(value)


def _b64(data: bytes) -> str:
    return base64.b64encode(bytes(data)).decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.b64decode(text.encode("ascii"), validate=True)


def is_datetime(column: ColumnProfile) -> bool:
    return column.kind == DATETIME


def is_boolean(column: ColumnProfile) -> bool:
    return column.kind == BOOLEAN


def is_categorical(column: ColumnProfile) -> bool:
    return column.kind in CATEGORY_KINDS
