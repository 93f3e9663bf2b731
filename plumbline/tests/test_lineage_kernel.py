"""Lineage with real kernels and a real store: what every run read and wrote."""

from __future__ import annotations

import json
import os
import signal
import time

import nbformat
import numpy as np
import pandas as pd
import pytest

import plumbline
from plumbline.artifacts.load import LoadError
from plumbline.headless import run_notebook
from plumbline.store import Store

from .kernels import Kernel
from .storerows import query


def wait_for(predicate, timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError("condition not met in time")


def component(name, **extra):
    return {"plumbline": {"component": name, "part": "only", **extra}}


def io_of(db, cell_id):
    return {(r["direction"], r["kind"], r["name"]): r for r in query(
        db, "SELECT io.* FROM run_io io JOIN runs r ON r.id = io.run_id WHERE r.cell_id = ?", (cell_id,))}


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".plumbline").mkdir()
    return tmp_path


@pytest.fixture
def kernel(project):
    k = Kernel(env={"PLUMBLINE_DB": str(project / ".plumbline" / "lineage.db")}, cwd=str(project))
    k.load_plumbline("nb.ipynb")
    yield k
    k.shutdown(now=True)


def db_of(project):
    return str(project / ".plumbline" / "lineage.db")


def run_cells(kernel, cells):
    """cells: (cell id, code, metadata or None). Waits for the background hashing at the end."""
    for cell_id, code, metadata in cells:
        result = kernel.execute(code, cell_id=cell_id, metadata=metadata)
        assert result.status == "ok", (code, result.reply, result.stderr)
    settle(kernel)


def settle(kernel):
    """An unrecorded request that waits for the lineage worker (as the next cell would)."""
    done = kernel.execute("__import__('plumbline.kernel', fromlist=['recorder']).recorder().lineage.wait()\n"
                          "assert __import__('plumbline.kernel', fromlist=['recorder']).recorder().sync()", silent=True)
    assert done.status == "ok", done.reply


# -- acceptance: a pipeline notebook and a report notebook --------------------------------------------


PIPELINE = [
    (None, "import numpy as np\nimport pandas as pd\nfrom sklearn.linear_model import LogisticRegression\n"
           "from sklearn.model_selection import train_test_split"),
    ("load", "rng = np.random.default_rng(0)\n"
             "raw = pd.DataFrame({'a': rng.normal(size=120), 'b': rng.integers(0, 5, 120).astype(float)})\n"
             "raw.loc[3, 'a'] = np.nan\n"
             "raw['y'] = (raw['b'] > 2).astype(int)"),
    ("clean", "df = raw.dropna().reset_index(drop=True)"),
    ("featurize", "df['ab'] = df['a'] * df['b']\ndf.to_parquet('features.parquet')"),
    ("split", "X_train, X_test, y_train, y_test = train_test_split(df[['a', 'b', 'ab']], df['y'], "
              "random_state=0)"),
    ("configure", "model = LogisticRegression(max_iter=500)"),
    ("train", "model.fit(X_train, y_train)"),
    ("predict", "predictions = model.predict(X_test)"),
]
REPORT = [
    (None, "import pandas as pd"),
    ("report", "features = pd.read_parquet('features.parquet')\nsummary = features.describe()"),
]


def write_notebook(path, cells):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(code, metadata=component(name) if name else {}) for name, code in cells]
    nbformat.write(nb, path)


