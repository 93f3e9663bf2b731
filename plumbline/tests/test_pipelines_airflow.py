"""The Airflow export against a real Apache Airflow, in its own virtualenv (it cannot share JupyterLab's).

The virtualenv is cached under ``~/.cache/plumbline/`` (``$PLUMBLINE_CACHE``), one per version, and
is trusted only once complete: a ``.plumbline-ok`` marker is written after the install succeeded and
``airflow version`` answered; a half-built venv (an interrupted install) lacks it and is rebuilt. A
file lock keeps two test runs from building it at once. No constraint files can be downloaded here,
so the version is pinned to one that resolves without them (toolchain notes).
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

import pytest

from .pipeline_project import Project, code_cells

#: Both families the DAG file is meant for: 3.x, and 2.10+ (one file, unchanged).
AIRFLOW_VERSIONS = [v for v in os.environ.get("PLUMBLINE_AIRFLOW_VERSIONS", "3.3.2,2.10.5").split(",") if v]
CACHE = Path(os.environ.get("PLUMBLINE_CACHE", Path.home() / ".cache" / "plumbline"))


def airflow_venv(version: str) -> Path:
    venv = CACHE / f"airflow-{version}-py{sys.version_info.major}{sys.version_info.minor}"
    marker = venv / ".plumbline-ok"
    CACHE.mkdir(parents=True, exist_ok=True)
    with open(CACHE / f".airflow-{version}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test run may be building it
        if marker.is_file() and _works(venv):
            return venv
        shutil.rmtree(venv, ignore_errors=True)  # half-built or broken: start over
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
        install = subprocess.run([str(venv / "bin" / "pip"), "install", "-q", "--disable-pip-version-check",
                                  f"apache-airflow=={version}"], capture_output=True, text=True, timeout=1800)
        assert install.returncode == 0, f"pip install apache-airflow=={version} failed:\n{install.stderr[-4000:]}"
        assert _works(venv), "Airflow installed but `airflow version` does not answer"
        marker.write_text(version)
        return venv


def _works(venv: Path) -> bool:
    try:
        done = subprocess.run([str(venv / "bin" / "airflow"), "version"], capture_output=True, text=True,
                              timeout=300, env=_airflow_env(venv.parent / ".probe-home"))
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _airflow_env(home: Path, dags: Path | None = None) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AIRFLOW", "PLUMBLINE_DB", "VIRTUAL_ENV"))}
    env.update(AIRFLOW_HOME=str(home), AIRFLOW__CORE__LOAD_EXAMPLES="False", AIRFLOW__CORE__UNIT_TEST_MODE="False",
               AIRFLOW__LOGGING__LOGGING_LEVEL="WARNING", PYTHONWARNINGS="ignore")
    if dags is not None:
        env["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags)
    return env


@pytest.mark.parametrize("version", AIRFLOW_VERSIONS)
def test_an_exported_dag_runs_on_airflow_and_its_runs_land_in_the_plumbline_store(tmp_path, version):
    venv = airflow_venv(version)
    project = Project(tmp_path / "project")
    cells = [("code", "import json\nscale = 2", {"tags": ["parameters"]}),
             *code_cells("base = [1, 2, 3]", "scaled = [v * scale for v in base]",
                         "window = [data_interval_start.isoformat(), data_interval_end.isoformat()]\n"
                         "open('window.json', 'w').write(json.dumps({'window': window, 'total': sum(scaled)}))",
                         components=["load", "scale_it", "report"])]
    project.service.create(project.notebook("af.ipynb", cells), name="weekly",
                           options={"cron": "0 6 * * 1", "timezone": "Europe/Berlin", "retries": 1,
                                    "retry_delay_seconds": 5, "timeout_seconds": 600, "max_active_runs": 2})
    dags = tmp_path / "dags"
    exported = project.cli("export", "airflow", "weekly", "--out", str(dags))
    assert exported.returncode == 0, exported.stderr
    dag_file = dags / "plumbline_weekly.py"
    text = dag_file.read_text()
    assert "CronTriggerTimetable('0 6 * * 1', timezone='Europe/Berlin', interval=timedelta(seconds=604800.0))" in text
    assert "@once" not in text and "max_active_runs=2" in text and "retries=1" in text

    home = tmp_path / "airflow-home"
    env = _airflow_env(home, dags)
    migrate = subprocess.run([str(venv / "bin" / "airflow"), "db", "migrate"], capture_output=True, text=True,
                             timeout=600, env=env)
    assert migrate.returncode == 0, migrate.stderr[-3000:]
    listed = subprocess.run([str(venv / "bin" / "airflow"), "dags", "list-import-errors"], capture_output=True,
                            text=True, timeout=600, env=env)
    assert "plumbline_weekly" not in listed.stdout, listed.stdout  # the file imports cleanly
    # a Monday 06:00 slot in Berlin: the data interval is the week before it, on both engines
    logical = "2026-11-30T05:00:00+00:00"
    test = subprocess.run([str(venv / "bin" / "airflow"), "dags", "test", "plumbline_weekly", logical],
                          capture_output=True, text=True, timeout=900, env=env)
    assert test.returncode == 0, (test.stdout[-4000:], test.stderr[-4000:])

    (run,) = project.rows("SELECT * FROM pipeline_runs")
    assert run["trigger"] == "airflow" and run["status"] == "ok" and run["external_id"]
    assert run["logical_date"] == datetime(2026, 11, 30, 5, tzinfo=timezone.utc).timestamp()
    tasks = {t["task"]: t for t in project.rows("SELECT * FROM task_runs WHERE pipeline_run_id = ?", (run["id"],))}
    assert {t: r["status"] for t, r in tasks.items()} == {"load": "ok", "scale_it": "ok", "report": "ok"}
    for t in tasks.values():  # each Airflow task recorded its cells, with lineage, as a task session
        assert project.rows("SELECT count(*) AS n FROM runs WHERE task_run_id = ?", (t["id"],))[0]["n"] >= 2
    linked = project.rows("SELECT io.source_run_id FROM run_io io JOIN runs r ON r.id = io.run_id WHERE "
                          "r.task_run_id = ? AND io.name = 'base' AND io.direction = 'input'", (tasks["scale_it"]["id"],))
    assert linked and project.rows("SELECT task_run_id FROM runs WHERE id = ?",
                                   (linked[0]["source_run_id"],))[0]["task_run_id"] == tasks["load"]["id"]
    facts = json.loads((project.root / "window.json").read_text())
    assert facts == {"window": ["2026-11-23T06:00:00+01:00", "2026-11-30T06:00:00+01:00"], "total": 12}
