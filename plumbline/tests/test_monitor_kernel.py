"""A monitor in a real kernel with the recorder, as JupyterLab runs the cells: the cell's value is the panel's
bundle, the monitor knows its notebook, and a bad batch is a clear error in the cell with nothing stored."""

from __future__ import annotations

import sqlite3

from .kernels import Kernel

MIME = "application/vnd.plumbline.monitor+json"

SETUP = """
import numpy as np
import plumbline
from sklearn.linear_model import LogisticRegression
from plumbline.tests.fixture_monitor import data
X, y, _ = data(1, 3000)
model = LogisticRegression(max_iter=500).fit(X, y)
X_ref, y_ref, _ = data(2, 3000)
mon = plumbline.monitor('in-kernel', model=model, reference=(X_ref, y_ref), window=500)
"""


def test_a_monitor_shows_its_panel_in_the_cell_and_refuses_a_bad_batch(tmp_path):
    store = str(tmp_path / ".plumbline" / "lineage.db")
    k = Kernel(env={"PLUMBLINE_DB": store}, cwd=str(tmp_path))
    try:
        k.load_plumbline("monitoring.ipynb")
        assert k.execute(SETUP, timeout=120).status == "ok"
        logged = k.execute("Xb, yb, _ = data(3, 1000)\nids = mon.log_predictions(Xb)\n"
                           "mon.log_feedback(ids[:400], yb[:400])\nmon")
        assert logged.status == "ok", logged.reply
        (result,) = [o for o in logged.outputs if o["msg_type"] == "execute_result"]
        data = result["content"]["data"]
        assert {MIME, "application/vnd.vegalite.v5+json", "text/plain"} <= set(data)
        payload = data[MIME]
        assert payload["monitor"]["predictions"] == 1000 and payload["monitor"]["labels"] == 400
        assert [w["labels"] for w in payload["windows"]] == [400, 0]

        bad = k.execute("mon.log_predictions(proba=np.array([0.5, float('nan')]))")
        assert bad.status == "error" and bad.reply["ename"] == "MonitorError"
        assert "NaN or outside [0, 1]" in bad.reply["evalue"]
        assert k.execute("assert mon.totals['predictions'] == 1000").status == "ok"
    finally:
        k.shutdown()
    conn = sqlite3.connect(store)
    try:
        (notebook, predictions), = conn.execute("SELECT notebook, predictions FROM monitors").fetchall()
    finally:
        conn.close()
    assert notebook == "monitoring.ipynb" and predictions == 1000


def test_a_drifted_component_output_asks_for_a_run_through_a_monitor_trigger(tmp_path):
    store = str(tmp_path / ".plumbline" / "lineage.db")
    k = Kernel(env={"PLUMBLINE_DB": store}, cwd=str(tmp_path))
    try:
        k.load_plumbline("monitoring.ipynb")
        assert k.execute(SETUP, timeout=120).status == "ok"
        made = k.execute(
            "import pandas as pd\nfrom plumbline.tests.test_monitor import _pipeline\n"
            "_pipeline(mon.store, 'retrain')\n"
            "try:\n    mon.trigger('retrain', on='drift')\nexcept ValueError as e:\n    print(e)\n"
            "mon.trigger('retrain', on='drift', component='batch', cooldown='1h')")
        assert made.status == "ok", made.reply
        assert "needs component=" in made.stdout
        meta = {"plumbline": {"component": "batch", "part": "only"}}
        for shift in (0.0, 0.0, 3.0):
            ran = k.execute(f"rng = np.random.default_rng(int({shift} * 10) + 1)\n"
                            f"frame = pd.DataFrame({{'delay': rng.normal(10 + 30 * {shift}, 30, 3000)}})",
                            metadata=meta)
            assert ran.status == "ok", ran.reply
            assert k.execute("import plumbline.kernel as _k; assert _k.recorder().sync(60)", silent=True).status == "ok"
    finally:
        k.shutdown()
    conn = sqlite3.connect(store)
    try:
        verdicts = [r[0] for r in conn.execute("SELECT status FROM drift_verdicts ORDER BY created_at")]
        requests = conn.execute("SELECT pipeline, status, reason FROM trigger_requests").fetchall()
    finally:
        conn.close()
    assert verdicts == ["reference", "ok", "drift"]
    assert len(requests) == 1 and requests[0][:2] == ("retrain", "awaiting approval")
    assert "drift of batch's output 'frame'" in requests[0][2]
