"""Checks on one table: its shape (schema) and its values (nulls, ranges, categories, outliers,
duplicates)."""

from __future__ import annotations

from ._inputs import as_frame, as_series, num, pct, plain, preview, summarize
from ._registry import Context, Outcome, builtin, column_list, fraction, number

# Dtype names a person can write instead of numpy's exact spelling, which differs across pandas
# versions ("object" vs "str", "datetime64[ns]" vs "datetime64[us]").
_KINDS = {
    "integer": lambda t, api: api.is_integer_dtype(t) and not api.is_bool_dtype(t),
    "float": lambda t, api: api.is_float_dtype(t),
    "number": lambda t, api: api.is_numeric_dtype(t) and not api.is_bool_dtype(t),
    "string": lambda t, api: api.is_string_dtype(t),
    "datetime": lambda t, api: api.is_datetime64_any_dtype(t),
    "boolean": lambda t, api: api.is_bool_dtype(t),
    "category": lambda t, api: isinstance(t, api.CategoricalDtype),
}


def _dtype_matches(dtype, expected: str) -> bool:
    from pandas.api import types

    if str(dtype) == expected:
        return True
    kind = _KINDS.get(expected)
    return bool(kind and kind(dtype, types))


@builtin(
    "schema",
    title="Schema",
    description=(
        "Columns and dtypes (the target too, given as a second value) match a reference. "
        "With no columns given, the reference is the schema recorded by the first run, "
        "carried forward until the parameters set one."
    ),
    args=("frame",),
    optional_args=("target",),
    uses_previous=True,
    params={
        "columns": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "default": {},
            "description": (
                "Expected dtype per column: an exact pandas dtype (int64, float64, "
                "datetime64[ns], …) or a kind: " + ", ".join(_KINDS) + ". "
                "Empty: compare with the reference recorded by an earlier run."
            ),
        },
        "allow_extra": {
            "type": "boolean",
            "default": False,
            "description": "Allow columns that are not in the reference.",
        },
    },
)
def schema(ctx: Context) -> Outcome:
    frame = as_frame(ctx, 0)
    dtypes: dict = {}
    duplicated = []
    for column, dtype in frame.dtypes.items():
        if str(column) in dtypes:
            duplicated.append(str(column))
        dtypes[str(column)] = dtype
    if len(ctx.values) > 1:
        dtypes[ctx.name(1)] = as_series(ctx, 1).dtype
    observed = {column: str(dtype) for column, dtype in dtypes.items()}

    if ctx.params["columns"]:
        reference, source = ctx.params["columns"], "parameters"
    elif ctx.previous and isinstance(ctx.previous.get("reference"), dict):
        reference, source = ctx.previous["reference"], ctx.previous.get("reference_from", "an earlier run")
    else:
        details = {"reference": observed, "observed": observed, "reference_from": "first run"}
        if duplicated:
            return Outcome(False, f"duplicate column names: {preview(duplicated)}", details)
        return Outcome(True, f"recorded the reference schema ({len(observed)} columns)", details)

    problems = [f"duplicate column name '{c}'" for c in duplicated]
    for column, expected in reference.items():
        if column not in dtypes:
            problems.append(f"column '{column}' is missing (expected {expected})")
        elif not _dtype_matches(dtypes[column], expected):
            problems.append(f"column '{column}' is {dtypes[column]}, expected {expected}")
    extra = [c for c in observed if c not in reference]
    if extra and not ctx.params["allow_extra"]:
        problems.append(f"unexpected column{'s' if len(extra) > 1 else ''} {preview(extra)}")
    details = {
        "reference": reference,
        "observed": observed,
        "reference_from": source,
        "problems": problems,
    }
    if problems:
        return Outcome(False, summarize(problems) + f" (reference from {source})", details)
    return Outcome(True, f"{len(reference)} columns match the reference from {source}", details)


@builtin(
    "nulls",
    title="Nulls",
    description="The fraction of nulls in each column stays at or below a maximum.",
    args=("frame",),
    params={
        "max_fraction": fraction(0.0, "Largest allowed fraction of null values per column."),
        "columns": column_list("Columns to check; null checks every column."),
    },
)
def nulls(ctx: Context) -> Outcome:
    frame = as_frame(ctx, 0)
    limit = ctx.params["max_fraction"]
    columns, missing = _select(frame, ctx.params["columns"])
    rows = len(frame)
    counts = frame[columns].isna().sum() if columns else {}
    found = []
    for column in columns:
        count = int(counts[column])
        share = count / rows if rows else 0.0
        if share > limit:
            found.append((share, column, count))
    found.sort(key=lambda f: (-f[0], str(f[1])))
    problems = [f"column '{c}' is missing from {ctx.name(0)}" for c in missing] + [
        f"column '{c}' is {pct(s)} null ({num(n)} of {num(rows)} rows, allowed {pct(limit)})"
        for s, c, n in found
    ]
    details = {
        "rows": rows,
        "max_fraction": limit,
        "null_fraction": {str(c): (int(counts[c]) / rows if rows else 0.0) for c in columns},
        "missing_columns": missing,
    }
    if problems:
        return Outcome(False, summarize(problems), details)
    return Outcome(True, f"{len(columns)} columns at most {pct(limit)} null", details)


