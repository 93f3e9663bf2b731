"""Running pipelines: real task processes under the recorder, lineage, retries, timeouts, faults, resume, reuse."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from plumbline.artifacts.exchange import ArtifactError, Location

from .pipeline_project import Project, code_cells


def task_rows(project, run_id) -> dict:
    return {t["task"]: t for t in project.store.task_runs(run_id)}


def run_now(project, name, params=None, **kwargs) -> tuple[str, dict]:
    run = project.service.trigger(name, params or {}, **kwargs)
    status = project.service.execute(run["id"])
    return status, task_rows(project, run["id"])


def processes_with(marker: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/cmdline", "rb") as f:
                    if marker.encode() in f.read():
                        found.append(int(entry))
            except OSError:
                pass
    return found


def test_the_cli_promotes_and_runs_the_example_pipeline_with_lineage(tmp_path):
    project = Project(tmp_path)
    nb = project.notebook()
    created = project.cli("pipelines", "create", "weekly", "--notebook", nb, "--schedule", "0 6 * * 1",
                          "--timezone", "Europe/Berlin")
    assert created.returncode == 0, created.stderr
    assert "task clean: cells 6, 7 <- load" in created.stdout and "created pipeline 'weekly'" in created.stdout
    ran = project.cli("pipelines", "run", "weekly", "--param", "rows=500")
    assert ran.returncode == 0, ran.stdout + ran.stderr
    (run,) = project.rows("SELECT * FROM pipeline_runs")
    assert run["trigger"] == "manual" and run["status"] == "ok" and json.loads(run["params"]) == {"rows": 500}
    tasks = {t["task"]: t for t in project.rows("SELECT * FROM task_runs")}
    assert {t: r["status"] for t, r in tasks.items()} == {t: "ok" for t in ("load", "clean", "features", "train",
                                                                              "predict")}
    # every cell run is a run like any other: a task session, its task run, its component
    runs = project.rows("SELECT r.*, s.kind FROM runs r JOIN kernel_sessions s ON s.id = r.kernel_session")
    assert {r["kind"] for r in runs} == {"task"} and all(r["task_run_id"] for r in runs)
    by_task = {t: [r for r in runs if r["task_run_id"] == tasks[t]["id"]] for t in tasks}
    assert [r["cell_id"] for r in by_task["clean"]] == ["c02", "c03", "c04", "c06", "c07"]  # prelude, then cells
    # recorded exactly as interactively: the component's cell is 'clean', the folded cell stays untagged
    assert [(r["cell_id"], r["component_name"]) for r in by_task["clean"][3:]] == [("c06", "clean"), ("c07", None)]
    assert all(r["notebook_path"] == "flights.ipynb" for r in runs)
    # lineage crosses processes: clean's input is load's output, without hashing it again
    load_out = project.rows("SELECT io.* FROM run_io io JOIN runs r ON r.id = io.run_id WHERE r.task_run_id = ? "
                            "AND io.direction = 'output' AND io.name = 'flights'", (tasks["load"]["id"],))
    clean_in = project.rows("SELECT io.* FROM run_io io JOIN runs r ON r.id = io.run_id WHERE r.task_run_id = ? "
                            "AND io.direction = 'input' AND io.name = 'flights'", (tasks["clean"]["id"],))
    assert load_out[-1]["row_count"] == 500  # the override reached the parameters cell's variable
    assert clean_in[0]["source_io_id"] == load_out[-1]["id"]
    assert clean_in[0]["value_hash"] == load_out[-1]["value_hash"]
    # the crossing value is a Parquet artifact that plumbline.load can read back
    out = json.loads(tasks["load"]["outputs"])["flights"]
    assert out["ref"]["format"] == "parquet" and Path(out["ref"]["uri"]).is_file()
    assert project.rows("SELECT format FROM artifacts a JOIN run_io io ON io.artifact_hash = a.hash WHERE io.id = ?",
                        (out["io_id"],)) == [{"format": "parquet"}]
    shown = project.cli("pipelines", "show", "weekly")
    assert shown.returncode == 0 and "load=ok" in shown.stdout
    log = project.cli("pipelines", "log", "weekly", run["id"][:8], "clean")
    assert log.returncode == 0 and "== cell 6 (id 'c06')" not in log.stdout and "== cell 6 (id c06)" in log.stdout


def test_parameters_and_the_data_interval_reach_the_code(tmp_path):
    project = Project(tmp_path)
    cells = [("code", "import json\nthreshold = 0.5\nlabel = 'base'", {"tags": ["parameters"]}),
             *code_cells("facts = {'threshold': threshold, 'label': label, 'start': data_interval_start.isoformat(),\n"
                         "         'end': data_interval_end.isoformat(), 'logical': logical_date.isoformat()}\n"
                         "open('facts.json', 'w').write(json.dumps(facts))", components=["report"])]
    project.service.create(project.notebook("p.ipynb", cells), name="p",
                           options={"cron": "0 6 * * 1", "timezone": "Europe/Berlin"})
    from plumbline.pipelines.cron import parse_instant

    status, _ = run_now(project, "p", {"threshold": 2, "label": "override"},
                        logical_date=parse_instant("2026-11-30T06:00:00+01:00"))
    assert status == "ok"
    facts = json.loads((tmp_path / "facts.json").read_text())
    assert facts == {"threshold": 2.0, "label": "override", "start": "2026-11-23T06:00:00+01:00",
                     "end": "2026-11-30T06:00:00+01:00", "logical": "2026-11-30T06:00:00+01:00"}
    with pytest.raises(Exception, match="no parameter 'nope'"):
        project.service.trigger("p", {"nope": 1})
    with pytest.raises(Exception, match="is float"):
        project.service.trigger("p", {"threshold": "high"})


def test_a_failing_task_skips_what_is_downstream_and_lets_the_rest_run(tmp_path):
    project = Project(tmp_path)
    cells = code_cells("base = 1", "broken = base / 0", "after = broken + 1", "other = base + 1",
                       components=["root", "fails", "below", "side"])
    project.service.create(project.notebook("f.ipynb", cells), name="f")
    status, tasks = run_now(project, "f")
    assert status == "error"
    assert {t: r["status"] for t, r in tasks.items()} == {"root": "ok", "fails": "error", "below": "upstream_failed",
                                                          "side": "ok"}
    assert tasks["fails"]["error_name"] == "ZeroDivisionError"
    assert "'fails'" in tasks["below"]["error_value"]
    (run,) = project.rows("SELECT * FROM pipeline_runs")
    assert "task 'fails' failed: ZeroDivisionError" in run["error"]


def test_a_flaky_task_succeeds_on_retry(tmp_path):
    project = Project(tmp_path)
    cells = code_cells("from pathlib import Path\nmark = Path('tries.txt')\n"
                       "tries = int(mark.read_text()) + 1 if mark.exists() else 1\nmark.write_text(str(tries))\n"
                       "assert tries >= 2, 'flaky: first try fails'\nvalue = tries", "seen = value",
                       components=["flaky", "next"])
    project.service.create(project.notebook("r.ipynb", cells), name="r",
                           options={"retries": 2, "retry_delay_seconds": 0.2})
    status, tasks = run_now(project, "r")
    assert status == "ok" and tasks["flaky"]["attempts"] == 2 and tasks["flaky"]["max_attempts"] == 3
    log = (project.store_path.parent / tasks["flaky"]["log_path"]).read_text()
    assert "attempt 1 failed: AssertionError: flaky: first try fails" in log and "attempt 2 of 3" in log
    sessions = project.rows("SELECT DISTINCT kernel_session FROM runs WHERE task_run_id = ?", (tasks["flaky"]["id"],))
    assert len(sessions) == 2  # each attempt is its own process


def test_a_hanging_task_is_killed_at_its_timeout_with_everything_it_started(tmp_path):
    project = Project(tmp_path)
    marker = f"plumbline-orphan-{uuid.uuid4().hex}"
    cells = code_cells(f"import subprocess, sys, time\nchild = subprocess.Popen([sys.executable, '-c', "
                       f"'import time; time.sleep(300)', {marker!r}])\ntime.sleep(300)", components=["hangs"])
    project.service.create(project.notebook("h.ipynb", cells), name="h", options={"timeout_seconds": 3})
    project.service.runner_options = type("O", (), {"method": None, "kill_grace": 1.0, "artifacts": None})()
    started = time.monotonic()
    status, tasks = run_now(project, "h")
    assert status == "error" and tasks["hangs"]["error_name"] == "TaskTimeout"
    assert "timeout (3 s)" in tasks["hangs"]["error_value"]
    assert time.monotonic() - started < 60
    time.sleep(0.5)
    assert processes_with(marker) == []  # no orphan: the whole process group went


def test_a_task_killed_from_outside_is_a_clear_error(tmp_path):
    project = Project(tmp_path)
    cells = code_cells("import os, signal\nos.kill(os.getpid(), signal.SIGKILL)", components=["victim"])
    project.service.create(project.notebook("k.ipynb", cells), name="k")
    status, tasks = run_now(project, "k")
    assert status == "error" and tasks["victim"]["error_name"] == "TaskDied"
    assert "killed by signal 9" in tasks["victim"]["error_value"]


def test_a_value_that_cannot_be_stored_fails_its_task_with_its_name_and_type(tmp_path):
    project = Project(tmp_path)
    cells = code_cells("import threading\nlock = threading.Lock()", "held = lock.locked()", components=["make", "use"])
    project.service.create(project.notebook("u.ipynb", cells), name="u")
    status, tasks = run_now(project, "u")
    assert status == "error" and tasks["make"]["error_name"] == "ArtifactError"
    assert "'lock' (_thread.lock) cannot cross to the next task" in tasks["make"]["error_value"]
    assert tasks["use"]["status"] == "upstream_failed"


def test_a_full_artifact_disk_is_a_clear_task_error(tmp_path):
    disk = tmp_path / "small-disk"
    disk.mkdir()
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(disk)], capture_output=True)
    assert mounted.returncode == 0, f"this test mounts a tiny tmpfs (needs root): {mounted.stderr!r}"
    try:
        project = Project(tmp_path / "project")
        cells = code_cells("import numpy as np\nbig = np.ones(1_000_000)", "total = big.sum()",
                           components=["make", "use"])
        project.service.create(project.notebook("d.ipynb", cells), name="d", options={"artifacts": str(disk)})
        status, tasks = run_now(project, "d")
        assert status == "error" and tasks["make"]["error_name"] == "ArtifactError"
        assert f"The artifact location {disk} is full" in tasks["make"]["error_value"]
        assert "'big' (numpy.ndarray)" in tasks["make"]["error_value"]
        assert [p.name for p in disk.iterdir()] == []  # the partial file is gone
    finally:
        subprocess.run(["umount", str(disk)], check=False)


def test_a_blocking_check_stops_its_task_as_in_jupyterlab(tmp_path):
    project = Project(tmp_path)
    check = {"id": "nulls-1", "check": "nulls", "when": "before", "args": ["raw"], "params": {"max_fraction": 0.0},
             "on_fail": "block"}
    cells = [("code", "import pandas as pd\nraw = pd.DataFrame({'delay': [1.0, None]})",
              {"plumbline": {"component": "load"}}),
             ("code", "clean = raw.dropna()", {"plumbline": {"component": "clean", "checks": [check], "part": "only"}})]
    project.service.create(project.notebook("c.ipynb", cells), name="c")
    status, tasks = run_now(project, "c")
    assert status == "error" and tasks["clean"]["error_name"] == "CheckBlocked"
    (result,) = project.rows("SELECT * FROM check_results")
    assert result["status"] == "fail" and result["on_fail"] == "block"


def test_reuse_skips_unchanged_tasks_and_reruns_what_changed(tmp_path):
    project = Project(tmp_path)
    (tmp_path / "data.csv").write_text("v\n1\n2\n")
    cells = [("code", "import pandas as pd\nscale = 10", {"tags": ["parameters"]}),
             *code_cells("raw = pd.read_csv('data.csv')", "scaled = raw * scale", "total = float(scaled['v'].sum())",
                         components=["load", "scale_it", "report"])]
    project.service.create(project.notebook("reuse.ipynb", cells), name="reuse", options={"reuse": True})
    first = run_now(project, "reuse")
    assert first[0] == "ok" and {r["status"] for r in first[1].values()} == {"ok"}
    second = run_now(project, "reuse")
    assert {t: r["status"] for t, r in second[1].items()} == {"load": "reused", "scale_it": "reused", "report": "reused"}
    assert second[1]["load"]["reused_from"] == first[1]["load"]["id"]
    assert project.rows("SELECT count(*) AS n FROM runs WHERE task_run_id = ?", (second[1]["load"]["id"],))[0]["n"] == 0
    third = run_now(project, "reuse", {"scale": 3})  # a parameter 'scale_it' reads
    assert {t: r["status"] for t, r in third[1].items()} == {"load": "reused", "scale_it": "ok", "report": "ok"}
    (tmp_path / "data.csv").write_text("v\n5\n")  # the file 'load' read changed
    fourth = run_now(project, "reuse", {"scale": 3})
    assert fourth[1]["load"]["status"] == "ok" and fourth[1]["report"]["status"] == "ok"


def test_environment_differences_from_the_promotion_are_reported(tmp_path):
    project = Project(tmp_path)
    cells = code_cells("import numpy as np\nvalue = float(np.ones(2).sum())", components=["only"])
    project.service.create(project.notebook("e.ipynb", cells), name="e")
    spec_file = tmp_path / "pipelines" / "e" / "pipeline.json"
    spec = json.loads(spec_file.read_text())
    real = spec["environment"]["packages"]["numpy"]
    spec["environment"]["packages"]["numpy"] = "0.0.1"
    spec_file.write_text(json.dumps(spec))
    status, tasks = run_now(project, "e")
    assert status == "ok"
    assert tasks["only"]["environment_diff"] == {"packages": {"numpy": ["0.0.1", real]}}
    (run,) = project.rows("SELECT environment_diff FROM pipeline_runs")
    assert json.loads(run["environment_diff"])["packages"]["numpy"] == ["0.0.1", real]


def test_a_run_cut_off_by_a_crash_resumes_without_rerunning_finished_tasks(tmp_path):
    from plumbline.pipelines.scheduler import PipelineScheduler

    project = Project(tmp_path)
    go = tmp_path / "go"
    cells = code_cells("first = 1", f"import time, pathlib\nwhile not pathlib.Path({str(go)!r}).exists():\n"
                       "    time.sleep(0.1)\nsecond = first + 1", "third = second + 1",
                       components=["quick", "waits", "last"])
    project.service.create(project.notebook("crash.ipynb", cells), name="crash")
    runner = subprocess.Popen([sys.executable, "-m", "plumbline", "pipelines", "run", "crash"], cwd=tmp_path,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        rows = {r["task"]: r for r in project.rows("SELECT * FROM task_runs")}
        if rows.get("waits", {}).get("status") == "running" and rows["waits"]["pid"]:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"the task never started: {runner.communicate(timeout=10)}")
    orphan = rows["waits"]["pid"]
    runner.send_signal(signal.SIGKILL)  # the runner dies mid-run; its task process is left behind
    runner.wait(10)
    assert project.rows("SELECT status FROM pipeline_runs")[0]["status"] == "running"
    go.write_text("go")
    scheduler = PipelineScheduler(project.store, tmp_path)
    try:
        scheduler.tick()  # takes the lease, finds the run without a living owner, resumes it
        deadline = time.monotonic() + 120
        while scheduler.active_runs and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        scheduler.stop()
    (run,) = project.rows("SELECT * FROM pipeline_runs")
    assert run["status"] == "ok"
    tasks = {r["task"]: r for r in project.rows("SELECT * FROM task_runs")}
    assert {t: r["status"] for t, r in tasks.items()} == {"quick": "ok", "waits": "ok", "last": "ok"}
    quick_runs = project.rows("SELECT * FROM runs WHERE task_run_id = ? AND component_name = 'quick'",
                              (tasks["quick"]["id"],))
    assert len(quick_runs) == 1  # the finished task did not run again
    assert tasks["waits"]["attempts"] == 1  # the cut-off attempt did not use up a try
    assert not os.path.exists(f"/proc/{orphan}") or processes_with(str(go)) == []


def test_a_store_locked_for_a_while_delays_a_run_and_loses_nothing(tmp_path):
    project = Project(tmp_path)
    cells = code_cells("a = 1", "b = a + 1", components=["one", "two"])
    project.service.create(project.notebook("l.ipynb", cells), name="l")
    holder = sqlite3.connect(project.store_path, timeout=30, check_same_thread=False)
    holder.execute("BEGIN IMMEDIATE")
    released = threading.Timer(1.5, holder.commit)
    released.start()
    result = project.cli("pipelines", "run", "l")
    released.join()
    holder.close()
    assert result.returncode == 0, result.stdout + result.stderr
    assert {r["status"] for r in project.rows("SELECT status FROM task_runs")} == {"ok"}


def test_artifacts_at_an_fsspec_url_round_trip(tmp_path):
    import numpy as np

    memory = Location("memory://plumbline-test")
    ref = memory.save("arr", np.arange(5), "h" * 32)
    assert ref.uri == f"memory://plumbline-test/hh/{'h' * 32}.npy" and ref.format == "npy"
    assert memory.load("arr", ref).tolist() == [0, 1, 2, 3, 4]
    assert memory.save("arr", np.arange(5), "h" * 32).uri == ref.uri  # content-addressed: stored once
    with pytest.raises(ArtifactError, match=r"'gen' \(generator\) cannot cross"):
        memory.save("gen", (i for i in range(3)))
