"""A monitor's windows: a row count (``10_000``) or a calendar period (``"1D"``, ``"6h"``, ``"1W"``).

Each prediction gets an integer window key: for a row count, the number of its
window in arrival order; for a period, the start of its period in seconds since
the epoch (UTC). Keys order the windows; they are not 0..n-1, and a prediction
with an older timestamp lands in its own (earlier) window.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Optional

NS = 1_000_000_000


class WindowError(ValueError):
    """A window the monitor cannot use, or timestamps it cannot read."""


@dataclass(frozen=True)
class Windowing:
    spec: str  # as stored: "1D", "10000 rows"
    kind: str  # "time" | "rows"
    rows: Optional[int] = None
    step_ns: Optional[int] = None  # a fixed-length period (D, h, min, s); None: a calendar one (W, MS)
    freq: Optional[str] = None

    @classmethod
    def parse(cls, window: Any) -> "Windowing":
        if isinstance(window, bool):
            raise WindowError("window is a row count (10_000) or a period such as '1D', '6h', '1W'")
        if isinstance(window, int) or (isinstance(window, str) and window.strip().endswith(" rows")):
            rows = int(str(window).split()[0]) if isinstance(window, str) else window
            if rows < 1:
                raise WindowError(f"a window of {rows} rows is empty: give at least 1 row (e.g. window=10_000)")
            return cls(f"{rows} rows", "rows", rows=rows)
        if not isinstance(window, str) or not window.strip():
            raise WindowError(f"window is a row count (10_000) or a period such as '1D', '6h', '1W', not {window!r}")
        import pandas as pd

        try:
            offset = pd.tseries.frequencies.to_offset(window.strip())
        except ValueError:
            raise WindowError(f"{window!r} is not a period: use a pandas frequency such as '1D', '6h', '1W', "
                              "'MS', or a row count (window=10_000)") from None
        step = None
        try:
            step = int(pd.Timedelta(offset).value)
        except ValueError:
            step = None  # a calendar period (weeks anchored on a day, months)
        if step is not None and step <= 0:
            raise WindowError(f"the period {window!r} has no length")
        return cls(window.strip(), "time", step_ns=step, freq=window.strip())

    # -- keys ---------------------------------------------------------------------------

    def keys(self, n: int, first_row: int, timestamps_ns) -> Any:
        """The window key of each of ``n`` predictions (int64)."""
        import numpy as np

        if self.kind == "rows":
            return (np.arange(first_row, first_row + n, dtype=np.int64)) // self.rows
        if self.step_ns is not None:
            return (timestamps_ns // self.step_ns) * self.step_ns // NS
        import pandas as pd

        periods = pd.DatetimeIndex(timestamps_ns.astype("datetime64[ns]")).to_period(self.freq)
        return (periods.start_time.asi8 // NS).astype(np.int64)

    def describe(self, key: int) -> tuple[str, Optional[str], Optional[str]]:
        """(label, start, end) of a window, ISO 8601 UTC for periods."""
        if self.kind == "rows":
            lo = key * self.rows
            return f"rows {lo:,}–{lo + self.rows - 1:,}", None, None
        start = datetime.fromtimestamp(key, tz=timezone.utc)
        if self.step_ns is not None:
            end = datetime.fromtimestamp(key + self.step_ns / NS, tz=timezone.utc)
        else:
            import pandas as pd

            end = (pd.Timestamp(start).to_period(self.freq).end_time + pd.Timedelta(1, "ns")).to_pydatetime()
        if self.step_ns is not None and self.step_ns % (86_400 * NS) == 0:
            label = start.strftime("%Y-%m-%d")
        elif self.step_ns is None:
            label = start.strftime("%Y-%m-%d")
        else:
            label = start.strftime("%Y-%m-%d %H:%M")
        return label, _iso(start), _iso(end)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def timestamps_ns(timestamps: Any, n: int, *, what: str = "timestamps"):
    """``timestamps`` (datetimes, numpy datetime64, pandas, or seconds since the epoch) as int64 ns UTC."""
    import numpy as np
    import pandas as pd

    if timestamps is None:
        return np.full(n, time.time_ns(), dtype=np.int64)
    if isinstance(timestamps, (pd.Series, pd.Index)) and isinstance(timestamps.dtype, pd.DatetimeTZDtype):
        values = timestamps.dt.tz_convert("UTC").dt.tz_localize(None) if isinstance(timestamps, pd.Series) \
            else timestamps.tz_convert("UTC").tz_localize(None)
        array = np.asarray(values, dtype="datetime64[ns]")
    else:
        array = np.asarray(timestamps)
        if array.dtype.kind in "iuf":
            if array.dtype.kind == "f" and not np.isfinite(array).all():
                raise WindowError(f"{what}: {int((~np.isfinite(array)).sum())} are NaN or infinite; "
                                  "give every prediction a time (seconds since the epoch or datetimes)")
            array = (array.astype(np.float64) * NS).astype(np.int64).astype("datetime64[ns]")
        elif array.dtype.kind != "M":
            try:
                array = pd.to_datetime(array, utc=True, format="mixed").tz_localize(None).to_numpy(dtype="datetime64[ns]")
            except (ValueError, TypeError) as exc:
                raise WindowError(f"{what} could not be read as times ({exc}); give datetimes, numpy datetime64 "
                                  "or seconds since the epoch") from None
    if array.ndim != 1 or len(array) != n:
        raise WindowError(f"{what}: {len(array) if array.ndim == 1 else array.shape} values for {n} rows; "
                          "give one per row")
    array = array.astype("datetime64[ns]")
    if np.isnat(array).any():
        raise WindowError(f"{what}: {int(np.isnat(array).sum())} are missing (NaT); give every row a time")
    return array.view(np.int64)
