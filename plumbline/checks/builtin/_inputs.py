"""Turning notebook values into what a check can judge, with errors a user can act on."""

from __future__ import annotations

import numbers
from typing import Any

from ..errors import MissingColumn, WrongInput
from ._registry import Context


def type_name(value: Any) -> str:
    return type(value).__name__


def as_frame(ctx: Context, index: int):
    """The value as a DataFrame; Series and numpy arrays are accepted where columns make sense."""
    import numpy as np
    import pandas as pd

    value = ctx.values[index]
    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, pd.Series):
        return value.to_frame(name=value.name if value.name is not None else ctx.name(index))
    if isinstance(value, np.ndarray) and value.ndim in (1, 2):
        frame = pd.DataFrame(value if value.ndim == 2 else value.reshape(-1, 1))
        frame.columns = [str(c) for c in frame.columns] if value.ndim == 2 else [ctx.name(index)]
        return frame
    raise WrongInput(
        f"expected a pandas DataFrame (or a Series or numpy array) for '{ctx.name(index)}', "
        f"got {type_name(value)}"
    )


def as_series(ctx: Context, index: int, column: str | None = None):
    """A 1-d value (Series, array, list) or one column of a DataFrame as a Series."""
    import numpy as np
    import pandas as pd

    value = ctx.values[index]
    label = ctx.name(index)
    if isinstance(value, pd.DataFrame):
        if column is None and value.shape[1] == 1:
            column = value.columns[0]
        if column is None:
            raise WrongInput(
                f"'{label}' is a DataFrame with {value.shape[1]} columns; set the target "
                "column parameter"
            )
        return column_values(value, column, label)
    if isinstance(value, pd.Series):
        return value if value.name is not None else value.rename(label)
    if isinstance(value, (list, tuple)):
        value = np.asarray(value)
    if isinstance(value, np.ndarray):
        if value.ndim == 2 and value.shape[1] == 1:
            value = value[:, 0]
        if value.ndim == 1:
            return pd.Series(value, name=label)
        raise WrongInput(f"expected a 1-d array for '{label}', got shape {value.shape}")
    raise WrongInput(
        f"expected a pandas Series, numpy array or list for '{label}', got {type_name(value)}"
    )


def column_values(frame, column: str, label: str):
    """``frame[column]``, or the index when it carries that name (time is often the index)."""
    import pandas as pd

    if column in frame.columns:
        values = frame[column]
        if isinstance(values, pd.DataFrame):
            raise WrongInput(f"'{label}' has {values.shape[1]} columns named '{column}'")
        return values
    if frame.index.name == column:
        return pd.Series(frame.index, index=frame.index, name=column)
    raise MissingColumn(f"column '{column}' is not in {label} (columns: {preview(frame.columns)})")


def as_times(values, what: str):
    """Timestamps (or plain numbers, which order just as well) from a column."""
    import pandas as pd
    from pandas.api import types

    if types.is_datetime64_any_dtype(values) or (
        types.is_numeric_dtype(values) and not types.is_bool_dtype(values)
    ):
        return values
    try:
        return pd.to_datetime(values)
    except (ValueError, TypeError) as exc:
        raise WrongInput(f"{what} (dtype {values.dtype}) is not a timestamp column: {exc}") from None


def preview(items, limit: int = 8) -> str:
    items = [str(i) for i in items]
    shown = ", ".join(items[:limit])
    return shown + (f", … ({len(items)} in all)" if len(items) > limit else "")


def pct(share: float) -> str:
    if share == 0:
        return "0%"
    if abs(share) < 0.001:
        return f"{share * 100:.2g}%"
    return f"{share * 100:.1f}%"


def num(value) -> str:
    """Numbers as a person reads them: ints with separators, floats with 4 significant digits."""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    if isinstance(value, numbers.Real):
        value = float(value)
        if value.is_integer() and abs(value) < 1e15:
            return f"{int(value):,}"
        return f"{value:.4g}"
    return str(value)


def stamp(value) -> str:
    """A timestamp for a message; numbers used as time stay numbers."""
    if hasattr(value, "isoformat"):
        return value.isoformat(sep=" ") if hasattr(value, "tzinfo") else value.isoformat()
    return num(value)


def summarize(problems: list[str], limit: int = 3) -> str:
    """The first few problems, worst first, and how many more there are."""
    text = "; ".join(problems[:limit])
    return text + (f"; and {len(problems) - limit} more" if len(problems) > limit else "")


def plain(value):
    """numpy scalars as Python ones: numpy 2 reprs them as np.int64(7), noise in a message."""
    return value.item() if type(value).__module__ == "numpy" and hasattr(value, "item") else value
