"""A project folder with a notebook to promote, for the pipeline tests (real files, real store)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Optional

import nbformat

from plumbline.pipelines.service import Pipelines
from plumbline.store import Store

#: The example pipeline of the tests: the demo notebook's shape plus a parameters cell, a function cell,
#: an untagged cell to fold and an in-place mutation. (code, metadata)
FLIGHTS_CELLS = [
    ("markdown", "# Weekly flights", {}),
    ("code", "import numpy as np\nimport pandas as pd\n\nrng = np.random.default_rng(7)", {}),
    ("code", "rows = 2000\nlate_minutes = 15\n# a run sets the data interval; these are for working interactively\n"
             "data_interval_end = pd.Timestamp('2026-11-30', tz='UTC')\n"
             "data_interval_start = data_interval_end - pd.Timedelta(days=7)", {"tags": ["parameters"]}),
    ("code", "def is_late(delay):\n    return delay > late_minutes", {}),
    ("code", "flights = pd.DataFrame({\n    'distance': rng.integers(100, 2500, size=rows),\n"
             "    'delay': rng.normal(5, 20, size=rows).round(),\n"
             "    'origin': rng.choice(['SEA', 'SFO', 'JFK', 'ORD'], size=rows),\n})",
     {"plumbline": {"component": "load"}}),
    ("code", "flights = flights[flights['distance'] > 0].copy()\nflights['delay'] = flights['delay'].clip(lower=-30)",
     {"plumbline": {"component": "clean"}}),
    ("code", "flights['late'] = is_late(flights['delay'])  # in place", {}),
    ("code", "features = flights.assign(long_haul=flights['distance'] > 1500)\n"
             "window = (data_interval_start, data_interval_end)",
     {"plumbline": {"component": "features"}}),
    ("code", "from sklearn.linear_model import LogisticRegression\n\nX = features[['distance', 'long_haul']]\n"
             "y = features['late']\nmodel = LogisticRegression().fit(X, y)", {"plumbline": {"component": "train"}}),
    ("code", "predictions = model.predict_proba(X)[:, 1]\nsummary = {'rows': len(predictions), 'window': str(window)}",
     {"plumbline": {"component": "predict"}}),
]


def write_notebook(path: Path, cells: list[tuple[str, str, dict]]) -> list[str]:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    for i, (kind, source, metadata) in enumerate(cells):
        make = nbformat.v4.new_code_cell if kind == "code" else nbformat.v4.new_markdown_cell
        cell = make(source, metadata=dict(metadata))
        cell.id = f"c{i + 1:02d}"
        nb.cells.append(cell)
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, path)
    return [c.id for c in nb.cells]


class Project:
    """``root/`` with ``.plumbline/lineage.db`` and notebooks; ``service`` is the Pipelines facade on it."""

    def __init__(self, root: Path):
        self.root = Path(root).resolve()
        (self.root / ".plumbline").mkdir(parents=True, exist_ok=True)
        self.store_path = self.root / ".plumbline" / "lineage.db"
        self.store = Store(self.store_path)
        self.service = Pipelines(self.store, self.root, restrict_paths=False)

    def notebook(self, name: str = "flights.ipynb", cells=None) -> str:
        write_notebook(self.root / name, FLIGHTS_CELLS if cells is None else cells)
        return name

    def cli(self, *args: str, timeout: float = 600, env: Optional[dict] = None) -> subprocess.CompletedProcess:
        """``plumbline ARGS`` in the project folder, as a user types it."""
        return subprocess.run([sys.executable, "-m", "plumbline", *args], cwd=self.root, capture_output=True,
                              text=True, timeout=timeout, env={**os.environ, **(env or {})})

    def rows(self, sql: str, params=()) -> list[dict]:
        from .storerows import query

        return query(self.store_path, sql, params)


def code_cells(*sources: str, components: Optional[list] = None) -> list[tuple[str, str, dict]]:
    """Code cells, the i-th a component named ``components[i]`` (None: untagged)."""
    components = components or [None] * len(sources)
    return [("code", s, {"plumbline": {"component": c}} if c else {}) for s, c in zip(sources, components)]
