"""Lineage in-process (an IPython shell in this process): hot path, memory, interrupts, edge cases."""

from __future__ import annotations

import dataclasses
import gc
import signal
import sqlite3
import sys
import threading
import weakref

import pytest

from plumbline.store import Store

from .storerows import query


@pytest.fixture
def rec(tmp_path, monkeypatch):
    from IPython.core.interactiveshell import InteractiveShell

    from plumbline.kernel.recorder import CellRecorder

    (tmp_path / ".plumbline").mkdir()
    monkeypatch.chdir(tmp_path)
    shell = InteractiveShell.instance()
    warnings: list[str] = []
    recorder = CellRecorder(shell, tmp_path / ".plumbline" / "lineage.db", warn=warnings.append)
    recorder.warnings = warnings
    shell.events.register("pre_run_cell", recorder.pre_run_cell)
    shell.events.register("post_run_cell", recorder.post_run_cell)
    names = set(shell.user_ns)
    try:
        yield recorder
    finally:
        shell.events.unregister("pre_run_cell", recorder.pre_run_cell)
        shell.events.unregister("post_run_cell", recorder.post_run_cell)
        recorder.close()
        recorder.store.close()
        for name in set(shell.user_ns) - names:
            del shell.user_ns[name]


def run(rec, code, **kw):
    result = rec.shell.run_cell(code, store_history=True, **kw)
    return result


def settle(rec):
    assert rec.lineage.wait() in (None, "done")
    assert rec.sync()


def io(rec, name, direction=None):
    rows = query(rec.store.path, "SELECT io.* FROM run_io io WHERE io.name = ? ORDER BY io.created_at, io.id",
                 (name,))
    return [r for r in rows if direction is None or r["direction"] == direction]


def test_snapshot_of_a_big_namespace_asks_no_audited_id(rec):
    rec.shell.user_ns.update({f"v{i}": [i] for i in range(3000)})
    run(rec, "x = 1")
    settle(rec)
    ids = []
    hook_on = [True]
    sys.addaudithook(lambda event, args: ids.append(1) if event == "builtins.id" and hook_on[0] else None)
    try:
        run(rec, "x = 2")
    finally:
        hook_on[0] = False
    assert len(ids) < 100, f"{len(ids)} id() calls for one trivial cell"  # was 2 per name


def test_augmented_assignment_keeps_the_object_and_is_a_new_version(rec):
    run(rec, "lst = [1]")
    run(rec, "lst += [2]")
    run(rec, "n = len(lst)")
    settle(rec)
    outputs = io(rec, "lst", "output")
    assert [o["how"] for o in outputs] == ["assigned", "mutated"]
    (read,) = [r for r in io(rec, "lst", "input") if r["run_id"] != outputs[1]["run_id"]]
    assert read["source_io_id"] == outputs[1]["id"]


def test_mutation_under_a_sampled_fingerprint_is_recorded(rec, monkeypatch):
    import plumbline.kernel.lineage as lineage

    real = lineage.fingerprint

    def sampled(value):  # a sample that misses the change: the same hash
        fp = real(value)
        return dataclasses.replace(fp, content_hash="same", strategy="sampled 10 of 1000 rows")

    monkeypatch.setattr(lineage, "fingerprint", sampled)
    run(rec, "d = {'a': 1}")
    run(rec, "d['a'] = 2")
    settle(rec)
    assert [o["how"] for o in io(rec, "d", "output")] == ["assigned", "mutated"]


def test_nested_run_cell_keeps_the_outer_cells_files(rec, tmp_path):
    run(rec, "get_ipython().run_cell('inner = 1')\nopen('after.txt', 'w').write('x')")
    settle(rec)
    (written,) = io(rec, "after.txt")
    (outer,) = query(rec.store.path, "SELECT r.id FROM runs r JOIN code_snapshots c ON c.hash = r.code_hash "
                                     "WHERE c.code LIKE 'get_ipython%'")
    assert written["direction"] == "output" and written["run_id"] == outer["id"]


def test_open_is_wrapped_only_while_a_recorded_cell_runs(rec, tmp_path):
    import builtins
    import io as io_module
    import os

    original = (builtins.open, io_module.open, os.open)
    run(rec, "import builtins, os\nduring = (builtins.open, os.open)\nopen('f.txt', 'w').write('x')")
    during = rec.shell.user_ns["during"]
    assert during[0] is not original[0] and during[1] is not original[2]  # wrapped in the cell
    assert (builtins.open, io_module.open, os.open) == original  # and nothing between cells
    settle(rec)
    assert [r["how"] for r in io(rec, "f.txt")] == ["written"]
    # A file another thread opens while a cell runs is not the cell's.
    run(rec, "import threading\nt = threading.Thread(target=lambda: open('g.txt', 'w').close())\n"
             "t.start(); t.join()")
    settle(rec)
    assert io(rec, "g.txt") == []


def test_a_stale_capture_does_not_outlive_its_cell(rec):
    from plumbline.analysis import analyze
    from plumbline.kernel.lineage import files

    rec.lineage.begin("r-1", analyze("a = 1"))  # its end never comes (an interrupt in the hooks)
    rec.lineage.begin("r-2", analyze("b = 1"))
    assert len([c for c in files._stack if c.thread == threading.get_ident()]) == 1
    rec.lineage.end("r-2")
    assert not files._stack


class Marker:
    pass


