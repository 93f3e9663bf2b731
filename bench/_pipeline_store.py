"""A lineage store holding many runs of a six-component pipeline, for benchmarks.

Written through the real Store API (one schema, one writer), with run_io rows
that link every input to the output version it read, as the recorder does.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

from plumbline.store import IORecord, KernelSession, RunEnd, RunStart, Store, io_id

T0 = 1_767_225_600.0
# component -> (inputs, outputs)
PIPELINE = [
    ("load", [], ["raw"]),
    ("clean", ["raw"], ["df"]),
    ("featurize", ["df"], ["df", "features"]),
    ("split", ["features"], ["X_train", "X_test", "y_train", "y_test"]),
    ("train", ["X_train", "y_train"], ["model"]),
    ("predict", ["model", "X_test"], ["predictions"]),
]


def build(path: Path, notebooks: dict[str, int]) -> None:
    """``notebooks``: notebook path -> number of runs (cells run in pipeline order, repeatedly)."""
    store = Store(path)
    try:
        at = T0
        for notebook, runs in notebooks.items():
            session = str(uuid.uuid4())
            store.register_session(KernelSession(id=session, hostname="bench", pid=1, started_at=at))
            latest: dict[str, str] = {}  # variable -> io id of its latest version
            for n in range(runs):
                component, inputs, outputs = PIPELINE[n % len(PIPELINE)]
                run_id = str(uuid.uuid4())
                at += 1.0
                store.start_run(RunStart(
                    id=run_id, kernel_session=session, code=f"# {component}\n{', '.join(outputs)} = step_{component}()",
                    started_at=at, notebook_path=notebook, cell_id=f"cell-{component}", component_name=component,
                    execution_count=n + 1, git_commit="0123abcd"))
                store.finish_run(RunEnd(id=run_id, ended_at=at + 0.2, status="error" if n % 97 == 0 else "ok",
                                        execution_count=n + 1))
                records = [IORecord(run_id=run_id, direction="input", kind="variable", name=name, how="read",
                                    created_at=at, value_hash=f"h{n}-{name}", strategy="full",
                                    source_io_id=latest.get(name)) for name in inputs]
                for name in outputs:
                    records.append(IORecord(run_id=run_id, direction="output", kind="variable", name=name,
                                            how="mutated" if name in inputs else "assigned", created_at=at + 0.2,
                                            value_hash=f"h{n}-{name}-out", strategy="full", row_count=1000 + n % 50,
                                            shape=(1000 + n % 50, 12)))
                    latest[name] = io_id(run_id, "output", "variable", name)
                store.record_io(records)
    finally:
        store.close()


def notebook_json(cells: list[str]) -> str:
    """An .ipynb whose code cells are the pipeline's components (ids as in the store)."""
    return json.dumps({
        "nbformat": 4, "nbformat_minor": 5, "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3",
                                                                         "language": "python"}},
        "cells": [{"cell_type": "code", "id": f"cell-{name}", "source": f"# {name}\n", "outputs": [],
                   "execution_count": None,
                   "metadata": {"plumbline": {"component": name, "part": "only"}}} for name in cells],
    })
