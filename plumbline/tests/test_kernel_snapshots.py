"""Waiting snapshots keep their numbers in the profiler's own buffers, so the notebook's memory is let go at once.

The settled frame is the snapshot, value for value (dtypes, duplicate column names, strings and
missing values); buffers are reused, never while something still views them, and freed when idle;
in the kernel monitor, the notebook's arrays are let go while the profile still waits for an idle
kernel, and the profile is the one of the frame as it was.
"""

from __future__ import annotations

import gc
import time
import weakref
from types import SimpleNamespace

import numpy as np
import pandas as pd

from plumbline.kernel import snapshots
from plumbline.kernel.snapshots import BufferPool, copy_array, settle


def frame(n: int = 200_000) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    df = pd.DataFrame({"x": rng.normal(size=n), "n": rng.integers(0, 9, n), "flag": rng.uniform(size=n) < 0.3,
                       "city": rng.choice(["SEA", "SFO"], n), "y": rng.normal(size=n)})
    df.loc[df.index[::7], "x"] = np.nan
    df.loc[df.index[::11], "city"] = None
    df.columns = ["x", "n", "flag", "city", "x"]  # a duplicate name
    return df.set_index(np.arange(n)[::-1])  # an index the settled frame does not keep


def test_a_settled_frame_equals_its_snapshot_and_holds_none_of_its_numeric_or_string_memory():
    df = frame()
    assert str(df.dtypes.iloc[3]) == "str"  # pandas' Arrow strings
    pool = BufferPool(1 << 30)
    moved, buffers = settle(df.copy(deep=False), pool, 1 << 30)
    assert list(moved.columns) == list(df.columns) and list(moved.dtypes) == list(df.dtypes)
    pd.testing.assert_frame_equal(moved, df.reset_index(drop=True))
    assert moved.iloc[:, 3].isna().sum() == df.iloc[:, 3].isna().sum() > 0
    blocks = [(b.ctypes.data, b.ctypes.data + b.nbytes) for b in buffers]

    def in_pool(address: int) -> bool:
        return any(low <= address < high for low, high in blocks)

    for i in (0, 1, 2, 4):
        assert not np.shares_memory(moved.iloc[:, i].to_numpy(), df.iloc[:, i].to_numpy())
        assert in_pool(moved.iloc[:, i].to_numpy().ctypes.data)
    strings = moved.iloc[:, 3].array.__arrow_array__()
    addresses = [b.address for chunk in getattr(strings, "chunks", [strings]) for b in chunk.buffers() if b]
    assert addresses and all(in_pool(a) for a in addresses)  # the rebuilt Arrow column reads the pool

    series, one = settle(df.iloc[:, 0].rename("delay"), pool, 1 << 30)
    assert series.name == "delay" and len(one) == 1
    pd.testing.assert_series_equal(series, df.iloc[:, 0].rename("delay").reset_index(drop=True))

    small = pd.DataFrame({"a": [1.0, 2.0]})
    kept, used = settle(small, pool, 1 << 30)
    assert kept is small and used == []  # not worth it: kept as it is
    kept, used = settle(df, pool, 1 << 20)
    assert kept is df and used == []  # over the limit (the copy would double the notebook's memory)
    objects = pd.DataFrame({"x": np.arange(200_000.0), "o": pd.Series([("t", 1)] * 200_000, dtype=object)})
    moved, used = settle(objects, pool, 1 << 30)
    assert len(used) == 1 and moved["o"].tolist() == objects["o"].tolist()  # object columns stay as they are
    array = np.arange(10.0)
    copy, used = copy_array(array, pool)
    assert len(used) == 1 and copy is not array and np.array_equal(copy, array)


def test_buffers_are_reused_in_size_classes_never_while_something_views_them_and_freed_when_idle():
    pool = BufferPool(1 << 30)
    first = pool.take(3_000_000)
    assert first.nbytes == 3 * snapshots.CLASS
    address = first.ctypes.data
    pool.give([first])
    del first
    again = pool.take(2_500_000)  # a little shorter: the same class
    assert again.ctypes.data == address  # the same memory, reused
    view = again[10:]  # noqa: F841 - held on purpose
    pool.give([again])
    del again
    assert pool.free_bytes == 0  # a view still reads it: let go, not reused
    assert pool.take(3_000_000).ctypes.data != address  # new memory

    tiny = BufferPool(snapshots.CLASS)
    tiny.give([np.empty(2 * snapshots.CLASS, np.uint8)])  # over the limit: let go
    assert tiny.free_bytes == 0
    kept = BufferPool(1 << 30)
    kept.give([kept.take(10)])
    assert kept.free_bytes == snapshots.CLASS
    kept.release_idle(time.monotonic() + snapshots.IDLE_RELEASE / 2)
    assert kept.free_bytes == snapshots.CLASS
    kept.release_idle(time.monotonic() + snapshots.IDLE_RELEASE + 1)
    assert kept.free_bytes == 0


def test_the_monitor_lets_go_of_the_notebooks_arrays_while_the_profile_waits(tmp_path):
    from plumbline.kernel.monitoring import KernelMonitor
    from plumbline.monitoring.profiles import profile
    from plumbline.store import Store

    writes = []
    monitor = KernelMonitor(lambda method, *args: writes.append((method, args)), lambda: None, tmp_path,
                            print, lambda: "settle.ipynb")
    base = np.random.default_rng(5).normal(size=(400_000,))
    df = pd.DataFrame({"x": base, "city": np.where(base > 0, "SEA", "SFO")}, copy=False)
    assert np.shares_memory(df["x"].to_numpy(), base)
    expected = profile(df, multivariate=False)
    gone = weakref.ref(base)
    monitor.arriving()
    monitor.begin("run-1", SimpleNamespace(name="build"), {})  # the cell keeps running: the profile waits
    monitor.on_outputs("run-1", [("io-1", "df", df)])
    del df, base
    deadline = time.monotonic() + 30
    while gone() is not None and time.monotonic() < deadline:
        gc.collect()
        time.sleep(0.02)
    assert gone() is None  # the notebook's array is free: the snapshot's numbers are in the pool
    assert not [m for m, _ in writes if m is Store.record_profile]  # ... and the profile still waits
    monitor.end("run-1")
    assert monitor.wait(60)
    (record,) = [args[0] for m, args in writes if m is Store.record_profile]
    assert record.rows == 400_000
    from plumbline.monitoring.storage import load

    stored = load(tmp_path, record.path)
    assert stored["x"].numeric.mean == expected["x"].numeric.mean
    assert stored["x"].numeric.m2 == expected["x"].numeric.m2
    assert stored["city"].categories.counts() == expected["city"].categories.counts()
    monitor.close()