@builtin(
    "ranges",
    title="Value ranges",
    description=(
        "Values of each listed column lie within [min, max] (bounds inclusive; null = open). "
        "Nulls are left to the nulls check. Timestamp columns take ISO strings as bounds."
    ),
    args=("frame",),
    params={
        "columns": {
            "type": "object",
            "additionalProperties": {
                "type": "array",
                "items": {"type": ["number", "string", "null"]},
                "minItems": 2,
                "maxItems": 2,
            },
            "default": {},
            "description": 'Range per column, e.g. {"distance": [0, null]}.',
        },
        "max_share": fraction(0.0, "Largest allowed share of rows outside the range."),
    },
)
def ranges(ctx: Context) -> Outcome:
    from pandas.api import types

    def measure(column, values, bound):
        if not (types.is_numeric_dtype(values) or types.is_datetime64_any_dtype(values)):
            return f"column '{column}' is {values.dtype}, not numbers or timestamps"
        low, high = (_bound(b, values) for b in bound)
        outside = values.isna() & False  # all False; comparisons below skip nulls
        if low is not None:
            outside |= values < low
        if high is not None:
            outside |= values > high
        lowest, highest = values.min(), values.max()
        low_text, high_text = bound
        span = (f"[{'-inf' if low_text is None else _show(low_text)}, "
                f"{'inf' if high_text is None else _show(high_text)}]")
        return (int(outside.sum()), {"min": lowest, "max": highest, "range": bound},
                lambda: f"{span} (min {_show(lowest)}, max {_show(highest)})")

    return _share_outside(ctx, ctx.params["columns"], measure, "ranges")


@builtin(
    "categories",
    title="Allowed categories",
    description="Values of each listed column are among its allowed values (nulls are ignored).",
    args=("frame",),
    params={
        "columns": {
            "type": "object",
            "additionalProperties": {
                "type": "array",
                "items": {"type": ["string", "number", "boolean"]},
            },
            "default": {},
            "description": 'Allowed values per column, e.g. {"origin": ["SEA", "PDX"]}.',
        },
        "max_share": fraction(0.0, "Largest allowed share of rows with other values."),
    },
)
def categories(ctx: Context) -> Outcome:
    def measure(column, values, allowed):
        bad = values.notna() & ~values.isin(allowed)
        top = values[bad].value_counts().head(5)
        unexpected = [[plain(value), int(n)] for value, n in top.items()]
        shown = ", ".join(f"{v!r} ({num(n)})" for v, n in unexpected)
        return (int(bad.sum()), {"unexpected": unexpected},
                lambda: f"the {len(allowed)} allowed values: {shown}")

    return _share_outside(ctx, ctx.params["columns"], measure, "allowed values")


def _share_outside(ctx: Context, wanted: dict, measure, what: str) -> Outcome:
    """Per listed column, the share of rows outside what is allowed, against max_share.

    ``measure(column, values, allowed)`` returns a problem text, or (count outside,
    details, a function describing what is allowed for the failure message).
    """
    frame = as_frame(ctx, 0)
    limit = ctx.params["max_share"]
    columns, missing = _select(frame, list(wanted))
    problems = [f"column '{c}' is missing from {ctx.name(0)}" for c in missing]
    rows = len(frame)
    details: dict = {"rows": rows, "columns": {}}
    found = []
    for column in columns:
        measured = measure(column, frame[column], wanted[column])
        if isinstance(measured, str):
            problems.append(measured)
            continue
        count, extra, allowed_text = measured
        share = count / rows if rows else 0.0
        details["columns"][str(column)] = {"outside": count, "share": share, **extra}
        if share > limit:
            found.append((share, (
                f"column '{column}' has {num(count)} of {num(rows)} rows ({pct(share)}, allowed "
                f"{pct(limit)}) outside {allowed_text()}"
            )))
    problems += [text for _, text in sorted(found, key=lambda f: -f[0])]
    if problems:
        return Outcome(False, summarize(problems), details)
    return Outcome(True, f"{len(columns)} columns within their {what}", details)


