"""A store that is locked, full, read-only, corrupt or not creatable: nothing lost, no waits.

Real kernels, real SQLite, and real filesystems: a small tmpfs filled to the
last byte, and one remounted read-only.
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import pytest

from plumbline.store import Store, StoreFullError, StoreReadOnlyError, StoreUnavailableError

from .kernels import Kernel
from .storerows import query


def runs_by_cell(db) -> dict:
    return {r["cell_id"]: r for r in query(db, "SELECT * FROM runs")}


@contextmanager
def tmpfs(path: Path, size: str):
    """A real filesystem of ``size`` at ``path`` (the tests run as root, as CI does)."""
    path.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(path)],
                          capture_output=True, text=True)
    if done.returncode != 0:
        pytest.fail(f"these tests mount a tmpfs and need root (or CAP_SYS_ADMIN): {done.stderr.strip()}")
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=False)


def fill(folder: Path) -> Path:
    """Write a file until the filesystem is full; returns it (delete it to free the space)."""
    filler = folder / "filler"
    chunk = b"\0" * 65536
    with open(filler, "wb", buffering=0) as f:
        try:
            while True:
                f.write(chunk)
        except OSError:
            pass
        while True:  # the last bytes, one at a time
            try:
                f.write(b"\0")
            except OSError:
                break
    return filler


@pytest.fixture
def kernel_in(tmp_path):
    kernels = []

    def start(db: Path) -> Kernel:
        k = Kernel(env={"PLUMBLINE_DB": str(db)}, cwd=str(tmp_path))
        kernels.append(k)
        return k

    yield start
    for k in kernels:
        k.shutdown(now=True)


def test_a_disk_that_fills_up_loses_no_run(tmp_path, kernel_in):
    with tmpfs(tmp_path / "small", "4m") as disk:
        db = disk / ".plumbline" / "lineage.db"
        k = kernel_in(db)
        k.load_plumbline()
        assert k.execute("before = 1", cell_id="before-full").status == "ok"
        filler = fill(disk)
        full = [k.execute(f"x{i} = list(range({i}))\nx{i}", cell_id=f"full-{i}") for i in range(3)]
        failing = k.execute("1 / 0", cell_id="full-error")
        assert all(r.status == "ok" for r in full)  # the user's cells ran
        told = "".join(r.stderr for r in full + [failing])
        assert told.count("could not record") == 1, told  # said once
        assert "is full" in told and "Free some space" in told
        filler.unlink()
        after = k.execute("after = before + 1", cell_id="after-full")
        assert "writable again" in after.stderr
        runs = runs_by_cell(db)
        assert {f"full-{i}" for i in range(3)} | {"before-full", "full-error", "after-full"} <= runs.keys()
        assert all(runs[f"full-{i}"]["status"] == "ok" for i in range(3))
        assert runs["full-error"]["status"] == "error" and runs["full-error"]["error_name"] == "ZeroDivisionError"
        # and their lineage: inputs and outputs written while the disk was full
        outputs = query(db, "SELECT r.cell_id, io.name FROM run_io io JOIN runs r ON r.id = io.run_id "
                            "WHERE io.direction = 'output'")
        assert {("full-1", "x1"), ("after-full", "after")} <= {(o["cell_id"], o["name"]) for o in outputs}


def test_a_locked_store_never_makes_a_cell_wait(store_path, tmp_path, kernel_in):
    k = kernel_in(Path(store_path))
    k.load_plumbline()
    blocker = sqlite3.connect(store_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        # The old recorder waited its 10 s busy timeout here; the reply must come long before.
        during = k.execute("z = 'while locked'", cell_id="during-lock", timeout=5)
        assert during.status == "ok"
        assert "could not record" not in during.stderr  # a short lock is not worth a message
        time.sleep(2.5)  # the lock lasts: now it is
        still = k.execute("z2 = 2", cell_id="still-locked", timeout=5)
        assert "stayed locked" in still.stderr and "keeps unsaved runs in memory" in still.stderr
        assert query(store_path, "SELECT * FROM runs WHERE cell_id = 'during-lock'") == []
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    after = k.execute("z", cell_id="after-lock")
    assert "writable again" in after.stderr
    runs = runs_by_cell(store_path)
    assert all(runs[c]["status"] == "ok" for c in ("during-lock", "still-locked", "after-lock"))


def test_a_brief_lock_is_saved_in_the_background_without_a_word(store_path, kernel_in):
    k = kernel_in(Path(store_path))
    k.load_plumbline()
    blocker = sqlite3.connect(store_path, isolation_level=None)
    blocker.execute("BEGIN EXCLUSIVE")
    try:
        during = k.execute("w = 1", cell_id="brief")
    finally:
        blocker.execute("ROLLBACK")
        blocker.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and runs_by_cell(store_path).get("brief", {}).get("status") != "ok":
        time.sleep(0.05)  # no other cell runs: the retry thread saves it
    assert runs_by_cell(store_path)["brief"]["status"] == "ok"
    assert "could not record" not in during.stderr
    assert "writable again" not in k.execute("w", cell_id="next").stderr


def test_a_corrupt_store_at_start_records_in_memory_until_it_is_moved_aside(tmp_path, kernel_in):
    bad = tmp_path / "lineage.db"
    bad.write_bytes(b"this is not sqlite" * 100)
    k = kernel_in(bad)
    loaded = k.execute("%load_ext plumbline", silent=True)
    assert loaded.status == "ok"  # recording starts anyway
    assert "not a readable SQLite database" in loaded.stderr and "PLUMBLINE_DB" in loaded.stderr
    first = k.execute("a = 1", cell_id="while-corrupt")
    assert first.status == "ok" and "could not record" not in first.stderr  # said once, at load
    assert bad.read_bytes().startswith(b"this is not sqlite")  # never overwritten
    bad.rename(tmp_path / "lineage.db.broken")
    after = k.execute("b = a + 1", cell_id="after-move")
    assert "writable again" in after.stderr
    runs = runs_by_cell(bad)
    assert runs["while-corrupt"]["status"] == "ok" and runs["after-move"]["status"] == "ok"


def test_a_store_path_that_cannot_be_created_is_explained_and_saved_later(tmp_path, kernel_in):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the store's folder should be")
    db = blocker / ".plumbline" / "lineage.db"
    k = kernel_in(db)
    loaded = k.execute("%load_ext plumbline", silent=True)
    assert loaded.status == "ok", loaded.reply  # no raw FileNotFoundError / NotADirectoryError
    assert "cannot create the folder of its lineage store" in loaded.stderr
    assert "PLUMBLINE_DB" in loaded.stderr
    assert k.execute("c = 3", cell_id="no-folder").status == "ok"
    blocker.unlink()
    after = k.execute("c", cell_id="folder-back")
    assert "writable again" in after.stderr
    assert {"no-folder", "folder-back"} <= runs_by_cell(db).keys()


def test_a_read_only_store_folder_at_start_is_explained_and_saved_once_writable(tmp_path, kernel_in):
    with tmpfs(tmp_path / "ro", "2m") as disk:
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        db = disk / ".plumbline" / "lineage.db"
        k = kernel_in(db)
        loaded = k.execute("%load_ext plumbline", silent=True)
        assert loaded.status == "ok", loaded.reply
        assert "lineage store" in loaded.stderr and "writable" in loaded.stderr
        assert k.execute("d = 4", cell_id="read-only").status == "ok"
        subprocess.run(["mount", "-o", "remount,rw", str(disk)], check=True)
        after = k.execute("d", cell_id="writable")
        assert "writable again" in after.stderr
        assert {"read-only", "writable"} <= runs_by_cell(db).keys()


def test_a_record_that_can_never_be_written_is_dropped_with_its_name_and_the_rest_kept(tmp_path):
    """The other family: a record's own content, not the store, is at fault."""
    from IPython.core.interactiveshell import InteractiveShell

    from plumbline.kernel.recorder import CellRecorder
    from plumbline.store import RunEnd

    warnings: list[str] = []
    shell = InteractiveShell.instance()
    rec = CellRecorder(shell, tmp_path / "lineage.db", warn=warnings.append)
    shell.events.register("pre_run_cell", rec.pre_run_cell)
    shell.events.register("post_run_cell", rec.post_run_cell)
    try:
        shell.run_cell("first = 1")
        (run,) = query(str(tmp_path / "lineage.db"), "SELECT id FROM runs")
        # finish_run with a status the schema refuses (a bug, not the store's state)
        bad = RunEnd(id=run["id"], ended_at=1.0, status="ok")
        object.__setattr__(bad, "status", "exploded")
        rec.backlog.put(Store.finish_run, bad)
        rec.backlog.put(Store.set_note, "no-such-run", "note")  # KeyError: the run is unknown
        rec.backlog.report()
        assert rec.backlog.waiting == 0
        assert any(f"finish_run {run['id'][:8]}" in w and "CHECK constraint" in w for w in warnings), warnings
        assert any("set_note no-such-" in w for w in warnings), warnings
        shell.run_cell("kept = 1")
        assert rec.sync()
        assert query(str(tmp_path / "lineage.db"), "SELECT status FROM runs")[-1]["status"] == "ok"
    finally:
        shell.events.unregister("pre_run_cell", rec.pre_run_cell)
        shell.events.unregister("post_run_cell", rec.post_run_cell)
        rec.close()
        rec.store.close()


def test_store_errors_say_what_happened_and_what_to_do(tmp_path):
    with tmpfs(tmp_path / "tiny", "1m") as disk:
        store = Store(disk / "lineage.db")
        try:
            from plumbline.store import KernelSession, RunStart

            store.register_session(KernelSession(id="s", hostname="h", pid=1, started_at=0.0))
            fill(disk)
            with pytest.raises(StoreFullError, match="is full.*Free some space"):
                for i in range(200):  # until the WAL needs a page the disk does not have
                    store.start_run(RunStart(id=str(uuid.uuid4()), kernel_session="s",
                                             code="x" * 50_000 + str(i), started_at=float(i)))
        finally:
            store.close()
    with pytest.raises(StoreUnavailableError, match="cannot create the folder"):
        (tmp_path / "file").write_text("")
        Store(tmp_path / "file" / "sub" / "lineage.db")
    with tmpfs(tmp_path / "ro", "1m") as disk:
        subprocess.run(["mount", "-o", "remount,ro", str(disk)], check=True)
        with pytest.raises((StoreReadOnlyError, StoreUnavailableError), match="writable|cannot be opened"):
            Store(disk / "lineage.db")
    assert os.path.exists(tmp_path / "file")
