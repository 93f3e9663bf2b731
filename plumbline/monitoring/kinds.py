"""What kind of column a value is, and its values in the form a profile reads.

Kinds:

* ``numeric`` — integers, floats (booleans are ``boolean``); ±inf are counted
  apart and left out of the statistics;
* ``datetime`` / ``timedelta`` — profiled as numbers (seconds since the epoch /
  seconds), shown as times; datetime columns are profiled but not judged for
  drift by default (time moves: a later batch always "drifts" in its dates);
* ``boolean`` and ``categorical`` — strings, pandas categories, booleans,
  and object columns of mixed types, compared by category shares. Values of
  mixed types or unhashable values are compared by their text (``str``), and
  the column says so in its notes;
* ``empty`` — no value at all (every row missing, or no rows).

Frames come from pandas, or anything with ``to_pandas()`` (pyarrow tables,
polars frames); numpy arrays of 1 or 2 dimensions become frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

NUMERIC, DATETIME, TIMEDELTA, BOOLEAN, CATEGORICAL, EMPTY = (
    "numeric", "datetime", "timedelta", "boolean", "categorical", "empty")
#: Kinds whose values are numbers to a profile (lattice histogram, quantiles, moments).
NUMBER_KINDS = (NUMERIC, DATETIME, TIMEDELTA)
#: Kinds compared by category shares.
CATEGORY_KINDS = (BOOLEAN, CATEGORICAL)


@dataclass
class ColumnValues:
    """One column, ready to profile: float64 numbers or a pandas Series of categories."""

    name: str
    kind: str
    dtype: str
    rows: int
    numbers: Any = None  # float64 ndarray (NaN = missing) for NUMBER_KINDS
    categories: Any = None  # pandas Series (NA = missing) for CATEGORY_KINDS
    notes: list = field(default_factory=list)


def as_frame(value: Any, name: str = "value"):
    """``value`` as a pandas DataFrame, or a ``TypeError`` saying what is accepted."""
    import numpy as np
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        return value
    if isinstance(value, pd.Series):
        return value.to_frame(name=value.name if value.name is not None else name)
    if isinstance(value, np.ndarray):
        if value.dtype.names:  # a structured array: one column per field
            return pd.DataFrame(value)
        if value.ndim == 1:
            return pd.DataFrame({name: value})
        if value.ndim == 2:
            return pd.DataFrame(value, columns=[str(i) for i in range(value.shape[1])])
        raise TypeError(f"'{name}' is an array of {value.ndim} dimensions; Plumbline profiles arrays of 1 or 2 "
                        "dimensions (reshape it to rows x features).")
    to_pandas = getattr(value, "to_pandas", None)
    if callable(to_pandas) and not isinstance(value, type):
        frame = to_pandas()
        if isinstance(frame, (pd.DataFrame, pd.Series)):
            return as_frame(frame, name)
    if isinstance(value, (list, tuple)) and value and not isinstance(value[0], (list, tuple, dict)):
        return pd.DataFrame({name: list(value)})
    raise TypeError(f"'{name}' is a {type(value).__name__}; Plumbline profiles pandas DataFrames and Series, "
                    "numpy arrays, and tables with to_pandas() (pyarrow, polars).")


def column_names(frame) -> list[str]:
    """Text names for the columns, unique: a repeated name gets ' (2)', ' (3)'..."""
    seen: dict[str, int] = {}
    names = []
    for column in frame.columns:
        text = " / ".join(str(c) for c in column) if isinstance(column, tuple) else str(column)
        count = seen.get(text, 0) + 1
        seen[text] = count
        names.append(text if count == 1 else f"{text} ({count})")
    return names


def columns_of(frame) -> list[ColumnValues]:
    names = column_names(frame)
    return [column_values(names[i], frame.iloc[:, i]) for i in range(frame.shape[1])]


def column_values(name: str, series) -> ColumnValues:
    """The kind of one column and its values (numbers as float64 with NaN for missing)."""
    import numpy as np
    import pandas as pd
    from pandas.api import types

    dtype = series.dtype
    rows = len(series)
    label = str(dtype)
    if isinstance(dtype, pd.CategoricalDtype):
        return ColumnValues(name, CATEGORICAL, label, rows, categories=series)
    if types.is_bool_dtype(dtype):
        return ColumnValues(name, BOOLEAN, label, rows, categories=series)
    if types.is_datetime64_any_dtype(dtype):
        return ColumnValues(name, DATETIME, label, rows, numbers=_seconds(series))
    if types.is_timedelta64_dtype(dtype):
        return ColumnValues(name, TIMEDELTA, label, rows, numbers=_seconds(series))
    if types.is_numeric_dtype(dtype) and not types.is_complex_dtype(dtype):
        return ColumnValues(name, NUMERIC, label, rows, numbers=_floats(series))
    if types.is_string_dtype(dtype) and not types.is_object_dtype(dtype):
        return ColumnValues(name, CATEGORICAL, label, rows, categories=series)
    return _object_column(name, series, label, rows, np, pd)


def _object_column(name, series, label, rows, np, pd) -> ColumnValues:
    """Object columns: what they hold decides (numbers, times, text, or a mix)."""
    from pandas.api import types

    inferred = types.infer_dtype(series, skipna=True)
    if inferred in ("integer", "floating", "mixed-integer-float", "decimal"):
        numbers = pd.to_numeric(series, errors="coerce")
        return ColumnValues(name, NUMERIC, label, rows, numbers=_floats(numbers),
                            notes=[f"object column of numbers ({inferred}), profiled as numbers"])
    if inferred == "boolean":
        return ColumnValues(name, BOOLEAN, label, rows, categories=series)
    if inferred in ("datetime", "datetime64", "date"):
        try:
            times = pd.to_datetime(series, errors="coerce", utc=True)
            return ColumnValues(name, DATETIME, label, rows, numbers=_seconds(times),
                                notes=["object column of times, profiled as times (UTC)"])
        except (TypeError, ValueError):
            pass
    if inferred in ("string", "empty", "categorical"):
        return ColumnValues(name, CATEGORICAL, label, rows, categories=series)
    # A mix of types, bytes, or values that are not hashable (lists, dicts): by their text.
    present = series[series.notna()] if rows else series
    kinds = sorted({type(v).__name__ for v in present.iloc[:1000]})
    text = present.map(_text)
    out = pd.Series(pd.NA, index=series.index, dtype=object)
    out[present.index] = text
    note = (f"mixed types ({', '.join(kinds)}): compared as text categories"
            if len(kinds) > 1 else f"{', '.join(kinds) or 'object'} values: compared as text categories")
    return ColumnValues(name, CATEGORICAL, label, rows, categories=out, notes=[note])


def _text(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a user class whose __str__ breaks
        return f"<{type(value).__name__}>"


def _floats(series):
    """float64 values with NaN for missing (pandas NA, None, NaN)."""
    import numpy as np

    if series.dtype.kind == "f" and series.dtype.itemsize == 8:
        return np.ascontiguousarray(series.to_numpy())
    return np.ascontiguousarray(series.to_numpy(dtype="float64", na_value=np.nan))


def _seconds(series):
    """Times as float seconds since the epoch (durations as seconds), NaN for NaT."""
    import numpy as np

    values = series.to_numpy()
    if values.dtype.kind not in "mM":  # tz-aware pandas arrays come as objects
        values = series.dt.tz_convert("UTC").dt.tz_localize(None).to_numpy() if hasattr(series, "dt") else values
    unit, _ = np.datetime_data(values.dtype)
    ints = values.view("int64")
    out = ints.astype("float64") * _UNIT_SECONDS.get(unit, 1.0)
    out[ints == np.iinfo("int64").min] = np.nan  # NaT
    return out


_UNIT_SECONDS = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9, "m": 60.0, "h": 3600.0, "D": 86400.0}


def kind_label(kind: Optional[str]) -> str:
    return {NUMERIC: "number", DATETIME: "time", TIMEDELTA: "duration", BOOLEAN: "boolean",
            CATEGORICAL: "category", EMPTY: "empty"}.get(kind or "", str(kind))
