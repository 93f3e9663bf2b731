"""The staleness rules of docs/architecture.md, end to end: real kernels write the store, and the
browser's own query (src/queries/lineage/staleness.ts, run by Node on the store's snapshot) decides."""

from __future__ import annotations

import pytest

from . import tsqueries
from .kernels import Kernel
from .test_kernel_state import session_of
from .test_lineage_kernel import component, run_cells

MAKE_DATA = ("import numpy as np, pandas as pd\n"
             "pd.DataFrame({'delay': [1.0, np.nan, 30.0, 5.0, np.nan, 16.0], 'hour': [1, 2, 3, 4, 5, 6]})"
             ".to_parquet('flights.parquet')")
TRAIN = [
    ("load", "import pandas as pd\nflights = pd.read_parquet('flights.parquet')"),
    ("clean", "flights.dropna(inplace=True)"),
    ("featurize", "FEATURES = ['hour']\nX = flights[FEATURES]\ny = flights['delay'] > 15"),
    ("document", "doc = ', '.join(FEATURES)"),
    ("export", "X.assign(y=y).to_parquet('features.parquet')"),
]


@pytest.fixture
def project(tmp_path):
    (tmp_path / ".plumbline").mkdir()
    return tmp_path


def kernel_for(project, notebook):
    k = Kernel(env={"PLUMBLINE_DB": str(project / ".plumbline" / "lineage.db")}, cwd=str(project))
    k.load_plumbline(notebook)
    return k


def db(project):
    return str(project / ".plumbline" / "lineage.db")


def cells(pairs):
    return [(name, code) for name, code in pairs]


def run(kernel, names, code=dict(TRAIN)):
    run_cells(kernel, [(name, code[name], component(name)) for name in names])


def why(stale: dict) -> dict:
    """component -> the kinds of its reasons ('kernel:restarted', 'upstream', ...)."""
    return {key: sorted({f"{r['kind']}:{r['why']}" if r["kind"] == "kernel" else r["kind"] for r in reasons})
            for key, reasons in stale.items()}


def test_after_a_restart_staleness_describes_what_the_kernel_holds(project):
    k = kernel_for(project, "train.ipynb")
    try:
        assert k.execute(MAKE_DATA, silent=True).status == "ok"
        run(k, [name for name, _ in TRAIN])
        first = session_of(k)
        assert tsqueries.staleness(db(project), "train.ipynb", cells(TRAIN), kernel_session=first) == {}

        k.manager.restart_kernel(now=True)
        k.client.wait_for_ready(timeout=60)
        k.load_plumbline("train.ipynb")
        second = session_of(k)
        # A new kernel holds nothing: everything that keeps values in it is stale.
        assert why(tsqueries.staleness(db(project), "train.ipynb", cells(TRAIN), kernel_session=second)) == {
            "load": ["kernel:restarted"], "clean": ["kernel:restarted", "upstream"],
            "featurize": ["kernel:restarted", "upstream"], "document": ["kernel:restarted", "upstream"],
            "export": ["upstream"],  # it keeps nothing in the kernel (it wrote a file), but read what is gone
        }

        # The user re-runs load: clean's input has the same content as before, so by the store alone
        # nothing changed for clean -- but the kernel's flights is the raw frame again.
        run(k, ["load"])
        store_only = tsqueries.staleness(db(project), "train.ipynb", cells(TRAIN))
        assert "clean" not in store_only
        live = why(tsqueries.staleness(db(project), "train.ipynb", cells(TRAIN), kernel_session=second))
        assert "load" not in live
        assert live["clean"] == ["kernel:restarted"]
        assert "upstream" in live["featurize"] and "kernel:restarted" in live["featurize"]

        # Re-run everything in this kernel: up to date. Then re-run load again (same content):
        # clean's in-place version is undone, so clean is stale, and what derived from it.
        run(k, ["clean", "featurize", "document", "export"])
        assert tsqueries.staleness(db(project), "train.ipynb", cells(TRAIN), kernel_session=second) == {}
        run(k, ["load"])
        stale = tsqueries.staleness(db(project), "train.ipynb", cells(TRAIN), kernel_session=second)
        (clean,) = stale["clean"]
        assert clean["kind"] == "kernel" and clean["why"] == "recreated" and clean["name"] == "flights"
        assert clean["byComponent"] == "load"
        assert {"kind": "upstream", "component": "clean"} in stale["featurize"]
        # FEATURES is a constant: what was made from it only is not stale.
        assert "document" not in stale
    finally:
        k.shutdown(now=True)


def test_an_edit_upstream_in_another_notebook_makes_its_readers_stale(project):
    train = kernel_for(project, "train.ipynb")
    infer = None
    try:
        assert train.execute(MAKE_DATA, silent=True).status == "ok"
        run(train, [name for name, _ in TRAIN])
        infer = kernel_for(project, "infer.ipynb")
        predict = ("import pandas as pd\nfeatures = pd.read_parquet('features.parquet')\n"
                   "late = int(features['y'].sum())")
        run_cells(infer, [("predict", predict, component("predict"))])
        infer_cells = [("predict", predict)]
        assert tsqueries.staleness(db(project), "infer.ipynb", infer_cells) == {}

        # featurize is edited in train.ipynb (saved, not run): its readers in infer.ipynb are stale,
        # through export's file.
        edited = [(name, code + "\ny = flights['delay'] > 20" if name == "featurize" else code) for name, code in TRAIN]
        stale = tsqueries.staleness(db(project), "infer.ipynb", infer_cells, sources={"train.ipynb": edited})
        assert stale["predict"] == [{"kind": "upstream", "component": "train.ipynb::export"}]
        assert stale["train.ipynb::featurize"] == [{"kind": "code", "cellId": "featurize"}]
        assert {"kind": "upstream", "component": "train.ipynb::featurize"} in stale["train.ipynb::export"]
        # Without train's sources only what the store knows counts (nothing newer there).
        assert tsqueries.staleness(db(project), "infer.ipynb", infer_cells) == {}
        # A kernel restart of train does not touch the file infer read.
        train.manager.restart_kernel(now=True)
        train.client.wait_for_ready(timeout=60)
        train.load_plumbline("train.ipynb")
        assert tsqueries.staleness(db(project), "infer.ipynb", infer_cells, kernel_session=session_of(infer)) == {}
    finally:
        train.shutdown(now=True)
        if infer is not None:
            infer.shutdown(now=True)
