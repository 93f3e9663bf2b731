"""A monitor fed by a promoted pipeline (task processes, no model in memory), and its trigger approved over REST:
the request waits until someone starts it, then a run of the retraining pipeline goes through."""

from __future__ import annotations

import json

import numpy as np
from sklearn.linear_model import LogisticRegression

from plumbline.monitoring.monitor import monitor
from plumbline.store import Store

from .fixture_monitor import data
from .pipeline_project import code_cells, write_notebook
from .storerows import query
from .test_pipelines_server import call, wait_for

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z

SCORING = [
    ("code", "day = 0", {"tags": ["parameters"]}),
    *code_cells(
        "import numpy as np\nimport plumbline\nfrom plumbline.tests.fixture_monitor import data\n\n"
        "mon = plumbline.monitor('delay-model')  # opened by name: the model is kept with the monitor\n"
        f"X, y, _ = data(100 + day, 500)\n"
        f"ids = mon.log_predictions(X, ids=np.arange(day * 1000, day * 1000 + 500),\n"
        f"                          timestamps=np.full(500, {T0} + day * 86400))\n"
        "report = mon.log_feedback(ids[:250], y[:250])\nlogged = len(ids)",
        components=["score"]),
]
RETRAIN = code_cells("retrained = True", components=["retrain"])


def _monitor(db: str):
    X, y, _ = data(1, 3000)
    model = LogisticRegression(max_iter=500).fit(X, y)
    X_ref, y_ref, _ = data(2, 3000)
    return monitor("delay-model", model=model, reference=(X_ref, y_ref), window="1D", store=Store(db))


async def _run(jp_fetch, db, name, params=None):
    started = await call(jp_fetch, "POST", "pipelines", name, "runs", body={"params": params or {}}, expect=202)
    run_id = started["run"]["id"]

    def finished():
        rows = query(db, "SELECT status, error FROM pipeline_runs WHERE id = ?", (run_id,))
        return rows and rows[0]["status"] in ("ok", "error") and rows[0]

    row = await wait_for(finished, 300)
    assert row["status"] == "ok", (row, query(db, "SELECT task, status, error_name, error_value FROM task_runs "
                                                "WHERE run_id = ?", (run_id,)))
    return run_id


async def test_a_scheduled_pipeline_feeds_a_monitor_and_its_trigger_waits_for_approval(jp_fetch, jp_root_dir,
                                                                                      jp_serverapp):
    db = jp_serverapp.web_app.settings["plumbline"]["db_path"]
    write_notebook(jp_root_dir / "scoring.ipynb", SCORING)
    write_notebook(jp_root_dir / "retrain.ipynb", RETRAIN)
    for name, notebook in (("scoring", "scoring.ipynb"), ("retrain", "retrain.ipynb")):
        await call(jp_fetch, "POST", "pipelines", expect=201,
                   body={"notebook": notebook, "name": name, "schedule": {"cron": "0 6 * * *", "timezone": "UTC"}})
    mon = _monitor(db)
    mon.trigger("retrain", on="labels", labels=400, cooldown="1D")

    for day in (0, 1):
        await _run(jp_fetch, db, "scoring", {"day": day})
    mon.refresh()
    assert mon.totals["predictions"] == 1000 and mon.totals["labels"] == 500
    windows = mon.windows()
    assert [w["label"] for w in windows] == ["2026-01-01", "2026-01-02"]
    assert [w["labels"] for w in windows] == [250, 250]
    assert windows[0]["metrics"]["accuracy"]["realized"]["labels"] == 250
    # the task process wrote the rows the sidebar replicates
    rows = query(db, "SELECT window_index, predictions, series FROM monitor_windows ORDER BY window_index")
    assert [r["predictions"] for r in rows] == [500, 500] and json.loads(rows[1]["series"]) == windows[1]
    # and its cell runs are recorded like any other, under their task
    assert query(db, "SELECT count(*) AS n FROM runs WHERE component_name = 'score' AND task_run_id IS NOT NULL")[0][
        "n"] == 2

    (request,) = query(db, "SELECT * FROM trigger_requests")
    assert request["status"] == "awaiting approval" and request["pipeline"] == "retrain"
    assert "500 new labelled rows" in request["reason"]
    assert query(db, "SELECT count(*) AS n FROM pipeline_runs r JOIN pipelines p ON p.id = r.pipeline_id "
                     "WHERE p.name = 'retrain'")[0]["n"] == 0  # nothing runs before someone says so

    await call(jp_fetch, "POST", "trigger-requests", request["id"], body={"action": "launch"}, expect=400)
    await call(jp_fetch, "POST", "trigger-requests", "0" * 32, body={"action": "start"}, expect=404)
    decided = await call(jp_fetch, "POST", "trigger-requests", request["id"], body={"action": "start"})
    assert decided["request"]["status"] == "started" and decided["request"]["pipeline_run_id"]
    await call(jp_fetch, "POST", "trigger-requests", request["id"], body={"action": "dismiss"}, expect=409)

    def retrained():
        rows = query(db, "SELECT status FROM pipeline_runs WHERE id = ?", (decided["request"]["pipeline_run_id"],))
        return rows and rows[0]["status"] in ("ok", "error") and rows[0]["status"]

    assert await wait_for(retrained, 300) == "ok"
    assert mon.payload()["triggers"][0]["state"] == "cooling down"
    np.testing.assert_array_equal(sorted(mon.keys), [T0, T0 + 86400])
