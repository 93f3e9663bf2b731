"""Bad input gets a clear verdict or a clear message, never a NaN verdict or a crashed cell."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

import plumbline
from plumbline.monitoring import drift
from plumbline.monitoring.profiles import Profile, profile


def verdicts(reference, current, **kwargs) -> dict:
    result = plumbline.drift(reference, current, show=False, **kwargs)
    json.dumps(result.payload, allow_nan=False)  # never NaN in what the panel reads
    for c in result.report.columns:
        for value in (c.value, c.threshold, c.false_alarm):
            assert value is None or math.isfinite(value), (c.column, c)
        assert c.message or c.status == "ok", c.column
    return {c.column: (c.status, c.message) for c in result.report.columns}


def test_empty_frames():
    ref = pd.DataFrame({"x": np.arange(100.0), "c": ["a", "b"] * 50})
    empty = ref.iloc[:0]
    assert {s for s, _ in verdicts(ref, empty).values()} == {"not judged"}
    result = plumbline.drift(ref, empty, show=False)
    assert result.payload["summary"]["message"] == "nothing compared: the compared data has no rows"
    assert "no rows" in verdicts(empty, ref)["x"][1]
    assert verdicts(pd.DataFrame(), pd.DataFrame()) == {}
    assert plumbline.drift(pd.DataFrame(), pd.DataFrame(), show=False).status == "not judged"


def test_all_null_and_constant_columns_get_verdicts_not_nans():
    n = 500
    rng = np.random.default_rng(0)
    ref = pd.DataFrame({"null": np.full(n, np.nan), "const": np.full(n, 3.0), "s_null": pd.Series([None] * n, dtype="str"),
                        "x": rng.normal(size=n)})
    same = verdicts(ref, ref.copy())
    assert same["null"][0] == "not judged" and "all missing" in same["null"][1]
    assert same["s_null"][0] == "not judged"
    assert same["const"][0] == "ok" and same["x"][0] == "ok"
    moved = ref.copy()
    moved["const"] = 4.0  # a constant that changed value
    moved["null"] = rng.normal(size=n)  # values where there were none
    changed = verdicts(ref, moved)
    assert changed["const"][0] == "drift"
    assert changed["null"][0] == "drift" and "missing values 100.0% -> 0.0%" in changed["null"][1]
    gone = ref.copy()
    gone["x"] = np.nan
    assert verdicts(ref, gone)["x"][0] == "drift"


def test_mixed_type_object_columns_are_compared_as_text_and_say_so():
    ref = pd.DataFrame({"mixed": pd.Series([1, "a", 2.5, None, ("t",)] * 100, dtype=object),
                        "numbers": pd.Series([1, 2, 3.5, None] * 125, dtype=object),
                        "lists": pd.Series([[1], [2, 3]] * 250, dtype=object)})
    p = profile(ref)
    assert p["mixed"].kind == "categorical" and "mixed types" in p["mixed"].notes[0]
    assert p["numbers"].kind == "numeric" and p["numbers"].nulls == 125
    assert p["lists"].kind == "categorical" and p["lists"].categories.distinct == 2
    assert {s for s, _ in verdicts(ref, ref.copy()).values()} == {"ok"}


def test_a_column_that_changes_type_between_runs_is_a_schema_change():
    ref = pd.DataFrame({"code": np.arange(300) % 7, "when": pd.date_range("2026-01-01", periods=300, freq="h")})
    cur = pd.DataFrame({"code": (np.arange(300) % 7).astype(str), "when": np.arange(300.0)})
    v = verdicts(ref, cur)
    assert v["code"] == ("schema", "type changed: number (int64) in the reference, category (str) now")
    assert v["when"][0] == "schema" and "time" in v["when"][1]
    with pytest.raises(ValueError, match="cannot be merged"):
        profile(ref).merge(profile(cur))


def test_a_one_row_reference_is_not_judged_and_says_why():
    rng = np.random.default_rng(1)
    ref = pd.DataFrame({"x": [1.0], "c": ["a"]})
    cur = pd.DataFrame({"x": rng.normal(50, 1, 1000), "c": ["b"] * 1000})
    result = plumbline.drift(ref, cur, show=False)
    json.dumps(result.payload, allow_nan=False)
    assert "one row" in " ".join(result.payload["notes"])
    v = verdicts(ref, cur)
    assert v["x"] == ("not judged", "too few values to judge: 1 the reference (at least 10 on each side; "
                      "use a larger reference or chunk)")
    assert v["c"][0] == "not judged"
    # Ten rows are enough to see a change this large.
    ten = pd.DataFrame({"x": rng.normal(1, 1, 10), "c": ["a"] * 10})
    assert {c: s for c, (s, _) in verdicts(ten, cur).items()} == {"x": "drift", "c": "drift"}


def test_huge_category_counts_stay_bounded_and_identifiers_are_not_judged():
    n = 200_000
    ids = pd.DataFrame({"id": [f"user-{i}" for i in range(n)], "bucket": np.arange(n) % 1000})
    p = profile(ids, multivariate=False)
    summary = p["id"].categories
    assert summary.distinct == n and summary.rest > 0  # counted exactly, sketched boundedly
    assert len(summary.counts()) <= 768 and len(p.to_bytes()) < 200_000
    later = pd.DataFrame({"id": [f"user-{i}" for i in range(n, 2 * n)], "bucket": np.arange(n) % 1000})
    v = verdicts(ids, later)
    assert v["id"][0] == "not judged" and "identifier" in v["id"][1]
    assert v["bucket"][0] == "ok"


def test_infinities_are_counted_apart():
    ref = pd.DataFrame({"x": np.r_[np.arange(1000.0), [np.inf, -np.inf]]})
    p = profile(ref)
    assert p["x"].numeric.infinite == 2 and p["x"].numeric.n == 1000 and math.isfinite(p["x"].numeric.mean)
    assert "infinite" in p["x"].notes[0]
    assert verdicts(ref, ref.copy())["x"][0] == "ok"


def test_wrong_arguments_get_clear_errors():
    frame = pd.DataFrame({"x": [1.0, 2.0]})
    with pytest.raises(TypeError, match="profiles pandas DataFrames"):
        plumbline.drift(frame, {"x": 1}, show=False)
    with pytest.raises(TypeError, match="3 dimensions"):
        plumbline.profile(np.zeros((2, 2, 2)))
    with pytest.raises(ValueError, match="numeric_measure"):
        plumbline.drift(frame, frame, numeric_measure="t-test", show=False)
    with pytest.raises(KeyError, match="no column 'y'"):
        plumbline.drift(frame, frame, columns=["y"], show=False)
    with pytest.raises(ValueError, match="pandas frequency"):
        plumbline.drift(frame, frame, chunk="fortnight", show=False)
    with pytest.raises(ValueError, match="name the time column"):
        plumbline.drift(frame, frame, chunk="1D", show=False)
    with pytest.raises(ValueError, match="not a Plumbline profile"):
        Profile.from_bytes(b"garbage")


def test_a_damaged_profile_file_is_refused():
    data = json.loads(__import__("zlib").decompress(profile(pd.DataFrame({"x": np.arange(50.0)})).to_bytes()))
    data["columns"][0]["numeric"]["lattice"]["steps"] = [-1] * len(data["columns"][0]["numeric"]["lattice"]["steps"])
    with pytest.raises(ValueError, match="damaged"):
        Profile.from_json(data)
    data["version"] = 99
    with pytest.raises(ValueError, match="upgrade Plumbline"):
        Profile.from_json(data)


def test_polars_style_and_arrow_tables_are_accepted():
    pa = pytest.importorskip("pyarrow")
    table = pa.table({"x": np.arange(100.0), "c": ["a", "b"] * 50})
    assert set(profile(table).columns) == {"x", "c"}
    assert drift.compare(profile(table), profile(table.to_pandas())).columns[0].status == "ok"