def test_two_notebooks_yield_exactly_the_expected_edges(project):
    write_notebook(project / "pipeline.ipynb", PIPELINE)
    write_notebook(project / "report.ipynb", REPORT)
    assert run_notebook(project / "pipeline.ipynb").error is None
    assert run_notebook(project / "report.ipynb").error is None
    db = db_of(project)

    edges = {(r["source"], r["name"], r["consumer"]) for r in query(db, """
        SELECT src.component_name AS source, i.name AS name, dst.component_name AS consumer
        FROM run_io i JOIN run_io o ON o.id = i.source_io_id
        JOIN runs src ON src.id = o.run_id JOIN runs dst ON dst.id = i.run_id
        WHERE i.direction = 'input'""")}
    assert edges == {
        ("load", "raw", "clean"),
        ("clean", "df", "featurize"),
        ("featurize", "df", "split"),
        ("split", "X_train", "train"), ("split", "y_train", "train"),
        ("configure", "model", "train"),
        ("train", "model", "predict"), ("split", "X_test", "predict"),
        ("featurize", "features.parquet", "report"),  # across notebooks and kernels, through the file
    }
    outputs = {(r["component_name"], r["name"], r["how"]) for r in query(db, """
        SELECT r.component_name, io.name, io.how FROM run_io io JOIN runs r ON r.id = io.run_id
        WHERE io.direction = 'output'""")}
    assert {("featurize", "df", "mutated"), ("train", "model", "mutated"),
            ("featurize", "features.parquet", "written"), ("load", "raw", "assigned")} <= outputs
    # Imports are not data: no module or library function is an output or an input.
    names = {r["name"] for r in query(db, "SELECT name FROM run_io")}
    assert not names & {"np", "pd", "LogisticRegression", "train_test_split"}
    # The mutated df is a new version: its hash differs from the one featurize read.
    (read,) = query(db, "SELECT i.value_hash FROM run_io i JOIN runs r ON r.id = i.run_id "
                        "WHERE r.component_name = 'featurize' AND i.direction = 'input'")
    (wrote,) = query(db, "SELECT o.value_hash, o.shape, o.columns, o.row_count FROM run_io o "
                         "JOIN runs r ON r.id = o.run_id WHERE r.component_name = 'featurize' "
                         "AND o.kind = 'variable' AND o.direction = 'output'")
    assert read["value_hash"] != wrote["value_hash"]
    assert json.loads(wrote["shape"]) == [119, 4] and wrote["row_count"] == 119
    assert [c[0] for c in json.loads(wrote["columns"])] == ["a", "b", "y", "ab"]
    # The analysis is stored with the code.
    (snapshot,) = query(db, "SELECT c.analysis FROM code_snapshots c JOIN runs r ON r.code_hash = c.hash "
                            "WHERE r.component_name = 'train'")
    analysis = json.loads(snapshot["analysis"])
    assert analysis["mutations"] == ["model"] and analysis["reads"] == ["X_train", "model", "y_train"]
    assert set(analysis) == {"reads", "writes", "deletes", "mutations", "imports", "definitions", "calls", "error"}


# -- identity, robustness ------------------------------------------------------------------------------


def test_identity_is_content_and_unpicklable_values_do_not_break_cells(kernel, project):
    run_cells(kernel, [
        ("frames", "import numpy as np, pandas as pd\n"
                   "a = pd.DataFrame({'x': np.arange(1000)})\nb = a.copy()\nb.loc[500, 'x'] = -1\n"
                   "same_repr = repr(a) == repr(b)", None),
        ("bad", "class Sulky:\n    def __reduce_ex__(self, protocol):\n        raise RuntimeError('no pickling')\n"
                "sulky = Sulky()", component("sulk", materialize=True)),
        ("use", "n = len(a) + (sulky is not None)\ndel b", None),
        ("again", "n2 = n * 2", None),
    ])
    assert kernel.execute("print(same_repr)").stdout.strip() == "True"
    db = db_of(project)
    frames = io_of(db, "frames")
    assert frames[("output", "variable", "a")]["value_hash"] != frames[("output", "variable", "b")]["value_hash"]
    bad = io_of(db, "bad")
    sulky = bad[("output", "variable", "sulky")]
    assert sulky["value_hash"] and sulky["strategy"] == "attributes"  # by content, no pickling
    assert sulky["artifact_hash"] is None and sulky["artifact_note"].startswith("not materialized: ")
    assert bad[("output", "variable", "Sulky")]["value_hash"]  # a class defined in the notebook is code
    (run,) = query(db, "SELECT status FROM runs WHERE cell_id = 'bad'")
    assert run["status"] == "ok"
    use = io_of(db, "use")
    assert use[("input", "variable", "sulky")]["source_io_id"] == sulky["id"]
    assert use[("input", "variable", "a")]["source_io_id"] == frames[("output", "variable", "a")]["id"]
    assert ("output", "variable", "b") not in use  # deleted, not written
    again = io_of(db, "again")
    assert again[("input", "variable", "n")]["source_io_id"] == use[("output", "variable", "n")]["id"]