@builtin(
    "outliers",
    title="Outliers",
    description=(
        "The share of values with |z| above a threshold stays small, per numeric column. "
        "The default robust z (median and MAD) can fail; a mean/std z cannot exceed the "
        "default limit, since at most 1/z² of values lie beyond z standard deviations."
    ),
    args=("frame",),
    params={
        "z": number(5.0, "Threshold on |z|.", exclusive_minimum=0),
        "max_share": fraction(0.05, "Largest allowed share of values with |z| above the threshold."),
        "method": {
            "type": "string",
            "enum": ["robust", "standard"],
            "default": "robust",
            "description": "robust: z from median and MAD; standard: z from mean and std.",
        },
        "columns": column_list("Numeric columns to check; null checks every numeric column."),
    },
)
def outliers(ctx: Context) -> Outcome:
    import numpy as np
    from pandas.api import types

    frame = as_frame(ctx, 0)
    threshold, limit, method = ctx.params["z"], ctx.params["max_share"], ctx.params["method"]
    wanted = ctx.params["columns"]
    columns, missing = _select(frame, wanted)
    problems = [f"column '{c}' is missing from {ctx.name(0)}" for c in missing]
    details: dict = {"method": method, "z": threshold, "columns": {}}
    found = []
    for column in columns:
        values = frame[column]
        if types.is_bool_dtype(values) or not types.is_numeric_dtype(values):
            if wanted:
                problems.append(f"column '{column}' is {values.dtype}, not numeric")
            continue
        x = values.dropna().to_numpy(dtype=float)
        if len(x) == 0:
            continue
        finite = np.isfinite(x)
        center, scale = _center_scale(x[finite], method)
        z = np.abs(x - center) / scale if scale > 0 else np.zeros_like(x)
        far = (z > threshold) | ~finite
        count = int(far.sum())
        share = count / len(x)
        details["columns"][str(column)] = {
            "outliers": count, "values": len(x), "share": share, "center": center, "scale": scale,
        }
        if share > limit:
            found.append((share, (
                f"column '{column}' has {num(count)} of {num(len(x))} values ({pct(share)}, allowed "
                f"{pct(limit)}) with |z| > {num(threshold)} (center {num(center)}, scale {num(scale)})"
            )))
    problems += [text for _, text in sorted(found, key=lambda f: -f[0])]
    if problems:
        return Outcome(False, summarize(problems), details)
    return Outcome(True, f"{len(details['columns'])} numeric columns within {pct(limit)} outliers", details)


def _center_scale(x, method: str):
    import numpy as np

    if len(x) == 0:
        return 0.0, 0.0
    if method == "standard":
        return float(x.mean()), float(x.std())
    center = float(np.median(x))
    deviations = np.abs(x - center)
    scale = 1.4826 * float(np.median(deviations))  # MAD scaled to a normal std
    if scale == 0:
        # More than half the values are equal; the mean absolute deviation still sees the rest.
        scale = 1.253314 * float(deviations.mean())
    return center, scale


@builtin(
    "duplicates",
    title="Duplicates",
    description=(
        "The share of rows that repeat an earlier row (on all columns or a subset) stays at or "
        "below a maximum. Run it before splitting: duplicates across train and test leak."
    ),
    args=("frame",),
    default_when="before",
    params={
        "columns": column_list("Columns that identify a row; null compares whole rows."),
        "max_share": fraction(0.0, "Largest allowed share of duplicate rows."),
    },
)
def duplicates(ctx: Context) -> Outcome:
    frame = as_frame(ctx, 0)
    limit = ctx.params["max_share"]
    subset = ctx.params["columns"]
    columns, missing = _select(frame, subset)
    if missing:
        return Outcome(False, f"column{'s' if len(missing) > 1 else ''} {preview(missing)} "
                       f"missing from {ctx.name(0)}", {"missing_columns": missing})
    repeated = frame.duplicated(subset=columns if subset else None, keep="first")
    rows, count = len(frame), int(repeated.sum())
    share = count / rows if rows else 0.0
    on = f"columns {preview(columns)}" if subset else "all columns"
    details = {"rows": rows, "duplicates": count, "share": share, "columns": subset}
    if share > limit:
        first = plain(frame.index[repeated.to_numpy()][0])
        details["first_duplicate_index"] = first
        return Outcome(False, (
            f"{num(count)} of {num(rows)} rows ({pct(share)}, allowed {pct(limit)}) repeat an earlier "
            f"row on {on}; first at index {first!r}"
        ), details)
    return Outcome(True, f"{num(count)} duplicate rows ({pct(share)}) on {on}", details)


def _select(frame, wanted):
    """(columns present, columns asked for but absent); None means every column."""
    if wanted is None:
        return list(frame.columns), []
    present = set(frame.columns)
    return [c for c in wanted if c in present], [c for c in wanted if c not in present]


def _bound(bound, values):
    if bound is None or not isinstance(bound, str):
        return bound
    import pandas as pd
    from pandas.api import types

    from ..errors import WrongInput

    if not types.is_datetime64_any_dtype(values):
        raise WrongInput(f"bound {bound!r} is a string but column '{values.name}' is {values.dtype}")
    stamp = pd.Timestamp(bound)
    tz = getattr(values.dtype, "tz", None)
    if tz is not None and stamp.tzinfo is None:
        stamp = stamp.tz_localize(tz)
    return stamp


def _show(value) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return num(value)
