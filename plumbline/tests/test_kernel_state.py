"""What a live kernel holds, per value dependencies, and a kernel shared by two notebooks (issue 9),
through real kernels and a real store."""

from __future__ import annotations

import json

import pytest

from .kernels import Kernel
from .storerows import query
from .test_lineage_kernel import component, db_of, io_of, run_cells, settle

SESSION_EXPRESSION = "__import__('plumbline.kernel', fromlist=['recorder']).recorder().session.id"

LOAD = "import pandas as pd\nflights = pd.DataFrame({'delay': [1.0, None, 3.0, 20.0], 'hour': [1, 2, 3, 4]})"
CLEAN = "flights.dropna(inplace=True)"
FEATURIZE = "FEATURES = ['hour']\nX = flights[FEATURES]\ny = flights['delay'] > 15"


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".plumbline").mkdir()
    return tmp_path


@pytest.fixture
def kernel(project):
    k = Kernel(env={"PLUMBLINE_DB": str(project / ".plumbline" / "lineage.db")}, cwd=str(project))
    k.load_plumbline("train.ipynb")
    yield k
    k.shutdown(now=True)


def session_of(kernel) -> str:
    """The recorder's session, as the front end reads it from the activation's user_expressions."""
    msg = kernel.client.session.msg("execute_request", {
        "code": "", "silent": True, "store_history": False, "allow_stdin": False,
        "user_expressions": {"plumbline": SESSION_EXPRESSION}})
    kernel.client.shell_channel.send(msg)
    reply = kernel.wait(msg["header"]["msg_id"]).reply
    expression = reply["user_expressions"]["plumbline"]
    assert expression["status"] == "ok", expression
    return json.loads(expression["data"]["text/plain"].replace("'", '"'))


def bindings(db, session) -> dict:
    return {r["name"]: r for r in query(db, "SELECT * FROM kernel_bindings WHERE kernel_session = ?", (session,))}


def output_id(db, cell, name):
    return io_of(db, cell)[("output", "variable", name)]["id"]


def test_each_output_depends_on_what_its_own_assignment_read(kernel, project):
    run_cells(kernel, [
        ("load", LOAD, component("load")),
        ("featurize", FEATURIZE + "\nflights.to_parquet('features.parquet')", component("featurize")),
        ("report", "features = pd.read_parquet('features.parquet')\nlabel = 'delay'\nn = len(features)",
         component("report")),
    ])
    db = db_of(project)
    feat = io_of(db, "featurize")
    flights_in = feat[("input", "variable", "flights")]["id"]
    # The constant depends on nothing although its cell read flights; X and y on flights only.
    assert json.loads(feat[("output", "variable", "FEATURES")]["depends_on"]) == []
    assert json.loads(feat[("output", "variable", "X")]["depends_on"]) == [flights_in]
    assert json.loads(feat[("output", "variable", "y")]["depends_on"]) == [flights_in]
    assert feat[("output", "file", "features.parquet")]["depends_on"] is None  # a file: not known
    report = io_of(db, "report")
    file_in = report[("input", "file", "features.parquet")]["id"]
    # Values that passed through a call may come from the file the cell read; a literal did not.
    assert json.loads(report[("output", "variable", "features")]["depends_on"]) == [file_in]
    assert json.loads(report[("output", "variable", "n")]["depends_on"]) == [file_in]
    assert json.loads(report[("output", "variable", "label")]["depends_on"]) == []


def test_bindings_say_which_version_each_name_holds(kernel, project):
    db = db_of(project)
    session = session_of(kernel)
    run_cells(kernel, [("load", LOAD, component("load")), ("clean", CLEAN, component("clean")),
                       ("featurize", FEATURIZE, component("featurize"))])
    held = bindings(db, session)
    # clean mutated flights in place: the kernel holds clean's version, not load's.
    assert held["flights"]["io_id"] == output_id(db, "clean", "flights")
    assert held["flights"]["changed_by"] == io_of(db, "clean")[("output", "variable", "flights")]["run_id"]
    assert held["X"]["io_id"] == output_id(db, "featurize", "X")
    assert not held["flights"]["deleted"]

    # Re-running load re-creates flights (same content as load's first version): the kernel now
    # holds load's new version, which does not descend from clean's.
    run_cells(kernel, [("load", LOAD, component("load"))])
    load_runs = query(db, "SELECT id FROM runs WHERE cell_id = 'load' ORDER BY started_at")
    assert len(load_runs) == 2
    held = bindings(db, session)
    assert held["flights"]["io_id"] == f"{load_runs[1]['id']}/out/var/flights"
    versions = query(db, "SELECT value_hash FROM run_io WHERE run_id IN (?, ?) AND direction = 'output' "
                         "AND name = 'flights'", (load_runs[0]["id"], load_runs[1]["id"]))
    assert len({v["value_hash"] for v in versions}) == 1  # by content nothing changed

    # A deleted name holds nothing; a name rebound by an unrecorded (silent) execute holds no
    # recorded version once a cell reads it.
    run_cells(kernel, [("drop", "del X", None)])
    assert bindings(db, session)["X"]["deleted"] == 1 and bindings(db, session)["X"]["io_id"] is None
    assert kernel.execute("y = 'from a widget callback'", silent=True).status == "ok"
    run_cells(kernel, [("peek", "y.upper()", None)])
    assert bindings(db, session)["y"]["io_id"] is None and not bindings(db, session)["y"]["deleted"]


