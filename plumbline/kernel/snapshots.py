"""Snapshots of component outputs in memory the profiler keeps, so the notebook's own memory is let go at once.

A profile waits for an idle kernel (``kernel/monitoring.py``). While a waiting
snapshot held the output's own arrays, the notebook could not reuse their
memory: each next cell of a Run All took memory it had never used, which the OS
must fault in, and which a VM with free page reporting (Firecracker's balloon)
fetches from the host, 30x slower. A cell building a 1M x 12 frame ran 1.2x
slower with only that different (``bench/drift.py``). So the profiler moves a
waiting snapshot's numeric columns into buffers it keeps and reuses (a copy on
its own thread, while the next cell runs; numpy copies without the GIL) and
lets go of the output's arrays: the notebook reuses its memory as it would
without Plumbline. Arrow string columns (pandas' ``str``) move too, buffer by
buffer (holding only them still cost 1.2x: Arrow's allocator gives freed
memory back). Other columns (object, categorical, extension arrays) are kept as
they are: pandas' copy-on-write keeps them unchanged. Buffers come in size
classes so that strings of a slightly different length reuse them; buffers
nobody took for ``IDLE_RELEASE`` seconds are freed.
"""

from __future__ import annotations

import sys
import threading
import time
from typing import Any

IDLE_RELEASE = 30.0  # seconds a free buffer is kept for the next snapshot
NUMERIC_KINDS = "fiub"  # numpy dtype kinds copied into buffers (float, int, unsigned, bool)
MIN_BYTES = 1 << 20  # smaller snapshots are kept as they are (their memory is not what a next cell misses)
MAX_COLUMNS = 2_000  # ... and wider ones (rebuilding the frame would cost more than it saves)
CLASS = 1 << 20  # buffers are whole multiples of this (1 MiB): a size class


