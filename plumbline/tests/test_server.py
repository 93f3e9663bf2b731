"""The server extension's REST API on a real Jupyter server."""

from __future__ import annotations

import json
import sqlite3
import time
import warnings

import pytest
from tornado.httpclient import HTTPClientError

from plumbline.store import KernelSession, RunStart

from .storerows import query

def json_headers() -> dict:
    return {"Content-Type": "application/json"}  # a new dict: jp_fetch adds its token to it




def server_store(jp_serverapp):
    return jp_serverapp.web_app.settings["plumbline"]["store"]


async def test_config_reports_the_store(jp_fetch, tmp_path):
    response = await jp_fetch("plumbline", "config")
    body = json.loads(response.body)
    assert body["db_path"] == str(tmp_path / "server-store" / "lineage.db")
    assert body["problem"] is None and body["schema_version"] >= 1


async def test_kernels_inherit_the_store_path(jp_fetch, tmp_path):
    import os

    await jp_fetch("plumbline", "config")
    assert os.environ["PLUMBLINE_DB"] == str(tmp_path / "server-store" / "lineage.db")


async def test_snapshot_then_changes(jp_fetch, jp_serverapp, tmp_path):
    store = server_store(jp_serverapp)
    store.register_session(KernelSession(id="s", hostname="h", pid=1, started_at=time.time()))
    store.start_run(RunStart(id="r1", kernel_session="s", code="a = 1", started_at=time.time()))

    response = await jp_fetch("plumbline", "snapshot")
    assert response.headers["Content-Type"] == "application/vnd.sqlite3"
    seq = int(response.headers["X-Plumbline-Seq"])
    copy = tmp_path / "snap.db"
    copy.write_bytes(response.body)
    assert sqlite3.connect(copy).execute("SELECT id FROM runs").fetchall() == [("r1",)]

    store.start_run(RunStart(id="r2", kernel_session="s", code="b = 2", started_at=time.time()))
    page = json.loads((await jp_fetch("plumbline", "changes", params={"since": seq})).body)
    runs = page["tables"]["runs"]
    assert [row[runs["columns"].index("id")] for row in runs["rows"]] == ["r2"]
    assert page["more"] is False and page["seq"] > seq


async def test_changes_rejects_bad_arguments(jp_fetch):
    for params in ({"since": "x"}, {"since": -1}, {"since": 0, "limit": 0}):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("plumbline", "changes", params=params)
        assert info.value.code == 400


async def test_notes_write_and_validate(jp_fetch, jp_serverapp):
    store = server_store(jp_serverapp)
    store.register_session(KernelSession(id="s", hostname="h", pid=1, started_at=time.time()))
    run_id = "0b8f4a2e-1c1d-4f0e-9a51-2f1a0f4f9d11"
    store.start_run(RunStart(id=run_id, kernel_session="s", code="a = 1", started_at=time.time()))
    await jp_fetch("plumbline", "runs", run_id, "notes", method="PUT", headers=json_headers(), body=json.dumps({"text": "<b>hm</b>"}))
    assert store.run(run_id)["notes"] == "<b>hm</b>"  # stored as text; the UI renders it as text
    for body, code in (({"text": 3}, 400), ({"text": "x" * 10_001}, 400)):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("plumbline", "runs", run_id, "notes", method="PUT", headers=json_headers(), body=json.dumps(body))
        assert info.value.code == code
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("plumbline", "runs", "0000", "notes", method="PUT", headers=json_headers(), body=json.dumps({"text": "x"}))
    assert info.value.code == 404


def test_every_handler_requires_authentication():
    from jupyter_server.serverapp import ServerApp
    from jupyter_server.utils import JupyterServerAuthWarning

    app = ServerApp(
        allow_unauthenticated_access=False,
        jpserver_extensions={"plumbline": True},
        reraise_server_extension_failures=True,
    )
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        app.initialize(argv=[], find_extensions=False, new_httpserver=False)
    problems = [str(r.message) for r in records if issubclass(r.category, JupyterServerAuthWarning)]
    assert problems == []
    assert "plumbline" in app.web_app.settings  # the extension did register its routes


async def test_unusable_store_answers_503_with_the_reason(jp_serverapp, jp_fetch):
    jp_serverapp.web_app.settings["plumbline"].update(store=None, problem="The lineage store X is broken. Move it aside.")
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("plumbline", "snapshot")
    assert info.value.code == 503
    body = json.loads((await jp_fetch("plumbline", "config")).body)
    assert "Move it aside" in body["problem"]


async def test_check_catalog_describes_the_builtins(jp_fetch):
    checks = json.loads((await jp_fetch("plumbline", "checks", "catalog")).body)["checks"]
    names = {c["name"] for c in checks}
    assert {"schema", "nulls", "ranges", "categories", "outliers", "duplicates", "row_count", "freshness",
            "time_leakage", "class_balance", "metric_gap", "feature_importance"} <= names
    nulls = next(c for c in checks if c["name"] == "nulls")
    assert nulls["params"]["properties"]["max_fraction"]["default"] == 0.0