def test_a_restarted_kernel_is_a_new_session_that_holds_nothing(kernel, project):
    db = db_of(project)
    run_cells(kernel, [("load", LOAD, component("load")), ("clean", CLEAN, component("clean"))])
    before = session_of(kernel)
    kernel.manager.restart_kernel(now=True)
    kernel.client.wait_for_ready(timeout=60)
    kernel.load_plumbline("train.ipynb")
    after = session_of(kernel)
    assert after != before
    assert bindings(db, after) == {}
    run_cells(kernel, [("load", LOAD, component("load"))])
    held = bindings(db, after)
    assert set(held) == {"flights"}
    (latest_load,) = query(db, "SELECT id, kernel_session FROM runs WHERE cell_id = 'load' "
                               "ORDER BY started_at DESC LIMIT 1")
    assert latest_load["kernel_session"] == after
    assert held["flights"]["io_id"] == f"{latest_load['id']}/out/var/flights"
    # clean's latest run is of the session before the restart: this kernel does not hold its output.
    (clean,) = query(db, "SELECT kernel_session FROM runs WHERE cell_id = 'clean'")
    assert clean["kernel_session"] == before


def send_as(kernel, client: str, code: str, cell_id: str):
    """An execute request from another front-end connection to the same kernel (its own session id)."""
    msg = kernel.client.session.msg("execute_request", {
        "code": code, "silent": False, "store_history": True, "user_expressions": {}, "allow_stdin": False,
        "stop_on_error": False}, metadata={"cellId": cell_id})
    msg["header"]["session"] = client
    kernel.client.shell_channel.send(msg)
    return kernel.wait(msg["header"]["msg_id"])


def activate_as(kernel, client: str, path: str):
    code = ("__import__('plumbline.kernel', fromlist=['activate'])"
            f".activate(notebook_path={path!r}, client={client!r})")
    msg = kernel.client.session.msg("execute_request", {
        "code": code, "silent": True, "store_history": False, "user_expressions": {}, "allow_stdin": False})
    msg["header"]["session"] = client
    kernel.client.shell_channel.send(msg)
    assert kernel.wait(msg["header"]["msg_id"]).status == "ok"


def test_a_kernel_shared_by_two_notebooks_records_each_cell_under_the_notebook_that_sent_it(project):
    k = Kernel(env={"PLUMBLINE_DB": str(project / ".plumbline" / "lineage.db")}, cwd=str(project))
    try:
        activate_as(k, "client-a", "a.ipynb")
        assert send_as(k, "client-a", "x = 1", "cell-a1").status == "ok"
        # The second notebook uses the first one's kernel ("use kernel from other session").
        activate_as(k, "client-b", "b.ipynb")
        assert send_as(k, "client-b", "y = x + 1", "cell-b1").status == "ok"
        assert send_as(k, "client-a", "z = y * 2", "cell-a2").status == "ok"
        # A rename of a.ipynb: its connection says the new path.
        activate_as(k, "client-a", "renamed.ipynb")
        assert send_as(k, "client-a", "w = z", "cell-a3").status == "ok"
        # A client that never said which notebook it is (a console) gets the first notebook's path.
        assert send_as(k, "console", "v = 0", "cell-c").status == "ok"
        settle(k)
        rows = {r["cell_id"]: r["notebook_path"] for r in query(db_of(project), "SELECT cell_id, notebook_path FROM runs")}
        assert rows == {"cell-a1": "a.ipynb", "cell-b1": "b.ipynb", "cell-a2": "a.ipynb",
                        "cell-a3": "renamed.ipynb", "cell-c": "renamed.ipynb"}
    finally:
        k.shutdown(now=True)
