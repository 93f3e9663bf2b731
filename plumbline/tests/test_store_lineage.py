"""The lineage tables of the store: io rows, file links, artifacts, flags, and the shared fixture."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from plumbline.store import ArtifactRecord, IORecord, KernelSession, RunStart, Store, io_id

from .fixture_lineage import changes as lineage_changes
from .storerows import query

FIXTURE = Path(__file__).resolve().parent / "fixtures" / "lineage-v1.json"


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "lineage.db")
    s.register_session(KernelSession(id="s", hostname="h", pid=1, started_at=0.0))
    yield s
    s.close()


def _run(store, run_id, at, notebook="a.ipynb"):
    store.start_run(RunStart(id=run_id, kernel_session="s", code=f"# {run_id}", started_at=at,
                             notebook_path=notebook, analysis={"reads": ["x"], "writes": []}))


def test_lineage_change_feed_matches_the_fixture_the_browser_is_tested_with():
    assert lineage_changes() == json.loads(FIXTURE.read_text("utf-8"))


def test_analysis_is_stored_once_with_the_code(store):
    _run(store, "r1", 1.0)
    row = store._read("SELECT analysis FROM code_snapshots")[0]
    assert json.loads(row["analysis"]) == {"reads": ["x"], "writes": []}


def test_a_file_input_links_to_the_latest_earlier_writer_of_the_same_content(store):
    for run_id, at in (("w1", 1.0), ("w2", 2.0), ("w3", 3.0), ("reader", 4.0)):
        _run(store, run_id, at, notebook="b.ipynb" if run_id == "reader" else "a.ipynb")
    write = lambda run, at, digest: IORecord(run_id=run, direction="output", kind="file", name="f.parquet",
                                            how="written", created_at=at, value_hash=digest)
    store.record_io([write("w1", 1.5, "A"), write("w2", 2.5, "B"), write("w3", 3.5, "A")])
    read = IORecord(run_id="reader", direction="input", kind="file", name="f.parquet", how="read",
                    created_at=4.0, value_hash="A")
    store.record_io([read])
    store.record_io([read])  # a replayed backlog writes nothing twice
    rows = query(store.path, "SELECT * FROM run_io WHERE direction = 'input'")
    assert len(rows) == 1 and rows[0]["source_io_id"] == io_id("w3", "output", "file", "f.parquet")
    # content nobody wrote: from outside
    store.record_io([IORecord(run_id="reader", direction="input", kind="file", name="g.csv", how="read",
                              created_at=4.0, value_hash="Z")])
    assert store.io(io_id("reader", "input", "file", "g.csv"))["source_io_id"] is None


def test_artifacts_are_stored_once_per_content(store):
    _run(store, "r1", 1.0)
    _run(store, "r2", 2.0)
    outs = [IORecord(run_id=r, direction="output", kind="variable", name="df", how="assigned", created_at=t,
                     value_hash="H") for r, t in (("r1", 1.1), ("r2", 2.1))]
    store.record_io(outs)
    art = ArtifactRecord(hash="H", path="artifacts/H/H.parquet", format="parquet", type="DataFrame",
                         size_bytes=10, created_at=1.2)
    store.record_artifact(outs[0].id, art)
    store.record_artifact(outs[1].id, art)
    assert len(store._read("SELECT * FROM artifacts")) == 1
    assert {r["artifact_hash"] for r in query(store.path, "SELECT * FROM run_io")} == {"H"}
    store.record_artifact(outs[1].id, None, "not materialized: too big")
    assert query(store.path, "SELECT * FROM run_io WHERE run_id = 'r2'")[0]["artifact_note"] == \
        "not materialized: too big"


def test_flags_are_cleared_never_deleted_and_replicate(store):
    _run(store, "r1", 1.0)
    out = IORecord(run_id="r1", direction="output", kind="variable", name="y", how="assigned", created_at=time.time())
    store.record_io([out])
    seq = store.current_seq()
    store.set_flag(out.id, True, "wrong")
    store.set_flag(out.id, False)
    page = store.changes_since(seq)
    flags = page["tables"]["flags"]
    row = dict(zip(flags["columns"], flags["rows"][0]))
    assert row["note"] == "wrong" and row["cleared_at"] is not None
    store.set_flag(out.id, True)  # flag again: active, new note
    assert store._read("SELECT cleared_at, note FROM flags")[0]["cleared_at"] is None
    with pytest.raises(ValueError, match="at most"):
        store.set_flag(out.id, True, "x" * 5000)
    with pytest.raises(KeyError):
        store.set_flag("r1/out/var/missing", True)
