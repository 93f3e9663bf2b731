"""The store module on its own: migrations, errors, replication reads."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from plumbline.store import (
    REPLICATED_TABLES,
    KernelSession,
    RunEnd,
    RunStart,
    Store,
    StoreCorruptError,
    StoreVersionError,
    resolve_store_path,
)
from plumbline.store.migrations import latest_version, migrations, split_statements

from .storerows import query


def add_run(store, run_id, session="s1", code="x = 1", **kw):
    store.start_run(RunStart(id=run_id, kernel_session=session, code=code, started_at=time.time(), **kw))


@pytest.fixture
def store(store_path):
    s = Store(store_path)
    s.register_session(KernelSession(id="s1", hostname="here", pid=1, started_at=time.time()))
    yield s
    s.close()


def test_new_store_is_at_latest_version_in_wal_mode(store, store_path):
    conn = sqlite3.connect(store_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version() >= 1
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"runs", "code_snapshots", "components", "kernel_sessions"} <= tables


def test_reopening_does_not_reapply_migrations(store, store_path):
    add_run(store, "r1")
    again = Store(store_path)
    assert again.run("r1")["id"] == "r1"
    again.close()


def test_store_from_a_newer_plumbline_is_refused_untouched(store_path):
    Store(store_path).close()
    conn = sqlite3.connect(store_path)
    conn.execute(f"PRAGMA user_version = {latest_version() + 1}")
    conn.close()
    with pytest.raises(StoreVersionError, match="newer Plumbline.*pip install -U jupyterlab-plumbline"):
        Store(store_path)
    conn = sqlite3.connect(store_path)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version() + 1


def test_corrupt_store_gets_an_actionable_error(tmp_path):
    path = tmp_path / "lineage.db"
    path.write_bytes(b"\x00garbage" * 512)
    with pytest.raises(StoreCorruptError, match="Move the file aside"):
        Store(path)
    assert path.read_bytes() == b"\x00garbage" * 512


def test_split_statements_keeps_trigger_bodies_whole():
    statements = split_statements(
        "-- c\nCREATE TABLE t (a);\nCREATE TRIGGER x AFTER INSERT ON t BEGIN\n  SELECT 1;\n  SELECT 2;\nEND;\n"
    )
    assert len(statements) == 2 and statements[1].endswith("END;")
    assert [v for v, _ in migrations()] == list(range(1, latest_version() + 1))


def test_seq_increases_on_every_insert_and_update(store):
    add_run(store, "r1")
    before = store.run("r1")["seq"]
    store.finish_run(RunEnd(id="r1", ended_at=time.time(), status="ok"))
    after = store.run("r1")["seq"]
    assert after > before and store.current_seq() == after


def test_changes_are_paged_by_window_and_complete(store):
    for i in range(30):
        add_run(store, f"r{i}", code=f"x = {i}")
    seen, cursor, pages = {}, 0, 0
    while True:
        page = store.changes_since(cursor, limit=7)
        pages += 1
        assert page["since"] == cursor and page["seq"] - cursor <= 7
        for table, block in page["tables"].items():
            assert sum(1 for _ in block["rows"]) <= 7
            for row in block["rows"]:
                seen[(table, row[0])] = row
        cursor = page["seq"]
        if not page["more"]:
            break
    assert pages > 4
    assert {k[1] for k in seen if k[0] == "runs"} == {f"r{i}" for i in range(30)}
    assert store.changes_since(cursor)["tables"] == {}


def test_changes_ahead_of_store_ask_for_reset(store):
    assert store.changes_since(store.current_seq() + 100)["reset"] is True


def test_snapshot_is_a_plain_sqlite_file_with_its_seq(store, tmp_path):
    add_run(store, "r1")
    data, seq = store.snapshot()
    assert seq == store.current_seq()
    assert data[:16] == b"SQLite format 3\x00" and data[18] == data[19] == 1
    copy = tmp_path / "copy.db"
    copy.write_bytes(data)
    conn = sqlite3.connect(copy)
    assert conn.execute("SELECT id FROM runs").fetchall() == [("r1",)]
    assert conn.execute("PRAGMA user_version").fetchone()[0] == latest_version()


def test_notes_are_validated(store):
    add_run(store, "r1")
    store.set_note("r1", "looks off")
    assert store.run("r1")["notes"] == "looks off"
    with pytest.raises(KeyError):
        store.set_note("nope", "x")
    with pytest.raises(ValueError, match="at most"):
        store.set_note("r1", "x" * 10_001)


def test_orphans_of_dead_or_ended_sessions_are_interrupted_only(store):
    store.register_session(KernelSession(id="alive", hostname="here", pid=2, started_at=time.time()))
    store.register_session(KernelSession(id="elsewhere", hostname="other", pid=3, started_at=time.time()))
    add_run(store, "dead-run", session="s1")
    add_run(store, "live-run", session="alive")
    add_run(store, "remote-run", session="elsewhere")
    marked = store.mark_orphaned_runs("here", is_alive=lambda pid: pid == 2)
    assert marked == 1
    assert store.run("dead-run")["status"] == "interrupted"
    assert store.run("live-run")["status"] == "running"
    assert store.run("remote-run")["status"] == "running"  # another host: cannot tell, leave it


def test_finished_status_is_validated():
    with pytest.raises(ValueError):
        RunEnd(id="r", ended_at=0, status="running")


def test_store_location_rules(tmp_path, monkeypatch):
    project = tmp_path / "project"
    (project / ".plumbline").mkdir(parents=True)
    (project / ".plumbline" / "lineage.db").write_bytes(b"")
    (project / "a" / "b").mkdir(parents=True)
    assert resolve_store_path(cwd=str(project / "a" / "b")) == project / ".plumbline" / "lineage.db"
    assert resolve_store_path(cwd=str(tmp_path)) == tmp_path / ".plumbline" / "lineage.db"
    monkeypatch.setenv("PLUMBLINE_DB", str(tmp_path / "env.db"))
    assert resolve_store_path(cwd=str(project)) == tmp_path / "env.db"
    assert resolve_store_path(str(tmp_path / "x.db")) == tmp_path / "x.db"


def _paths(store):
    runs = {r["id"]: r["notebook_path"] for r in query(store.path, "SELECT * FROM runs")}
    rows = store._read("SELECT notebook_path, name FROM components ORDER BY notebook_path, name")
    return runs, [tuple(r) for r in rows]


def test_renamed_notebook_keeps_its_history(store):
    add_run(store, "a", notebook_path="nb.ipynb", component_name="load")
    add_run(store, "b", notebook_path="nb.ipynb")
    add_run(store, "c", notebook_path="nb.ipynb.bak")  # shares the prefix, is another file
    seq = store.current_seq()
    assert store.move_notebook("nb.ipynb", "/renamed.ipynb") == 2
    runs, components = _paths(store)
    assert runs == {"a": "renamed.ipynb", "b": "renamed.ipynb", "c": "nb.ipynb.bak"}
    assert components == [("renamed.ipynb", "load")]
    # The replica learns of the move through the change feed.
    page = store.changes_since(seq)
    assert len(page["tables"]["runs"]["rows"]) == 2 and len(page["tables"]["components"]["rows"]) == 1


def test_renamed_folder_moves_every_notebook_below_it(store):
    add_run(store, "a", notebook_path="work/one.ipynb", component_name="x")
    add_run(store, "b", notebook_path="work/deep/two.ipynb")
    add_run(store, "c", notebook_path="work2/three.ipynb")  # a sibling folder with the same prefix
    add_run(store, "d", notebook_path="work")  # a notebook path equal to the folder name is moved too
    assert store.move_notebook("work", "done") == 3
    runs, components = _paths(store)
    assert runs == {"a": "done/one.ipynb", "b": "done/deep/two.ipynb", "c": "work2/three.ipynb", "d": "done"}
    assert components == [("done/one.ipynb", "x")]


def test_rename_onto_a_notebook_with_history_merges_components(store):
    from plumbline.store import CheckRecord

    add_run(store, "old", notebook_path="b.ipynb", component_name="train")
    add_run(store, "new", notebook_path="a.ipynb", component_name="train")
    add_run(store, "other", notebook_path="a.ipynb", component_name="eval")
    store.record_checks("new", [CheckRecord("rows-1", "row_count(df)", "after", "pass", "warn", "ok",
                                            {"rows": 3}, 0.5, time.time())])
    seq = store.current_seq()
    assert store.move_notebook("a.ipynb", "b.ipynb") == 2
    runs = {r["id"]: r for r in query(store.path, "SELECT * FROM runs")}
    assert {r["notebook_path"] for r in runs.values()} == {"b.ipynb"}
    assert runs["old"]["component_id"] == runs["new"]["component_id"]
    assert ("b.ipynb", "eval") in _paths(store)[1]
    # The check baseline moved with its run, and the replica hears of it.
    assert store.previous_check_details("b.ipynb", "train", "rows-1") == {"rows": 3}
    assert store.previous_check_details("a.ipynb", "train", "rows-1") is None
    assert len(store.changes_since(seq)["tables"]["check_results"]["rows"]) == 1


def test_rename_to_the_same_or_an_empty_path_changes_nothing(store):
    add_run(store, "a", notebook_path="nb.ipynb")
    seq = store.current_seq()
    assert store.move_notebook("nb.ipynb", "nb.ipynb") == 0
    assert store.move_notebook("", "x.ipynb") == 0
    assert store.current_seq() == seq


def test_store_identity_is_stable_and_in_every_change_page(store, store_path, tmp_path):
    import re

    assert re.fullmatch(r"[0-9a-f]{32}", store.identity)
    with Store(store_path) as again:
        assert again.identity == store.identity
    with Store(str(tmp_path / "other" / "lineage.db")) as other:
        assert other.identity != store.identity
    for page in (store.changes_since(0), store.changes_since(store.current_seq() + 5)):
        assert (page["store_id"], page["schema_version"]) == (store.identity, latest_version())
    # A copy of the file opened elsewhere (a copied project) is another store.
    store.close()
    copy_path = tmp_path / "copied" / "lineage.db"
    copy_path.parent.mkdir()
    copy_path.write_bytes(Path(store_path).read_bytes())
    with Store(str(copy_path)) as copied, Store(store_path) as original:
        assert copied.identity != original.identity == again.identity
        store = original
        # The snapshot carries it too: a browser that kept one can tell stores apart.
        data, _ = store.snapshot()
        copy = tmp_path / "snap.db"
        copy.write_bytes(data)
        assert sqlite3.connect(copy).execute("SELECT id FROM store_identity").fetchone()[0] == store.identity


def test_change_pages_report_the_schema_version_of_now(store, store_path):
    # A newer kernel migrating the store under a running server must show in the pages.
    sqlite3.connect(store_path).execute(f"PRAGMA user_version = {latest_version() + 1}")
    assert store.changes_since(0)["schema_version"] == latest_version() + 1


def test_every_replicated_table_has_its_seq_its_triggers_and_its_feed_entry(store):
    """A table without an update trigger never tells the browser of a change (check_results once)."""
    tables = {r["name"] for r in store._read("SELECT name FROM sqlite_master WHERE type = 'table'")}
    with_seq = {t for t in tables if "seq" in {c["name"] for c in store._read(f"PRAGMA table_info({t})")}}
    assert with_seq == set(REPLICATED_TABLES)  # every table with a seq is in the feed, and only those
    triggers = {r["name"]: r["sql"] for r in store._read("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")}
    for table in REPLICATED_TABLES:
        for event in ("insert", "update"):
            sql = triggers.get(f"{table}_seq_{event}")
            assert sql is not None, f"{table} has no {event} trigger"
            assert f"AFTER {event.upper()} ON {table}" in sql and "store_seq" in sql
        indexes = {r["name"] for r in store._read(f"PRAGMA index_list({table})")}
        assert f"{table}_by_seq" in indexes, f"{table} has no seq index"
