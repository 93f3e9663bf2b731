"""The pipelines REST API on a real Jupyter server, and a server restarted in the middle of a run."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import nbformat
import pytest
from tornado.httpclient import HTTPClientError

from .pipeline_project import FLIGHTS_CELLS, code_cells, write_notebook
from .storerows import query


@pytest.fixture
def jp_server_config(jp_server_config):
    return {**jp_server_config, "PipelineScheduler": {"enabled": True, "lease_seconds": 6.0}}


def headers():
    return {"Content-Type": "application/json"}


async def call(jp_fetch, method, *path, body=None, params=None, expect=200):
    kwargs = {"method": method, "raise_error": False}
    if body is not None:
        kwargs.update(body=json.dumps(body), headers=headers())
    if params:
        kwargs["params"] = params
    response = await jp_fetch("plumbline", *path, **kwargs)
    payload = json.loads(response.body or b"{}")
    assert response.code == expect, (response.code, payload)
    return payload


async def wait_for(predicate, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        await asyncio.sleep(0.25)
    pytest.fail("timed out waiting")


async def test_promote_run_and_manage_a_pipeline_through_the_rest_api(jp_fetch, jp_root_dir, jp_serverapp):
    write_notebook(jp_root_dir / "flights.ipynb", FLIGHTS_CELLS)
    db = jp_serverapp.web_app.settings["plumbline"]["db_path"]
    body = {"notebook": "flights.ipynb", "name": "weekly", "schedule": {"cron": "0 6 * * 1", "timezone": "Europe/Berlin"},
            "options": {"retries": 1, "retry_delay_seconds": 1}}
    preview = await call(jp_fetch, "POST", "promote", "preview", body=body)
    assert preview["ok"] and [t["name"] for t in preview["dag"]["tasks"]] == ["load", "clean", "features", "train",
                                                                               "predict"]
    assert len(preview["schedule"]["next"]) == 5 and preview["schedule"]["description"]
    assert not (jp_root_dir / "pipelines").exists()  # a preview writes nothing
    bad = await call(jp_fetch, "POST", "promote", "preview",
                     body={**body, "schedule": {"cron": "61 * * * *", "timezone": "Mars/Olympus"}})
    assert not bad["ok"] and {"invalid_cron", "invalid_timezone"} <= {p["code"] for p in bad["problems"]}

    created = await call(jp_fetch, "POST", "pipelines", body=body, expect=201)
    assert created["pipeline"]["name"] == "weekly" and (jp_root_dir / "pipelines" / "weekly" / "pipeline.json").is_file()
    again = await call(jp_fetch, "POST", "pipelines", body=body, expect=409)
    assert "exists" in again["message"] and again["problems"]
    refused = await call(jp_fetch, "POST", "pipelines", body={**body, "name": "x/../y"}, expect=400)
    assert any(p["code"] == "invalid_name" for p in refused["problems"])
    outside = await call(jp_fetch, "POST", "pipelines", body={**body, "name": "other", "notebook": "../x.ipynb"},
                         expect=403)
    assert "outside the project" in outside["message"]

    listed = await call(jp_fetch, "GET", "pipelines")
    assert [p["name"] for p in listed["pipelines"]] == ["weekly"]
    fires = await call(jp_fetch, "GET", "schedules", "preview", params={"cron": "0 6 * * 1", "timezone": "Europe/Berlin"})
    assert fires["valid"] and len(fires["next"]) == 5
    invalid = await call(jp_fetch, "GET", "schedules", "preview", params={"cron": "0 6 * *", "timezone": "UTC"})
    assert not invalid["valid"] and "five" in invalid["error"]

    await call(jp_fetch, "PUT", "pipelines", "weekly", "schedule", body={"cron": "61 * * * *"}, expect=400)
    edited = await call(jp_fetch, "PUT", "pipelines", "weekly", "schedule", body={"cron": "30 7 * * 1-5"})
    assert edited["cron"] == "30 7 * * 1-5" and edited["next_fire_at"]
    paused = await call(jp_fetch, "PUT", "pipelines", "weekly", "paused", body={"paused": True})
    assert paused["paused"] and paused["next_fire_at"] is None
    await call(jp_fetch, "PUT", "pipelines", "weekly", "paused", body={"paused": False})

    await call(jp_fetch, "POST", "pipelines", "weekly", "runs", body={"params": {"rows": "many"}}, expect=400)
    started = await call(jp_fetch, "POST", "pipelines", "weekly", "runs", body={"params": {"rows": 300}}, expect=202)
    run_id = started["run"]["id"]

    def finished():
        rows = query(db, "SELECT status FROM pipeline_runs WHERE id = ?", (run_id,))
        return rows and rows[0]["status"] in ("ok", "error") and rows[0]["status"]

    assert await wait_for(finished) == "ok"
    shown = await call(jp_fetch, "GET", "pipelines", "weekly")
    assert shown["runs"][0]["id"] == run_id and {t["status"] for t in shown["runs"][0]["tasks"]} == {"ok"}
    log = await call(jp_fetch, "GET", "pipelines", "weekly", "runs", run_id, "tasks", "clean", "log")
    assert "== cell 6 (id c06)" in log["text"] and log["complete"]
    await call(jp_fetch, "GET", "pipelines", "weekly", "runs", run_id, "tasks", "nope", "log", expect=404)

    # out of date: edit a promoted cell, see the diff, update
    nb = nbformat.read(jp_root_dir / "flights.ipynb", as_version=4)
    nb.cells[5].source = nb.cells[5].source.replace("-30", "-45")
    nbformat.write(nb, jp_root_dir / "flights.ipynb")
    diff = await call(jp_fetch, "GET", "pipelines", "weekly", "diff")
    assert diff["out_of_date"] and diff["tasks"][0]["task"] == "clean"
    change = diff["tasks"][0]["changes"][0]
    assert "-30" in change["pipeline_code"] and "-45" in change["notebook_code"]
    # the browser asks about the notebook as it is in the editor: unsaved edits count, the file does not
    edited = nbformat.read(jp_root_dir / "flights.ipynb", as_version=4)
    edited.cells[6].source += "\n# edited, not saved"
    unsaved = await call(jp_fetch, "POST", "pipelines", "weekly", "diff", body={"content": edited})
    assert {t["task"] for t in unsaved["tasks"]} == {"clean"} and len(unsaved["tasks"][0]["changes"]) == 2
    assert "# edited, not saved" in unsaved["tasks"][0]["changes"][1]["notebook_code"]
    await call(jp_fetch, "POST", "pipelines", "weekly", "diff", body={"content": {"cells": 3}}, expect=400)
    updated = await call(jp_fetch, "POST", "pipelines", "weekly", "update", body={})
    assert updated["changed_tasks"] == ["clean"]
    assert not (await call(jp_fetch, "GET", "pipelines", "weekly", "diff"))["out_of_date"]

    backfill = await call(jp_fetch, "POST", "pipelines", "weekly", "backfill",
                          body={"start": "2026-11-02", "end": "2026-11-06T23:59"}, expect=202)
    assert backfill["slots"] == 5 and len(backfill["created"]) == 5
    await call(jp_fetch, "POST", "pipelines", "weekly", "backfill", body={"start": "2026-11-06", "end": "2026-11-02"},
               expect=400)
    await call(jp_fetch, "PUT", "pipelines", "weekly", "paused", body={"paused": True})
    await wait_for(lambda: not query(db, "SELECT 1 FROM pipeline_runs WHERE status IN ('queued', 'running')"), 300)

    deleted = await call(jp_fetch, "DELETE", "pipelines", "weekly")
    assert deleted["deleted"] and not (jp_root_dir / "pipelines" / "weekly").exists()
    await call(jp_fetch, "GET", "pipelines", "weekly", expect=404)
    assert query(db, "SELECT count(*) AS n FROM task_runs")[0]["n"] >= 5  # runs and lineage are kept
    assert query(db, "SELECT count(*) AS n FROM runs WHERE task_run_id IS NOT NULL")[0]["n"] > 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _server(root: Path, db: Path, port: int, log: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "jupyter_server", f"--port={port}", "--ip=127.0.0.1", "--no-browser",
         f"--ServerApp.root_dir={root}", "--IdentityProvider.token=t0k3n", f"--Plumbline.db_path={db}",
         "--PipelineScheduler.lease_seconds=6", "--allow-root"],
        stdout=open(log, "ab"), stderr=subprocess.STDOUT, start_new_session=True,
        env={**os.environ, "PLUMBLINE_DB": str(db)})


def _up(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/plumbline/config?token=t0k3n", timeout=2)
            return
        except OSError:
            time.sleep(0.3)
    raise AssertionError("the server did not start")


def test_restarting_the_server_mid_run_neither_loses_nor_duplicates_a_slot(tmp_path):
    root = tmp_path / "project"
    db = root / ".plumbline" / "lineage.db"
    db.parent.mkdir(parents=True)
    go = tmp_path / "go"
    cells = code_cells("first = 1", f"import time, pathlib\nwhile not pathlib.Path({str(go)!r}).exists():\n"
                       "    time.sleep(0.1)\nsecond = first + 1", components=["quick", "waits"])
    write_notebook(root / "slots.ipynb", cells)
    created = subprocess.run([sys.executable, "-m", "plumbline", "pipelines", "create", "slots", "--notebook",
                              "slots.ipynb", "--schedule", "*/10 * * * * *", "--catchup", "all", "--catchup-limit",
                              "100"], cwd=root, capture_output=True, text=True, timeout=300)
    assert created.returncode == 0, created.stderr
    log = tmp_path / "server.log"
    port = _free_port()
    server = _server(root, db, port, log)
    try:
        _up(port)

        def first_run_waiting():
            rows = query(db, "SELECT t.*, r.slot FROM task_runs t JOIN pipeline_runs r ON r.id = t.pipeline_run_id "
                             "WHERE t.task = 'waits' AND t.status = 'running' AND t.pid IS NOT NULL")
            return rows[0] if rows else None

        deadline = time.monotonic() + 90
        while not first_run_waiting() and time.monotonic() < deadline:
            time.sleep(0.3)
        waiting = first_run_waiting()
        assert waiting, log.read_text()[-3000:]
        os.killpg(server.pid, signal.SIGKILL)  # a crash: no shutdown hooks run
        server.wait(10)
        time.sleep(3)  # the lease (6 s) is still valid: the next server takes it because its holder is gone
        server = _server(root, db, port, log)
        _up(port)
        go.write_text("go")
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            run = query(db, "SELECT status FROM pipeline_runs WHERE slot = ?", (waiting["slot"],))[0]
            if run["status"] == "ok":
                break
            time.sleep(0.3)
        assert run["status"] == "ok", log.read_text()[-3000:]
        # A slot after the one cut off: the restarted scheduler goes on firing (on a fast machine all of the
        # above fits in one 10 s slot, so wait for the next one rather than assume it came).
        deadline = time.monotonic() + 120
        while not query(db, "SELECT 1 FROM pipeline_runs WHERE slot > ? AND status = 'ok'", (waiting["slot"],)) and \
                time.monotonic() < deadline:
            time.sleep(0.3)
        subprocess.run([sys.executable, "-m", "plumbline", "pipelines", "pause", "slots"], cwd=root, check=True,
                       capture_output=True, timeout=120)
        deadline = time.monotonic() + 120
        while query(db, "SELECT 1 FROM pipeline_runs WHERE status IN ('queued', 'running')") and \
                time.monotonic() < deadline:
            time.sleep(0.3)
    finally:
        try:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            os.killpg(server.pid, signal.SIGKILL)
    runs = query(db, "SELECT * FROM pipeline_runs ORDER BY slot")
    slots = [r["slot"] for r in runs]
    assert len(slots) == len(set(slots)) >= 2
    assert all(b - a == 10 for a, b in zip(slots, slots[1:]))  # every slot, once: none lost over the restart
    assert {r["status"] for r in runs} == {"ok"}
    resumed = next(r for r in runs if r["slot"] == waiting["slot"])
    tasks = {t["task"]: t for t in query(db, "SELECT * FROM task_runs WHERE pipeline_run_id = ?", (resumed["id"],))}
    quick_cells = query(db, "SELECT * FROM runs WHERE task_run_id = ? AND component_name = 'quick'",
                        (tasks["quick"]["id"],))
    assert len(quick_cells) == 1  # the task that had finished before the crash did not run again


async def test_a_pipelines_folder_outside_the_server_root_is_refused(jp_configurable_serverapp, jp_server_config,
                                                                   jp_root_dir, tmp_path):
    config = {**jp_server_config, "Plumbline": {**jp_server_config["Plumbline"], "pipelines_dir": "../elsewhere"}}
    from traitlets.config import Config

    app = jp_configurable_serverapp(config=Config(config))
    settings = app.web_app.settings["plumbline"]
    assert settings["pipelines"] is None and "outside the project folder" in settings["pipelines_problem"]
    assert settings["scheduler"] is None