class BufferPool:
    """Reusable byte buffers in size classes, at most ``limit`` bytes of free ones."""

    def __init__(self, limit: int):
        self.limit = limit
        self._free: dict[int, list] = {}
        self._free_bytes = 0
        self._last_used = time.monotonic()
        self._lock = threading.Lock()

    @property
    def free_bytes(self) -> int:
        return self._free_bytes

    def take(self, nbytes: int) -> Any:
        """A uint8 buffer of at least ``nbytes`` (a whole number of size classes)."""
        import numpy as np

        size = max(1, -(-nbytes // CLASS)) * CLASS
        with self._lock:
            self._last_used = time.monotonic()
            free = self._free.get(size)
            if free:
                self._free_bytes -= size
                return free.pop()
        return np.empty(size, np.uint8)

    def give(self, buffers: list) -> None:
        """Return buffers (emptying the list); one that something else still holds (a view) is let go instead."""
        while buffers:
            buffer = buffers.pop()
            # Two references: this name and getrefcount's argument. More: a view or a frame still uses it.
            if sys.getrefcount(buffer) > 2:
                continue
            with self._lock:
                if self._free_bytes + buffer.nbytes > self.limit:
                    continue
                self._free.setdefault(buffer.nbytes, []).append(buffer)
                self._free_bytes += buffer.nbytes

    def release_idle(self, now: float | None = None) -> None:
        """Free every buffer when none was taken for IDLE_RELEASE seconds."""
        now = time.monotonic() if now is None else now
        with self._lock:
            if self._free and now - self._last_used >= IDLE_RELEASE:
                self._free.clear()
                self._free_bytes = 0

    def clear(self) -> None:
        with self._lock:
            self._free.clear()
            self._free_bytes = 0


def _copy_into_pool(values: Any, pool: BufferPool, buffers: list) -> Any:
    """A copy of a contiguous-able numpy array in a pool buffer (appended to ``buffers``)."""
    import numpy as np

    block = pool.take(values.nbytes)
    buffers.append(block)
    copy = block[:values.nbytes].view(values.dtype).reshape(values.shape)
    np.copyto(copy, values)
    return copy


def copy_array(value: Any, pool: BufferPool) -> tuple[Any, list]:
    """A copy of a numpy array in a pool buffer (numeric dtypes), else ``value.copy()``; and the buffers used."""
    if value.dtype.kind in NUMERIC_KINDS:
        buffers: list = []
        return _copy_into_pool(value, pool, buffers), buffers
    return value.copy(), []


def _arrow_strings(column: Any) -> Any:
    """The column's pyarrow ChunkedArray if it is an Arrow string column (pandas' ``str``), else None."""
    if not hasattr(column.array, "__arrow_array__"):
        return None
    import pyarrow as pa

    data = column.array.__arrow_array__()
    if isinstance(data, pa.Array):
        data = pa.chunked_array([data])
    if not (pa.types.is_string(data.type) or pa.types.is_large_string(data.type)):
        return None
    return data


def _bytes_of(column: Any, numeric: bool) -> int:
    if numeric:
        return column.dtype.itemsize * len(column)
    data = _arrow_strings(column)
    return 0 if data is None else data.nbytes


def _move_strings(column: Any, data: Any, pool: BufferPool, buffers: list) -> Any:
    """The Arrow string column over copies of its buffers in the pool (no copy of the rebuilt array)."""
    import numpy as np
    import pandas as pd
    import pyarrow as pa

    chunks = []
    for chunk in data.chunks:
        moved = []
        for buffer in chunk.buffers():
            if buffer is None:
                moved.append(None)
                continue
            raw = np.frombuffer(buffer, np.uint8)
            moved.append(pa.py_buffer(_copy_into_pool(raw, pool, buffers)))
        chunks.append(pa.Array.from_buffers(chunk.type, len(chunk), moved, null_count=chunk.null_count,
                                            offset=chunk.offset))
    rebuilt = pd.array(pa.chunked_array(chunks, type=data.type), dtype=column.dtype)
    return pd.Series(rebuilt, copy=False)


def settle(snapshot: Any, pool: BufferPool, limit: int) -> tuple[Any, list]:
    """The snapshot with its numeric and Arrow string columns in pool buffers, and those buffers (a frame or
    Series; anything else as it is).

    Values, dtypes, column names (duplicates too) and row order are the snapshot's; the index is not
    kept (a profile does not read it). A snapshot of more than ``limit`` such bytes is kept as it is:
    while the notebook still holds the frame, the copy doubles its memory.
    """
    import numpy as np
    import pandas as pd

    if isinstance(snapshot, pd.Series):
        moved, buffers = settle(snapshot.to_frame(), pool, limit)
        if not buffers:
            return snapshot, []
        series = moved.iloc[:, 0]
        series.name = snapshot.name
        return series, buffers
    if not isinstance(snapshot, pd.DataFrame) or not 0 < snapshot.shape[1] <= MAX_COLUMNS:
        return snapshot, []
    numeric = {i for i, dtype in enumerate(snapshot.dtypes)
               if isinstance(dtype, np.dtype) and dtype.kind in NUMERIC_KINDS}
    sizes = [_bytes_of(snapshot.iloc[:, i], i in numeric) for i in range(snapshot.shape[1])]
    if not MIN_BYTES <= sum(sizes) <= limit:
        return snapshot, []
    buffers: list = []
    columns = []
    for i in range(snapshot.shape[1]):
        column = snapshot.iloc[:, i]
        if i in numeric:
            copy = _copy_into_pool(column.to_numpy(copy=False), pool, buffers)
            columns.append(pd.Series(copy, copy=False))
        elif sizes[i]:
            columns.append(_move_strings(column, _arrow_strings(column), pool, buffers))
        else:
            columns.append(column.reset_index(drop=True))
    moved = pd.concat(columns, axis=1, ignore_index=True)
    moved.columns = snapshot.columns
    return moved, buffers
