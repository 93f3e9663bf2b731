"""Automatic profiles and drift verdicts through a real kernel, as JupyterLab runs a component's cell.

A component run twice on shifted data stores a profile per run and a drift
verdict against the first run; the drift check blocks or flags; the
explicit API reads the stored profiles back by run id.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from .kernels import Kernel

SETUP = """
import numpy as np, pandas as pd
import plumbline
rng = np.random.default_rng(0)
def batch(n, shift=0.0, share=0.2):
    return pd.DataFrame({
        'delay': rng.normal(10 + 30 * shift, 30, n),
        'distance': rng.integers(50, 3000, n),
        'origin': rng.choice(['SEA', 'SFO', 'ORD', 'JFK'], n, p=[share, 0.8 - share, 0.1, 0.1]),
        'prediction': rng.uniform(size=n),
    })
"""


def component(name: str, **drift) -> dict:
    meta = {"component": name, "part": "only"}
    if drift:
        meta["drift"] = drift
    return {"plumbline": meta}


def rows(store: str, sql: str, params=()) -> list[dict]:
    conn = sqlite3.connect(store)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params).fetchall()]
    finally:
        conn.close()


def sync(k: Kernel) -> None:
    result = k.execute("import plumbline.kernel as _k; assert _k.recorder().sync(30)", silent=True)
    assert result.status == "ok", result.reply


@pytest.fixture(scope="module")
def kernel(tmp_path_factory):
    folder = tmp_path_factory.mktemp("monitoring")
    store = str(folder / ".plumbline" / "lineage.db")
    k = Kernel(env={"PLUMBLINE_DB": store}, cwd=str(folder))
    k.load_plumbline("drift.ipynb")
    assert k.execute(SETUP).status == "ok"
    yield k, store
    k.shutdown(now=True)


def test_a_component_run_twice_on_shifted_data_stores_profiles_and_a_drift_verdict(kernel):
    k, store = kernel
    first = k.execute("clean = batch(20_000)", metadata=component("cleaning"))
    assert first.status == "ok", first.reply
    second = k.execute("clean = batch(20_000, shift=0.3)", metadata=component("cleaning"))
    assert second.status == "ok", second.reply
    sync(k)
    profiles = rows(store, "SELECT p.*, r.started_at FROM profiles p JOIN runs r ON r.id = p.run_id "
                           "WHERE p.name = 'clean' ORDER BY r.started_at")
    assert [(p["rows"], p["columns"]) for p in profiles] == [(20_000, 4), (20_000, 4)]
    for p in profiles:
        path = Path(store).parent / p["path"]
        assert path.is_file() and path.stat().st_size == p["size_bytes"]
    verdicts = rows(store, "SELECT * FROM drift_verdicts WHERE name = 'clean' ORDER BY created_at")
    assert [v["status"] for v in verdicts] == ["reference", "drift"]
    reference, drifted = verdicts
    assert reference["reference_io_id"] is None and "first profile" in reference["message"]
    assert drifted["reference_run_id"] == profiles[0]["run_id"] and drifted["policy"] == "first"
    assert drifted["drifted"] == 1 and drifted["judged"] == 4
    assert drifted["worst_column"] == "delay"
    columns = rows(store, "SELECT * FROM drift_columns WHERE io_id = ? ORDER BY position", (drifted["io_id"],))
    by_name = {c["column"]: c for c in columns}
    assert by_name["delay"]["status"] == "drift" and by_name["delay"]["value"] > by_name["delay"]["threshold"]
    assert {c["status"] for n, c in by_name.items() if n != "delay"} == {"ok"}  # ... and nothing else drifted
    assert [c["column"] for c in columns[:2]] == ["prediction", "delay"]  # predictions first, then by severity
    assert drifted["multivariate"] is not None and drifted["multivariate_threshold"] is not None
    # The badge's table replicates (it has a seq the change feed serves).
    assert drifted["seq"] > reference["seq"] > 0


def test_the_explicit_api_reads_stored_profiles_by_run_id_and_pair(kernel):
    k, store = kernel
    runs = [p["run_id"] for p in rows(store, "SELECT p.run_id FROM profiles p JOIN runs r ON r.id = p.run_id "
                                             "WHERE p.name = 'clean' ORDER BY r.started_at")]
    code = (f"r = plumbline.drift({runs[0][:8]!r}, ({runs[1]!r}, 'clean'))\n"
            "print(json.dumps({'drifted': r.drifted, 'status': r.status, "
            "'history': r.payload['columns'][1]['history'], 'mv': r.payload['summary']['multivariate']}))")
    result = k.execute("import json\n" + code)
    assert result.status == "ok", result.reply
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["drifted"] == ["delay"] and out["status"] == "drift"
    assert [h["status"] for h in out["history"]] == ["drift"]  # the verdicts of the component's runs
    assert out["mv"]["available"]  # recorded with the run, from the rows it had
    shown = [o for o in result.outputs if o["msg_type"] == "display_data"]
    assert len(shown) == 1
    data = shown[0]["content"]["data"]
    assert {"application/vnd.plumbline.drift+json", "application/vnd.vegalite.v5+json", "text/plain"} <= set(data)
    assert "DRIFT" in data["text/plain"] and "delay" in data["text/plain"]


def test_the_cell_value_of_plumbline_drift_is_shown_once(kernel):
    k, _ = kernel
    result = k.execute("plumbline.drift(batch(500), batch(500))")
    assert result.status == "ok", result.reply
    bundles = [o for o in result.outputs if "application/vnd.plumbline.drift+json" in o["content"].get("data", {})]
    assert len(bundles) == 1


def test_previous_policy_and_the_drift_check_blocks_a_drifted_batch(kernel):
    k, store = kernel
    spec = {"id": "drift-1", "check": "drift", "when": "after", "args": ["scored"], "params": {},
            "on_fail": "warn"}
    meta = component("scoring", reference="previous")
    meta["plumbline"]["checks"] = [spec]
    for code in ("scored = batch(5_000)", "scored = batch(5_000)", "scored = batch(5_000, share=0.35)"):
        assert k.execute(code, metadata=meta).status == "ok"
    sync(k)
    checks = rows(store, "SELECT c.status, c.message FROM check_results c JOIN runs r ON r.id = c.run_id "
                         "WHERE c.spec_id = 'drift-1' ORDER BY r.started_at")
    assert [c["status"] for c in checks] == ["pass", "pass", "fail"], checks
    assert "reference from now on" in checks[0]["message"]
    assert "origin" in checks[2]["message"]
    verdicts = rows(store, "SELECT v.status, v.reference_run_id, v.run_id FROM drift_verdicts v "
                           "JOIN runs r ON r.id = v.run_id WHERE v.name = 'scored' ORDER BY r.started_at")
    assert [v["status"] for v in verdicts] == ["reference", "ok", "drift"]
    assert verdicts[2]["reference_run_id"] == verdicts[1]["run_id"]  # previous, not first


def test_profiling_can_be_turned_off_and_non_tables_are_not_profiled(kernel):
    k, store = kernel
    assert k.execute("quiet = batch(100)", metadata=component("quiet", profile=False)).status == "ok"
    assert k.execute("words = ['a', 'b']\nnumber = 3", metadata=component("other")).status == "ok"
    sync(k)
    names = {r["name"] for r in rows(store, "SELECT name FROM profiles")}
    assert "quiet" not in names and "words" not in names and "number" not in names


def test_arrays_are_profiled_and_a_later_in_place_change_does_not_reach_the_profile(kernel):
    k, store = kernel
    code = "arr = rng.normal(size=(4000, 3))\n"
    assert k.execute(code, metadata=component("arrays")).status == "ok"
    # The next cell mutates the array and the frame in place at once: the profiles keep the values they had.
    assert k.execute("arr[:] = 1e6").status == "ok"
    sync(k)
    record = rows(store, "SELECT path, rows, columns FROM profiles WHERE name = 'arr'")[0]
    assert (record["rows"], record["columns"]) == (4000, 3)
    result = k.execute(f"from plumbline.monitoring.storage import load\n"
                       f"p = load({str(Path(store).parent)!r}, {record['path']!r})\n"
                       "print(max(c.numeric.maximum for c in p.columns.values()))")
    assert float(result.stdout.strip()) < 100


def test_profiles_wait_while_cells_run_back_to_back_and_each_output_still_gets_its_verdict(tmp_path):
    """The profiler starts a job only once the kernel is idle (or something waits for it), so Run All
    is not slowed down; every output is still profiled and judged."""
    import time
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from plumbline.kernel.monitoring import QUIET, KernelMonitor
    from plumbline.store import Store

    writes, warnings = [], []
    monitor = KernelMonitor(lambda method, *args: writes.append((method, args)), lambda: None, tmp_path,
                            warnings.append, lambda: "runall.ipynb")
    build = SimpleNamespace(name="build")
    frame = pd.DataFrame({"x": np.random.default_rng(0).normal(size=5_000)})

    def verdicts():
        return [args[0] for method, args in writes if method is Store.record_drift]

    def cell(run_id, component=None, outputs=()):
        monitor.arriving()
        monitor.begin(run_id, component, {})
        if outputs:
            monitor.on_outputs(run_id, list(outputs))  # (on the lineage worker in a kernel)

    cell("run-1", build, [("io-1", "df", frame)])
    monitor.end("run-1")
    cell("run-2", build, [("io-2", "df", frame.copy())])  # the next cell, at once
    time.sleep(4 * QUIET)
    assert verdicts() == []  # a cell runs: nothing profiled beside it
    monitor.end("run-2")
    monitor.arriving()  # the next cell arrived, and waits for the previous fingerprint
    time.sleep(4 * QUIET)
    assert verdicts() == []
    monitor.begin("run-3", None, {})
    monitor.end("run-3")
    deadline = time.monotonic() + 60
    while len(verdicts()) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)  # idle now: both are profiled, in order
    assert [(v.io_id, v.status) for v in verdicts()] == [("io-1", "reference"), ("io-2", "ok")]
    cell("run-4", build, [("io-4", "df", frame.assign(x=frame.x + 1))])
    assert monitor.wait(60)  # sync(): what waits runs now, even while a cell runs
    assert [(v.io_id, v.status) for v in verdicts()][-1] == ("io-4", "drift")
    assert [args[0].io_id for method, args in writes if method is Store.record_profile] == ["io-1", "io-2", "io-4"]
    assert warnings == []
    monitor.close()


def test_a_profile_started_in_an_idle_kernel_pauses_between_columns_while_a_cell_runs(tmp_path, monkeypatch):
    """A job that began in a pause must not run on into the next cells (it took a core from a Run All's
    next burst): it stops before its next column when a cell begins, goes on once the kernel is idle,
    and runs to the end at once when something waits for it."""
    import threading
    import time
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from plumbline.kernel.monitoring import QUIET, KernelMonitor
    from plumbline.monitoring import profiles
    from plumbline.store import Store

    seen, started, go = [], threading.Event(), threading.Event()
    real = profiles.profile_column

    def first_column_waits(column, seed=profiles.SEED):
        seen.append(column.name)
        if len(seen) in (1, 4):  # the first column of each job: the test starts a cell meanwhile
            started.set()
            go.wait(30)
        return real(column, seed=seed)

    monkeypatch.setattr(profiles, "profile_column", first_column_waits)
    writes = []
    monitor = KernelMonitor(lambda method, *args: writes.append((method, args)), lambda: None, tmp_path,
                            print, lambda: "pause.ipynb")
    build = SimpleNamespace(name="build")
    frame = pd.DataFrame({name: np.random.default_rng(i).normal(size=3_000) for i, name in enumerate("abc")})

    def profiled():
        return [args[0].io_id for method, args in writes if method is Store.record_profile]

    def run_then_idle(run_id, io_id):
        started.clear()
        go.clear()
        monitor.arriving()
        monitor.begin(run_id, build, {})
        monitor.on_outputs(run_id, [(io_id, "df", frame.copy())])
        monitor.end(run_id)
        assert started.wait(30)  # idle: the job began, and is in its first column

    run_then_idle("run-1", "io-1")
    monitor.arriving()
    monitor.begin("run-2", None, {})  # a cell begins (not a component)
    go.set()
    time.sleep(4 * QUIET)
    assert seen == ["a"] and profiled() == []  # paused before column b, for as long as the cell runs
    monitor.end("run-2")
    deadline = time.monotonic() + 60
    while not profiled() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert seen == ["a", "b", "c"] and profiled() == ["io-1"]  # idle again: it went on

    run_then_idle("run-3", "io-3")
    monitor.arriving()
    monitor.begin("run-4", None, {})
    go.set()
    time.sleep(4 * QUIET)
    assert seen == ["a", "b", "c", "a"]
    assert monitor.wait(60)  # sync(): the paused job runs to its end although the cell still runs
    assert seen == ["a", "b", "c"] * 2 and profiled() == ["io-1", "io-3"]
    verdicts = [args[0] for method, args in writes if method is Store.record_drift]
    assert [(v.io_id, v.status) for v in verdicts] == [("io-1", "reference"), ("io-3", "ok")]
    monitor.end("run-4")
    monitor.close()


def test_when_the_waiting_snapshots_reach_their_bound_the_oldest_is_profiled_beside_the_running_cell(
        tmp_path, monkeypatch):
    """Deferring never stalls the lineage worker for good (nor holds unbounded memory): at the bound,
    the profiler runs the oldest job although a cell runs, and the worker's next output finds room."""
    import threading
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    from plumbline.kernel import monitoring
    from plumbline.store import Store

    monkeypatch.setattr(monitoring, "MAX_PENDING", 1)
    writes = []
    monitor = monitoring.KernelMonitor(lambda method, *args: writes.append((method, args)), lambda: None,
                                       tmp_path, print, lambda: "bound.ipynb")
    frame = pd.DataFrame({"x": np.random.default_rng(1).normal(size=2_000)})
    monitor.arriving()
    monitor.begin("run-1", SimpleNamespace(name="build"), {})  # ... and it keeps running
    worker = threading.Thread(target=lambda: [monitor.on_outputs("run-1", [(f"io-{i}", f"v{i}", frame.copy())])
                                              for i in range(3)])
    worker.start()
    worker.join(60)
    assert not worker.is_alive()  # the three outputs were handed over while the cell still ran
    profiled = [args[0].io_id for method, args in writes if method is Store.record_profile]
    assert profiled[:1] == ["io-0"]  # made room (io-1 was taken next, to make room for io-2)
    assert monitor.wait(60)
    assert [args[0].io_id for method, args in writes if method is Store.record_profile] == ["io-0", "io-1", "io-2"]
    monitor.end("run-1")
    monitor.close()
