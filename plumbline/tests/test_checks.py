"""The checks library: built-ins on real pandas/numpy/scikit-learn data, user checks, specs."""

from __future__ import annotations

import itertools
import json
import linecache
import pickle
import subprocess
import sys
import textwrap
import warnings

import numpy as np
import pandas as pd
import pytest

import plumbline.checks as checks
from plumbline.checks import (
    CheckBlocked,
    CheckResult,
    CheckSpec,
    ComponentTests,
    blocking_failure,
    catalog,
    check,
    run_checks,
    user_checks_for,
)
from plumbline.checks import user as user_registry
from plumbline.checks.params import validate


@pytest.fixture(autouse=True)
def empty_registry():
    user_registry.clear()
    yield
    user_registry.clear()


def run(check_name, args, namespace, params=None, previous=None, when="after"):
    """One built-in check, through the public runner; every result must be storable as JSON."""
    spec = CheckSpec(id=f"{check_name}-1", check=check_name, when=when, args=tuple(args),
                     params=params or {})
    results = run_checks([spec], when, namespace, lambda spec_id: previous)
    assert len(results) == 1
    result = results[0]
    json.dumps(result.to_json())
    assert "\n" not in result.message
    return result


@pytest.fixture
def flights():
    rng = np.random.default_rng(7)
    n = 1000
    return pd.DataFrame({
        "date": pd.date_range("2001-01-01", periods=n, freq="h"),
        "delay": rng.normal(10, 20, n).round(),
        "distance": rng.uniform(100, 2500, n).round(),
        "origin": rng.choice(["SEA", "PDX", "SFO"], n),
        "delayed": (rng.random(n) < 0.3).astype(int),
    })


# --- import cost -----------------------------------------------------------------------------

