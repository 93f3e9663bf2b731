"""The drift panel's MIME bundle: ``application/vnd.plumbline.drift+json``, plus Vega-Lite and text.

The bundle reads everywhere: JupyterLab with Plumbline renders the drift+json
payload (``src/renderers/``); JupyterLab without it, and exported notebooks,
fall back to ``application/vnd.vegalite.v5+json`` (JupyterLab 4.6's built-in
Vega extension renders Vega-Lite v3–v5, not v6) or to ``text/plain``.

The drift+json payload, version ``BUNDLE_VERSION`` (pinned by
``plumbline/tests/fixtures/drift-bundle-v1.json``, which the TypeScript
renderer is tested against), carries everything the panel shows; the browser
computes nothing (``docs/architecture.md``, "Drift"). Numbers are rounded to
``DIGITS`` significant digits; a value that cannot be computed is null, never NaN.
"""

from __future__ import annotations

import math
from typing import Any, Optional

from .drift import DRIFT, MEASURE_TITLES, NOT_JUDGED, OK, SCHEMA, ColumnDrift, DriftReport
from .thresholds import ALPHA, MIN_EFFECT

MIME = "application/vnd.plumbline.drift+json"
VEGALITE_MIME = "application/vnd.vegalite.v5+json"
BUNDLE_VERSION = 1
DIGITS = 6
CHART_COLUMNS = 30  # columns in the Vega-Lite fallback's severity chart
STATUS_COLORS = {DRIFT: "#d32f2f", SCHEMA: "#f57c00", OK: "#388e3c", NOT_JUDGED: "#9e9e9e"}


def payload(report: DriftReport, *, reference: dict, current: dict, chunks: Optional[list] = None,
            options: Any = None, generated_by: str = "plumbline") -> dict:
    """The drift+json payload of a comparison (``chunks``: [(label, DriftReport)] of a chunked one)."""
    columns = [_column(c) for c in report.columns]
    missing = [c.column for c in report.columns if c.status == SCHEMA and c.current_dtype is None]
    new = [c.column for c in report.columns if c.status == SCHEMA and c.reference_dtype is None]
    changed = [c.column for c in report.columns if c.status == SCHEMA and c.reference_dtype and c.current_dtype]
    multivariate = report.multivariate or {"available": False, "message": "not computed"}
    summary = {
        "status": report.status,
        "message": summary_message(report),
        "columns": len(report.columns),
        "judged": len(report.judged),
        "drifted": len(report.drifted),
        "drifted_share": report.drifted_share,
        "schema_changes": len(report.schema_changes),
        "missing_columns": missing,
        "new_columns": new,
        "type_changes": changed,
        "expected_false_alarms": report.expected_false_alarms,
        "reference_rows": report.reference_rows,
        "current_rows": report.current_rows,
        "multivariate": multivariate,
    }
    settings = {"alpha": ALPHA, "numeric_measure": getattr(options, "numeric_measure", "wasserstein"),
                "categorical_measure": getattr(options, "categorical_measure", "jensen_shannon"),
                "min_effect": {**MIN_EFFECT, **_min_effects(options)}}
    out = {
        "version": BUNDLE_VERSION,
        "title": f"Drift: {current.get('label') or 'current'} vs {reference.get('label') or 'reference'}",
        "reference": reference,
        "current": current,
        "summary": summary,
        "columns": columns,
        "chunks": None if chunks is None else [_chunk(label, r) for label, r in chunks],
        "settings": settings,
        "notes": list(report.notes),
        "generated_by": generated_by,
    }
    return clean(out)


def bundle(data: dict) -> dict:
    """The full MIME bundle of a payload."""
    return {MIME: data, VEGALITE_MIME: vegalite(data), "text/plain": text(data)}


def summary_message(report: DriftReport) -> str:
    judged, drifted = len(report.judged), len(report.drifted)
    parts = []
    if report.current_rows == 0 or report.reference_rows == 0:
        parts.append("nothing compared: " + ("the compared data has no rows" if report.current_rows == 0
                                              else "the reference has no rows"))
    elif judged:
        parts.append(f"{drifted} of {judged} columns drifted ({drifted / judged:.0%})")
    else:
        parts.append("no column could be judged")
    if report.schema_changes:
        parts.append(f"{len(report.schema_changes)} schema change{'s' if len(report.schema_changes) > 1 else ''}")
    mv = report.multivariate or {}
    if mv.get("available"):
        parts.append("multivariate drift" if mv.get("drift") else "no multivariate drift")
    return "; ".join(parts)


def _column(c: ColumnDrift) -> dict:
    return {
        "name": c.column,
        "kind": c.kind,
        "role": c.role,
        "status": c.status,
        "message": c.message,
        "measure": c.measure,
        "measure_title": MEASURE_TITLES.get(c.measure or "", None),
        "value": c.value,
        "threshold": c.threshold,
        "threshold_floor": c.threshold_floor,
        "severity": c.severity if math.isfinite(c.severity) else None,
        "false_alarm": c.false_alarm,
        "measures": {name: {"title": MEASURE_TITLES[name], **m} for name, m in c.measures.items()},
        "null_share": {"reference": c.reference_null_share, "current": c.current_null_share,
                       "change": c.null_change, "threshold": c.null_threshold, "drift": c.null_drift},
        "dtype": {"reference": c.reference_dtype, "current": c.current_dtype},
        "rows": {"reference": c.reference_rows, "current": c.current_rows},
        "overlay": c.overlay,
        "unseen": [{"value": v, "share": s} for v, s in c.unseen],
        "vanished": [{"value": v, "share": s} for v, s in c.vanished],
        "contribution": c.contribution,
        "notes": list(c.notes),
        "history": list(c.history),
    }


