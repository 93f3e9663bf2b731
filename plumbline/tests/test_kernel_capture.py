"""Kernel capture with real ipykernels, a real SQLite store and real git."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import time
import uuid

import pytest

from plumbline.store import Store, code_hash

from .kernels import Kernel


def wait_for(predicate, timeout=30.0, interval=0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(interval)
    raise AssertionError("condition not met in time")


def all_runs(path):
    conn = sqlite3.connect(path)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute("SELECT * FROM runs ORDER BY started_at, rowid")]
    finally:
        conn.close()


@pytest.fixture
def git_repo(tmp_path):
    repo = tmp_path / "project"
    repo.mkdir()
    env = {**os.environ, "GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.org",
           "GIT_COMMITTER_NAME": "t", "GIT_COMMITTER_EMAIL": "t@example.org"}
    subprocess.run(["git", "init", "-q", "-b", "main"], cwd=repo, check=True, env=env)
    (repo / "data.txt").write_text("v1\n")
    subprocess.run(["git", "add", "data.txt"], cwd=repo, check=True, env=env)
    subprocess.run(["git", "commit", "-qm", "first"], cwd=repo, check=True, env=env)
    head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, check=True,
                          capture_output=True, text=True).stdout.strip()
    return repo, head


@pytest.fixture
def kernel(store_path, git_repo):
    repo, _ = git_repo
    k = Kernel(env={"PLUMBLINE_DB": store_path}, cwd=str(repo))
    yield k
    k.shutdown(now=True)


def test_records_every_field_of_ok_error_and_interrupted_runs(kernel, store_path, git_repo):
    _, head = git_repo
    kernel.load_plumbline("notebooks/churn.ipynb")
    ok = kernel.execute("x = 40 + 2\nx", cell_id="cell-ok",
                        metadata={"plumbline": {"component": "cleaning"}})
    err = kernel.execute("raise ValueError('bad row 7')", cell_id="cell-err")
    kernel_id = kernel.send("import time\ntime.sleep(30)", cell_id="cell-int")
    wait_for(lambda: any(r["cell_id"] == "cell-int" for r in all_runs(store_path)))
    kernel.manager.interrupt_kernel()
    interrupted = kernel.wait(kernel_id)
    assert (ok.status, err.status, interrupted.status) == ("ok", "error", "error")

    runs = wait_for(lambda: (lambda rs: rs if all(r["git_dirty"] is not None for r in rs) else None)(
        all_runs(store_path)))
    assert [r["cell_id"] for r in runs] == ["cell-ok", "cell-err", "cell-int"]
    first, second, third = runs

    assert first["status"] == "ok"
    assert first["component_name"] == "cleaning" and first["component_id"] is not None
    assert first["notebook_path"] == "notebooks/churn.ipynb"
    assert first["execution_count"] == 1
    assert first["code_hash"] == code_hash("x = 40 + 2\nx")
    assert first["git_commit"] == head and first["git_dirty"] == 0
    assert first["started_at"] <= first["ended_at"]
    assert first["duration_ms"] == pytest.approx((first["ended_at"] - first["started_at"]) * 1000)
    assert first["error_name"] is None

    assert second["status"] == "error"
    assert second["error_name"] == "ValueError" and second["error_value"] == "bad row 7"
    assert second["component_name"] is None and second["execution_count"] == 2

    assert third["status"] == "interrupted" and third["error_name"] == "KeyboardInterrupt"
    assert third["duration_ms"] > 0

    sessions = {r["kernel_session"] for r in runs}
    assert len(sessions) == 1
    with Store(store_path) as store:
        assert store.code(first["code_hash"]) == "x = 40 + 2\nx"
        session = sessions.pop()
        row = store._read("SELECT * FROM kernel_sessions WHERE id = ?", (session,))[0]
        assert row["pid"] == kernel.pid and row["ended_at"] is None
        component = store._read("SELECT * FROM components WHERE id = ?", (first["component_id"],))[0]
        assert (component["notebook_path"], component["name"]) == ("notebooks/churn.ipynb", "cleaning")


def test_dirty_tree_and_silent_requests(kernel, store_path, git_repo):
    repo, _ = git_repo
    kernel.load_plumbline()
    (repo / "data.txt").write_text("v2\n")
    kernel.execute("y = 1")
    kernel.execute("y", silent=True)  # silent requests (like the front end's own) are not runs
    runs = wait_for(lambda: [r for r in all_runs(store_path) if r["git_dirty"] is not None])
    assert len(all_runs(store_path)) == 1
    assert runs[0]["git_dirty"] == 1


def test_syntax_error_is_an_error_run(kernel, store_path):
    kernel.load_plumbline()
    result = kernel.execute("def broken(:\n  pass")
    assert result.status == "error"
    (run,) = all_runs(store_path)
    assert run["status"] == "error" and run["error_name"] == "SyntaxError"


def test_a_result_whose_repr_raises_is_an_error_run_as_the_user_sees_it(kernel, store_path):
    kernel.load_plumbline()
    kernel.execute("class Shy:\n    def __repr__(self):\n        raise ValueError('no repr for you')", cell_id="define")
    shown = kernel.execute("Shy()", cell_id="show")
    assert any(o["msg_type"] == "error" for o in shown.outputs)  # JupyterLab shows an error...
    after = kernel.execute("ok = 1", cell_id="after")  # ...and the next cell is fine again
    assert after.status == "ok"
    runs = {r["cell_id"]: r for r in all_runs(store_path)}
    assert runs["show"]["status"] == "error" and runs["show"]["error_name"] == "ValueError"
    assert runs["show"]["error_value"] == "no repr for you"
    assert runs["define"]["status"] == "ok" and runs["after"]["status"] == "ok"


def test_sigkilled_kernel_leaves_a_run_marked_interrupted_on_next_start(store_path, tmp_path):
    doomed = Kernel(env={"PLUMBLINE_DB": store_path}, cwd=str(tmp_path))
    try:
        doomed.load_plumbline()
        doomed.execute("a = 1")
        doomed.send("import time\ntime.sleep(120)", cell_id="long-cell")
        wait_for(lambda: any(r["cell_id"] == "long-cell" for r in all_runs(store_path)))
        os.kill(doomed.pid, signal.SIGKILL)
        wait_for(lambda: not doomed.manager.is_alive(), timeout=10)
        (killed,) = [r for r in all_runs(store_path) if r["cell_id"] == "long-cell"]
        assert killed["status"] == "running"  # evidence, not a hole
    finally:
        doomed.shutdown(now=True)

    successor = Kernel(env={"PLUMBLINE_DB": store_path}, cwd=str(tmp_path))
    try:
        successor.load_plumbline()
        runs = {r["cell_id"]: r for r in all_runs(store_path)}
        killed = [r for r in runs.values() if r["code_hash"] == code_hash("import time\ntime.sleep(120)")][0]
        assert killed["status"] == "interrupted"
        assert killed["error_name"] == "KernelDied"
        assert killed["ended_at"] is not None
        assert len(runs) == 2  # nothing lost, nothing invented
    finally:
        successor.shutdown(now=True)


def test_four_kernels_writing_at_once_lose_no_row(store_path, tmp_path):
    kernels = [Kernel(env={"PLUMBLINE_DB": store_path}, cwd=str(tmp_path)) for _ in range(4)]
    cells_each = 60
    try:
        for k in kernels:
            k.load_plumbline()
        pending = [(k, k.send(f"v = {i} ** 2", cell_id=f"c{n}-{i}")) for i in range(cells_each)
                   for n, k in enumerate(kernels)]
        results = [k.wait(msg_id) for k, msg_id in pending]
    finally:
        for k in kernels:
            k.shutdown(now=True)
    assert all(r.status == "ok" for r in results)
    assert not any("Plumbline" in r.stderr or "locked" in r.stderr for r in results), \
        [r.stderr for r in results if r.stderr]
    runs = all_runs(store_path)
    assert len(runs) == 4 * cells_each
    assert {r["status"] for r in runs} == {"ok"}
    assert len({r["cell_id"] for r in runs}) == 4 * cells_each
    assert len({r["kernel_session"] for r in runs}) == 4


def test_load_ext_by_hand_uses_session_notebook_path(tmp_path):
    store = tmp_path / ".plumbline" / "lineage.db"
    notebook = tmp_path / "sub" / "analysis.ipynb"
    k = Kernel(env={"PLUMBLINE_DB": str(store), "JPY_SESSION_NAME": str(notebook)}, cwd=str(tmp_path))
    try:
        assert k.execute("%load_ext plumbline", silent=True).status == "ok"
        k.execute("q = 1")
    finally:
        k.shutdown()
    (run,) = all_runs(str(store))
    assert run["notebook_path"] == "sub/analysis.ipynb"
    conn = sqlite3.connect(str(store))
    ended = conn.execute("SELECT ended_at FROM kernel_sessions").fetchone()[0]
    conn.close()
    assert ended is not None  # a clean shutdown closes the session


def test_hooks_and_git_thread_writing_together_lose_nothing(store_path, git_repo, monkeypatch):
    """Cells recorded while the git worker writes dirtiness: no lost or doubled write."""
    from IPython.core.interactiveshell import InteractiveShell

    from plumbline.kernel.gitinfo import GitProbe
    from plumbline.kernel.recorder import CellRecorder

    repo, _ = git_repo
    monkeypatch.chdir(repo)
    monkeypatch.setattr(GitProbe, "min_interval", 0.0)  # as many concurrent writes as possible
    warnings = []
    shell = InteractiveShell.instance()
    recorder = CellRecorder(shell, store_path, notebook_path="n.ipynb", warn=warnings.append)
    shell.events.register("pre_run_cell", recorder.pre_run_cell)
    shell.events.register("post_run_cell", recorder.post_run_cell)
    try:
        for i in range(400):
            shell.run_cell(f"_v = {i}", store_history=True)
        # a nested, non-silent run_cell inside a cell is a run of its own
        shell.run_cell("get_ipython().run_cell('_inner = 1')", store_history=True)
        runs = wait_for(lambda: (lambda rs: rs if all(r["git_dirty"] is not None for r in rs) else None)(
            all_runs(store_path)))
    finally:
        shell.events.unregister("pre_run_cell", recorder.pre_run_cell)
        shell.events.unregister("post_run_cell", recorder.post_run_cell)
        recorder.close()
    assert warnings == []
    assert len(runs) == 402
    assert {r["status"] for r in runs} == {"ok"}


def test_text_sqlite_cannot_store_does_not_stop_recording(kernel, store_path):
    kernel.load_plumbline()
    # an undecodable file name ends up as a lone surrogate in the error message
    failed = kernel.execute("raise FileNotFoundError('caf\\udce9.csv')", cell_id="surrogate")
    assert failed.status == "error"
    kernel.execute("after = 1", cell_id="next")
    runs = {r["cell_id"]: r for r in all_runs(store_path)}
    assert runs["surrogate"]["status"] == "error"
    assert "caf\\udce9.csv" in runs["surrogate"]["error_value"]  # kept, escaped
    assert runs["next"]["status"] == "ok"


def test_an_empty_nested_cell_does_not_end_its_parent_run(kernel, store_path):
    kernel.load_plumbline()
    kernel.execute("get_ipython().run_cell('')\nimport time\ntime.sleep(0.05)\nraise ValueError('outer')",
                   cell_id="outer")
    (outer,) = [r for r in all_runs(store_path) if r["cell_id"] == "outer"]
    assert outer["status"] == "error" and outer["error_value"] == "outer"
    assert outer["duration_ms"] >= 50  # ended when the outer cell ended, not at the nested one
