"""Builds the deterministic store behind plumbline/tests/fixtures/changes-v1.json.

Both languages test the change-feed format against that one file: pytest
checks the Python store still produces it, jest applies it to a replica.
Regenerate after a deliberate format change with:
    python -m plumbline.tests.fixture_store > plumbline/tests/fixtures/changes-v1.json

(Not under schema/: JupyterLab reads every .json there as a settings schema.)
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path

from plumbline.store import CheckRecord, KernelSession, RunEnd, RunStart, Store

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def build(path: str) -> Store:
    store = Store(path)
    store.register_session(KernelSession(id="session-a", hostname="host", pid=100, started_at=T0,
                                         python_version="3.11.7", plumbline_version="0.1.0"))
    cells = [
        ("run-1", "cell-1", "import pandas as pd\ndf = pd.read_csv('x.csv')", "load", "ok", None),
        ("run-2", "cell-2", "# drop empty rows\ndf = df.dropna()", "clean", "ok", None),
        ("run-3", "cell-3", "\n\nmodel.fit(df)", None, "error", ("NameError", "name 'model' is not defined")),
        ("run-4", "cell-2", "# only comments here", "clean", "ok", None),
    ]
    for i, (run_id, cell_id, code, component, status, error) in enumerate(cells):
        started = T0 + 10 * (i + 1)
        store.start_run(RunStart(id=run_id, kernel_session="session-a", code=code, started_at=started,
                                 notebook_path="demo.ipynb", cell_id=cell_id, component_name=component,
                                 execution_count=i + 1, git_commit="0123abcd"))
        store.finish_run(RunEnd(id=run_id, ended_at=started + 0.25 * (i + 1), status=status,
                                execution_count=i + 1, error_name=error and error[0],
                                error_value=error and error[1]))
    store.record_checks("run-2", [CheckRecord("nulls-1", "nulls(df)", "before", "pass", "warn", "ok", {}, 1.5, T0 + 20)])
    store.record_checks("run-4", [
        CheckRecord("nulls-1", "nulls(df)", "before", "fail", "warn", "nulls(df): column 'delay' is 25.0% null",
                    {"fractions": {"delay": 0.25}}, 2.0, T0 + 40),
        CheckRecord("rows-1", "row_count(df)", "after", "pass", "warn", "ok", {"rows": 3}, 0.5, T0 + 40),
    ])
    store.start_run(RunStart(id="run-5", kernel_session="session-a", code="train()", started_at=T0 + 60,
                             notebook_path="other.ipynb", cell_id="cell-9", execution_count=5))
    return store


def changes() -> dict:
    return first_page(build)


def first_page(build_store) -> dict:
    """The change page from 0 of the store ``build_store(path)`` makes, its identity pinned."""
    with tempfile.TemporaryDirectory() as folder:
        store = build_store(str(Path(folder) / "lineage.db"))
        try:
            page = store.changes_since(0)
        finally:
            store.close()
    return pin_store_id(page)


def pin_store_id(page: dict) -> dict:
    """Every store gets a random identity; pin it so the fixture is stable."""
    assert re.fullmatch(r"[0-9a-f]{32}", page["store_id"]), page["store_id"]
    return {**page, "store_id": "fixture-store"}


if __name__ == "__main__":
    json.dump(changes(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
