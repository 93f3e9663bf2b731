"""Value fingerprints (issue 3, "Fingerprints"): content identity, not repr; never raises."""

from __future__ import annotations

import datetime as dt
import json
import threading
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

import plumbline.fingerprint.core as core
from plumbline.fingerprint import Fingerprint, fingerprint


def _frame(n=2_000, seed=0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "x": rng.random(n),
        "k": rng.integers(0, 100, n),
        "s": [f"row{i}" for i in range(n)],
        "t": pd.date_range("2024-01-01", periods=n, freq="min"),
    })


def _same(a, b):
    fa, fb = fingerprint(a), fingerprint(b)
    assert fa.content_hash is not None and fb.content_hash is not None, (fa, fb)
    return fa.type == fb.type and fa.content_hash == fb.content_hash


# -- DataFrames ----------------------------------------------------------------------------------------


def test_frames_with_identical_head_tail_and_repr_differ():
    """The mltrace bug: sha256(repr(df)) collides because pandas truncates the repr."""
    a = _frame()
    b = a.copy()
    b.loc[1_000, "x"] = -1.0  # a middle row, invisible in the repr
    assert repr(a) == repr(b)
    assert a.shape == b.shape
    pd.testing.assert_frame_equal(a.head(), b.head())
    pd.testing.assert_frame_equal(a.tail(), b.tail())
    fa, fb = fingerprint(a), fingerprint(b)
    assert fa.strategy == fb.strategy == "full"
    assert fa.content_hash != fb.content_hash
    # a middle string cell too
    c = a.copy()
    c.loc[1_000, "s"] = "other"
    assert repr(a) == repr(c) and not _same(a, c)


def test_equal_frames_built_separately_fingerprint_equal():
    a, b = _frame(seed=3), _frame(seed=3)
    assert a is not b
    fa, fb = fingerprint(a), fingerprint(b)
    assert fa == fb
    assert fa.type in ("pandas.core.frame.DataFrame", "pandas.DataFrame")  # pandas 3 says "pandas"
    assert fa.shape == (2_000, 4)
    assert [name for name, _ in fa.columns] == ["x", "k", "s", "t"]
    assert dict(fa.columns)["x"] == "float64"
    assert fa.size_bytes == int(a.memory_usage(deep=False).sum())
    assert len(fa.content_hash) == 32


def test_column_rename_dtype_change_index_change_change_the_hash():
    a = _frame()
    base = fingerprint(a).content_hash
    assert fingerprint(a.rename(columns={"x": "y"})).content_hash != base
    assert fingerprint(a.astype({"k": "int32"})).content_hash != base
    assert fingerprint(a.astype({"k": "float64"})).content_hash != base
    shifted = a.copy()
    shifted.index = shifted.index + 1
    assert fingerprint(shifted).content_hash != base
    named = a.copy()
    named.index.name = "id"
    assert fingerprint(named).content_hash != base
    assert fingerprint(a[["k", "x", "s", "t"]]).content_hash != base  # column order
    assert fingerprint(a.iloc[::-1]).content_hash != base  # row order (index follows the rows)
    # typed column names: 1 and "1" differ
    assert not _same(pd.DataFrame({1: [1, 2]}), pd.DataFrame({"1": [1, 2]}))


def test_series_index_and_categoricals():
    s = pd.Series([1.0, 2.0, 3.0], name="v")
    assert fingerprint(s) == fingerprint(pd.Series([1.0, 2.0, 3.0], name="v"))
    assert not _same(s, s.rename("w"))
    assert not _same(s, pd.Series([1.0, 2.0, 4.0], name="v"))
    assert fingerprint(s).columns == (("v", "float64"),)
    assert not _same(pd.Index([1, 2, 3]), pd.Index([1, 2, 4]))
    c1 = pd.Series(pd.Categorical(["a", "b"], categories=["a", "b"]))
    c2 = pd.Series(pd.Categorical(["a", "b"], categories=["b", "a"]))
    assert not _same(c1, c2)