def test_importing_checks_loads_no_heavy_library():
    code = ("import sys, plumbline, plumbline.checks; "
            "print([m for m in ('pandas', 'numpy', 'sklearn', 'scipy', 'jsonschema') "
            "if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# --- catalog -----------------------------------------------------------------------------------

def test_catalog_is_json_and_lists_every_builtin():
    entries = json.loads(json.dumps(catalog()))
    names = [e["name"] for e in entries]
    assert names == ["schema", "nulls", "ranges", "categories", "outliers", "duplicates",
                     "row_count", "freshness", "time_leakage", "class_balance", "metric_gap",
                     "feature_importance", "drift"]
    by_name = {e["name"]: e for e in entries}
    assert by_name["time_leakage"]["args"] == ["train", "test"]
    assert by_name["metric_gap"]["args"] == ["model", "X_train", "y_train", "X_test", "y_test"]
    assert by_name["feature_importance"]["optional_args"] == ["X"]
    assert by_name["duplicates"]["default_when"] == "before"
    assert by_name["drift"]["args"] == ["frame"] and by_name["drift"]["optional_args"] == ["reference"]
    for entry in entries:
        assert entry["title"] and entry["description"]
        for name, prop in entry["params"]["properties"].items():
            assert prop.get("description"), (entry["name"], name)


def test_catalog_is_a_copy():
    catalog()[0]["params"]["properties"].clear()
    assert catalog()[0]["params"]["properties"]


def test_each_params_schema_is_valid_and_accepts_its_defaults():
    jsonschema = pytest.importorskip("jsonschema")
    for entry in catalog():
        schema = entry["params"]
        jsonschema.Draft202012Validator.check_schema(schema)
        props = schema["properties"]
        defaults = {k: p["default"] for k, p in props.items() if "default" in p}
        # Required parameters have no default by design (the UI must ask for them).
        assert set(props) - set(defaults) == set(schema.get("required", [])), entry["name"]
        optional = {k: v for k, v in schema.items() if k != "required"}
        jsonschema.validate(defaults, optional)
        assert validate(defaults, optional) == [], entry["name"]


def test_our_validator_agrees_with_jsonschema_on_bad_params():
    jsonschema = pytest.importorskip("jsonschema")
    schemas = {e["name"]: e["params"] for e in catalog()}
    bad = [
        ("nulls", {"max_fraction": 1.5}),
        ("nulls", {"max_fraction": "0.1"}),
        ("nulls", {"max_fraction": True}),
        ("nulls", {"columns": "delay"}),
        ("nulls", {"colums": ["delay"]}),
        ("ranges", {"columns": {"delay": [0]}}),
        ("outliers", {"z": 0}),
        ("outliers", {"method": "iqr"}),
        ("freshness", {"max_age_hours": 2}),
        ("row_count", {"min_rows": 1.5}),
        ("metric_gap", {"metric": "mse"}),
    ]
    for name, params in bad:
        assert validate(params, schemas[name]), (name, params)
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(params, schemas[name])


# --- CheckSpec ---------------------------------------------------------------------------------

def spec_json(**overrides):
    obj = {"id": "nulls-1", "check": "nulls", "when": "before", "args": ["flights"],
           "params": {"max_fraction": 0.1}, "on_fail": "block"}
    obj.update(overrides)
    return obj


def test_spec_round_trips_through_json():
    spec = CheckSpec.from_json(spec_json())
    assert spec.args == ("flights",) and spec.on_fail == "block"
    assert CheckSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec
    assert CheckSpec.from_json({k: v for k, v in spec_json().items() if k != "on_fail"}).on_fail == "warn"


@pytest.mark.parametrize("overrides, words", [
    ({"check": "nullz"}, ["unknown check 'nullz'", "nulls", "user"]),
    ({"when": "during"}, ["when must be 'before' or 'after'", "'during'"]),
    ({"on_fail": "stop"}, ["on_fail must be 'warn' or 'block'", "'stop'"]),
    ({"args": ["my flights"]}, ["args must be Python variable names", "'my flights'"]),
    ({"args": ["class"]}, ["'class'"]),
    ({"args": "flights"}, ["args must be a list"]),
    ({"args": ["a", "b"]}, ["nulls takes 1 variable", "got 2"]),
    ({"params": {"max_fraction": 2}}, ["params.max_fraction must be at most 1", "got 2"]),
    ({"params": {"max_fractoin": 0.1}}, ["params.max_fractoin is not a parameter", "max_fraction"]),
    ({"params": {"columns": "delay"}}, ["params.columns must be array or null", "str"]),
    ({"params": []}, ["params must be an object"]),
    ({"id": ""}, ["id must be a non-empty string"]),
    ({"extra": 1}, ["unknown key extra"]),
])
def test_from_json_rejects_bad_specs_clearly(overrides, words):
    with pytest.raises(ValueError) as info:
        CheckSpec.from_json(spec_json(**overrides))
    for word in words:
        assert word in str(info.value)


def test_from_json_names_missing_keys_and_required_params():
    with pytest.raises(ValueError, match="missing when, args"):
        CheckSpec.from_json({"id": "x", "check": "nulls"})
    with pytest.raises(ValueError, match="params.timestamp_column is required"):
        CheckSpec.from_json({"id": "f", "check": "freshness", "when": "after", "args": ["df"]})
    with pytest.raises(ValueError, match="metric_gap takes 5 variables"):
        CheckSpec.from_json({"id": "m", "check": "metric_gap", "when": "after", "args": ["m"]})
    with pytest.raises(ValueError, match="missing id, when, args; unknown check 'no_such'"):
        CheckSpec.from_json({"check": "no_such"})
    with pytest.raises(ValueError, match="args must be a list of variable names, got str"):
        CheckSpec("n", "nulls", "after", "flights")
    with pytest.raises(ValueError, match="check must be a name"):
        CheckSpec.from_json({"id": "n", "check": ["nulls"], "when": "after", "args": ["df"]})
    with pytest.raises(ValueError, match="must be a JSON object"):
        CheckSpec.from_json(["nulls"])


def test_optional_args_are_accepted():
    CheckSpec.from_json({"id": "fi", "check": "feature_importance", "when": "after",
                         "args": ["model", "X_train"]})
    with pytest.raises(ValueError, match="1 to 2 variables"):
        CheckSpec.from_json({"id": "fi", "check": "feature_importance", "when": "after",
                             "args": ["a", "b", "c"]})


# --- runner ------------------------------------------------------------------------------------

def test_runner_runs_only_the_requested_phase(flights):
    specs = [CheckSpec("a", "nulls", "before", ("flights",)),
             CheckSpec("b", "row_count", "after", ("flights",))]
    assert [r.spec_id for r in run_checks(specs, "before", {"flights": flights})] == ["a"]
    assert [r.spec_id for r in run_checks(specs, "after", {"flights": flights})] == ["b"]
    with pytest.raises(ValueError):
        run_checks(specs, "later", {})


def test_missing_variable_is_an_error_that_says_checks_read_by_name():
    result = run("nulls", ["flights"], {"other": 1})
    assert result.status == "error"
    assert "'flights'" in result.message and "by name" in result.message
    assert result.name == "nulls(flights)" and result.message.startswith("nulls(flights): ")


def test_wrong_type_is_an_error_naming_type():
    result = run("nulls", ["flights"], {"flights": [1, None]})
    assert result.status == "error"
    assert "nulls(flights): expected a pandas DataFrame" in result.message
    assert "got list" in result.message


def test_result_carries_spec_fields(flights):
    spec = CheckSpec("n", "nulls", "before", ("flights",), on_fail="block")
    [result] = run_checks([spec], "before", {"flights": flights})
    assert isinstance(result, CheckResult)
    assert (result.spec_id, result.when, result.on_fail, result.status) == ("n", "before", "block", "pass")
    assert result.duration_ms >= 0


def test_previous_is_asked_by_spec_id_only_for_checks_that_use_it(flights):
    asked = []

    def previous(spec_id):
        asked.append(spec_id)
        return None

    specs = [CheckSpec("rows", "row_count", "after", ("flights",)),
             CheckSpec("nulls", "nulls", "after", ("flights",))]
    run_checks(specs, "after", {"flights": flights}, previous)
    assert asked == ["rows"]


def test_a_failing_previous_lookup_is_an_error_not_a_crash(flights):
    def previous(spec_id):
        raise RuntimeError("store is locked")

    spec = CheckSpec("rows", "row_count", "after", ("flights",))
    [result] = run_checks([spec], "after", {"flights": flights}, previous)
    assert result.status == "error" and "RuntimeError: store is locked" in result.message


# --- schema ------------------------------------------------------------------------------------

def test_schema_against_params(flights):
    columns = {"date": "datetime", "delay": "float64", "distance": "number", "origin": "string",
               "delayed": "int64"}
    assert run("schema", ["flights"], {"flights": flights}, {"columns": columns}).status == "pass"
    bad = flights.assign(delayed=flights["delayed"].astype(float)).drop(columns="distance")
    result = run("schema", ["flights"], {"flights": bad.assign(extra=1)}, {"columns": columns})
    assert result.status == "fail"
    assert "column 'delayed' is float64, expected int64" in result.message
    assert "column 'distance' is missing" in result.message
    assert "unexpected column extra" in result.message
    allowed = run("schema", ["flights"], {"flights": flights.assign(extra=1)},
                  {"columns": columns, "allow_extra": True})
    assert allowed.status == "pass"


def test_schema_includes_the_target_given_separately(flights):
    X, y = flights.drop(columns="delayed"), flights["delayed"]
    first = run("schema", ["X", "y"], {"X": X, "y": y})
    assert first.status == "pass" and first.details["observed"]["y"] == "int64"
    changed = run("schema", ["X", "y"], {"X": X, "y": y.astype(str)}, previous=first.details)
    assert changed.status == "fail"
    assert "column 'y' is str" in changed.message or "column 'y' is object" in changed.message
    assert "expected int64" in changed.message


def test_schema_reference_is_recorded_then_carried_forward(flights):
    first = run("schema", ["flights"], {"flights": flights})
    assert first.status == "pass" and "recorded the reference schema (5 columns)" in first.message
    broken = run("schema", ["flights"], {"flights": flights.drop(columns="origin")},
                 previous=first.details)
    assert broken.status == "fail" and "column 'origin' is missing" in broken.message
    # The failing run kept the original reference, so the next good batch still matches it.
    assert broken.details["reference"] == first.details["reference"]
    again = run("schema", ["flights"], {"flights": flights}, previous=broken.details)
    assert again.status == "pass"



def test_a_run_that_errors_keeps_the_previous_baseline(flights):
    first = run("schema", ["flights"], {"flights": flights})
    errored = run("schema", ["flights"], {}, previous=first.details)
    assert errored.status == "error" and errored.details["baseline_carried"] is True
    broken = run("schema", ["flights"], {"flights": flights.drop(columns="delay")},
                 previous=errored.details)
    assert broken.status == "fail" and "column 'delay' is missing" in broken.message
    rows = run("row_count", ["flights"], {"flights": flights})
    crashed = run("row_count", ["flights"], {"flights": 3}, previous=rows.details)
    assert crashed.status == "error" and crashed.details["rows"] == 1000

# --- nulls -------------------------------------------------------------------------------------

def test_nulls(flights):
    assert run("nulls", ["flights"], {"flights": flights}).status == "pass"
    bad = flights.copy()
    bad.loc[:249, "delay"] = np.nan
    bad.loc[:9, "origin"] = None
    result = run("nulls", ["flights"], {"flights": bad}, {"max_fraction": 0.05})
    assert result.status == "fail"
    assert "column 'delay' is 25.0% null (250 of 1,000 rows, allowed 5.0%)" in result.message
    assert "origin" not in result.message  # 1% is allowed
    assert result.details["null_fraction"]["delay"] == 0.25
    only = run("nulls", ["flights"], {"flights": bad}, {"columns": ["distance"]})
    assert only.status == "pass"
    missing = run("nulls", ["flights"], {"flights": bad}, {"columns": ["distanse"]})
    assert missing.status == "fail" and "column 'distanse' is missing" in missing.message


def test_nulls_on_a_numpy_array():
    data = np.ones((10, 3))
    data[:4, 1] = np.nan
    result = run("nulls", ["X"], {"X": data})
    assert result.status == "fail" and "column '1' is 40.0% null (4 of 10 rows, allowed 0%)" in result.message


# --- ranges and categories ---------------------------------------------------------------------

def test_ranges(flights):
    params = {"columns": {"distance": [0, None], "delay": [-100, 200],
                          "date": ["2001-01-01", "2001-03-01"]}}
    assert run("ranges", ["flights"], {"flights": flights}, params).status == "pass"
    bad = flights.copy()
    bad.loc[:29, "distance"] = -5
    result = run("ranges", ["flights"], {"flights": bad}, params)
    assert result.status == "fail"
    assert ("column 'distance' has 30 of 1,000 rows (3.0%, allowed 0%) outside [0, inf] "
            "(min -5, max 2,499)") in result.message
    assert run("ranges", ["flights"], {"flights": bad}, {**params, "max_share": 0.05}).status == "pass"
    late = run("ranges", ["flights"], {"flights": flights},
               {"columns": {"date": [None, "2001-01-20"]}})
    assert late.status == "fail" and "column 'date'" in late.message and "2001-01-20" in late.message


def test_ranges_on_a_text_column_fails_clearly(flights):
    result = run("ranges", ["flights"], {"flights": flights}, {"columns": {"origin": [0, 1]}})
    assert result.status == "fail" and "column 'origin'" in result.message
    assert "not numbers or timestamps" in result.message


def test_categories(flights):
    params = {"columns": {"origin": ["SEA", "PDX", "SFO"], "delayed": [0, 1]}}
    assert run("categories", ["flights"], {"flights": flights}, params).status == "pass"
    bad = flights.copy()
    bad.loc[:6, "origin"] = "XXX"
    bad.loc[7:8, "origin"] = "sea"
    bad.loc[9, "delayed"] = 2
    result = run("categories", ["flights"], {"flights": bad}, params)
    assert result.status == "fail"
    assert ("column 'origin' has 9 of 1,000 rows (0.9%, allowed 0%) outside the 3 allowed values: "
            "'XXX' (7), 'sea' (2)") in result.message
    assert ("column 'delayed' has 1 of 1,000 rows (0.1%, allowed 0%) outside the 2 allowed "
            "values: 2 (1)") in result.message


# --- outliers ----------------------------------------------------------------------------------

def test_outliers(flights):
    assert run("outliers", ["flights"], {"flights": flights}).status == "pass"
    bad = flights.copy()
    bad.loc[:99, "delay"] = 5000  # 10% of rows far out
    result = run("outliers", ["flights"], {"flights": bad})
    assert result.status == "fail"
    assert ("column 'delay' has 100 of 1,000 values (10.0%, allowed 5.0%) with |z| > 5 "
            "(center 11, scale 21.5)") in result.message


def test_outliers_with_mean_and_std_cannot_reach_the_default_limit(flights):
    """Why robust z is the default: with z from mean/std at most 1/z² = 4% of values lie beyond
    5 standard deviations, so mltrace's "|z| > 5 in more than 5% of rows" never fires."""
    bad = flights.copy()
    bad.loc[:99, "delay"] = 5000
    standard = run("outliers", ["flights"], {"flights": bad}, {"method": "standard"})
    assert standard.status == "pass"
    assert standard.details["columns"]["delay"]["share"] <= 1 / 25
    lower = run("outliers", ["flights"], {"flights": bad}, {"method": "standard", "z": 2})
    assert lower.status == "fail" and "column 'delay'" in lower.message


def test_outliers_counts_infinities_and_handles_constant_columns():
    frame = pd.DataFrame({"x": [1.0] * 90 + [np.inf] * 10, "c": [3] * 100})
    result = run("outliers", ["frame"], {"frame": frame})
    assert result.status == "fail" and "column 'x' has 10 of 100 values (10.0%, allowed 5.0%)" in result.message
    assert "column 'c'" not in result.message


# --- duplicates ----------------------------------------------------------------------------------

def test_duplicates(flights):
    assert run("duplicates", ["flights"], {"flights": flights}).status == "pass"
    bad = pd.concat([flights, flights.iloc[:50]], ignore_index=True)
    result = run("duplicates", ["flights"], {"flights": bad})
    assert result.status == "fail"
    assert "50 of 1,050 rows (4.8%, allowed 0%) repeat an earlier row on all columns" in result.message
    assert "first at index 1000" in result.message
    subset = run("duplicates", ["flights"], {"flights": flights}, {"columns": ["origin"]})
    assert subset.status == "fail" and "997 of 1,000 rows" in subset.message
    assert "on columns origin; first at index 2" in subset.message


# --- row_count and freshness ------------------------------------------------------------------

def test_row_count(flights):
    first = run("row_count", ["flights"], {"flights": flights})
    assert first.status == "pass" and first.details["rows"] == 1000
    small = run("row_count", ["flights"], {"flights": flights.iloc[:300]}, previous=first.details)
    assert small.status == "fail"
    assert "rows fell from 1,000 to 300 since the previous run (-70.0%, max drop 50.0%)" in small.message
    bounded = run("row_count", ["flights"], {"flights": flights}, {"min_rows": 2000, "max_drop": None})
    assert bounded.status == "fail" and "flights has 1,000 rows, min 2,000" in bounded.message
    assert run("row_count", ["rows"], {"rows": []}).status == "fail"
    assert run("row_count", ["rows"], {"rows": 5}).status == "error"


def test_freshness_catches_a_batch_that_stopped_arriving(flights):
    params = {"timestamp_column": "date"}
    first = run("freshness", ["flights"], {"flights": flights}, params)
    assert first.status == "pass"
    assert first.details["max_timestamp"] == "2001-02-11T15:00:00"
    assert first.details["rows"] == 1000
    # The next scheduled run gets the same data again: the latest timestamp did not move.
    stuck = run("freshness", ["flights"], {"flights": flights}, params, previous=first.details)
    assert stuck.status == "fail"
    assert "latest 'date' did not move since the previous run: 2001-02-11 15:00:00" in stuck.message
    # A batch that moved on passes, and becomes the new baseline.
    newer = pd.concat([flights, flights.assign(date=flights["date"] + pd.Timedelta(days=60))])
    moved = run("freshness", ["flights"], {"flights": newer}, params, previous=first.details)
    assert moved.status == "pass" and moved.details["max_timestamp"] == "2001-04-12T15:00:00"
    stuck_again = run("freshness", ["flights"], {"flights": newer}, params, previous=moved.details)
    assert stuck_again.status == "fail"


def test_freshness_catches_a_collapsed_row_count(flights):
    params = {"timestamp_column": "date"}
    first = run("freshness", ["flights"], {"flights": flights}, params)
    trickle = flights.iloc[-100:].assign(date=flights["date"].iloc[-100:] + pd.Timedelta(days=1))
    result = run("freshness", ["flights"], {"flights": trickle}, params, previous=first.details)
    assert result.status == "fail"
    assert "rows fell from 1,000 to 100" in result.message and "-90.0%" in result.message


def test_freshness_max_age(flights):
    params = {"timestamp_column": "date", "max_age_hours": 24, "now": "2001-02-12T12:00:00"}
    fresh = run("freshness", ["flights"], {"flights": flights}, params)
    assert fresh.status == "pass" and fresh.details["age_hours"] == 21
    old = run("freshness", ["flights"], {"flights": flights}, {**params, "now": "2001-02-15T15:00"})
    assert old.status == "fail"
    assert ("latest 'date' is 2001-02-11 15:00:00, 96 hours before 2001-02-15 15:00:00 "
            "(max age 24 h)") in old.message


def test_freshness_with_timezones_and_text_timestamps(flights):
    aware = flights.assign(date=flights["date"].dt.tz_localize("UTC"))
    params = {"timestamp_column": "date", "max_age_hours": 24, "now": "2001-02-12T12:00:00"}
    assert run("freshness", ["flights"], {"flights": aware}, params).status == "pass"
    text = flights.assign(date=flights["date"].astype(str))
    assert run("freshness", ["flights"], {"flights": text}, params).status == "pass"
    indexed = flights.set_index("date")
    assert run("freshness", ["flights"], {"flights": indexed}, params).status == "pass"


def test_freshness_missing_or_unparsable_column(flights):
    missing = run("freshness", ["flights"], {"flights": flights}, {"timestamp_column": "when"})
    assert missing.status == "fail" and "column 'when' is not in flights" in missing.message
    words = run("freshness", ["flights"], {"flights": flights}, {"timestamp_column": "origin"})
    assert words.status == "error" and "column 'origin'" in words.message


# --- training assumptions ----------------------------------------------------------------------

def test_time_leakage(flights):
    train, test = flights.iloc[:800], flights.iloc[800:]
    ok = run("time_leakage", ["train", "test"], {"train": train, "test": test},
             {"time_column": "date"})
    assert ok.status == "pass"
    shuffled = flights.sample(frac=1.0, random_state=0)
    result = run("time_leakage", ["train", "test"],
                 {"train": shuffled.iloc[:800], "test": shuffled.iloc[800:]},
                 {"time_column": "date"})
    assert result.status == "fail"
    train_max = shuffled.iloc[:800]["date"].max()
    test_min = shuffled.iloc[800:]["date"].min()
    assert f"train 'date' runs until {train_max}" in result.message
    assert f"test starts at {test_min}" in result.message
    assert "training rows" in result.message


def test_class_balance(flights):
    assert run("class_balance", ["y"], {"y": flights["delayed"]}).status == "pass"
    y = np.array([0] * 960 + [1] * 40)
    result = run("class_balance", ["y"], {"y": y})
    assert result.status == "fail"
    assert "minority class 1 of 'y' has 4.0% of rows (40 of 1,000), min 10.0%" in result.message
    frame = flights.assign(label=np.where(np.arange(1000) < 30, "late", "on time"))
    framed = run("class_balance", ["flights"], {"flights": frame}, {"target": "label"})
    assert framed.status == "fail" and "'late' of 'label' has 3.0%" in framed.message
    single = run("class_balance", ["y"], {"y": pd.Series([1] * 10, name="delayed")})
    assert single.status == "fail" and "'delayed' has a single class 1" in single.message
    unnamed = run("class_balance", ["flights"], {"flights": flights})
    assert unnamed.status == "error" and "set the target column" in unnamed.message
    continuous = run("class_balance", ["y"], {"y": flights["delay"] + 0.5})
    assert continuous.status == "error" and "continuous" in continuous.message


# --- model integrity ---------------------------------------------------------------------------

@pytest.fixture
def training():
    from sklearn.model_selection import train_test_split

    rng = np.random.default_rng(3)
    X = pd.DataFrame(rng.normal(size=(600, 20)), columns=[f"f{i}" for i in range(20)])
    y = ((X["f0"] + X["f1"] > 0) ^ (rng.random(600) < 0.2)).astype(int)
    X_train, X_test, y_train, y_test = train_test_split(X, y, random_state=0)
    return {"X_train": X_train, "X_test": X_test, "y_train": y_train, "y_test": y_test}


def test_metric_gap(training):
    from sklearn.linear_model import LogisticRegression
    from sklearn.tree import DecisionTreeClassifier

    args = ["model", "X_train", "y_train", "X_test", "y_test"]
    fair = {**training, "model": LogisticRegression().fit(training["X_train"], training["y_train"])}
    for metric in ("accuracy", "f1", "roc_auc"):
        assert run("metric_gap", args, fair, {"metric": metric}).status == "pass", metric
    overfit = {**training, "model": DecisionTreeClassifier(random_state=0).fit(
        training["X_train"], training["y_train"])}
    result = run("metric_gap", args, overfit)
    assert result.status == "fail"
    test_score = result.details["test"]
    assert f"accuracy on X_train 1.000 vs X_test {test_score:.3f}: gap {1 - test_score:.3f} > max 0.1" \
        in result.message


def test_metric_gap_r2_for_regressors(training):
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import LinearRegression

    target = {k: v for k, v in training.items() if k.startswith("X")}
    target["y_train"] = training["X_train"]["f0"] * 3 + 1
    target["y_test"] = training["X_test"]["f0"] * 3 + 1
    args = ["model", "X_train", "y_train", "X_test", "y_test"]
    linear = LinearRegression().fit(target["X_train"], target["y_train"])
    assert run("metric_gap", args, {**target, "model": linear}, {"metric": "r2"}).status == "pass"
    noise = np.random.default_rng(0).normal(size=len(target["y_train"]))
    forest = RandomForestRegressor(n_estimators=20, random_state=0).fit(target["X_train"], noise)
    result = run("metric_gap", args, {**target, "y_train": pd.Series(noise), "model": forest},
                 {"metric": "r2"})
    assert result.status == "fail" and "r2 on X_train" in result.message


def test_metric_gap_on_something_that_is_not_a_model(training):
    result = run("metric_gap", ["model", "X_train", "y_train", "X_test", "y_test"],
                 {**training, "model": {"weights": [1, 2]}})
    assert result.status == "error"
    assert "expected a fitted model with predict() for 'model', got dict" in result.message


def test_feature_importance(training):
    from sklearn.ensemble import RandomForestClassifier
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler
    from sklearn.tree import DecisionTreeClassifier

    X, y = training["X_train"], training["y_train"]
    three = X[["f0", "f1", "f2"]]
    forest = RandomForestClassifier(n_estimators=30, random_state=0).fit(three, y)
    assert run("feature_importance", ["model", "X"], {"model": forest, "X": three}).status == "pass"

    stump = DecisionTreeClassifier(max_depth=1, random_state=0).fit(X.to_numpy(), y)
    result = run("feature_importance", ["model", "X"], {"model": stump, "X": X})
    assert result.status == "fail"
    assert "19 of 20 features (95.0%) have importance below 0.01 (max 50.0%)" in result.message
    assert "'f2'" in result.message  # names come from X when the model was fit on an array
    top = result.details["importances"]
    assert "feature 'f0' carries 100.0% of the importance (max 90.0%)" in result.message \
        or "feature 'f1' carries 100.0%" in result.message, top

    linear = make_pipeline(StandardScaler(), LogisticRegression()).fit(three, y)
    piped = run("feature_importance", ["model"], {"model": linear})
    assert piped.status == "pass" and piped.details["source"] == "|coef_|"
    assert set(piped.details["importances"]) == {"f0", "f1", "f2"}

    unfitted = run("feature_importance", ["model"], {"model": RandomForestClassifier()})
    assert unfitted.status == "error"
    assert "feature_importances_ or coef_" in unfitted.message and "fitted" in unfitted.message


# --- user checks -------------------------------------------------------------------------------
# User checks are defined the way a notebook defines them: cell source compiled from a string, its
# lines in linecache (as IPython does), in a __main__ namespace. That also keeps pytest's assert
# rewriting, which notebooks do not have, out of the messages under test.

_cells = itertools.count()


def cell(source: str, namespace: dict | None = None) -> dict:
    source = textwrap.dedent(source)
    filename = f"<cell-{next(_cells)}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    namespace = namespace if namespace is not None else {"__name__": "__main__"}
    exec(compile(source, filename, "exec"), namespace)
    return namespace


def test_decorated_functions_receive_variables_by_parameter_name(flights):
    ns = cell("""
        from plumbline.checks import check

        @check("cleaning", when="after")
        def no_negative_distance(flights):
            assert (flights["distance"] > 0).all(), "negative distances"

        @check("cleaning", when="before", on_fail="block")
        def has_rows(raw):
            assert len(raw) > 0, f"raw has {len(raw)} rows"
    """)
    specs = user_checks_for("cleaning")
    assert [(s.id, s.check, s.when, s.on_fail, s.args) for s in specs] == [
        ("user:no_negative_distance", "user", "after", "warn", ("flights",)),
        ("user:has_rows", "user", "before", "block", ("raw",)),
    ]
    assert user_checks_for("training") == []
    assert ns["no_negative_distance"](flights) is None  # the decorator returns the function

    before = run_checks(specs, "before", {"raw": flights.iloc[:0]})
    assert [(r.name, r.status, r.message) for r in before] == [
        ("has_rows", "fail", "has_rows: raw has 0 rows")]
    assert blocking_failure(before) is before[0]

    bad = flights.assign(distance=-flights["distance"])
    [after] = run_checks(specs, "after", {"flights": bad})
    assert after.status == "fail" and after.message == "no_negative_distance: negative distances"
    [good] = run_checks(specs, "after", {"flights": flights})
    assert good.status == "pass" and good.name == "no_negative_distance"


def test_component_tests_class(flights):
    cell("""
        from plumbline.checks import ComponentTests

        class CleaningChecks(ComponentTests, component="cleaning", on_fail="block"):
            def before_has_rows(self, raw):
                assert len(raw) > 0

            def test_no_nulls(self, flights):
                assert flights.notna().all().all(), "nulls left"

            def after_sorted(self, flights):
                return bool(flights["date"].is_monotonic_increasing)

            def helper(self, flights):  # no prefix: not a check
                raise AssertionError("never run")

            @staticmethod
            def test_static(flights):
                assert len(flights) == 1000
    """)
    specs = user_checks_for("cleaning")
    assert [(s.id, s.when, s.on_fail, s.args) for s in specs] == [
        ("user:CleaningChecks.before_has_rows", "before", "block", ("raw",)),
        ("user:CleaningChecks.test_no_nulls", "after", "warn", ("flights",)),
        ("user:CleaningChecks.after_sorted", "after", "warn", ("flights",)),
        ("user:CleaningChecks.test_static", "after", "warn", ("flights",)),
    ]
    results = run_checks(specs, "after", {"flights": flights.iloc[::-1]})
    assert [(r.name, r.status) for r in results] == [
        ("CleaningChecks.test_no_nulls", "pass"),
        ("CleaningChecks.after_sorted", "fail"),
        ("CleaningChecks.test_static", "pass"),
    ]
    assert results[1].message == "CleaningChecks.after_sorted: returned False"
    [blocked] = run_checks(specs, "before", {"raw": []})
    assert blocked.status == "fail"
    assert blocked.message == "CleaningChecks.before_has_rows: assertion failed: assert len(raw) > 0"
    assert blocking_failure([blocked]) is blocked


def test_component_tests_base_classes_share_checks():
    cell("""
        from plumbline.checks import ComponentTests

        class Shared(ComponentTests):
            def test_rows(self, flights):
                assert len(flights) > 0

        class Cleaning(Shared, component="cleaning"):
            def test_more(self, flights):
                pass

        class Training(Shared, component="training"):
            pass
    """)
    assert [s.id for s in user_checks_for("cleaning")] == [
        "user:Cleaning.test_rows", "user:Cleaning.test_more"]
    assert [s.id for s in user_checks_for("training")] == ["user:Training.test_rows"]
    assert user_checks_for("Shared") == []


def test_a_fresh_instance_runs_each_method():
    cell("""
        from plumbline.checks import ComponentTests

        class Stateful(ComponentTests, component="cleaning"):
            def __init__(self):
                self.seen = []

            def test_one(self, flights):
                self.seen.append(1)
                assert self.seen == [1]

            def test_two(self, flights):
                self.seen.append(2)
                assert self.seen == [2]
    """)
    results = run_checks(user_checks_for("cleaning"), "after", {"flights": 1})
    assert [r.status for r in results] == ["pass", "pass"]


def test_reregistering_replaces_the_earlier_check():
    source = """
        from plumbline.checks import check

        @check("cleaning")
        def same_name(flights):
            raise AssertionError("{message}")
    """
    cell(source.format(message="first"))
    cell(source.format(message="second"))  # the cell ran again after an edit
    [spec] = user_checks_for("cleaning")
    [result] = run_checks([spec], "after", {"flights": 1})
    assert result.message == "same_name: second"

    cell("""
        from plumbline.checks import ComponentTests

        class Checks(ComponentTests, component="cleaning"):
            def test_a(self, flights):
                pass

            def test_b(self, flights):
                pass
    """)
    cell("""
        from plumbline.checks import ComponentTests

        class Checks(ComponentTests, component="cleaning"):
            def test_a(self, flights):
                pass
    """)
    assert [s.id for s in user_checks_for("cleaning")] == ["user:same_name", "user:Checks.test_a"]


def test_same_named_checks_of_two_components_both_stay():
    # Checks are registered per (component, name): a `no_nulls` or a `Checks` class per
    # component must not silently replace another component's. (After renaming a component
    # in a decorator, the old name keeps the check, but no cell carries that name any more.)
    source = """
        from plumbline.checks import check, ComponentTests

        @check("{component}")
        def moving(df):
            pass

        class Checks(ComponentTests, component="{component}"):
            def test_rows(self, df):
                pass
    """
    cell(source.format(component="cleaning"))
    cell(source.format(component="features"))
    assert [s.id for s in user_checks_for("cleaning")] == [s.id for s in user_checks_for("features")]
    assert len(user_checks_for("features")) == 2


def test_stacked_decorators_register_one_function_for_two_components():
    cell("""
        from plumbline.checks import check

        @check("cleaning")
        @check("training")
        def shared(df):
            pass
    """)
    assert len(user_checks_for("cleaning")) == 1 and len(user_checks_for("training")) == 1


def test_a_crashing_check_is_an_error_and_the_others_still_run(flights):
    cell("""
        from plumbline.checks import check

        @check("cleaning")
        def crashes(flights):
            return flights["no such column"]

        @check("cleaning")
        def divides(flights):
            return 1 / 0

        @check("cleaning")
        def fine(flights):
            assert len(flights) == 1000
    """)
    specs = user_checks_for("cleaning") + [CheckSpec("nulls-1", "nulls", "after", ("flights",))]
    results = run_checks(specs, "after", {"flights": flights})
    assert [(r.name, r.status) for r in results] == [
        ("crashes", "error"), ("divides", "error"), ("fine", "pass"), ("nulls(flights)", "pass")]
    assert results[0].message.startswith("crashes: KeyError: ")
    assert "no such column" in results[0].message
    assert results[1].message == "divides: ZeroDivisionError: division by zero"
    assert results[1].details["exception"] == "ZeroDivisionError"
    assert "1 / 0" in results[1].details["traceback"]
    json.dumps([r.to_json() for r in results])


def test_user_check_missing_variable_and_defaults():
    cell("""
        from plumbline.checks import check

        @check("cleaning")
        def wants(flights, threshold=3):
            assert threshold == 3
    """)
    [spec] = user_checks_for("cleaning")
    [missing] = run_checks([spec], "after", {"threshold": 3})
    assert missing.status == "error"
    assert "no notebook variable named 'flights'" in missing.message and "by name" in missing.message
    [defaulted] = run_checks([spec], "after", {"flights": 1})
    assert defaulted.status == "pass"


def test_async_checks_are_refused_without_a_warning():
    cell("""
        from plumbline.checks import check

        @check("cleaning")
        async def later(flights):
            assert False
    """)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        [result] = run_checks(user_checks_for("cleaning"), "after", {"flights": 1})
    assert result.status == "error" and "async checks are not supported" in result.message

def test_interrupts_are_not_swallowed():
    cell("""
        from plumbline.checks import check

        @check("cleaning")
        def interrupted(flights):
            raise KeyboardInterrupt
    """)
    with pytest.raises(KeyboardInterrupt):
        run_checks(user_checks_for("cleaning"), "after", {"flights": 1})


def test_user_spec_from_json_resolves_the_registered_function():
    cell("""
        from plumbline.checks import check

        @check("cleaning")
        def from_metadata(flights):
            assert flights == 2, f"flights is {flights}"
    """)
    [registered] = user_checks_for("cleaning")
    spec = CheckSpec.from_json(registered.to_json())
    assert spec.func is None and spec.check == "user"
    [result] = run_checks([spec], "after", {"flights": 1})
    assert result.status == "fail" and result.message == "from_metadata: flights is 1"
    user_registry.clear()
    [gone] = run_checks([spec], "after", {"flights": 1})
    assert gone.status == "error" and "run the cell that defines it" in gone.message


def test_bad_user_check_definitions_are_refused_at_definition():
    with pytest.raises(TypeError, match="give the component name"):
        @check
        def no_component(df):
            pass
    with pytest.raises(ValueError, match="when must be"):
        check("cleaning", when="during")
    with pytest.raises(TypeError, match="'rest'"):
        @check("cleaning")
        def star(*rest):
            pass
    with pytest.raises(ValueError, match="on_fail must be"):
        class Bad(ComponentTests, component="cleaning", on_fail="stop"):
            pass


def test_top_level_names_are_exported():
    assert checks.check is check and checks.ComponentTests is ComponentTests


# --- blocking ----------------------------------------------------------------------------------

def _result(status, when="before", on_fail="block"):
    return CheckResult("id", "nulls(raw)", when, status, f"nulls(raw): {status} message", {}, 1.0,
                       on_fail)


def test_blocking_failure_only_for_blocking_before_checks():
    assert blocking_failure([_result("pass"), _result("fail", on_fail="warn")]) is None
    assert blocking_failure([_result("fail", when="after")]) is None
    failing = _result("fail")
    assert blocking_failure([_result("pass"), failing]) is failing
    errored = _result("error")
    assert blocking_failure([errored]) is errored
    assert blocking_failure([errored], include_errors=False) is None


def test_blocking_failure_takes_on_fail_from_specs_when_given():
    warned = _result("fail", on_fail="warn")
    assert blocking_failure([warned], [CheckSpec("id", "nulls", "before", ("raw",), on_fail="block")]) \
        is warned
    assert blocking_failure([_result("fail")], [CheckSpec("id", "nulls", "before", ("raw",))]) is None


def test_check_blocked_reads_well_and_pickles():
    error = CheckBlocked(_result("fail"))
    assert str(error) == "before-check nulls(raw) failed: fail message"
    assert "before any of its code ran" in "\n".join(error._render_traceback_())
    again = pickle.loads(pickle.dumps(error))
    assert again.result == error.result and str(again) == str(error)
    assert str(CheckBlocked(_result("error"))).startswith("before-check nulls(raw) could not run: ")
    text = CheckBlocked("Component 'clean' is blocked")
    assert text.result is None and str(text) == "Component 'clean' is blocked"
    assert str(pickle.loads(pickle.dumps(text))) == str(text)