def _chunk(label: str, report: DriftReport) -> dict:
    return {"label": label, "rows": report.current_rows, "status": report.status,
            "judged": len(report.judged), "drifted": len(report.drifted),
            "drifted_columns": [c.column for c in report.drifted],
            "expected_false_alarms": report.expected_false_alarms,
            "multivariate": report.multivariate}


def _min_effects(options) -> dict:
    if options is None or options.min_effect is None:
        return {}
    return {"columns": options.min_effect} if isinstance(options.min_effect, dict) else \
        {"verdict_measure": float(options.min_effect)}


# -- fallbacks -------------------------------------------------------------------------------------


def vegalite(data: dict) -> dict:
    """A plain Vega-Lite v5 view: each column's measure / threshold, and the worst column's overlay."""
    rows = [c for c in data["columns"] if c["status"] in (DRIFT, OK, SCHEMA)][:CHART_COLUMNS]
    bars = [{"column": c["name"], "status": c["status"],
             "severity": c["severity"] if c["severity"] is not None else 2.0,
             "measure": c["measure_title"] or c["status"], "value": c["value"], "threshold": c["threshold"]}
            for c in rows]
    severity = {
        "title": f"{data['summary']['message']} (measure / threshold; > 1 drifted)",
        "width": 420,
        "height": {"step": 16},
        "data": {"values": bars},
        "layer": [
            {"mark": {"type": "bar", "tooltip": True},
             "encoding": {
                 "y": {"field": "column", "type": "nominal", "sort": None, "title": None},
                 "x": {"field": "severity", "type": "quantitative", "title": "measure / threshold"},
                 "color": {"field": "status", "type": "nominal",
                           "scale": {"domain": list(STATUS_COLORS), "range": list(STATUS_COLORS.values())},
                           "legend": {"orient": "top", "title": None}},
                 "tooltip": [{"field": "column"}, {"field": "measure"}, {"field": "value", "format": ".3g"},
                             {"field": "threshold", "format": ".3g"}, {"field": "status"}]}},
            {"mark": {"type": "rule", "strokeDash": [4, 3]}, "encoding": {"x": {"datum": 1}}},
        ],
    }
    charts = [severity]
    worst = next((c for c in data["columns"] if c.get("overlay")), None)
    if worst is not None:
        charts.append(_overlay_chart(worst))
    return {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "vconcat": charts}


def _overlay_chart(column: dict) -> dict:
    overlay = column["overlay"]
    if overlay["type"] == "categories":
        values = [{"value": c["value"], "side": side, "share": c[side]}
                  for c in overlay["categories"] for side in ("reference", "current")]
        return {"title": f"{column['name']}: share per category", "width": 420, "data": {"values": values},
                "mark": {"type": "bar", "tooltip": True},
                "encoding": {"y": {"field": "value", "type": "nominal", "sort": None, "title": None},
                             "yOffset": {"field": "side"},
                             "x": {"field": "share", "type": "quantitative", "axis": {"format": "%"}},
                             "color": {"field": "side", "type": "nominal", "legend": {"orient": "top", "title": None}}}}
    edges = overlay["edges"]
    values = [{"start": edges[i], "end": edges[i + 1], "side": side, "share": overlay[side][i]}
              for i in range(len(edges) - 1) for side in ("reference", "current")]
    kind = "temporal" if overlay.get("axis") == "time" else "quantitative"
    if kind == "temporal":
        for v in values:
            v["start"], v["end"] = v["start"] * 1000, v["end"] * 1000
    return {"title": f"{column['name']}: reference vs current", "width": 420, "height": 120,
            "data": {"values": values},
            "mark": {"type": "rect", "opacity": 0.55, "tooltip": True},
            "encoding": {"x": {"field": "start", "type": kind, "title": column["name"]}, "x2": {"field": "end"},
                         "y": {"field": "share", "type": "quantitative", "stack": None, "axis": {"format": "%"}},
                         "color": {"field": "side", "type": "nominal", "legend": {"orient": "top", "title": None}}}}


def text(data: dict, limit: int = 40) -> str:
    s = data["summary"]
    lines = [f"{data['title']}",
             f"{s['message']} — {s['current_rows']:,} rows vs {s['reference_rows']:,} reference rows; "
             f"expected false alarms {s['expected_false_alarms']:.2g}"]
    mv = s["multivariate"]
    if mv.get("available"):
        lines.append(f"multivariate: {mv['message']}")
    width = max([len(c["name"]) for c in data["columns"][:limit]] + [6])
    for c in data["columns"][:limit]:
        flag = {DRIFT: "DRIFT", SCHEMA: "SCHEMA", OK: "ok", NOT_JUDGED: "-"}[c["status"]]
        lines.append(f"  {flag:<6} {c['name']:<{width}}  {c['message']}")
    if len(data["columns"]) > limit:
        lines.append(f"  … and {len(data['columns']) - limit} more columns")
    return "\n".join(lines)


def clean(value: Any) -> Any:
    """JSON-safe: NaN/inf -> null, numpy scalars -> Python, floats rounded to DIGITS significant digits."""
    if isinstance(value, dict):
        return {str(k): clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean(v) for v in value]
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if hasattr(value, "item") and type(value).__module__ == "numpy":
        value = value.item()
    if isinstance(value, bool):
        return value
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        return float(f"{value:.{DIGITS}g}")
    return str(value)
