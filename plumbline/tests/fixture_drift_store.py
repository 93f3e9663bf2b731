"""Builds the deterministic store behind plumbline/tests/fixtures/drift-verdicts-v1.json.

The drift badges' queries (src/queries/monitoring.ts) are tested in jest on this change page of the
replicated tables, ``drift_verdicts`` among them, written by the kernel's monitor (in process, as a
recorder would) after real profiles and comparisons; pytest checks the Python store still produces it.
Clocks are pinned and every frame has at most 200 rows (a KLL sketch with k = 200 holds them exactly),
so the page is the same on every machine. Regenerate after a deliberate change with:

    python -m plumbline.tests.fixture_drift_store > plumbline/tests/fixtures/drift-verdicts-v1.json

The story (demo.ipynb, T0 = 2026-01-01T00:00:00Z):

  cleaning (cell-1)  run 1  reference  (the first profile of ``clean``)
                     run 2  ok         (same distribution)
                     run 3  drift      (``delay`` shifted by 1.5 std, ``origin`` gains 'PDX')
  scoring  (cell-2)  run 4  reference  (``scores``)
                     run 5  schema     (``scores`` gains a column)
  report   (cell-3)  run 6  no verdict (outputs nothing profiled)
"""

from __future__ import annotations

import json
import sys
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from .fixture_store import first_page

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
NOTEBOOK = "demo.ipynb"


class Clock:
    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now

    def __getattr__(self, name):  # monotonic, sleep...: the real ones (only the wall clock is pinned)
        import time

        return getattr(time, name)


@contextmanager
def pinned(clock: Clock):
    with mock.patch("plumbline.kernel.monitoring.time", clock), mock.patch("plumbline.store.runs.time", clock), \
            mock.patch("plumbline.store.lineage.time", clock):
        yield


def run_id(i: int) -> str:
    return f"{i:08x}-0000-4000-8000-{i:012x}"  # distinct first 8 characters


def build(path: str):
    import numpy as np
    import pandas as pd

    from plumbline.kernel.components import parse_component
    from plumbline.kernel.monitoring import KernelMonitor
    from plumbline.store import IORecord, KernelSession, RunEnd, RunStart, Store

    folder = Path(path).parent
    store = Store(path)
    clock = Clock(T0)
    warnings: list[str] = []
    rng = np.random.default_rng(7)
    n = 200

    def cleaning(shift: float, unseen: bool):
        origins = ["SEA", "SFO", "ORD", "PDX"] if unseen else ["SEA", "SFO", "ORD"]
        shares = [0.3, 0.3, 0.2, 0.2] if unseen else [0.4, 0.35, 0.25]
        return pd.DataFrame({"delay": rng.normal(10 + 30 * shift, 30, n).round(1),
                             "origin": rng.choice(origins, n, p=shares),
                             "distance": rng.integers(50, 3000, n)})

    def scoring(extra: bool):
        frame = pd.DataFrame({"score": rng.uniform(0, 1, n)})
        if extra:
            frame["margin"] = rng.normal(size=n)
        return frame

    story = [
        ("cleaning", "cell-1", "clean = load()", "clean", lambda: cleaning(0.0, False)),
        ("cleaning", "cell-1", "clean = load()", "clean", lambda: cleaning(0.0, False)),
        ("cleaning", "cell-1", "clean = load()", "clean", lambda: cleaning(1.5, True)),
        ("scoring", "cell-2", "scores = score(clean)", "scores", lambda: scoring(False)),
        ("scoring", "cell-2", "scores = score(clean)", "scores", lambda: scoring(True)),
        ("report", "cell-3", "print(len(clean))", None, None),
    ]
    with pinned(clock):
        store.register_session(KernelSession(id="session", hostname="host", pid=1, started_at=T0))
        monitor = KernelMonitor(lambda method, *args: method(store, *args), lambda: store, folder, warnings.append,
                                lambda: NOTEBOOK)
        for i, (name, cell, code, output, make) in enumerate(story, start=1):
            rid = run_id(i)
            started = T0 + 60 * i
            clock.now = started
            metadata = {"plumbline": {"component": name, "part": "only"}}
            component = parse_component(metadata)
            store.start_run(RunStart(id=rid, kernel_session="session", code=code, started_at=started,
                                     notebook_path=NOTEBOOK, cell_id=cell, component_name=name,
                                     component=component.info))
            monitor.begin(rid, component, metadata)
            if output is not None:
                clock.now = started + 1
                record = IORecord(run_id=rid, direction="output", kind="variable", name=output, how="assigned",
                                  created_at=started + 1)
                store.record_io([record])
                monitor.on_outputs(rid, [(record.id, output, make())])
            monitor.end(rid)
            assert monitor.wait(60)
            clock.now = started + 2
            store.finish_run(RunEnd(id=rid, ended_at=started + 2, status="ok"))
        monitor.close()
    assert not warnings, warnings
    return store


def changes() -> dict:
    return first_page(build)


if __name__ == "__main__":
    json.dump(changes(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
