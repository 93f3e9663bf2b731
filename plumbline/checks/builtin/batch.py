"""Checks that compare a batch with the previous run of the same check: is data still arriving?"""

from __future__ import annotations

from ..errors import WrongInput
from ._inputs import as_frame, as_times, column_values, num, pct, stamp, type_name
from ._registry import Context, Outcome, builtin, fraction, integer, number


def _previous_rows(ctx: Context):
    rows = (ctx.previous or {}).get("rows")
    return rows if isinstance(rows, int) and not isinstance(rows, bool) else None


def _collapse(rows: int, previous_rows, max_drop):
    """The message for a row count that fell by more than ``max_drop``, or None."""
    if max_drop is None or not previous_rows or rows >= previous_rows * (1 - max_drop):
        return None
    drop = 1 - rows / previous_rows
    return (f"rows fell from {num(previous_rows)} to {num(rows)} since the previous run "
            f"(-{pct(drop)}, max drop {pct(max_drop)})")


@builtin(
    "row_count",
    title="Row count",
    description=(
        "The number of rows is within [min_rows, max_rows] and did not drop by more than "
        "max_drop since the previous run of this check."
    ),
    args=("frame",),
    uses_previous=True,
    params={
        "min_rows": integer(1, "Fewest rows allowed (null: no minimum)."),
        "max_rows": integer(None, "Most rows allowed (null: no maximum)."),
        "max_drop": fraction(0.5, "Largest allowed drop vs the previous run, as a fraction "
                             "(0.5 = half the rows gone); null: do not compare.", nullable=True),
    },
)
def row_count(ctx: Context) -> Outcome:
    value = ctx.values[0]
    if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__"):
        raise WrongInput(
            f"expected a DataFrame, Series, array or list for '{ctx.name(0)}', got {type_name(value)}"
        )
    rows = len(value)
    previous_rows = _previous_rows(ctx)
    low, high = ctx.params["min_rows"], ctx.params["max_rows"]
    problems = []
    if low is not None and rows < low:
        problems.append(f"{ctx.name(0)} has {num(rows)} rows, min {num(low)}")
    if high is not None and rows > high:
        problems.append(f"{ctx.name(0)} has {num(rows)} rows, max {num(high)}")
    collapsed = _collapse(rows, previous_rows, ctx.params["max_drop"])
    if collapsed:
        problems.append(collapsed)
    details = {"rows": rows, "previous_rows": previous_rows}
    if problems:
        return Outcome(False, "; ".join(problems), details)
    return Outcome(True, f"{num(rows)} rows" + (
        f" (previous run: {num(previous_rows)})" if previous_rows is not None else ""), details)


@builtin(
    "freshness",
    title="Freshness",
    description=(
        "New data keeps arriving: fails when the latest timestamp is older than max_age_hours, "
        "when it did not move since the previous run (the batch stopped arriving), or when the "
        "row count collapsed vs the previous run."
    ),
    args=("frame",),
    required=("timestamp_column",),
    uses_previous=True,
    params={
        "timestamp_column": {
            "type": "string",
            "description": "Column (or index name) holding each row's timestamp.",
        },
        "max_age_hours": number(None, "Oldest allowed age of the latest timestamp, in hours; "
                                "null: no age limit.", exclusive_minimum=0, nullable=True),
        "now": {
            "type": ["string", "null"],
            "format": "date-time",
            "default": None,
            "description": "The time to measure age against (ISO 8601); null: the clock. "
                           "Naive times are compared as UTC against timezone-aware data.",
        },
        "max_drop": fraction(0.5, "Largest allowed drop in rows vs the previous run; null: do "
                             "not compare.", nullable=True),
        "require_advance": {
            "type": "boolean",
            "default": True,
            "description": "Fail when the latest timestamp is not later than in the previous run.",
        },
    },
)
def freshness(ctx: Context) -> Outcome:
    import pandas as pd

    frame = as_frame(ctx, 0)
    column = ctx.params["timestamp_column"]
    times = as_times(column_values(frame, column, ctx.name(0)), f"column '{column}'")
    if not pd.api.types.is_datetime64_any_dtype(times):
        raise WrongInput(f"column '{column}' is {times.dtype}, not timestamps")
    rows = len(frame)
    latest = times.max()
    previous = ctx.previous or {}
    previous_rows = _previous_rows(ctx)
    details = {
        "rows": rows,
        "max_timestamp": None if pd.isna(latest) else latest,
        "previous_rows": previous_rows,
        "previous_max_timestamp": previous.get("max_timestamp"),
    }
    if pd.isna(latest):
        return Outcome(False, f"column '{column}' has no timestamps ({num(rows)} rows)", details)

    problems = []
    max_age = ctx.params["max_age_hours"]
    if max_age is not None:
        now = _now(ctx.params["now"], latest)
        age_hours = (now - latest).total_seconds() / 3600
        details["age_hours"] = age_hours
        if age_hours > max_age:
            problems.append(f"latest '{column}' is {stamp(latest)}, {num(age_hours)} hours "
                            f"before {stamp(now)} (max age {num(max_age)} h)")
    before = _stamp_like(previous.get("max_timestamp"), latest)
    if ctx.params["require_advance"] and before is not None and latest <= before:
        moved = "did not move" if latest == before else "went back"
        text = f"latest '{column}' {moved} since the previous run: {stamp(latest)}"
        if latest != before:
            text += f" (was {stamp(before)})"
        if previous_rows is not None:
            text += f", {num(rows)} rows (previous run {num(previous_rows)})"
        problems.append(text)
    collapsed = _collapse(rows, previous_rows, ctx.params["max_drop"])
    if collapsed:
        problems.append(collapsed)
    if problems:
        return Outcome(False, "; ".join(problems), details)
    return Outcome(True, f"latest '{column}' is {stamp(latest)}, {num(rows)} rows", details)


def _now(text, latest):
    """The reference time, made comparable with the data's timestamps."""
    import pandas as pd

    tz = latest.tzinfo
    if text is None:
        return pd.Timestamp.now(tz=tz) if tz is not None else pd.Timestamp.now()
    now = pd.Timestamp(text)
    return _align(now, tz)


def _stamp_like(text, latest):
    """The previous run's ISO timestamp as a Timestamp comparable with ``latest``, or None."""
    import pandas as pd

    if not isinstance(text, str):
        return None
    try:
        return _align(pd.Timestamp(text), latest.tzinfo)
    except ValueError:
        return None


def _align(value, tz):
    if tz is not None and value.tzinfo is None:
        return value.tz_localize("UTC").tz_convert(tz)
    if tz is None and value.tzinfo is not None:
        return value.tz_convert("UTC").tz_localize(None)
    return value
