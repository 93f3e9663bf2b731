"""The monitor panel's bundle and its replicated rows: pinned by the fixture both suites read, strict JSON,
readable without Plumbline."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from plumbline.monitoring.monitor_display import BUNDLE_VERSION, MIME, VEGALITE_MIME

from .fixture_monitor import fixture

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "monitor-bundle-v1.json"
WINDOW_FIELDS = {"index", "label", "start", "end", "predictions", "labels", "coverage", "metrics", "alerts",
                 "warnings", "cumulative"}


@pytest.fixture(scope="module")
def made():
    return fixture()


def test_python_still_produces_the_fixture_the_renderer_and_the_sidebar_are_tested_with(made):
    assert made == json.loads(FIXTURE.read_text("utf-8"))


def test_the_payload_has_every_field_the_panel_reads_and_the_replica_the_same_windows(made):
    for kind in ("classification", "regression"):
        bundle = made[kind]
        json.dumps(bundle, allow_nan=False)
        data = bundle[MIME]
        assert data["version"] == BUNDLE_VERSION and data["monitor"]["kind"] == kind
        assert set(data) == {"version", "monitor", "windows", "messages", "triggers"}
        estimators = data["monitor"]["estimators"]
        for window in data["windows"]:
            assert set(window) == WINDOW_FIELDS
            assert set(window["metrics"]) == set(data["monitor"]["metrics"])
            for metric in window["metrics"].values():
                assert {"realized", "threshold", "alert", "concept_drift", *estimators} <= set(metric)
                for estimator in estimators:
                    band = metric[estimator]
                    assert band["lower"] <= band["value"] <= band["upper"]
        assert bundle[VEGALITE_MIME]["$schema"].endswith("/v5.json")
        assert data["monitor"]["name"] in bundle["text/plain"]
        windows = made["changes"]["tables"]["monitor_windows"]
        column = windows["columns"].index("series")
        monitor_column = windows["columns"].index("monitor_id")
        series = [json.loads(r[column]) for r in windows["rows"] if r[monitor_column] == data["monitor"]["id"]]
        assert sorted(series, key=lambda w: w["index"]) == data["windows"]


def test_the_story_shows_concept_drift_where_the_truth_changed_and_nowhere_else(made):
    data = made["classification"][MIME]
    drift = [any(m["concept_drift"] for m in w["metrics"].values()) for w in data["windows"]]
    assert drift == [False, False, True, False]
    assert data["windows"][3]["metrics"]["accuracy"]["realized"] is None  # no labels yet
    assert data["monitor"]["unknown_feedback"] == 1
    assert data["triggers"][0]["state"] == "awaiting approval"
    assert data["monitor"]["status"] == "concept_drift"
