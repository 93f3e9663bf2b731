"""Every built-in check through a real kernel: pass on good data, fail on bad data.

The check runs as a component's after-check, exactly as it does when the cell
runs in JupyterLab; the result is read back from the store.
"""

from __future__ import annotations

import sqlite3

import pytest

from .kernels import Kernel

SETUP = """
import numpy as np, pandas as pd
from sklearn.tree import DecisionTreeClassifier
from sklearn.linear_model import LogisticRegression
rng = np.random.default_rng(0)
"""

# name -> (args, params, code making good data, code making bad data, text the failure names)
CASES = {
    "schema": (["frame"], {"columns": {"a": "integer", "b": "string"}},
               "frame = pd.DataFrame({'a': [1, 2], 'b': ['x', 'y']})",
               "frame = pd.DataFrame({'a': [1.5, 2.0], 'b': ['x', 'y']})", "'a'"),
    "nulls": (["frame"], {"max_fraction": 0.1},
              "frame = pd.DataFrame({'delay': [1.0] * 20})",
              "frame = pd.DataFrame({'delay': [1.0] * 15 + [None] * 5})", "'delay'"),
    "ranges": (["frame"], {"columns": {"distance": [0, 5000]}},
               "frame = pd.DataFrame({'distance': [10, 2000]})",
               "frame = pd.DataFrame({'distance': [10, -3]})", "'distance'"),
    "categories": (["frame"], {"columns": {"origin": ["SEA", "SFO"]}},
                   "frame = pd.DataFrame({'origin': ['SEA', 'SFO']})",
                   "frame = pd.DataFrame({'origin': ['SEA', 'XXX']})", "'origin'"),
    "outliers": (["frame"], {"z": 5, "max_share": 0.05},
                 "frame = pd.DataFrame({'x': rng.normal(0, 1, 1000)})",
                 "frame = pd.DataFrame({'x': np.r_[rng.normal(0, 1, 900), np.full(100, 1e6)]})", "'x'"),
    "duplicates": (["frame"], {"max_share": 0.0},
                   "frame = pd.DataFrame({'id': [1, 2, 3]})",
                   "frame = pd.DataFrame({'id': [1, 1, 3]})", "duplicate"),
    "row_count": (["frame"], {"min_rows": 3},
                  "frame = pd.DataFrame({'id': [1, 2, 3]})",
                  "frame = pd.DataFrame({'id': [1]})", "1"),
    "freshness": (["frame"], {"timestamp_column": "ts", "max_age_hours": 48, "now": "2026-01-10T00:00:00"},
                  "frame = pd.DataFrame({'ts': pd.to_datetime(['2026-01-09'])})",
                  "frame = pd.DataFrame({'ts': pd.to_datetime(['2026-01-01'])})", "2026-01-01"),
    "time_leakage": (["train", "test"], {"time_column": "ts"},
                     "train = pd.DataFrame({'ts': pd.to_datetime(['2026-01-01'])}); "
                     "test = pd.DataFrame({'ts': pd.to_datetime(['2026-02-01'])})",
                     "train = pd.DataFrame({'ts': pd.to_datetime(['2026-03-01'])}); "
                     "test = pd.DataFrame({'ts': pd.to_datetime(['2026-02-01'])})", "2026-03-01"),
    "class_balance": (["y"], {"min_share": 0.1},
                      "y = np.array([0] * 50 + [1] * 50)",
                      "y = np.array([0] * 98 + [1] * 2)", "2.0%"),
    "metric_gap": (["model", "X_train", "y_train", "X_test", "y_test"], {"max_gap": 0.1},
                   "X_train = rng.normal(size=(400, 3)); y_train = (X_train[:, 0] > 0).astype(int); "
                   "X_test = rng.normal(size=(200, 3)); y_test = (X_test[:, 0] > 0).astype(int); "
                   "model = LogisticRegression().fit(X_train, y_train)",
                   "X_train = rng.normal(size=(400, 3)); y_train = rng.integers(0, 2, 400); "
                   "X_test = rng.normal(size=(200, 3)); y_test = rng.integers(0, 2, 200); "
                   "model = DecisionTreeClassifier().fit(X_train, y_train)", "accuracy"),
    "feature_importance": (["model"], {"max_single": 0.9},
                           "Xf = rng.normal(size=(400, 3)); yf = (Xf.sum(axis=1) > 0).astype(int); "
                           "model = LogisticRegression().fit(Xf, yf)",
                           "Xf = rng.normal(size=(400, 3)); yf = (Xf[:, 0] > 0).astype(int); "
                           "model = DecisionTreeClassifier(max_depth=1).fit(Xf, yf)", "feature"),
    "drift": (["frame", "ref"], {},
              "ref = pd.DataFrame({'delay': rng.normal(0, 1, 3000)}); "
              "frame = pd.DataFrame({'delay': rng.normal(0, 1, 3000)})",
              "ref = pd.DataFrame({'delay': rng.normal(0, 1, 3000)}); "
              "frame = pd.DataFrame({'delay': rng.normal(0.5, 1, 3000)})", "delay (Wasserstein"),
}


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("builtins")
    store = str(folder / "lineage.db")
    k = Kernel(env={"PLUMBLINE_DB": store}, cwd=str(folder))
    k.load_plumbline("checks.ipynb")
    assert k.execute(SETUP).status == "ok"
    yield k, store
    k.shutdown(now=True)


@pytest.mark.parametrize("name", sorted(CASES))
def test_builtin_check_in_a_real_kernel(kernel, name):
    k, store = kernel
    args, params, good, bad, named = CASES[name]
    spec = {"id": f"{name}-1", "check": name, "when": "after", "args": args, "params": params,
            "on_fail": "warn"}
    results = []
    for label, code in (("good", good), ("bad", bad)):
        cell_id = f"{name}-{label}"
        meta = {"plumbline": {"component": f"c_{name}_{label}", "checks": [spec], "part": "only"}}
        assert k.execute(code, cell_id=cell_id, metadata=meta).status == "ok"
        conn = sqlite3.connect(store)
        results.append(conn.execute(
            "SELECT k.status, k.message FROM check_results k JOIN runs r ON r.id = k.run_id "
            "WHERE r.cell_id = ?", (cell_id,)).fetchone())
        conn.close()
    (good_status, good_message), (bad_status, bad_message) = results
    assert good_status == "pass", good_message
    assert bad_status == "fail", bad_message
    assert named in bad_message