def test_values_are_freed_after_del_and_after_an_unrecorded_rebind(rec):
    rec.shell.user_ns["Marker"] = Marker
    run(rec, "big = Marker()")
    settle(rec)
    ref = weakref.ref(rec.shell.user_ns["big"])
    run(rec, "del big")
    settle(rec)
    gc.collect()
    assert ref() is None  # the worker's last job held it while the kernel was idle

    run(rec, "held = [Marker()] + [0] * 200_000")  # a big list: the tracker holds it strongly
    settle(rec)
    ref = weakref.ref(rec.shell.user_ns["held"][0])
    rec.shell.run_cell("held = None", silent=True)  # not recorded
    run(rec, "y = 1")
    settle(rec)
    gc.collect()
    assert ref() is None


class Evil:
    def __getattribute__(self, name):
        raise RuntimeError(f"no {name}")

    def __eq__(self, other):
        raise RuntimeError("no eq")

    def __hash__(self):
        raise RuntimeError("no hash")

    def __len__(self):
        raise RuntimeError("no len")


def test_hostile_values_are_never_touched_on_the_hot_path(rec):
    rec.shell.user_ns["evil"] = Evil()  # from outside: fingerprinted when first read
    run(rec, "e2 = evil")
    run(rec, "e3 = [evil]")
    settle(rec)
    assert not [w for w in rec.warnings if "could not record this run" in w], rec.warnings
    assert io(rec, "e2", "output") and io(rec, "evil", "input")


def test_ctrl_c_while_waiting_for_the_hashing_stops_the_cell(rec):
    gate = threading.Event()
    rec.lineage.worker.submit(gate.wait)
    main = threading.main_thread().ident
    threading.Timer(0.3, signal.pthread_kill, (main, signal.SIGINT)).start()
    try:
        result = run(rec, "ran = True")
    finally:
        gate.set()
    assert "ran" not in rec.shell.user_ns
    assert "did not run" in str(result.error_in_exec)
    settle(rec)


def test_a_stuck_worker_delays_a_cell_but_never_hangs_it(rec, monkeypatch):
    import plumbline.kernel.lineage as lineage

    monkeypatch.setattr(lineage, "WAIT_TIMEOUT", 0.2)
    gate = threading.Event()
    rec.lineage.worker.submit(gate.wait)
    try:
        run(rec, "z = 1")
        run(rec, "z2 = 2")
        assert not gate.is_set() and rec.shell.user_ns["z2"] == 2  # ran while the worker is stuck
        assert len([w for w in rec.warnings if "still being fingerprinted" in w]) == 1
    finally:
        gate.set()
    settle(rec)
    assert io(rec, "z2", "output")


def test_one_unhashable_output_does_not_lose_the_others(rec, monkeypatch):
    import plumbline.kernel.lineage as lineage

    real = lineage.fingerprint

    def picky(value):
        if isinstance(value, Marker):
            raise MemoryError("too big")
        return real(value)

    monkeypatch.setattr(lineage, "fingerprint", picky)
    rec.shell.user_ns["Marker"] = Marker
    run(rec, "m = Marker()\nk = 3")
    settle(rec)
    assert io(rec, "k", "output") and not io(rec, "m", "output")
    assert any("m (MemoryError: too big)" in w for w in rec.warnings)


def test_cell_magics_and_functions_used_later(rec):
    run(rec, "cfg = {'a': 1}\ndef scale(v):\n    return v * cfg['a']")
    run(rec, "%%time\ncfg['a'] = 2")
    run(rec, "out = scale(3)")
    settle(rec)
    cfg_out = io(rec, "cfg", "output")
    assert [o["how"] for o in cfg_out] == ["assigned", "mutated"]
    reads = {r["name"]: r for r in io(rec, "cfg", "input") + io(rec, "scale", "input")
             if r["run_id"] == io(rec, "out", "output")[0]["run_id"]}
    assert reads["cfg"]["source_io_id"] == cfg_out[1]["id"]
    assert reads["scale"]["source_io_id"] == io(rec, "scale", "output")[0]["id"]


def test_locked_store_keeps_background_records_and_replays_them(rec):
    run(rec, "pass")
    lock = sqlite3.connect(rec.store.path, timeout=0.1)
    lock.execute("BEGIN EXCLUSIVE")
    try:
        run(rec, "locked_value = 41")
        rec.lineage.wait()
    finally:
        lock.rollback()
        lock.close()
    run(rec, "after = locked_value + 1")
    settle(rec)
    assert io(rec, "locked_value", "output") and io(rec, "locked_value", "input")[0]["source_io_id"]
    assert not [w for w in rec.warnings if "could not record" in w]  # a brief lock is not worth a word


def test_a_big_file_is_hashed_by_a_stated_sample_and_still_links_reader_to_writer(rec, tmp_path, monkeypatch):
    """A cell that writes a 2 GiB file (a memmap's) used to make the next cell wait seconds."""
    from plumbline.kernel.lineage import files

    monkeypatch.setattr(files, "FULL_FILE_LIMIT", 1 << 20)
    run(rec, "open('big.bin', 'wb').write(bytes(3 << 20))")
    run(rec, "data = open('big.bin', 'rb').read(10)")
    settle(rec)
    (written,) = io(rec, "big.bin", "output")
    (read,) = io(rec, "big.bin", "input")
    assert written["strategy"].startswith("sampled: 64 evenly spaced blocks") and written["size_bytes"] == 3 << 20
    assert read["value_hash"] == written["value_hash"] and read["source_io_id"] == written["id"]
    hasher = files.FileHasher()
    with open(tmp_path / "big.bin", "r+b") as f:
        f.seek(0)
        f.write(b"\1")  # inside the first block: seen
    assert hasher.hash(str(tmp_path / "big.bin")).content_hash != written["value_hash"]
