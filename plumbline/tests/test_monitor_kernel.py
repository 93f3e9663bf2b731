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