def test_recording_runs_none_of_the_users_code(kernel, project):
    """Fingerprints never pickle a user's object: its __getstate__ would print into the output
    and change the object."""
    run_cells(kernel, [
        ("define", "class Chatty:\n    calls = 0\n    def __init__(self):\n        self.rows = list(range(5))\n"
                   "    def __getstate__(self):\n        Chatty.calls += 1\n        print('getstate called')\n"
                   "        return self.__dict__\n"
                   "    def __reduce_ex__(self, protocol):\n        Chatty.calls += 1\n"
                   "        return super().__reduce_ex__(protocol)\n"
                   "    def __repr__(self):\n        return 'Chatty()'", None),
        ("make", "chatty = Chatty()\nbag = {'c': chatty, 'many': [Chatty() for _ in range(20000)]}", None),
        ("use", "chatty.rows.append(5)\nsize = len(chatty.rows)", None),
    ])
    seen = kernel.execute("print(Chatty.calls)")
    assert seen.stdout.strip() == "0" and "getstate" not in seen.stdout
    db = db_of(project)
    made = io_of(db, "make")
    assert made[("output", "variable", "chatty")]["strategy"] == "attributes"
    assert made[("output", "variable", "bag")]["value_hash"]
    used = io_of(db, "use")
    assert ("output", "variable", "chatty") in used  # the in-place change is seen, by content


def test_values_from_outside_and_failed_cells(kernel, project):
    kernel.execute("outside = [1, 2, 3]", silent=True)  # not recorded
    run_cells(kernel, [("reads-outside", "total = sum(outside)", None)])
    failed = kernel.execute("partial = total + 1\nraise ValueError('late')", cell_id="fails")
    assert failed.status == "error"
    settle(kernel)
    db = db_of(project)
    reads = io_of(db, "reads-outside")[("input", "variable", "outside")]
    assert reads["source_io_id"] is None and reads["value_hash"] and reads["row_count"] == 3
    fails = io_of(db, "fails")
    assert fails[("output", "variable", "partial")]["how"] == "assigned"  # the value exists


# -- files ----------------------------------------------------------------------------------------------


