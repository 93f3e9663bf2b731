"""A notebook run headless records the same runs and checks as in JupyterLab."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

import nbformat

from plumbline.headless import run_notebook

NULLS_BLOCK = {"id": "nulls-1", "check": "nulls", "when": "before", "args": ["raw"],
               "params": {"max_fraction": 0.0}, "on_fail": "block"}


def write_notebook(folder, raw_values):
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(f"import pandas as pd\nraw = pd.DataFrame({{'delay': {raw_values!r}}})"),
        nbformat.v4.new_code_cell(
            "import plumbline\n"
            "@plumbline.check('clean', when='after')\n"
            "def kept_rows(cleaned):\n"
            "    assert len(cleaned) >= 2, f'only {len(cleaned)} rows left'\n"
        ),
        nbformat.v4.new_code_cell("cleaned = raw.dropna()",
                                  metadata={"plumbline": {"component": "clean", "checks": [NULLS_BLOCK],
                                                          "part": "only", "owner": "ana"}}),
    ]
    path = folder / "pipelines" / "daily.ipynb"
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return path, [c.id for c in nb.cells]


def query(store, sql):
    conn = sqlite3.connect(store)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql)]
    finally:
        conn.close()


def test_headless_run_records_components_and_checks(tmp_path):
    store = tmp_path / ".plumbline" / "lineage.db"
    store.parent.mkdir()
    path, ids = write_notebook(tmp_path, [1.0, 2.0, 3.0])
    result = run_notebook(path)  # finds the project's store upward from the notebook
    assert result.error is None and result.store_path == store
    runs = query(store, "SELECT * FROM runs ORDER BY started_at")
    assert [r["cell_id"] for r in runs] == ids
    assert {r["notebook_path"] for r in runs} == {"pipelines/daily.ipynb"}
    assert runs[2]["component_name"] == "clean" and runs[2]["status"] == "ok"
    checks = {c["spec_id"]: c for c in query(store, "SELECT * FROM check_results")}
    assert checks["nulls-1"]["status"] == "pass"
    assert checks["user:kept_rows"]["status"] == "pass"
    (session,) = query(store, "SELECT * FROM kernel_sessions")
    assert session["kind"] == "task" and session["ended_at"] is not None


def test_headless_blocking_check_stops_the_notebook_like_in_jupyterlab(tmp_path):
    store = tmp_path / "elsewhere.db"
    path, ids = write_notebook(tmp_path, [1.0, None])
    out = tmp_path / "out.ipynb"
    proc = subprocess.run([sys.executable, "-m", "plumbline", "run", str(path), "--store", str(store),
                           "--output", str(out)], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert "CheckBlocked" in proc.stderr and "'delay'" in proc.stderr
    executed = nbformat.read(out, as_version=4)
    assert executed.cells[2].outputs[-1]["ename"] == "CheckBlocked"
    (blocked,) = query(store, f"SELECT * FROM runs WHERE cell_id = '{ids[2]}'")
    assert blocked["status"] == "error" and blocked["error_name"] == "CheckBlocked"
    (check,) = query(store, "SELECT * FROM check_results")
    assert check["status"] == "fail" and "delay" in check["message"]
    assert json.loads(check["details"])  # details recorded for the next run


def test_missing_notebook_is_a_clear_error(tmp_path):
    proc = subprocess.run([sys.executable, "-m", "plumbline", "run", str(tmp_path / "nope.ipynb")],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and "No notebook at" in proc.stderr


def test_allow_errors_goes_on_but_still_reports_failure(tmp_path):
    store = tmp_path / "s.db"
    path, ids = write_notebook(tmp_path, [1.0, None])
    proc = subprocess.run([sys.executable, "-m", "plumbline", "run", str(path), "--store", str(store),
                           "--allow-errors"], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 1 and "1 cell(s) failed (cells 3)" in proc.stderr