def test_object_cells_that_pandas_would_stringify_are_hashed_by_content():
    """hash_pandas_object falls back to str() for non-string objects; str() of an array truncates."""
    big = np.arange(10_000, dtype=float)
    other = big.copy()
    other[5_000] = -1.0
    assert str(big) == str(other)
    a = pd.DataFrame({"emb": [big, big], "k": [1, 2]})
    b = pd.DataFrame({"emb": [big, other], "k": [1, 2]})
    fa, fb = fingerprint(a), fingerprint(b)
    assert fa.content_hash != fb.content_hash
    assert fa.strategy == "full (object columns pickled: 1)"
    # mixed "1"/1 collide under str(); not here
    assert not _same(pd.DataFrame({"m": ["1", 1]}, dtype=object), pd.DataFrame({"m": [1, "1"]}, dtype=object))
    # a frame of lists does not raise
    assert fingerprint(pd.DataFrame({"l": [[1, 2], [3]]})).content_hash is not None


def test_huge_frame_is_sampled_and_says_so(monkeypatch):
    n = 200_000
    a = pd.DataFrame({"x": np.arange(n, dtype=float), "s": pd.Series(np.arange(n)).astype(str)})
    fp = fingerprint(a, full_limit_bytes=1024)
    assert fp.kind() == "sampled"
    assert fp.strategy.startswith(f"sampled: 65536 of {n} rows")
    assert fp.shape == (n, 2)
    assert fp == fingerprint(a.copy(), full_limit_bytes=1024)  # deterministic
    for row in (0, n - 1):  # first and last rows are always in the sample
        b = a.copy()
        b.loc[row, "x"] = -1.0
        assert fingerprint(b, full_limit_bytes=1024).content_hash != fp.content_hash
    # the shape is part of the sampled hash even if the sampled rows are alike
    assert fingerprint(a.iloc[:-1], full_limit_bytes=1024).content_hash != fp.content_hash
    # below the limit: full
    assert fingerprint(a).strategy == "full"
    # the module constants are read at call time
    monkeypatch.setattr(core, "SAMPLE_ROWS", 4_096)
    monkeypatch.setattr(core, "SAMPLE_BLOCK_ROWS", 512)
    assert fingerprint(a, full_limit_bytes=1024).strategy.startswith(f"sampled: 4096 of {n} rows")


def test_sample_blocks_cover_first_and_last_rows():
    for n in (65_537, 100_000, 1_000_000, 10**9):
        starts = core._sample_starts(n)
        assert starts[0] == 0 and starts[-1] + core.SAMPLE_BLOCK_ROWS == n
        assert len(starts) * core.SAMPLE_BLOCK_ROWS == core.SAMPLE_ROWS
        assert all(b - a >= core.SAMPLE_BLOCK_ROWS for a, b in zip(starts, starts[1:]))


def test_arrow_strings_equal_under_slicing_copy_and_chunking():
    import pyarrow as pa

    words = [f"w{i}" if i % 7 else None for i in range(1_000)]
    base = pd.Series(words, dtype="str")
    assert isinstance(base.array, pd.arrays.ArrowStringArray)
    fp = fingerprint(base)
    assert fp.strategy == "full"
    assert fingerprint(base.copy()) == fp
    # chunked (concat keeps the chunks) and sliced (non-zero Arrow offsets)
    chunked = pd.concat([base.iloc[:300], base.iloc[300:650], base.iloc[650:]], ignore_index=True)
    assert chunked.array._pa_array.num_chunks == 3
    assert fingerprint(chunked).content_hash == fp.content_hash  # (size_bytes counts chunk buffers)
    middle = base.iloc[100:200].reset_index(drop=True)
    assert middle.array._pa_array.chunk(0).offset == 100
    assert fingerprint(middle) == fingerprint(pd.Series(words[100:200], dtype="str"))
    # int32 offsets (string) and int64 offsets (large_string) of the same strings hash alike
    large = pa.chunked_array([pa.array(words, type=pa.large_string())])
    small = pa.chunked_array([pa.array(words[:500], type=pa.string()), pa.array(words[500:], type=pa.string())])
    x1, x2 = core._xxh(), core._xxh()
    assert core._feed_arrow(x1, large, np) and core._feed_arrow(x2, small, np)
    assert x1.digest() == x2.digest()
    # whatever an Arrow producer left in a null slot does not count
    clean = pa.array(["ab", None, "c"], type=pa.large_string())
    offsets = pa.py_buffer(np.array([0, 2, 5, 6], dtype=np.int64).tobytes())  # the null slot holds "zzz"
    dirty = pa.Array.from_buffers(pa.large_string(), 3, [clean.buffers()[0], offsets, pa.py_buffer(b"abzzzc")])
    assert dirty.to_pylist() == clean.to_pylist()
    x1, x2 = core._xxh(), core._xxh()
    core._feed_arrow(x1, pa.chunked_array([clean]), np)
    core._feed_arrow(x2, pa.chunked_array([dirty]), np)
    assert x1.digest() == x2.digest()