def test_files_read_and_written_with_hashes_and_links(kernel, project):
    (project / "data").mkdir()
    run_cells(kernel, [
        ("w1", "with open('data/raw.txt', 'w') as f:\n    f.write('v1')", component("writer")),
        ("r1", "text = open('data/raw.txt').read()", component("reader")),
        ("w2", "with open('data/raw.txt', 'w') as f:\n    f.write('v2')", component("writer")),
        ("r2", "import os\nfd = os.open('data/raw.txt', os.O_RDONLY)\ntext = os.read(fd, 10)\nos.close(fd)",
         component("reader")),
        ("imp", "import pyarrow as pa, pyarrow.parquet as pq", None),
        ("pq-w", "pq.write_table(pa.table({'a': [1, 2]}), 't.parquet')", None),
        ("pq-r", "t = pq.read_table('t.parquet')\nimport plumbline\nimport json\n"
                 "json.dumps({})", None),  # importing code is not reading data
        ("pd-w", "import pandas as pd\npd.DataFrame({'a': [1.5]}).to_parquet('p.parquet')", None),
        ("pd-r", "p = pd.read_parquet('p.parquet')", None),
    ])
    db = db_of(project)
    w1, r1, w2, r2 = (io_of(db, c) for c in ("w1", "r1", "w2", "r2"))
    out1, out2 = w1[("output", "file", "data/raw.txt")], w2[("output", "file", "data/raw.txt")]
    assert out1["how"] == "written" and out1["type"] == "file" and out1["size_bytes"] == 2
    assert out1["value_hash"] != out2["value_hash"]
    assert r1[("input", "file", "data/raw.txt")]["source_io_id"] == out1["id"]
    assert r2[("input", "file", "data/raw.txt")]["source_io_id"] == out2["id"]  # the new content, the new writer
    assert r2[("input", "file", "data/raw.txt")]["value_hash"] == out2["value_hash"]
    pq_w, pq_r = io_of(db, "pq-w"), io_of(db, "pq-r")
    assert pq_r[("input", "file", "t.parquet")]["source_io_id"] == pq_w[("output", "file", "t.parquet")]["id"]
    assert {k for k in pq_r if k[1] == "file"} == {("input", "file", "t.parquet")}
    pd_w, pd_r = io_of(db, "pd-w"), io_of(db, "pd-r")
    assert pd_r[("input", "file", "p.parquet")]["source_io_id"] == pd_w[("output", "file", "p.parquet")]["id"]
    files = {r["name"] for r in query(db, "SELECT name FROM run_io WHERE kind = 'file'")}
    assert files == {"data/raw.txt", "t.parquet", "p.parquet"}  # nothing of Python's, Jupyter's or the store's


# -- materialization ---------------------------------------------------------------------------------


def test_materialized_outputs_load_back(kernel, project):
    keep = component("fit", materialize=True)
    run_cells(kernel, [
        ("setup", "import numpy as np, pandas as pd\nfrom sklearn.linear_model import LinearRegression", None),
        ("keep", "frame = pd.DataFrame({'x': [1.0, 2.0, 3.0], 's': ['a', 'b', 'c']})\n"
                 "arr = np.arange(12).reshape(3, 4)\n"
                 "est = LinearRegression().fit(frame[['x']], [2.0, 4.0, 6.0])\n"
                 "meta = {'k': [1, 2], 'name': 'v'}", keep),
        ("copy", "frame2 = frame.copy()", keep),  # same content: the same artifact
        ("plain", "unkept = arr * 2", component("plain")),
        ("env", "import os\nos.environ['PLUMBLINE_ARTIFACT_MAX_BYTES'] = '1000'", None),
        ("big", "big = np.zeros(10_000)", keep),
    ])
    db = db_of(project)
    store = Store(db)
    try:
        (run,) = query(db, "SELECT * FROM runs WHERE cell_id = 'keep'")
        loaded = {name: plumbline.load(run["id"][:8], name, store=store) for name in ("frame", "arr", "est", "meta")}
        pd.testing.assert_frame_equal(loaded["frame"], pd.DataFrame({"x": [1.0, 2.0, 3.0], "s": ["a", "b", "c"]}))
        np.testing.assert_array_equal(loaded["arr"], np.arange(12).reshape(3, 4))
        np.testing.assert_allclose(loaded["est"].coef_, [2.0])
        assert loaded["meta"] == {"k": [1, 2], "name": "v"}
        formats = {a["format"] for a in query(db, "SELECT format FROM artifacts")}
        assert formats == {"parquet", "npy", "joblib", "pickle"}
        io = io_of(db, "keep")
        frame_io = io[("output", "variable", "frame")]
        pd.testing.assert_frame_equal(plumbline.load(frame_io["id"], store=store), loaded["frame"])
        copy = io_of(db, "copy")[("output", "variable", "frame2")]
        assert copy["artifact_hash"] == frame_io["artifact_hash"]  # deduplicated
        assert len(query(db, "SELECT * FROM artifacts WHERE hash = ?", (frame_io["artifact_hash"],))) == 1
        assert len(list((project / ".plumbline" / "artifacts").rglob("*.parquet"))) == 1

        big = io_of(db, "big")[("output", "variable", "big")]
        assert big["artifact_hash"] is None
        assert big["artifact_note"] == ("not materialized: 78.1 KiB is above the cap of 1000 bytes; "
                                        "set PLUMBLINE_ARTIFACT_MAX_BYTES to keep larger values")
        with pytest.raises(LoadError, match="78.1 KiB is above the cap"):
            plumbline.load(big["id"], store=store)
        with pytest.raises(LoadError, match="turn on Materialize outputs for component 'plain'"):
            plumbline.load(io_of(db, "plain")[("output", "variable", "unkept")]["id"], store=store)
        with pytest.raises(LoadError, match="no output named 'nope'.*arr, est, frame, meta"):
            plumbline.load(run["id"], "nope", store=store)
        with pytest.raises(LoadError, match="at least 6 characters"):
            plumbline.load(run["id"][:3], "frame", store=store)
        for path in (project / ".plumbline" / "artifacts").rglob("*.npy"):
            path.unlink()
        with pytest.raises(LoadError, match="is missing"):
            plumbline.load(run["id"], "arr", store=store)
        # A store row naming a file outside .plumbline/artifacts/ is never read (it would be unpickled).
        (project / "evil.pkl").write_bytes(b"not a pickle")
        meta_hash = io_of(db, "keep")[("output", "variable", "meta")]["artifact_hash"]
        store._conn.execute("UPDATE artifacts SET path = '../evil.pkl' WHERE hash = ?", (meta_hash,))
        with pytest.raises(LoadError, match="refusing to read it"):
            plumbline.load(run["id"], "meta", store=store)
        store._conn.execute("UPDATE artifacts SET path = ? WHERE hash = ?",
                            (next(p for p in (project / ".plumbline" / "artifacts").rglob("*.pkl"))
                             .relative_to(project / ".plumbline").as_posix(), meta_hash))
    finally:
        store.close()
    # In the kernel itself, plumbline.load finds the store and the run by prefix.
    got = kernel.execute(f"import plumbline\nprint(plumbline.load({run['id'][:6]!r}, 'meta'))")
    assert got.status == "ok" and got.stdout.strip() == "{'k': [1, 2], 'name': 'v'}", got.reply


