"""The monitor panel's MIME bundle: ``application/vnd.plumbline.monitor+json``, plus Vega-Lite and text.

Like the drift panel (``display.py``): JupyterLab with Plumbline renders the
monitor+json payload (``src/renderers/monitor*.ts``); without it, and in exported
notebooks, the Vega-Lite fallback shows the primary metric, and text a table.

The payload, version ``BUNDLE_VERSION``, is pinned by
``plumbline/tests/fixtures/monitor-bundle-v1.json`` (``fixture_monitor.py``), which
the TypeScript renderer is tested against. Its per-window objects are also the
``series`` column of ``monitor_windows``: the sidebar's tab builds the same payload
from the replica. Every number is finite or null.
"""

from __future__ import annotations

import math
from datetime import datetime, timezone
from typing import Any

MIME = "application/vnd.plumbline.monitor+json"
VEGALITE_MIME = "application/vnd.vegalite.v5+json"
BUNDLE_VERSION = 1
DIGITS = 6
METRIC_TITLES = {"accuracy": "Accuracy", "precision": "Precision", "recall": "Recall", "f1": "F1",
                 "roc_auc": "ROC AUC", "mae": "MAE", "rmse": "RMSE"}
ESTIMATOR_TITLES = {"cbpe": "CBPE", "iw": "importance-weighted", "dle": "DLE"}


def finite(value: Any) -> Any:
    """``value`` with NaN and infinities as None and floats rounded (JSON that every parser reads)."""
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.{DIGITS}g}")
    if isinstance(value, dict):
        return {str(k): finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if hasattr(value, "item") and callable(value.item):  # numpy scalars
        return finite(value.item())
    return value


def payload(mon) -> dict:
    row = mon.row
    totals = mon._totals_row()
    return finite({
        "version": BUNDLE_VERSION,
        "monitor": {
            "id": mon.id, "name": mon.name, "kind": mon.kind, "window": mon.windowing.spec,
            "window_kind": mon.windowing.kind, "metrics": row["metrics"], "primary_metric": row["primary_metric"],
            "estimators": row["estimators"], "predictions": totals["predictions"], "labels": totals["labels"],
            "unknown_feedback": totals["unknown_feedback"], "status": totals["status"], "alerts": totals["alerts"],
            "reference": {k: v for k, v in row["reference"].items() if k not in ("hash", "columns")},
            "updated_at": datetime.fromtimestamp(mon._updated_at, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        },
        "windows": mon.windows(),
        "messages": [{"level": m["level"], "message": m["message"]} for m in totals["messages"]],
        "triggers": totals["triggers"],
    })


def bundle(data: dict) -> dict:
    return {MIME: data, VEGALITE_MIME: vegalite(data), "text/plain": text(data)}


def _band(window: dict, metric: str, estimator: str, view: str = "window") -> dict:
    source = window if view == "window" else window.get("cumulative") or {}
    return ((source.get("metrics") or {}).get(metric) or {}).get(estimator) or {}


def vegalite(data: dict) -> dict:
    """The primary metric per window: each estimate with its band, the realized value as points."""
    monitor = data["monitor"]
    metric = monitor["primary_metric"]
    values = []
    for w in data["windows"]:
        for estimator in monitor["estimators"]:
            band = _band(w, metric, estimator)
            if band.get("value") is not None:
                values.append({"window": w["label"], "series": ESTIMATOR_TITLES.get(estimator, estimator),
                               "value": band["value"], "lower": band.get("lower"), "upper": band.get("upper")})
        realized = _band(w, metric, "realized")
        if realized.get("value") is not None:
            values.append({"window": w["label"], "series": "realized", "value": realized["value"],
                           "lower": realized.get("lower"), "upper": realized.get("upper"),
                           "labels": realized.get("labels")})
    x = {"field": "window", "type": "ordinal", "sort": None, "title": "window"}
    color = {"field": "series", "type": "nominal", "title": None}
    title = METRIC_TITLES.get(metric, metric)
    return {
        "$schema": "https://vega.github.io/schema/vega-lite/v5.json",
        "title": f"{monitor['name']}: {title}, estimated and realized",
        "width": "container", "height": 220,
        "data": {"values": values},
        "layer": [
            {"transform": [{"filter": "datum.series != 'realized'"}],
             "mark": {"type": "area", "opacity": 0.2},
             "encoding": {"x": x, "y": {"field": "lower", "type": "quantitative", "title": title,
                                        "scale": {"zero": False}},
                          "y2": {"field": "upper"}, "color": color}},
            {"transform": [{"filter": "datum.series != 'realized'"}],
             "mark": {"type": "line", "point": True},
             "encoding": {"x": x, "y": {"field": "value", "type": "quantitative"}, "color": color}},
            {"transform": [{"filter": "datum.series == 'realized'"}],
             "mark": {"type": "point", "filled": True, "size": 60},
             "encoding": {"x": x, "y": {"field": "value", "type": "quantitative"}, "color": color,
                          "tooltip": [{"field": "window"}, {"field": "value", "format": ".4f"},
                                      {"field": "labels", "title": "labels"}]}},
        ],
    }


def _number(value: Any, digits: int = 3) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def text(data: dict) -> str:
    monitor = data["monitor"]
    metric = monitor["primary_metric"]
    lines = [f"Monitor {monitor['name']} ({monitor['kind']}, window {monitor['window']}): "
             f"{monitor['predictions']:,} predictions, {monitor['labels']:,} labels, status {monitor['status']}"]
    estimators = monitor["estimators"]
    header = ["window", "predictions", "labels"] + [f"{metric} {ESTIMATOR_TITLES.get(e, e)}" for e in estimators] \
        + [f"{metric} realized", "alerts"]
    lines.append(" | ".join(header))
    for w in data["windows"][-30:]:
        cells = [w["label"], f"{w['predictions']:,}", f"{w['labels']:,}"]
        for e in estimators:
            band = _band(w, metric, e)
            cells.append(f"{_number(band.get('value'))} [{_number(band.get('lower'))}, {_number(band.get('upper'))}]")
        cells.append(_number(_band(w, metric, "realized").get("value")))
        cells.append(", ".join(dict.fromkeys(a["kind"].replace("_", " ") for a in w.get("alerts", []))))
        lines.append(" | ".join(cells))
    for m in data.get("messages", []):
        lines.append(f"{m['level']}: {m['message']}")
    return "\n".join(lines)


def frame(windows: list, metrics: list, *, cumulative: bool = False):
    """The per-window series as a DataFrame (``Monitor.to_frame``)."""
    import pandas as pd

    rows = []
    for w in windows:
        source = w.get("cumulative", {}) if cumulative else w
        row = {"window": w["label"], "start": pd.Timestamp(w["start"]) if w.get("start") else None,
               "predictions": source.get("predictions"), "labels": source.get("labels"),
               "coverage": source.get("coverage")}
        for metric in metrics:
            m = (source.get("metrics") or {}).get(metric) or {}
            for estimator, band in m.items():
                if isinstance(band, dict):
                    for field in ("value", "lower", "upper", "ess", "extrapolation", "labels"):
                        if field in band:
                            row[f"{metric}_{estimator}" if field == "value" else f"{metric}_{estimator}_{field}"] = \
                                band[field]
            row[f"{metric}_alert"] = bool(m.get("alert"))
            row[f"{metric}_concept_drift"] = bool(m.get("concept_drift"))
        row["alerts"] = ", ".join(dict.fromkeys(a["kind"].replace("_", " ") for a in source.get("alerts", [])))
        rows.append(row)
    table = pd.DataFrame(rows)
    return table.set_index("window") if len(table) else table
