"""plumbline.monitor on a real store: logging, labels in any order, windows kept incrementally, reopening,
a second writer, recovery of a batch the state did not count, bad input refused with nothing stored."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from plumbline.monitoring import monitor_display
from plumbline.monitoring.monitor import Monitor, MonitorError, monitor
from plumbline.store import Store

from .fixture_monitor import data


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "store" / "lineage.db")
    yield s
    s.close()


@pytest.fixture(scope="module")
def model():
    X, y, _ = data(1, 3000)
    return LogisticRegression(max_iter=500).fit(X, y)


@pytest.fixture(scope="module")
def reference():
    X, y, _ = data(2, 3000)
    return X, y


def new(store, model, reference, **kw):
    return monitor(kw.pop("name", "m"), model=model, reference=reference, store=store, **{"window": 500, **kw})


def test_windows_are_the_same_whether_fed_in_one_batch_or_many_and_labels_in_any_order(store, model, reference):
    X, y, _ = data(3, 2000)
    ids = np.arange(2000)
    one = new(store, model, reference, name="one")
    one.log_predictions(X, ids=ids)
    one.log_feedback(ids[:1500], y[:1500])

    many = new(store, model, reference, name="many")
    order = np.random.default_rng(0).permutation(1500)
    many.log_feedback(ids[order[:700]], y[order[:700]])  # labels before their predictions: kept
    for lo in range(0, 2000, 250):
        many.log_predictions(X.iloc[lo:lo + 250], ids=ids[lo:lo + 250])
    many.log_feedback(ids[order[700:]], y[order[700:]])

    assert one.totals["predictions"] == many.totals["predictions"] == 2000
    assert one.totals["labels"] == many.totals["labels"] == 1500
    assert many.totals["unknown_feedback"] == 0
    np.testing.assert_allclose(one.agg[np.argsort(one.keys)], many.agg[np.argsort(many.keys)], rtol=1e-9, atol=1e-9)
    assert [w["metrics"] for w in one.windows()] == [w["metrics"] for w in many.windows()]
    assert [w["labels"] for w in one.windows()] == [500, 500, 500, 0]
    frame = one.to_frame()
    assert list(frame.index) == ["rows 0–499", "rows 500–999", "rows 1,000–1,499", "rows 1,500–1,999"]
    assert {"accuracy_cbpe", "accuracy_cbpe_lower", "accuracy_iw", "accuracy_realized", "f1_cbpe", "roc_auc_cbpe",
            "coverage"} <= set(frame.columns)
    cumulative = one.to_frame(cumulative=True)
    assert cumulative["predictions"].tolist() == [500, 1000, 1500, 2000]


def test_the_store_holds_what_the_panel_shows_and_a_new_kernel_continues(store, model, reference):
    X, y, _ = data(3, 1200)
    mon = new(store, model, reference)
    ids = mon.log_predictions(X)
    assert ids.tolist() == list(range(1200))  # numbered when not given
    mon.log_feedback(ids[:600], y[:600])
    payload = mon.payload()
    json.dumps(payload, allow_nan=False)
    rows = store.monitor_windows(mon.id)
    assert [r["series"] for r in rows] == payload["windows"]
    assert store.monitor("m")["predictions"] == 1200 and store.monitor("m")["labels"] == 600

    again = monitor("m", store=Store(store.path))  # no reference: opened, with the model kept in its folder
    assert again.model is not None and again.totals == mon.totals
    more = again.log_predictions(X.iloc[:300])
    assert more.tolist() == list(range(1200, 1500))
    again.log_feedback(more, y[:300])
    assert mon.refresh().totals["labels"] == 900 and mon.totals["predictions"] == 1500
    bundle = mon._repr_mimebundle_()
    assert set(bundle) == {monitor_display.MIME, monitor_display.VEGALITE_MIME, "text/plain"}
    assert "1,500 predictions" in bundle["text/plain"]


def test_two_writers_on_one_monitor_lose_nothing_and_share_the_id_space(store, model, reference):
    X, y, _ = data(4, 600)
    first = new(store, model, reference)
    second = Monitor(Store(store.path), store.monitor("m"))
    first.log_predictions(X.iloc[:300], ids=np.arange(300))
    second.log_predictions(X.iloc[300:], ids=np.arange(300, 600))
    with pytest.raises(MonitorError, match="logged before"):
        first.log_predictions(X.iloc[:10], ids=np.arange(295, 305))  # ids the other writer logged
    first.log_feedback(np.arange(600), y)
    assert first.totals["labels"] == 600
    assert second.refresh().totals == first.totals


def test_a_batch_the_state_did_not_count_is_replayed_on_open(store, model, reference, tmp_path):
    X, y, _ = data(5, 800)
    mon = new(store, model, reference)
    mon.log_predictions(X.iloc[:400], ids=np.arange(400))
    saved = tmp_path / "state-before.npz"
    shutil.copy(mon.folder.path / "state.npz", saved)
    mon.log_predictions(X.iloc[400:], ids=np.arange(400, 800))
    mon.log_feedback(np.arange(800), y)
    expected = mon.agg.copy()
    shutil.copy(saved, mon.folder.path / "state.npz")  # as if the process died after writing the files
    (mon.folder.path / "generation").write_text("0")
    reopened = Monitor(Store(store.path), store.monitor("m"))
    assert reopened.totals["predictions"] == 800 and reopened.totals["labels"] == 800
    np.testing.assert_allclose(reopened.agg, expected, rtol=1e-9, atol=1e-9)


def test_feedback_reports_unknown_and_repeated_ids_and_keeps_them(store, model, reference):
    X, y, _ = data(6, 500)
    mon = new(store, model, reference)
    ids = mon.log_predictions(X, ids=[f"flight-{i}" for i in range(500)])
    report = mon.log_feedback(["flight-1", "flight-1", "flight-2", "nobody"], [1, 0, 1, 0])
    assert (report.joined, report.unknown, report.duplicates) == (2, 1, 1)
    assert "1 for ids not logged yet were kept" in report.message()
    again = mon.log_feedback(["flight-2"], [0])  # a second label for a labelled prediction
    assert again.duplicates == 1 and mon.totals["labels"] == 2
    assert mon.totals["unknown_feedback"] == 1
    assert any("not logged yet" in m["message"] for m in mon.payload()["messages"])
    mon.log_predictions(X.iloc[:1], ids=["nobody"])  # its label was waiting
    assert mon.totals["labels"] == 3 and mon.totals["unknown_feedback"] == 0
    assert len(ids) == 500


def test_time_windows_and_out_of_order_timestamps(store, model, reference):
    X, _, _ = data(7, 300)
    mon = new(store, model, reference, window="1D")
    day = pd.Timestamp("2026-03-02", tz="UTC")
    mon.log_predictions(X.iloc[:100], ids=np.arange(100), timestamps=[day + pd.Timedelta(hours=h % 24)
                                                                      for h in range(100)])
    mon.log_predictions(X.iloc[100:200], ids=np.arange(100, 200), timestamps=np.full(100, (day + pd.Timedelta(
        days=2)).timestamp()))
    mon.log_predictions(X.iloc[200:], ids=np.arange(200, 300), timestamps=pd.Series(
        [day - pd.Timedelta(days=1)] * 100))  # older than the windows logged: goes to its own day
    windows = mon.windows()
    assert [w["label"] for w in windows] == ["2026-03-01", "2026-03-02", "2026-03-04"]
    assert [w["predictions"] for w in windows] == [100, 100, 100]
    assert windows[0]["start"] == "2026-03-01T00:00:00Z" and windows[0]["end"] == "2026-03-02T00:00:00Z"
    assert [w["cumulative"]["predictions"] for w in windows] == [100, 200, 300]
    assert any("earlier windows" in m["message"] for m in mon.payload()["messages"])


def test_a_regressor_is_monitored_with_mae_and_rmse(store):
    X, _, logit = data(8, 2000)
    target = 10 * logit.to_numpy()
    model = LinearRegression().fit(X, target)
    Xr, _, lr = data(9, 2000)
    mon = monitor("reg", model=model, reference=(Xr, 10 * lr.to_numpy()), window=500, store=store)
    Xb, _, lb = data(10, 1000)
    ids = mon.log_predictions(Xb)
    mon.log_feedback(ids, 10 * lb.to_numpy())
    assert mon.row["metrics"] == ["mae", "rmse"] and mon.row["estimators"] == ["dle"]
    window = mon.windows()[0]
    assert window["metrics"]["mae"]["dle"]["value"] is not None
    assert window["metrics"]["rmse"]["realized"]["labels"] == 500


def test_bad_input_is_refused_with_a_clear_message_and_nothing_is_stored(store, model, reference):
    X, y, _ = data(11, 500)
    mon = new(store, model, reference)
    mon.log_predictions(X.iloc[:100], ids=np.arange(100))
    before = (mon.totals.copy(), mon.folder.batch_numbers("predictions"))
    cases = [
        (lambda: mon.log_predictions(X.iloc[:10], ids=np.arange(95, 105)), "logged before"),
        (lambda: mon.log_predictions(X.iloc[:3], ids=[7000, 7000, 7001]), "repeats ids"),
        (lambda: mon.log_predictions(proba=np.array([0.2, np.nan, 1.5])), "2 probabilities are NaN or outside"),
        (lambda: mon.log_predictions(X.iloc[:5], ids=np.arange(3)), "3 ids for 5 predictions"),
        (lambda: mon.log_predictions(X.drop(columns=["hour"]).iloc[:5]), "lacks the reference's columns"),
        (lambda: mon.log_predictions(X.iloc[:0]), "empty"),
        (lambda: mon.log_predictions(X.iloc[:5], timestamps=["not a time"] * 5), "could not be read as times"),
        (lambda: mon.log_feedback([1, 2], [1, 2]), "0 or 1"),
        (lambda: mon.log_feedback([1, 2], [1]), "2 ids for 1 labels"),
        (lambda: mon.log_feedback([1], [np.nan]), "NaN"),
    ]
    for call, message in cases:
        with pytest.raises(MonitorError, match=message):
            call()
    assert (mon.totals, mon.folder.batch_numbers("predictions")) == before
    assert len(mon.folder.batch_numbers("labels")) == 0


def test_bad_models_and_references_are_refused_before_anything_is_created(store, model, reference):
    X, y = reference

    class NoProba:
        def predict(self, X):
            return np.zeros(len(X))

    with pytest.raises(MonitorError, match="no predict_proba"):
        monitor("a", model=NoProba(), reference=(X, y), store=store)
    three = LogisticRegression(max_iter=300).fit(X, np.arange(len(X)) % 3)
    with pytest.raises(MonitorError, match="3 classes"):
        monitor("b", model=three, reference=(X, np.arange(len(X)) % 3), store=store)
    with pytest.raises(MonitorError, match="class"):
        monitor("c", model=model, reference=(X, np.zeros(len(X), dtype=int)), store=store)
    with pytest.raises(MonitorError, match="rows"):
        monitor("d", model=model, reference=(X.iloc[:200], y[:200]), window=5000, store=store)
    with pytest.raises(MonitorError, match="rows of features but"):
        monitor("e", model=model, reference=(X, y[:10]), store=store)
    with pytest.raises(MonitorError, match="period"):
        monitor("f", model=model, reference=(X, y), window="every tuesday", store=store)
    with pytest.raises(MonitorError, match="no monitor 'g' yet"):
        monitor("g", store=store)
    assert store.monitors() == []

    new(store, model, reference)
    other = (X.iloc[:2000], y[:2000])
    with pytest.raises(MonitorError, match="replace=True"):
        new(store, model, other)
    same = new(store, model, reference)  # the same reference again (a re-run cell): the monitor continues
    assert same.id == store.monitor("m")["id"]
    replaced = new(store, model, other, replace=True)
    assert replaced.id != same.id and len(store.monitors()) == 1


def _pipeline(store, name="retrain"):
    store.create_pipeline(name=name, folder=f"pipelines/{name}", notebook_path="demo.ipynb", spec_hash="0" * 64,
                          cron="0 6 * * *", timezone="UTC", catchup="latest", catchup_limit=1, max_active_runs=1,
                          tasks=[], environment=None, cursor=None, next_fire_at=None)


def test_triggers_ask_for_a_run_once_per_cooldown_and_wait_for_approval(store, model, reference):
    _pipeline(store)
    X, y, _ = data(12, 1500)
    mon = new(store, model, reference)
    with pytest.raises(ValueError, match="no promoted pipeline 'nope'"):
        mon.trigger("nope")
    with pytest.raises(ValueError, match="labels=N"):
        mon.trigger("retrain", on="labels")
    mon.trigger("retrain", on="labels", labels=400, cooldown="1h")
    ids = mon.log_predictions(X)
    mon.log_feedback(ids[:300], y[:300])
    assert store.trigger_requests() == []
    mon.log_feedback(ids[300:500], y[300:500])
    requests = store.trigger_requests()
    assert len(requests) == 1 and requests[0]["status"] == "awaiting approval"
    assert "500 new labelled rows" in requests[0]["reason"]
    mon.log_feedback(ids[500:1500], y[500:1500])  # in the cooldown: no second request
    assert len(store.trigger_requests()) == 1
    assert mon.payload()["triggers"][0]["state"] == "awaiting approval"
    assert any("awaiting approval" in m["message"] for m in mon.payload()["messages"])

    unattended = new(store, model, reference, name="unattended")
    unattended.trigger("retrain", on="labels", labels=10, approval=False)
    ids = unattended.log_predictions(X.iloc[:20])
    unattended.log_feedback(ids, y[:20])
    started = store.trigger_requests(monitor_id=unattended.id)
    assert started[0]["status"] == "started"
    run = store.pipeline_run(started[0]["pipeline_run_id"])
    assert run["status"] == "queued" and run["trigger"] == "manual"
