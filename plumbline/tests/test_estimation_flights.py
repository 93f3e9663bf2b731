"""Performance estimation on real data (flights-3m; ``flights_scenarios.py`` builds the model and batches).

* covariate shift (the estimators' assumptions hold): CBPE accuracy and F1 MAE over the 8 biased
  batches no worse than NannyML 0.13.1's CBPE on the same batches, the band holding the realized
  accuracy in at least 7 of 8; the importance-weighted estimate beside it with its own MAE;
* real months (weekly windows February–June): the estimate stays flat while realized swings; with
  no labels nothing is flagged; once labels land, concept drift is flagged on exactly the weeks whose
  realized value leaves the band; labels from a biased subset of rows carry a label_bias warning;
* a batch outside the reference's support raises the extrapolation warning, one inside does not;
* aggregates are additive (pieces, cumulative sums) and survive to_bytes/from_bytes;
* a regressor's DLE estimate of MAE/RMSE under covariate shift;
* bad inputs raise EstimationError with a message saying what to do.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from plumbline.monitoring.estimation import (CLASSIFICATION_METRICS, CONCEPT_DRIFT_MESSAGE, MIN_REFERENCE,
                                             ClassifierReference, EstimationError, RegressorReference)

from . import flights_scenarios as fs

# NannyML 0.13.1 CBPE on exactly these 8 batches (``python bench/estimation.py``, which prints it beside ours):
# mean absolute error of the estimate against the realized value. The 0.0084 / 0.0051 were measured
# on other batches; on these NannyML reaches the figures below. Both CBPEs refit the same isotonic calibrator on
# the whole reference for the point estimate; ours reads scores on a 1/65536 grid, hence the 1e-4 allowance.
NANNYML_MAE = {"accuracy": 0.008119, "f1": 0.008270}
GRID_ALLOWANCE = 1e-4


@pytest.fixture(scope="module")
def scenario():
    return fs.january()


@pytest.fixture(scope="module")
def reference(scenario):
    return ClassifierReference.fit(scenario.reference_proba, scenario.reference["y"].to_numpy(),
                                   scenario.reference[fs.FEATURES], window_rows=fs.BATCH_ROWS, seed=0)


@pytest.fixture(scope="module")
def shifted(reference):
    batches = fs.covariate_shift_batches()
    agg = np.zeros((len(batches), reference.aggregate_length))
    for i, b in enumerate(batches):
        state = reference.row_state(b.proba, b.frame[fs.FEATURES])
        reference.add_predictions(agg, np.full(len(b.proba), i), state)
        reference.add_labels(agg, np.full(len(b.proba), i), state, b.frame["y"].to_numpy())
    return batches, agg


def exact_realized(y, proba, threshold=0.5):
    from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

    pred = proba > threshold
    return {"accuracy": float((pred == y).mean()), "precision": precision_score(y, pred, zero_division=0),
            "recall": recall_score(y, pred), "f1": f1_score(y, pred), "roc_auc": roc_auc_score(y, proba)}


def assert_close(a, b, path="") -> None:
    if isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), path
        for k in a:
            assert_close(a[k], b[k], f"{path}.{k}")
    elif isinstance(a, list):
        assert isinstance(b, list) and len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b)):
            assert_close(x, y, f"{path}[{i}]")
    elif isinstance(a, float) and isinstance(b, float):
        assert a == pytest.approx(b, rel=1e-9, abs=1e-12), path
    else:
        assert a == b, path


def no_nan(obj) -> str:
    return json.dumps(obj, allow_nan=False)  # raises on NaN / inf


def test_the_reference_is_calibrated_cross_fitted_and_its_estimates_are_honest(reference, scenario):
    summary = reference.reference_summary()
    no_nan(summary)
    assert summary["rows"] == len(scenario.reference)
    assert summary["calibrated"] is True and summary["ece_after"] < summary["ece_before"]
    exact = exact_realized(scenario.reference["y"].to_numpy(), scenario.reference_proba)
    for m in ("accuracy", "precision", "recall", "f1"):
        assert summary["metrics"][m]["realized"] == pytest.approx(exact[m], abs=1e-9), m
    assert summary["metrics"]["roc_auc"]["realized"] == pytest.approx(exact["roc_auc"], abs=0.003)  # binned
    # Cross-fitted CBPE on the reference itself lands within the window-sized threshold of the realized value.
    for m in CLASSIFICATION_METRICS:
        entry = summary["metrics"][m]
        assert entry["threshold"]["lower"] < entry["cbpe"] and entry["threshold"]["lower"] < entry["iw"], m


def test_covariate_shift_cbpe_is_no_worse_than_nannyml_and_its_band_holds(reference, shifted):
    batches, agg = shifted
    errors = {"cbpe": {"accuracy": [], "f1": []}, "iw": {"accuracy": [], "f1": []}}
    held = 0
    for i, b in enumerate(batches):
        out = reference.summarize(agg[i]).to_json()
        no_nan(out)
        assert out["predictions"] == out["labels"] == len(b.proba) and out["coverage"] == 1.0
        exact = exact_realized(b.frame["y"].to_numpy(), b.proba)
        for m in CLASSIFICATION_METRICS:
            entry = out["metrics"][m]
            assert set(entry) == {"cbpe", "iw", "realized", "threshold", "alert", "concept_drift"}
            tol = 1e-9 if m != "roc_auc" else 0.003
            assert entry["realized"]["value"] == pytest.approx(exact[m], abs=tol), (b.name, m)
            assert entry["realized"]["labels"] == len(b.proba)
            assert entry["realized"]["lower"] <= entry["realized"]["value"] <= entry["realized"]["upper"]
            assert entry["cbpe"]["lower"] <= entry["cbpe"]["value"] <= entry["cbpe"]["upper"]
            assert entry["iw"]["reliable"] and entry["iw"]["extrapolation"] < 0.01
            assert entry["iw"]["ess"] > 0.3 * len(b.proba)  # the held-out half is ~41k rows
        for est in errors:
            for m in errors[est]:
                errors[est][m].append(abs(out["metrics"][m][est]["value"] - out["metrics"][m]["realized"]["value"]))
        acc = out["metrics"]["accuracy"]
        held += acc["cbpe"]["lower"] <= acc["realized"]["value"] <= acc["cbpe"]["upper"]
        assert not [w for w in out["warnings"] if w["kind"] in ("extrapolation", "label_bias")], b.name
    mae = {est: {m: float(np.mean(v)) for m, v in per.items()} for est, per in errors.items()}
    for m, peer in NANNYML_MAE.items():
        assert mae["cbpe"][m] <= peer + GRID_ALLOWANCE, (m, mae)
    assert held >= 7, mae
    # The importance-weighted estimate beside it: re-weighted held-out rates, its own MAE.
    assert mae["iw"]["accuracy"] <= NANNYML_MAE["accuracy"], mae
    assert mae["iw"]["f1"] < 0.02, mae


def test_aggregates_are_additive_and_survive_persistence(reference, shifted):
    batches, agg = shifted
    b = batches[0]
    pieces = np.zeros((1, reference.aggregate_length))
    order = np.random.default_rng(0).permutation(len(b.proba))
    for part in np.array_split(order, 7):  # predictions and labels in pieces, labels in another order
        reference.add_predictions(pieces, np.zeros(len(part), int), reference.row_state(
            b.proba[part], b.frame[fs.FEATURES].iloc[part]))
    for part in np.array_split(order[::-1], 5):
        state = reference.row_state(b.proba[part], b.frame[fs.FEATURES].iloc[part])
        reference.add_labels(pieces, np.zeros(len(part), int), state, b.frame["y"].to_numpy()[part])
    assert np.allclose(pieces[0], agg[0], rtol=1e-12, atol=1e-9)
    # A cumulative view is a sum of rows; it equals the aggregate of all the rows at once.
    everything = np.zeros((1, reference.aggregate_length))
    y = np.concatenate([x.frame["y"].to_numpy() for x in batches[:3]])
    frame = pd.concat([x.frame[fs.FEATURES] for x in batches[:3]], ignore_index=True)
    state = reference.row_state(np.concatenate([x.proba for x in batches[:3]]), frame)
    reference.add_predictions(everything, 0, state)
    reference.add_labels(everything, 0, state, y)
    cumulative = np.cumsum(agg, axis=0)[2]
    assert np.allclose(cumulative, everything[0], rtol=1e-12, atol=1e-9)
    assert_close(reference.summarize(cumulative).to_json(), reference.summarize(everything[0]).to_json())
    again = ClassifierReference.from_bytes(reference.to_bytes())
    assert again.aggregate_length == reference.aggregate_length
    assert no_nan(again.summarize(agg[3]).to_json()) == no_nan(reference.summarize(agg[3]).to_json())
    assert again.row_state(b.proba[:100], b.frame[fs.FEATURES].iloc[:100])["bucket"].tolist() == \
        reference.row_state(b.proba[:100], b.frame[fs.FEATURES].iloc[:100])["bucket"].tolist()
    state = reference.row_state(b.proba[:10], b.frame[fs.FEATURES].iloc[:10])
    assert state["score"].dtype == np.float32 and state["pred"].dtype == np.int8 and state["bucket"].dtype == np.int16
    empty = reference.summarize(np.zeros(reference.aggregate_length)).to_json()
    no_nan(empty)
    assert empty["predictions"] == 0 and empty["metrics"]["accuracy"]["cbpe"] is None


def test_partial_random_labels_give_realized_values_without_label_bias(reference, shifted):
    batches, _ = shifted
    rng = np.random.default_rng(11)
    agg = np.zeros((len(batches), reference.aggregate_length))
    for i, b in enumerate(batches):
        state = reference.row_state(b.proba, b.frame[fs.FEATURES])
        reference.add_predictions(agg, i, state)
        few = rng.choice(len(b.proba), 50, replace=False)
        reference.add_labels(agg, i, {k: v[few] for k, v in state.items()}, b.frame["y"].to_numpy()[few])
        out = reference.summarize(agg[i]).to_json()
        assert [w["kind"] for w in out["warnings"]] == ["few_labels"]
        assert out["metrics"]["accuracy"]["realized"]["labels"] == 50
        assert not any(out["metrics"][m]["concept_drift"] for m in CLASSIFICATION_METRICS)  # too few to tell
        rest = np.setdiff1d(rng.choice(len(b.proba), 3_000, replace=False), few)
        reference.add_labels(agg, i, {k: v[rest] for k, v in state.items()}, b.frame["y"].to_numpy()[rest])
        out = reference.summarize(agg[i]).to_json()
        assert not out["warnings"], out["warnings"]  # a random sample: no label_bias
        labelled = np.union1d(few, rest)
        exact = exact_realized(b.frame["y"].to_numpy()[labelled], b.proba[labelled])
        assert out["metrics"]["accuracy"]["realized"]["value"] == pytest.approx(exact["accuracy"], abs=1e-12)
        assert out["coverage"] == pytest.approx(len(labelled) / len(b.proba))
        # the realized interval of 3,000 labels is wider than the band of the 10,000-row estimate
        r, c = out["metrics"]["accuracy"]["realized"], out["metrics"]["accuracy"]["cbpe"]
        assert r["upper"] - r["lower"] > 0.5 * (c["upper"] - c["lower"])


def test_real_months_flat_estimate_and_concept_drift_exactly_where_realized_leaves_the_band(scenario):
    weeks = fs.weekly_batches()
    assert len(weeks) == 22
    ref = ClassifierReference.fit(scenario.reference_proba, scenario.reference["y"].to_numpy(),
                                  scenario.reference[fs.FEATURES], window_rows=fs.WEEK_ROWS, seed=1)
    agg = np.zeros((len(weeks), ref.aggregate_length))
    states = []
    for i, w in enumerate(weeks):
        states.append(ref.row_state(w.proba, w.frame[fs.FEATURES]))
        ref.add_predictions(agg, np.full(len(w.proba), i), states[-1])
    # Labels withheld: estimates only, nothing flagged.
    before = [ref.summarize(agg[i]).to_json() for i in range(len(weeks))]
    for out in before:
        no_nan(out)
        assert out["labels"] == 0 and not out["alerts"]
        assert all(out["metrics"][m]["realized"] is None and not out["metrics"][m]["concept_drift"]
                   for m in CLASSIFICATION_METRICS)
    estimate = np.array([out["metrics"]["accuracy"]["cbpe"]["value"] for out in before])
    realized = np.array([(w.frame["y"].to_numpy() == (w.proba > 0.5)).mean() for w in weeks])
    assert estimate.std() < realized.std() / 3, (estimate.std(), realized.std())  # flat while realized swings
    assert realized.max() - realized.min() > 0.1

    # A biased first release of labels (the rows the model scores highest): the realized value carries a warning.
    rng = np.random.default_rng(5)
    first = []
    for i, w in enumerate(weeks):
        top = np.flatnonzero(w.proba > np.quantile(w.proba, 0.7))
        pick = rng.choice(top, 2_000, replace=False)
        first.append(pick)
        ref.add_labels(agg, np.full(len(pick), i), {k: v[pick] for k, v in states[i].items()},
                       w.frame["y"].to_numpy()[pick])
    for i in range(len(weeks)):
        out = ref.summarize(agg[i]).to_json()
        assert out["labels"] == 2_000
        assert [x["kind"] for x in out["warnings"]].count("label_bias") == 1, out["warnings"]

    # The rest of the labels land.
    flagged = 0
    for i, w in enumerate(weeks):
        rest = np.setdiff1d(np.arange(len(w.proba)), first[i])
        ref.add_labels(agg, np.full(len(rest), i), {k: v[rest] for k, v in states[i].items()},
                       w.frame["y"].to_numpy()[rest])
        out = ref.summarize(agg[i]).to_json()
        no_nan(out)
        assert out["coverage"] == 1.0 and not [x for x in out["warnings"] if x["kind"] == "label_bias"]
        for m in CLASSIFICATION_METRICS:
            entry = out["metrics"][m]
            outside = not (entry["cbpe"]["lower"] <= entry["realized"]["value"] <= entry["cbpe"]["upper"])
            assert entry["concept_drift"] == outside, (w.name, m, entry)
            assert (({"kind": "concept_drift", "metric": m, "message": CONCEPT_DRIFT_MESSAGE} in out["alerts"])
                    == outside)
        assert out["metrics"]["accuracy"]["realized"]["value"] == pytest.approx(realized[i], abs=1e-12)
        flagged += out["metrics"]["accuracy"]["concept_drift"]
    assert 10 <= flagged < len(weeks), flagged  # most weeks leave the band (NannyML's held 1 of 22), not all


def test_a_batch_outside_the_reference_support_raises_the_extrapolation_warning(scenario):
    short = scenario.reference["distance"].to_numpy() < 1000
    ref = ClassifierReference.fit(scenario.reference_proba[short], scenario.reference["y"].to_numpy()[short],
                                  scenario.reference[fs.FEATURES][short], window_rows=5_000)
    prod = scenario.production
    agg = np.zeros((2, ref.aggregate_length))
    for i, mask in enumerate([prod["distance"].to_numpy() > 1500, prod["distance"].to_numpy() < 1000]):
        rows = np.flatnonzero(mask)[:5_000]
        state = ref.row_state(scenario.production_proba[rows], prod[fs.FEATURES].iloc[rows])
        ref.add_predictions(agg, i, state)
    outside, inside = ref.summarize(agg[0]).to_json(), ref.summarize(agg[1]).to_json()
    no_nan(outside)
    kinds = [w["kind"] for w in outside["warnings"]]
    assert kinds.count("extrapolation") == 1
    assert outside["metrics"]["accuracy"]["iw"]["extrapolation"] > 0.9
    assert outside["metrics"]["accuracy"]["iw"]["reliable"] is False
    assert "reference" in outside["warnings"][kinds.index("extrapolation")]["message"]
    assert not [w for w in inside["warnings"] if w["kind"] == "extrapolation"]
    assert inside["metrics"]["accuracy"]["iw"]["reliable"] is True
    assert inside["metrics"]["accuracy"]["iw"]["extrapolation"] < 0.01


def test_regressor_dle_estimates_mae_and_rmse_under_covariate_shift(scenario):
    from sklearn.ensemble import HistGradientBoostingRegressor

    data = fs.flights()
    jan = data[(data["date"].dt.month == 1) & (data["date"].dt.day <= 21)].sample(60_000, random_state=3)

    def target(frame):  # the delay in minutes, clipped
        return np.clip(frame["delay"].to_numpy(dtype=float), -30, 120)

    x = fs.model_input(jan, scenario.categories)
    model = HistGradientBoostingRegressor(max_iter=60, categorical_features="from_dtype", random_state=0)
    model.fit(x, target(jan))
    ref_x = scenario.reference
    ref = RegressorReference.fit(model.predict(fs.model_input(ref_x, scenario.categories)), target(ref_x),
                                 ref_x[["hour", "weekday", "distance"]], window_rows=fs.BATCH_ROWS)
    summary = ref.reference_summary()
    no_nan(summary)
    assert summary["metrics"]["mae"]["dle"] == pytest.approx(summary["metrics"]["mae"]["realized"], rel=0.05)
    held = 0
    batches = fs.covariate_shift_batches()
    agg = np.zeros((len(batches), ref.aggregate_length))
    errors = []
    for i, b in enumerate(batches):
        state = ref.row_state(model.predict(fs.model_input(b.frame, scenario.categories)),
                              b.frame[["hour", "weekday", "distance"]])
        assert set(state) >= {"pred", "abs_loss_hat", "sq_loss_hat", "bucket"}
        ref.add_predictions(agg, i, state)
        ref.add_labels(agg, i, state, target(b.frame))
        out = ref.summarize(agg[i]).to_json()
        no_nan(out)
        mae = out["metrics"]["mae"]
        exact = float(np.mean(np.abs(target(b.frame) - state["pred"].astype(float))))
        assert mae["realized"]["value"] == pytest.approx(exact, rel=1e-9)
        errors.append(abs(mae["dle"]["value"] - exact) / exact)
        held += mae["dle"]["lower"] <= exact <= mae["dle"]["upper"]
        assert out["metrics"]["rmse"]["dle"]["value"] > mae["dle"]["value"]
    assert np.mean(errors) < 0.05 and held >= 6, (errors, held)


@pytest.mark.parametrize("case", ["nan", "out of range", "single class", "too few rows", "length", "features"])
def test_bad_inputs_raise_clear_errors(scenario, case):
    p = scenario.reference_proba[:5_000].copy()
    y = scenario.reference["y"].to_numpy()[:5_000]
    X = scenario.reference[fs.FEATURES].iloc[:5_000]
    if case == "nan":
        p[[3, 17]] = np.nan
        with pytest.raises(EstimationError, match=r"2 value\(s\).*2 NaN.*row\(s\) 3, 17"):
            ClassifierReference.fit(p, y, X, window_rows=1_000)
    elif case == "out of range":
        p[10] = 1.5
        with pytest.raises(EstimationError, match=r"1 out of range.*row\(s\) 10.*predict_proba"):
            ClassifierReference.fit(p, y, X, window_rows=1_000)
        ref = ClassifierReference.fit(scenario.reference_proba[:5_000], y, X, window_rows=1_000)
        with pytest.raises(EstimationError, match="not probabilities"):
            ref.row_state(p, X)
    elif case == "single class":
        with pytest.raises(EstimationError, match="single class.*both classes"):
            ClassifierReference.fit(p, np.zeros_like(y), X, window_rows=1_000)
    elif case == "too few rows":
        with pytest.raises(EstimationError, match=r"5,000 rows.*at least 10,000"):
            ClassifierReference.fit(p, y, X, window_rows=10_000)
        with pytest.raises(EstimationError, match=f"at least {MIN_REFERENCE:,}"):
            ClassifierReference.fit(p[:500], y[:500], X.iloc[:500], window_rows=100)
    elif case == "length":
        with pytest.raises(EstimationError, match=r"length mismatch: 5,000 probabilities but 4,999 labels"):
            ClassifierReference.fit(p, y[:-1], X, window_rows=1_000)
        with pytest.raises(EstimationError, match=r"length mismatch.*4,000 rows of features"):
            ClassifierReference.fit(p, y, X.iloc[:4_000], window_rows=1_000)
        ref = ClassifierReference.fit(p, y, X, window_rows=1_000)
        agg = np.zeros((1, ref.aggregate_length))
        state = ref.row_state(p[:100], X.iloc[:100])
        with pytest.raises(EstimationError, match="length mismatch"):
            ref.add_labels(agg, np.zeros(100, int), state, y[:99])
        with pytest.raises(EstimationError, match="window index out of range"):
            ref.add_predictions(agg, np.full(100, 3), state)
    else:
        ref = ClassifierReference.fit(p, y, X, window_rows=1_000)
        with pytest.raises(EstimationError, match="missing column"):
            ref.row_state(p, X.drop(columns=["origin"]))
        with pytest.raises(EstimationError, match="needs them too"):
            ref.row_state(p)


def test_calibration_is_skipped_when_it_does_not_lower_the_error(scenario, reference):
    # Scores already calibrated on these very rows (in-sample isotonic): cross-fitted recalibration cannot beat them.
    y = scenario.reference["y"].to_numpy()
    calibrated = reference.tables[0][reference._cells(scenario.reference_proba)]
    ref = ClassifierReference.fit(calibrated, y, None, window_rows=fs.BATCH_ROWS)
    summary = ref.reference_summary()
    assert summary["calibrated"] is False and summary["ece_after"] >= summary["ece_before"]
    b = fs.covariate_shift_batches()[2]
    p = reference.tables[0][reference._cells(b.proba)]
    agg = np.zeros((1, ref.aggregate_length))
    state = ref.row_state(p)
    ref.add_predictions(agg, 0, state)
    out = ref.summarize(agg[0]).to_json()
    no_nan(out)
    assert out["metrics"]["accuracy"]["realized"] is None and out["labels"] == 0
    ref.add_labels(agg, 0, state, b.frame["y"].to_numpy())
    out = ref.summarize(agg[0]).to_json()
    acc = out["metrics"]["accuracy"]
    assert acc["realized"]["value"] == pytest.approx(exact_realized(b.frame["y"].to_numpy(), p)["accuracy"], abs=1e-12)
    assert acc["cbpe"]["lower"] <= acc["realized"]["value"] <= acc["cbpe"]["upper"]
    # no calibrator, so no calibrator variance in the band
    from plumbline.monitoring.estimation import FOLDS

    sp = ref._get(agg[0], "sp").reshape(FOLDS + 1, ref.B)
    assert all(part[2] == 0.0 for part in ref._cbpe(ref._get(agg[0], "n"), sp, ref._get(agg[0], "spq")).values())


def test_regressor_bad_inputs(scenario):
    y = scenario.reference["delay"].to_numpy(dtype=float)[:3_000]
    pred = np.full(3_000, y.mean())
    X = scenario.reference[["hour", "distance"]].iloc[:3_000]
    bad = pred.copy()
    bad[7] = np.nan
    with pytest.raises(EstimationError, match=r"y_pred has 1 NaN.*row 7"):
        RegressorReference.fit(bad, y, X, window_rows=1_000)
    with pytest.raises(EstimationError, match="length mismatch"):
        RegressorReference.fit(pred, y[:-5], X, window_rows=1_000)
    with pytest.raises(EstimationError, match="at least 5,000"):
        RegressorReference.fit(pred, y, X, window_rows=5_000)