def test_one_character_null_and_empty_string_change_the_hash():
    n = 100_000
    a = pd.DataFrame({"s": [f"name-{i}" for i in range(n)], "k": np.arange(n)})
    base = fingerprint(a)
    b = a.copy()
    b.loc[n // 2, "s"] = f"name-{n // 2}"[:-1] + "X"  # one character, same length
    assert not _same(a, b)
    c = a.copy()
    c.loc[n // 2, "s"] = f"name-{n // 2}"[1:] + "n"  # bytes moved between neighbours' boundaries
    assert fingerprint(c).content_hash != base.content_hash
    # boundaries between cells count: ["ab", "c"] != ["a", "bc"]
    assert not _same(pd.Series(["ab", "c"]), pd.Series(["a", "bc"]))
    # null vs empty string vs "nan"
    forms = [pd.Series(["x", None]), pd.Series(["x", ""]), pd.Series(["x", "nan"]), pd.Series(["x", "None"])]
    assert len({fingerprint(s).content_hash for s in forms}) == len(forms)
    for dtype in ("string", object):
        assert not _same(pd.Series(["x", None], dtype=dtype), pd.Series(["x", ""], dtype=dtype))


def test_column_order_name_dtype_and_index_changes_change_the_hash():
    a = pd.DataFrame({"f": [1.5, 2.5], "i": [1, 2], "s": ["a", "b"]})
    variants = [
        a[["i", "f", "s"]],
        a.rename(columns={"s": "t"}),
        a.astype({"s": object}),
        a.astype({"s": "string"}),
        a.astype({"i": "Int64"}),
        a.astype({"f": "float32"}),
        a.set_axis([1, 0]),
        a.set_axis(pd.Index([0, 1], dtype="int64")),  # RangeIndex(2) vs Index([0, 1]): type differs
        a.set_axis(pd.RangeIndex(1, 3)),
        a.set_axis(pd.MultiIndex.from_tuples([("a", 0), ("a", 1)])),
        a.set_axis(pd.MultiIndex.from_tuples([("a", 0), ("b", 1)])),
    ]
    hashes = {fingerprint(v).content_hash for v in [a, *variants]}
    assert len(hashes) == len(variants) + 1
    # a RangeIndex is hashed by start/stop/step: equal ranges built differently are equal
    assert _same(a, a.set_axis(pd.RangeIndex(0, 2, 1)))
    # MultiIndex by level values: unused levels leave no trace
    mi = pd.MultiIndex.from_tuples([("a", 0), ("b", 1), ("c", 2)])
    assert _same(pd.Series([1, 2], index=mi[:2]), pd.Series([1, 2], index=pd.MultiIndex.from_tuples([("a", 0), ("b", 1)])))


def test_float_signed_zero_differs_and_nan_payloads_do_not():
    """Documented choice: -0.0 and 0.0 are different content (exact bits, as for scalars; 1/x tells
    them apart); every NaN is the same NaN (0/0 gives a negative NaN on x86, np.nan a positive one,
    and SIMD paths differ: a payload is not content anyone means)."""
    zero, negzero = pd.Series([0.0, 1.0]), pd.Series([-0.0, 1.0])
    assert not _same(zero, negzero)
    assert not _same(np.array([0.0]), np.array([-0.0]))
    bits = np.array([0x7FF8000000000000, 0xFFF8000000000000, 0x7FF0000000000001, 0x7FF8DEADBEEF0000], dtype=np.uint64)
    nans = bits.view(np.float64)
    assert np.isnan(nans).all()
    for a in nans[1:]:
        assert _same(pd.Series([1.0, a]), pd.Series([1.0, nans[0]]))
        assert _same(np.array([a, 2.0]), np.array([np.nan, 2.0]))
    assert _same(pd.Series(nans), pd.Series([np.nan] * 4))
    assert not _same(pd.Series([np.nan]), pd.Series([np.inf]))
    # NaN inside a nullable float column is not NA
    nan_value = pd.arrays.FloatingArray(np.array([np.nan, 1.0]), np.array([False, False]))
    assert not _same(pd.Series(nan_value), pd.Series(pd.array([None, 1.0], dtype="Float64")))
    # complex: a NaN in the real part differs from one in the imaginary part
    assert not _same(np.array([complex(np.nan, 1)]), np.array([complex(1, np.nan)]))
    assert fingerprint(nans).content_hash == fingerprint(nans[::-1].copy()[::-1]).content_hash


def test_extension_dtypes_are_hashed_by_content():
    import pyarrow as pa

    m1 = pd.array([1, None, 3], dtype="Int64")
    m2 = m1.copy()
    m2._data[1] = 99  # what lies under the mask does not count
    assert _same(pd.Series(m1), pd.Series(m2))
    assert not _same(pd.Series(m1), pd.Series(pd.array([1, 0, 3], dtype="Int64")))
    cases = [
        (pd.Series(pd.Categorical(["a", "b", None])), pd.Series(pd.Categorical(["a", "a", None]))),
        (pd.Series(pd.date_range("2024", periods=3, tz="UTC")), pd.Series(pd.date_range("2024", periods=3, tz="Europe/Paris"))),
        (pd.Series(pd.period_range("2024", periods=3, freq="M")), pd.Series(pd.period_range("2024", periods=3, freq="D"))),
        (pd.Series(pd.interval_range(0, 3)), pd.Series(pd.interval_range(0, 3, closed="left"))),
        (pd.Series([1, None], dtype="int64[pyarrow]"), pd.Series([1, 0], dtype="int64[pyarrow]")),
        (pd.Series([1.5, None], dtype="double[pyarrow]"),  # NA vs NaN
         pd.Series(pd.arrays.ArrowExtensionArray(pa.chunked_array([pa.array([1.5, np.nan])])))),
        (pd.Series([True, None], dtype="bool[pyarrow]"), pd.Series([True, False], dtype="bool[pyarrow]")),
        (pd.Series([b"a", None], dtype=pd.ArrowDtype(pa.binary())), pd.Series([b"a", b""], dtype=pd.ArrowDtype(pa.binary()))),
        (pd.Series([[1], [2]], dtype=pd.ArrowDtype(pa.list_(pa.int64()))), pd.Series([[1], [3]], dtype=pd.ArrowDtype(pa.list_(pa.int64())))),
        (pd.Series(["a", None], dtype="string[python]"), pd.Series(["a", ""], dtype="string[python]")),
        (pd.Series(pd.arrays.SparseArray([0, 1, 0])), pd.Series(pd.arrays.SparseArray([0, 0, 1]))),
    ]
    for a, b in cases:
        fa = fingerprint(a)
        assert fa.content_hash is not None and fa.kind() == "full", (a.dtype, fa.strategy)
        assert fa == fingerprint(a.copy()), a.dtype
        assert not _same(a, b), (a.dtype, b.dtype)
    # arrow fixed-width values: a null slot's leftover value does not count
    clean = pa.array([7, None, 9], type=pa.int64())
    dirty = pa.Array.from_buffers(pa.int64(), 3, [clean.buffers()[0], pa.py_buffer(np.array([7, 123, 9]).tobytes())])
    x1, x2 = core._xxh(), core._xxh()
    core._feed_arrow(x1, pa.chunked_array([clean]), np)
    core._feed_arrow(x2, pa.chunked_array([dirty]), np)
    assert x1.digest() == x2.digest()


def test_object_columns_still_work():
    strings = pd.DataFrame({"s": pd.Series(["a", "b", None], dtype=object)})
    fp = fingerprint(strings)
    assert fp.strategy == "full" and fp == fingerprint(strings.copy())
    # None, NaN and pd.NA are different objects in an object column
    forms = [pd.Series(["a", v], dtype=object) for v in (None, np.nan, pd.NA)]
    assert len({fingerprint(s).content_hash for s in forms}) == 3
    assert not _same(pd.Series(["a", "b"], dtype=object), pd.Series(["a", "b"], dtype="str"))  # dtype counts
    # lone surrogates cannot be UTF-8: pickled instead, still by content
    odd = pd.Series(["\ud800", "x"], dtype=object)
    assert fingerprint(odd).strategy == "full (object columns pickled: 1)"
    assert not _same(odd, pd.Series(["\ud801", "x"], dtype=object))
    # other lossless scalars (pandas hash_array) and arbitrary objects (pickle)
    assert fingerprint(pd.Series([1, 2.5], dtype=object)).strategy == "full"
    assert not _same(pd.Series([1, 2.5], dtype=object), pd.Series([1, 2.25], dtype=object))
    objs = pd.DataFrame({"o": [{"a": 1}, [1, 2]], "f": [1.0, 2.0]})
    assert fingerprint(objs).strategy == "full (object columns pickled: 1)"
    assert not _same(objs, pd.DataFrame({"o": [{"a": 2}, [1, 2]], "f": [1.0, 2.0]}))
    assert fingerprint(pd.Index(["a", "b"], dtype=object)).strategy == "full"


# -- numpy ------------------------------------------------------------------------------------------------------


def test_arrays():
    a = np.arange(12, dtype=np.int64).reshape(3, 4)
    assert fingerprint(a) == fingerprint(np.arange(12, dtype=np.int64).reshape(3, 4))
    fa = fingerprint(a)
    assert fa.type == "numpy.ndarray" and fa.strategy == "full" and fa.shape == (3, 4) and fa.size_bytes == 96
    assert not _same(a, a.reshape(4, 3))  # same bytes, other shape
    assert not _same(a, a.astype(np.int32))
    assert not _same(a, a.view(np.float64))  # same bytes, other dtype
    b = a.copy()
    b[1, 2] = 99
    assert not _same(a, b)


def test_non_contiguous_arrays_hash_their_content():
    base = np.arange(100, dtype=float).reshape(10, 10)
    col = base[:, 3]  # strided view
    assert not col.flags.c_contiguous
    assert fingerprint(col) == fingerprint(col.copy())
    assert fingerprint(base.T) == fingerprint(np.ascontiguousarray(base.T))
    assert not _same(base[:, 3], base[:, 4])
    assert not _same(base, base.T)


def test_object_arrays_and_datetime_and_masked():
    a = np.array([{"a": 1}, [1, 2], "x"], dtype=object)
    assert fingerprint(a) == fingerprint(np.array([{"a": 1}, [1, 2], "x"], dtype=object))
    assert not _same(a, np.array([{"a": 2}, [1, 2], "x"], dtype=object))
    d = np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[D]")
    assert fingerprint(d).strategy == "full"
    assert not _same(d, d + 1)
    m1 = np.ma.array([1, 2, 3], mask=[0, 1, 0])
    m2 = np.ma.array([1, 2, 3], mask=[0, 0, 0])
    assert not _same(m1, m2)
    s = np.zeros(3, dtype=[("a", "i4"), ("b", "f8")])
    assert fingerprint(s).columns == (("a", "int32"), ("b", "float64"))


def test_huge_array_is_sampled():
    a = np.arange(300_000, dtype=float)
    fp = fingerprint(a, full_limit_bytes=1024)
    assert fp.strategy.startswith("sampled: 65536 of 300000 rows")
    b = a.copy()
    b[-1] = 0.5
    assert fingerprint(b, full_limit_bytes=1024).content_hash != fp.content_hash
    assert fingerprint(a).strategy == "full"


# -- scalars and containers --------------------------------------------------------------------------------


def test_scalars_of_different_types_with_equal_looking_values_differ():
    values = [1, 1.0, "1", True, b"1", np.int64(1), np.float64(1.0), np.int32(1), 1 + 0j, None, 0, False, -0.0, 0.0]
    fps = [fingerprint(v) for v in values]
    assert all(fp.strategy == "scalar" for fp in fps)
    assert len({fp.content_hash for fp in fps}) == len(values)
    assert fingerprint(1) == fingerprint(1)
    assert fingerprint("1").type == "str" and fingerprint(np.int64(1)).type == "numpy.int64"
    assert fingerprint(dt.datetime(2024, 1, 1)).content_hash != fingerprint(dt.date(2024, 1, 1)).content_hash
    assert not _same(dt.datetime(2024, 1, 1), dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    big = 10**5000  # beyond int->str's 4300-digit limit
    assert fingerprint(big).content_hash is not None and not _same(big, big + 1)
    long = "a" * 10**6
    assert fingerprint(long).size_bytes == 10**6 and not _same(long, long[:-1] + "b")


def test_fingerprinting_an_int_imports_neither_pandas_nor_numpy():
    code = textwrap.dedent("""
        import sys
        from plumbline.fingerprint import fingerprint
        for v in (1, "x", [1, {"a": (2.0, None)}], {1, 2}, object(), len):
            fingerprint(v)
        print(sorted(m for m in ("pandas", "numpy", "sklearn") if m in sys.modules))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_containers():
    assert fingerprint([1, 2, 3]) == fingerprint([1, 2, 3])
    assert fingerprint([1, 2, 3]).strategy == "structural"
    assert not _same([1, 2, 3], (1, 2, 3))
    assert not _same([1, [2, 3]], [[1, 2], 3])
    assert not _same({"a": 1}, {"a": 1.0})
    # sets: order-independent, even when iteration order differs
    s1, s2 = {1, 9}, {9, 1}
    assert fingerprint(s1) == fingerprint(s2)
    assert fingerprint(frozenset("abc")) == fingerprint(frozenset("cba"))
    # a dict of frames gets the frames' content identity
    a, b = _frame(), _frame()
    b.loc[1_000, "x"] = -1.0
    assert not _same({"train": a}, {"train": b})
    assert fingerprint({"train": a}) == fingerprint({"train": _frame()})
    # containers of scalars: one memo-less pickle, whatever the sharing of their objects
    flat = [float(i) for i in range(100_000)]
    assert fingerprint(flat).strategy == "structural"
    assert not _same(flat, flat[:-1] + [0.0])
    word = "x" * 10
    assert fingerprint([word, word]) == fingerprint(["x" * 10, "".join(["x"] * 10)])
    assert fingerprint({"b": 2, "a": (1, "z")}) == fingerprint({"b": 2, "a": (1, "".join("z"))})
    assert fingerprint({"a", "b", 1.5} - {1.5}) == fingerprint({"b", "a"})
    assert fingerprint({1, "a"}) == fingerprint({"a", 1})  # unsortable: element digests sorted
    # too many elements to walk one by one: one pickle
    nested = [[i, {"k": str(i)}] for i in range(core.CONTAINER_NODES + 1)]  # scalars only: one pickle
    assert fingerprint(nested).strategy == "structural"
    assert not _same(nested, nested[:-1] + [[0, {"k": "0"}]])
    # too many objects of the user's to walk, and pickling them could run their code: by identity
    big = [Plain(i) for i in range(core.CONTAINER_NODES + 1)]
    fp = fingerprint(big)
    assert fp.strategy.startswith("identity: content not read") and fp.content_hash is not None
    assert fp == fingerprint(big) and fp != fingerprint(big[:-1] + [Plain(0)])
    # ...but a library's objects pickle safely, by content
    arrays = [np.arange(3) + i for i in range(core.CONTAINER_NODES + 1)]
    assert fingerprint(arrays).strategy == "pickle"
    assert fingerprint(arrays) == fingerprint([a.copy() for a in arrays])
    # self-reference does not loop
    r = [1]
    r.append(r)
    assert fingerprint(r).strategy == "pickle"
    deep = []
    for _ in range(core.CONTAINER_DEPTH + 5):
        deep = [deep]
    assert fingerprint(deep).content_hash is not None
    assert fingerprint(deep) != fingerprint([deep])


def test_pickle_size_bound(monkeypatch):
    monkeypatch.setattr(core, "PICKLE_LIMIT_BYTES", 1_000)
    fp = fingerprint([np.arange(3) for _ in range(core.CONTAINER_NODES + 1)])
    assert fp.content_hash is None and fp.strategy.startswith("unhashable: too large")


class Plain:
    def __init__(self, v):
        self.v = v


def test_other_objects_pickle_functions_code_classes_reference():
    fp = fingerprint(Plain([1, 2]))
    assert fp.strategy == "attributes" and fp.type.endswith("test_fingerprint.Plain")
    assert fp == fingerprint(Plain([1, 2]))
    assert not _same(Plain([1, 2]), Plain([1, 3]))

    def f(x):
        return x + 1

    def g(x):
        return x + 2

    assert fingerprint(f).strategy == "code"
    assert fingerprint(f).content_hash != fingerprint(g).content_hash
    assert fingerprint(lambda x: x).content_hash is not None
    assert fingerprint(Plain).strategy == "reference"
    assert fingerprint(json).strategy == "reference"


class Hostile:
    def __reduce__(self):
        raise RuntimeError("no reduce")

    def __reduce_ex__(self, protocol):
        raise RuntimeError("no reduce_ex")

    def __getstate__(self):
        raise RuntimeError("no state")

    def __repr__(self):
        raise RuntimeError("no repr")

    def __str__(self):
        raise RuntimeError("no str")


class HostileError(Exception):
    def __str__(self):
        raise RuntimeError("no message either")


class VeryHostile:
    def __reduce_ex__(self, protocol):
        raise HostileError()


def test_objects_are_hashed_without_running_any_of_their_code():
    """Pickling would call __reduce_ex__/__getstate__: user code, which may print, count or fail."""
    fp = fingerprint(Hostile())
    assert fp.strategy == "attributes" and fp.content_hash is not None  # none of its methods ran
    assert fp.type.endswith("Hostile")
    assert fingerprint([1, Hostile()]).strategy == "structural"
    assert fingerprint({"a": Hostile()}).content_hash is not None
    frame = fingerprint(pd.DataFrame({"h": [Hostile(), Hostile()]}))
    assert frame.strategy == "full (object columns by identity: 1)" and frame.content_hash is not None
    assert fingerprint(VeryHostile()).strategy == "attributes"
    assert fingerprint(np.array([Hostile()], dtype=object)).strategy == "full (objects by identity: " \
        "plumbline.tests.test_fingerprint.Hostile)"
    for opaque in (threading.Lock(), (i for i in range(3)), open(__file__)):  # state held in C
        fp = fingerprint(opaque)
        assert fp.strategy.startswith("identity: content not read") and fp == fingerprint(opaque)
        assert "equal only to itself" in fp.strategy
        if hasattr(opaque, "close"):
            opaque.close()
    json.dumps(fp.to_json())


class Counting:
    calls = 0

    def __init__(self):
        self.data = [1, 2, 3]

    def __getstate__(self):
        Counting.calls += 1
        print("getstate was called")
        return self.__dict__

    def __reduce_ex__(self, protocol):
        Counting.calls += 1
        return super().__reduce_ex__(protocol)


def test_fingerprinting_a_user_object_calls_none_of_its_methods(capsys):
    obj = Counting()
    for value in (obj, [obj], {"k": obj}, [obj] * (core.CONTAINER_NODES + 1),
                  pd.DataFrame({"o": [obj, obj]}), np.array([obj, obj], dtype=object)):
        assert fingerprint(value).content_hash is not None
    assert Counting.calls == 0 and capsys.readouterr().out == ""
    assert fingerprint(Counting()) == fingerprint(Counting())  # by content: its attributes


# -- estimators --------------------------------------------------------------------------------------------------


def test_estimator_refit_on_other_data_changes_the_hash():
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    rng = np.random.default_rng(0)
    X1, X2 = rng.normal(size=(200, 3)), rng.normal(size=(200, 3))
    y = (rng.random(200) > 0.5).astype(int)

    unfitted = fingerprint(LogisticRegression())
    assert unfitted.strategy == "estimator"
    assert unfitted == fingerprint(LogisticRegression())
    assert unfitted != fingerprint(LogisticRegression(C=2.0))

    m = LogisticRegression().fit(X1, y)
    first = fingerprint(m)
    assert first.strategy == "estimator" and first != unfitted
    assert first == fingerprint(LogisticRegression().fit(X1, y))
    m.fit(X2, y)  # in-place refit: the mutation the recorder must see
    assert fingerprint(m) != first

    for make in (lambda: RandomForestClassifier(n_estimators=5, random_state=0),
                 lambda: make_pipeline(StandardScaler(), LogisticRegression())):
        a, b = make().fit(X1, y), make().fit(X2, y)
        fa, fb = fingerprint(a), fingerprint(b)
        assert fa.strategy == "estimator" and fa.content_hash is not None
        assert fa != fb
        assert fa == fingerprint(make().fit(X1, y))


def test_estimator_whose_get_params_fails_is_hashed_by_its_attributes():
    class Odd:
        def get_params(self, deep=True):
            raise RuntimeError("no params")

        def fit(self, X, y=None):
            return self

    Odd.__module__ = __name__
    Odd.__qualname__ = "Odd"
    globals()["Odd"] = Odd
    try:
        fp = fingerprint(Odd())  # get_params is never called: the attributes are the state
        assert fp.strategy == "estimator" and fp.content_hash is not None
    finally:
        del globals()["Odd"]


# -- record ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", [
    _frame(50), np.arange(5), 3, "x", [1, 2], {"a": {1, 2}}, Hostile(), pd.Series([1, 2], name="n"),
])
def test_to_json_round_trip(value):
    fp = fingerprint(value)
    data = json.loads(json.dumps(fp.to_json()))
    assert data["version"] == core.FINGERPRINT_VERSION
    assert Fingerprint.from_json(data) == fp
    assert set(data) >= {"type", "content_hash", "strategy", "shape", "columns", "size_bytes"}


_RICH = """
import numpy as np, pandas as pd
def rich():
    n = 5_000
    rng = np.random.default_rng(7)
    df = pd.DataFrame({
        "f": rng.normal(size=n), "i": rng.integers(0, 9, n), "b": rng.random(n) > 0.5,
        "s": pd.Series([f"w{i}" if i % 11 else None for i in range(n)], dtype="str"),
        "o": pd.Series([f"o{i}" for i in range(n)], dtype=object),
        "c": pd.Categorical(rng.choice(["x", "y", "z"], n)),
        "m": pd.array([None if i % 5 == 0 else i for i in range(n)], dtype="Int64"),
        "t": pd.date_range("2024-01-01", periods=n, freq="min", tz="UTC"),
        "n": np.where(np.arange(n) % 3 == 0, np.nan, 1.0),
    })
    df.index = pd.MultiIndex.from_arrays([np.arange(n) % 7, [f"k{i}" for i in range(n)]], names=["a", "b"])
    return [df, df["s"], df.index, df[["f", "n"]].to_numpy()]
"""


def test_rich_frames_are_stable_across_processes():
    """A frame with every column kind (Arrow strings with nulls, categoricals, nullable ints, tz-aware
    datetimes, NaN, a MultiIndex) hashes the same in another process."""
    code = _RICH + textwrap.dedent("""
        from plumbline.fingerprint import fingerprint
        print(" ".join(fingerprint(v).content_hash for v in rich()))
    """)
    namespace: dict = {}
    exec(_RICH, namespace)
    here = " ".join(fingerprint(v).content_hash for v in namespace["rich"]())
    for seed in ("1", "2"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**__import__("os").environ, "PYTHONHASHSEED": seed}).stdout
        assert out.strip() == here


def test_fingerprint_is_stable_across_processes():
    """Lineage compares fingerprints from different kernels: no per-process salt (str hash, set order)."""
    code = textwrap.dedent("""
        import pandas as pd, numpy as np
        from plumbline.fingerprint import fingerprint
        values = [pd.DataFrame({"a": [1, 2], "s": ["x", "y"]}), np.arange(4), {"k", "l", "m"}, "s",
                  {"cfg": ("a", 1.5)}]
        print(" ".join(fingerprint(v).content_hash for v in values))
    """)
    outs = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                       env={**__import__("os").environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2")
    }
    assert len(outs) == 1


def test_a_big_array_with_few_rows_is_sampled_by_elements_not_read_in_full(tmp_path):
    """A 2 GiB memory-mapped matrix with 16 rows used to be hashed in full: seconds of disk reads."""
    limit = 1 << 20
    wide = np.zeros((16, 1 << 17))  # 16 MiB, 16 rows: too few to sample by rows
    fp = fingerprint(wide, full_limit_bytes=limit)
    assert fp.strategy.startswith(f"sampled: {core.SAMPLE_ELEMENTS} of {wide.size} elements")
    assert not fp.exact
    changed = wide.copy()
    changed[0, 0] = 1.0  # the first block is always in the sample
    assert fingerprint(changed, full_limit_bytes=limit) != fp
    assert fingerprint(wide.copy(), full_limit_bytes=limit) == fp
    # not C-contiguous: the same elements, gathered without copying the whole array
    assert fingerprint(np.asfortranarray(wide), full_limit_bytes=limit).content_hash == fp.content_hash
    mm = np.memmap(tmp_path / "m.dat", dtype="float64", mode="w+", shape=wide.shape)
    mm[:] = wide
    mm.flush()
    mapped = fingerprint(np.memmap(tmp_path / "m.dat", dtype="float64", mode="r", shape=wide.shape),
                         full_limit_bytes=limit)
    assert mapped.strategy == fp.strategy and mapped.shape == (16, 1 << 17)
    assert fingerprint(wide[:2, :100], full_limit_bytes=limit).strategy == "full"  # small: in full
