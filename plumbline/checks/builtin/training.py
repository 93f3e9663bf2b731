"""Checks on the assumptions a training set rests on: split by time, enough of every class."""

from __future__ import annotations

from ..errors import WrongInput
from ._inputs import as_frame, as_series, as_times, column_values, num, pct, plain, stamp
from ._registry import Context, Outcome, builtin, fraction


@builtin(
    "time_leakage",
    title="No time leakage",
    description=(
        "For time-dependent data, the training set ends before the test set starts: fails "
        "when the latest training time is later than the earliest test time."
    ),
    args=("train", "test"),
    required=("time_column",),
    default_when="after",
    params={
        "time_column": {
            "type": "string",
            "description": "Column (or index name) holding each row's time in both sets.",
        },
    },
)
def time_leakage(ctx: Context) -> Outcome:
    column = ctx.params["time_column"]
    train = _times(ctx, 0, column)
    test = _times(ctx, 1, column)
    if (getattr(train.dtype, "tz", None) is None) != (getattr(test.dtype, "tz", None) is None):
        raise WrongInput(f"'{column}' is timezone-aware in one of {ctx.name(0)}, {ctx.name(1)} "
                         "and naive in the other")
    train_end, test_start = train.max(), test.min()
    details = {"train_max": train_end, "test_min": test_start}
    if _missing(train_end) or _missing(test_start):
        empty = ctx.name(0) if _missing(train_end) else ctx.name(1)
        return Outcome(True, f"nothing to compare: '{column}' of {empty} has no values", details)
    if train_end > test_start:
        late = int((train > test_start).sum())
        details["train_rows_after_test_start"] = late
        share = late / len(train)
        return Outcome(False, (
            f"{ctx.name(0)} '{column}' runs until {stamp(train_end)} but {ctx.name(1)} starts at "
            f"{stamp(test_start)}: {num(late)} of {num(len(train))} training rows ({pct(share)}) "
            "are later than the first test row"
        ), details)
    return Outcome(True, f"{ctx.name(0)} ends at {stamp(train_end)}, {ctx.name(1)} starts at "
                   f"{stamp(test_start)}", details)


def _times(ctx: Context, index: int, column: str):
    frame = as_frame(ctx, index)
    return as_times(column_values(frame, column, ctx.name(index)),
                    f"column '{column}' of {ctx.name(index)}")


def _missing(value) -> bool:
    import pandas as pd

    return bool(pd.isna(value))


@builtin(
    "class_balance",
    title="Class balance",
    description=(
        "Every class of a classification target has at least min_share of the rows "
        "(nulls ignored). A single class fails too."
    ),
    args=("y",),
    params={
        "target": {
            "type": ["string", "null"],
            "default": None,
            "description": "Target column when y is a DataFrame; null for a Series or array.",
        },
        "min_share": fraction(0.1, "Smallest allowed share of the rarest class."),
    },
)
def class_balance(ctx: Context) -> Outcome:
    import numpy as np
    from pandas.api import types

    y = as_series(ctx, 0, ctx.params["target"]).dropna()
    label = str(y.name)
    if types.is_float_dtype(y) and not np.all(np.mod(y.to_numpy(), 1) == 0):
        raise WrongInput(f"'{label}' holds non-integer floats: class_balance needs class labels, "
                         "not a continuous target")
    limit = ctx.params["min_share"]
    counts = y.value_counts()
    rows = int(counts.sum())
    shares = {str(k): int(n) / rows for k, n in counts.items()} if rows else {}
    details = {"rows": rows, "classes": len(counts), "shares": dict(list(shares.items())[:50])}
    if rows == 0:
        return Outcome(False, f"'{label}' has no labels", details)
    if len(counts) == 1:
        return Outcome(False, f"'{label}' has a single class {plain(counts.index[0])!r} "
                       f"({num(rows)} rows)", details)
    rarest, n = plain(counts.index[-1]), int(counts.iloc[-1])
    share = n / rows
    details.update(minority_class=rarest, minority_share=share)
    if share < limit:
        rare = int((counts / rows < limit).sum())
        others = f" ({rare} classes below the minimum)" if rare > 1 else ""
        return Outcome(False, (
            f"minority class {rarest!r} of '{label}' has {pct(share)} of rows "
            f"({num(n)} of {num(rows)}), min {pct(limit)}{others}"
        ), details)
    return Outcome(True, f"minority class {rarest!r} of '{label}' has {pct(share)} of rows", details)