async def test_flags_set_clear_and_validate(jp_fetch, jp_serverapp):
    from plumbline.store import IORecord, io_id

    store = server_store(jp_serverapp)
    store.register_session(KernelSession(id="s", hostname="h", pid=1, started_at=time.time()))
    store.start_run(RunStart(id="r1", kernel_session="s", code="y = x + 1", started_at=time.time()))
    now = time.time()
    store.record_io([
        IORecord(run_id="r1", direction="input", kind="variable", name="x", how="read", created_at=now),
        IORecord(run_id="r1", direction="output", kind="variable", name="y", how="assigned", created_at=now),
    ])
    output = io_id("r1", "output", "variable", "y")

    async def put(body):
        return await jp_fetch("plumbline", "flags", method="PUT", headers=json_headers(), body=json.dumps(body))

    await put({"io_id": output, "flagged": True, "note": "<i>off by one</i>"})
    flag = store._read("SELECT * FROM flags WHERE io_id = ?", (output,))[0]
    assert flag["note"] == "<i>off by one</i>" and flag["cleared_at"] is None
    await put({"io_id": output, "flagged": False})
    assert store._read("SELECT cleared_at FROM flags WHERE io_id = ?", (output,))[0]["cleared_at"] is not None

    for body, code in (
        ({"io_id": output}, 400),  # no verdict
        ({"io_id": output, "flagged": True, "note": 5}, 400),
        ({"io_id": io_id("r1", "input", "variable", "x"), "flagged": True}, 400),  # inputs are not flagged
        ({"io_id": "r1/out/var/nope", "flagged": True}, 404),
    ):
        with pytest.raises(HTTPClientError) as info:
            await put(body)
        assert info.value.code == code, body


async def test_renaming_a_notebook_or_folder_carries_its_history(jp_fetch, jp_serverapp, jp_root_dir):
    import asyncio

    import nbformat

    store = server_store(jp_serverapp)
    store.register_session(KernelSession(id="s", hostname="h", pid=1, started_at=time.time()))
    (jp_root_dir / "work").mkdir()
    nbformat.write(nbformat.v4.new_notebook(), jp_root_dir / "work" / "nb.ipynb")
    store.start_run(RunStart(id="r1", kernel_session="s", code="a = 1", started_at=time.time(),
                             notebook_path="work/nb.ipynb", component_name="load"))

    async def paths_become(expected):
        for _ in range(100):  # the listener runs after the rename's reply
            if {r["notebook_path"] for r in query(store.path, "SELECT notebook_path FROM runs")} == expected:
                return True
            await asyncio.sleep(0.05)
        return False

    # Through the same REST call the file browser and the rename dialog make.
    await jp_fetch("api", "contents", "work", "nb.ipynb", method="PATCH",
                   body=json.dumps({"path": "work/renamed.ipynb"}))
    assert await paths_become({"work/renamed.ipynb"})
    await jp_fetch("api", "contents", "work", method="PATCH", body=json.dumps({"path": "archive"}))
    assert await paths_become({"archive/renamed.ipynb"})
    assert [tuple(r) for r in store._read("SELECT notebook_path, name FROM components")] == [
        ("archive/renamed.ipynb", "load")
    ]


# --- drift (profiles stored by the kernel's monitor) ----------------------------------------------


@pytest.fixture
def drift_runs(jp_serverapp, tmp_path):
    """Three runs of a component in the server's own store, the last one drifted."""
    from .fixture_drift import build_store

    store = server_store(jp_serverapp)
    built, runs = build_store(tmp_path / "server-store")
    built.close()
    assert store.profiles_of_run(runs[0])  # the same file
    return runs


async def test_drift_endpoint_builds_the_panel_from_stored_profiles(jp_fetch, drift_runs):
    first, second, third = drift_runs
    body = json.loads((await jp_fetch("plumbline", "drift", params={"run": third, "name": "clean"})).body)
    assert body["version"] == 1 and body["summary"]["status"] == "drift"
    assert body["reference"]["run_id"] == first  # the verdict's reference: the first run (default policy)
    delay = next(c for c in body["columns"] if c["name"] == "delay")
    assert delay["status"] == "drift"
    assert [h["run_id"] for h in delay["history"]] == [second, third]  # verdicts over the component's runs
    assert body["summary"]["multivariate"]["available"]  # recorded with the run
    other = json.loads((await jp_fetch("plumbline", "drift",
                                       params={"run": second[:8], "name": "clean", "reference": first})).body)
    assert other["summary"]["status"] == "ok" and other["current"]["run_id"] == second


async def test_drift_endpoint_says_why_it_cannot_answer(jp_fetch, drift_runs):
    first = drift_runs[0]
    for params, code, text in (
        ({"run": first, "name": "clean"}, 404, "no reference"),
        ({"run": first, "name": "nothing"}, 404, "no profile"),
        ({"run": "ffffffff", "name": "clean"}, 404, "no run"),
        ({"run": first}, 400, "'name' is required"),
        ({"run": "../../etc", "name": "clean"}, 400, "not valid"),
        ({"run": first, "name": "clean", "reference": "x y"}, 400, "not valid"),
    ):
        with pytest.raises(HTTPClientError) as info:
            await jp_fetch("plumbline", "drift", params=params)
        assert info.value.code == code
        assert text in json.loads(info.value.response.body)["message"], (params, info.value.response.body)


async def test_profiles_endpoint_lists_a_runs_profiles_with_their_verdicts(jp_fetch, drift_runs):
    body = json.loads((await jp_fetch("plumbline", "profiles", params={"run": drift_runs[2]})).body)
    (one,) = body["profiles"]
    assert (one["name"], one["rows"], one["columns"]) == ("clean", 3000, 2)
    assert one["verdict"]["status"] == "drift" and one["verdict"]["worst_column"] == "delay"
    with pytest.raises(HTTPClientError) as info:
        await jp_fetch("plumbline", "profiles", params={"run": "0b8f4a2e-0000-4f0e-9a51-2f1a0f4f9d11"})
    assert info.value.code == 404
