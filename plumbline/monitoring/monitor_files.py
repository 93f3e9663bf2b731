"""A monitor's folder beside the store: raw predictions and labels as Parquet, the window aggregates, a lock.

``<store folder>/monitors/<id>/``

* ``reference.bin`` — the fitted reference (``estimation``), ``model.joblib`` — the model, when it pickles;
* ``predictions/NNNNNNNN.parquet`` — one file per logged batch: id, timestamp, window and the
  per-row state the estimator keeps (score, predicted class, bucket…), so labels arriving later
  join without the features;
* ``labels/NNNNNNNN.parquet`` — one file per feedback call: id, label, timestamp, and whether it
  joined, waits for an unknown id, or repeated a label already given;
* ``state.npz`` — the window keys and their (windows × L) aggregate matrix, and the counters;
* ``generation`` — bumped by every write, so a second process (a pipeline task, another
  kernel) logging to the same monitor is noticed and its batches are read before the next write;
* ``.lock`` — ``flock`` held for the length of one write.

Everything is written to a temporary name and renamed, so a crash leaves the previous state.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import re
from pathlib import Path
from typing import Iterator, Optional

from .storage import atomic_write

PREDICTIONS = "predictions"
LABELS = "labels"
_BATCH = re.compile(r"^(\d{8})\.parquet$")

# Label rows: what became of each.
JOINED, UNKNOWN, DUPLICATE = 0, 1, 2


class MonitorFolder:
    def __init__(self, path: Path):
        self.path = Path(path)

    def create(self) -> None:
        for sub in (PREDICTIONS, LABELS):
            (self.path / sub).mkdir(parents=True, exist_ok=True)

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        self.path.mkdir(parents=True, exist_ok=True)
        with open(self.path / ".lock", "a+") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- generation --------------------------------------------------------------------

    def generation(self) -> int:
        try:
            return int((self.path / "generation").read_text() or 0)
        except (FileNotFoundError, ValueError):
            return 0

    def bump_generation(self, current: int) -> int:
        atomic_write(self.path / "generation", str(current + 1).encode())
        return current + 1

    # -- reference, model, state -------------------------------------------------------

    def write_bytes(self, name: str, data: bytes) -> None:
        atomic_write(self.path / name, data)

    def read_bytes(self, name: str) -> Optional[bytes]:
        try:
            return (self.path / name).read_bytes()
        except FileNotFoundError:
            return None

    def write_state(self, **arrays) -> None:
        import io

        import numpy as np

        buffer = io.BytesIO()
        np.savez(buffer, **arrays)
        atomic_write(self.path / "state.npz", buffer.getvalue())

    def read_state(self) -> Optional[dict]:
        import numpy as np

        try:
            with np.load(self.path / "state.npz", allow_pickle=False) as data:
                return {k: data[k] for k in data.files}
        except FileNotFoundError:
            return None

    # -- batches -----------------------------------------------------------------------

    def batch_numbers(self, kind: str) -> list[int]:
        folder = self.path / kind
        if not folder.is_dir():
            return []
        return sorted(int(m.group(1)) for m in map(_BATCH.match, os.listdir(folder)) if m)

    def write_batch(self, kind: str, number: int, columns: dict) -> int:
        """Write batch ``number`` of ``kind``; returns its size in bytes."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        table = pa.table(columns)
        sink = pa.BufferOutputStream()
        # zstd at a low level: a third of the bytes of plain, at logging speed.
        pq.write_table(table, sink, compression="zstd", compression_level=1, use_dictionary=False,
                       write_statistics=False)
        data = sink.getvalue().to_pybytes()
        atomic_write(self.path / kind / f"{number:08d}.parquet", data)
        return len(data)

    def read_batch(self, kind: str, number: int) -> dict:
        import pyarrow.parquet as pq

        table = pq.read_table(self.path / kind / f"{number:08d}.parquet")
        return {name: table.column(name).to_numpy() for name in table.column_names}

    def bytes_stored(self, kind: str) -> int:
        folder = self.path / kind
        return sum(f.stat().st_size for f in folder.iterdir() if _BATCH.match(f.name)) if folder.is_dir() else 0


class IdIndex:
    """Prediction id → row position, for ten million ids and more.

    Levels of hashed ``pandas.Index``es, merged when a level grows to the size of
    the one before (an LSM tree): adding a batch costs amortized O(log n) per id,
    a lookup one hash probe per level (about log2(n / batch) levels). Numeric
    levels keep their min and max, so ids that only grow (the usual case) skip
    every level at once.
    """

    def __init__(self):
        self._levels: list[tuple] = []  # (Index, positions, lo, hi)
        self.size = 0

    def add(self, ids, positions) -> None:
        import numpy as np
        import pandas as pd

        self._levels.append(self._level(pd.Index(ids), np.asarray(positions, dtype=np.int64)))
        self.size += len(ids)
        while len(self._levels) > 1 and len(self._levels[-1][0]) * 2 >= len(self._levels[-2][0]):
            (a, pa_, _, _), (b, pb, _, _) = self._levels[-2], self._levels[-1]
            self._levels[-2:] = [self._level(a.append(b), np.concatenate([pa_, pb]))]

    @staticmethod
    def _level(index, positions) -> tuple:
        lo = hi = None
        if len(index) and index.dtype.kind in "iuf":
            lo, hi = index.min(), index.max()
        return index, positions, lo, hi

    def lookup(self, ids):
        """Positions of ``ids`` (-1 where unknown)."""
        import numpy as np
        import pandas as pd

        out = np.full(len(ids), -1, dtype=np.int64)
        if not self._levels or not len(ids):
            return out
        probe = ids if isinstance(ids, pd.Index) else pd.Index(ids)
        numeric = probe.dtype.kind in "iuf"
        plo = phi = None
        if numeric:
            plo, phi = probe.min(), probe.max()
        for index, positions, lo, hi in self._levels:
            if numeric and lo is not None and (phi < lo or plo > hi):
                continue
            if index.dtype.kind in "iuf" and probe.dtype.kind == "O" or index.dtype.kind == "O" and numeric:
                continue  # a string id never equals a numeric one
            found = index.get_indexer(probe)
            hit = found >= 0
            out[hit] = positions[found[hit]]
        return out


class Columns:
    """Per-prediction columns in memory, grown by doubling (appends amortized O(1), gathers by position)."""

    def __init__(self):
        self._arrays: dict = {}
        self.size = 0

    def append(self, columns: dict) -> None:
        import numpy as np

        n = len(next(iter(columns.values())))
        for name, values in columns.items():
            values = np.asarray(values)
            array = self._arrays.get(name)
            if array is None:
                array = np.zeros(max(1024, 2 * n), dtype=values.dtype)
            elif self.size + n > len(array):
                grown = np.zeros(max(2 * len(array), self.size + n), dtype=array.dtype)
                grown[: self.size] = array[: self.size]
                array = grown
            array[self.size: self.size + n] = values
            self._arrays[name] = array
        self.size += n

    def gather(self, name: str, positions):
        import numpy as np

        if name not in self._arrays:  # nothing logged yet
            return np.zeros(len(positions), dtype=bool)
        return self._arrays[name][positions]

    def set(self, name: str, positions, value) -> None:
        if len(positions):
            self._arrays[name][positions] = value

    def names(self) -> list[str]:
        return list(self._arrays)