def test_ambiguous_run_prefix(tmp_path):
    from plumbline.store import KernelSession, RunStart

    store = Store(tmp_path / "s.db")
    try:
        store.register_session(KernelSession("s", "h", 1, 0.0))
        for rid in ("abcdef-1", "abcdef-2"):
            store.start_run(RunStart(id=rid, kernel_session="s", code="x = 1", started_at=1.0))
        with pytest.raises(LoadError, match="2 runs start with 'abcdef'"):
            plumbline.load("abcdef", "x", store=store)
        with pytest.raises(LoadError, match="No run id starts with"):
            plumbline.load("zzzzzz", "x", store=store)
    finally:
        store.close()


# -- a killed kernel ------------------------------------------------------------------------------------


def test_killed_kernel_still_has_the_inputs_of_its_last_cell(project):
    k = Kernel(env={"PLUMBLINE_DB": db_of(project)}, cwd=str(project))
    try:
        k.load_plumbline("nb.ipynb")
        run_cells(k, [("make", "import time\nrows = list(range(50))", None)])
        k.send("total = sum(rows)\ntime.sleep(120)", cell_id="doomed")
        db = db_of(project)
        wait_for(lambda: query(db, "SELECT 1 FROM runs WHERE cell_id = 'doomed'"))
        os.kill(k.pid, signal.SIGKILL)
        inputs = io_of(db, "doomed")
        assert set(inputs) == {("input", "variable", "rows")}
        assert inputs[("input", "variable", "rows")]["source_io_id"] == \
            io_of(db, "make")[("output", "variable", "rows")]["id"]
    finally:
        k.shutdown(now=True)
