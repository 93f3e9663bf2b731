"""The drift bundle: pinned by a fixture the TypeScript renderer is tested against, JSON-clean, readable anywhere."""

from __future__ import annotations

import json
from pathlib import Path

from plumbline.monitoring.display import BUNDLE_VERSION, MIME, VEGALITE_MIME

from .fixture_drift import bundles

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "drift-bundle-v1.json"
COLUMN_FIELDS = {"name", "kind", "role", "status", "message", "measure", "measure_title", "value", "threshold",
                 "threshold_floor", "severity", "false_alarm", "measures", "null_share", "dtype", "rows", "overlay",
                 "unseen", "vanished", "contribution", "notes", "history"}


def test_python_still_produces_the_fixture_the_renderer_is_tested_with():
    made = json.loads(json.dumps(bundles(), sort_keys=True))
    assert made == json.loads(FIXTURE.read_text("utf-8"))


def test_the_bundle_is_strict_json_with_every_field_the_panel_reads():
    for bundle in bundles().values():
        json.dumps(bundle, allow_nan=False)  # no NaN or Infinity anywhere
        data = bundle[MIME]
        assert data["version"] == BUNDLE_VERSION
        assert set(data) == {"version", "title", "reference", "current", "summary", "columns", "chunks",
                             "settings", "notes", "generated_by"}
        for column in data["columns"]:
            assert set(column) == COLUMN_FIELDS, column["name"]
            assert column["status"] in ("drift", "ok", "schema", "not judged")
            if column["status"] in ("drift", "ok"):
                assert column["value"] is not None and column["threshold"] > 0
                assert set(column["measures"][column["measure"]]) >= {"title", "value", "threshold", "error"}
        assert bundle[VEGALITE_MIME]["$schema"].endswith("/v5.json")  # what JupyterLab 4.6's Vega renders
        assert data["summary"]["message"] in bundle["text/plain"]


def test_columns_come_predictions_first_then_by_severity_and_unseen_categories_are_called_out():
    data = bundles()["comparison"][MIME]
    names = [c["name"] for c in data["columns"]]
    assert names[0] == "prediction"
    statuses = [c["status"] for c in data["columns"][1:]]
    order = {"drift": 0, "schema": 1, "ok": 2, "not judged": 3}
    assert statuses == sorted(statuses, key=order.get)
    drifted = [c for c in data["columns"][1:] if c["status"] == "drift" and c["severity"] is not None]
    assert [c["severity"] for c in drifted] == sorted((c["severity"] for c in drifted), reverse=True)
    origin = next(c for c in data["columns"] if c["name"] == "origin")
    assert origin["unseen"][0]["value"] == "PDX"
    assert any(cat["value"] == "PDX" and cat["unseen"] for cat in origin["overlay"]["categories"])
    distance = next(c for c in data["columns"] if c["name"] == "distance")
    assert distance["status"] == "drift" and distance["null_share"]["drift"]
    assert data["summary"]["missing_columns"] == ["retired"] and data["summary"]["new_columns"] == ["added"]
    assert data["summary"]["type_changes"] == ["code"]


def test_a_chunked_bundle_has_each_chunk_and_each_column_history():
    data = bundles()["chunked"][MIME]
    assert [c["rows"] for c in data["chunks"]] == [60, 60, 60]
    delay = next(c for c in data["columns"] if c["name"] == "delay")
    assert [h["label"] for h in delay["history"]] == [c["label"] for c in data["chunks"]]
