"""The deterministic drift bundles behind plumbline/tests/fixtures/drift-bundle-v1.json, and a store with
profiled component runs for the server tests.

The TypeScript renderer (src/renderers/) is tested against the JSON file;
pytest checks that Python still produces it. Regenerate after a deliberate
format change with:
    python -m plumbline.tests.fixture_drift > plumbline/tests/fixtures/drift-bundle-v1.json

Deterministic: fixed seeds, and tables of at most 200 rows, which a KLL
sketch (k = 200) holds exactly, so no sketch randomness reaches the numbers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z


def frames():
    """A reference and a current batch that show every part of the panel."""
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(11)
    n, m = 200, 180
    reference = pd.DataFrame({
        "prediction": rng.uniform(0, 1, n),
        "delay": rng.normal(10, 30, n).round(1),
        "distance": rng.integers(50, 3000, n),
        "origin": rng.choice(["SEA", "SFO", "ORD", "JFK"], n, p=[0.4, 0.3, 0.2, 0.1]),
        "carrier": rng.choice(["AA", "UA"], n),
        "constant": np.full(n, 7.0),
        "empty": np.full(n, np.nan),
        "date": pd.date_range("2026-01-01", periods=n, freq="h"),
        "retired": rng.normal(size=n),
        "code": rng.integers(0, 5, n),
    })
    current = pd.DataFrame({
        "prediction": rng.uniform(0.1, 1, m),
        "delay": (rng.normal(25, 30, m)).round(1),
        "distance": rng.integers(50, 3000, m).astype(float),
        "origin": rng.choice(["SEA", "SFO", "ORD", "JFK", "PDX"], m, p=[0.25, 0.3, 0.2, 0.1, 0.15]),
        "carrier": rng.choice(["AA", "UA"], m),
        "constant": np.full(m, 7.0),
        "empty": np.full(m, np.nan),
        "date": pd.date_range("2026-02-01", periods=m, freq="h"),
        "code": rng.choice(["a", "b"], m),
        "added": rng.normal(size=m),
    })
    current.loc[current.index[:30], "distance"] = np.nan
    return reference, current


def bundles() -> dict:
    import plumbline

    reference, current = frames()
    plain = plumbline.drift(reference, current, show=False, reference_label="January",
                            current_label="February")
    chunked = plumbline.drift(reference, current.drop(columns=["added"]), chunk=60, show=False,
                              reference_label="January", current_label="February by 60 rows")
    return {"comparison": _pinned(plain.bundle()), "chunked": _pinned(chunked.bundle())}


def _pinned(bundle: dict) -> dict:
    """Times and versions pinned, so the file does not change from run to run."""
    data = bundle["application/vnd.plumbline.drift+json"]
    for side in ("reference", "current"):
        data[side]["created_at"] = T0
    data["generated_by"] = "plumbline (fixture)"
    bundle["text/plain"] = bundle["text/plain"]
    return bundle


def build_store(folder: str | Path):
    """A store with one component run three times on drifting batches (profiles and verdicts recorded
    by the kernel's monitor, in process): returns (store, [run ids])."""
    import numpy as np
    import pandas as pd

    from plumbline.kernel.components import parse_component
    from plumbline.kernel.monitoring import KernelMonitor
    from plumbline.store import IORecord, KernelSession, RunEnd, RunStart, Store

    folder = Path(folder)
    store = Store(folder / "lineage.db")
    store.register_session(KernelSession(id="session", hostname="host", pid=1, started_at=T0))
    warnings: list[str] = []
    monitor = KernelMonitor(lambda method, *args: method(store, *args), lambda: store, folder, warnings.append,
                            lambda: "demo.ipynb")
    metadata = {"plumbline": {"component": "cleaning", "part": "only"}}
    component = parse_component(metadata)
    rng = np.random.default_rng(5)
    runs = []
    for i, shift in enumerate((0.0, 0.0, 0.5)):
        run_id = f"{i + 1:08x}-0000-4000-8000-{i + 1:012x}"  # distinct first 8 characters
        started = T0 + 60 * i
        store.start_run(RunStart(id=run_id, kernel_session="session", code="clean = load()", started_at=started,
                                 notebook_path="demo.ipynb", cell_id="cell-1", component_name="cleaning",
                                 component=component.info))
        frame = pd.DataFrame({"delay": rng.normal(10 + 30 * shift, 30, 3000),
                              "origin": rng.choice(["SEA", "SFO", "ORD"], 3000)})
        record = IORecord(run_id=run_id, direction="output", kind="variable", name="clean", how="assigned",
                          created_at=started + 1)
        store.record_io([record])
        monitor.begin(run_id, component, metadata)
        monitor.on_outputs(run_id, [(record.id, "clean", frame)])
        monitor.end(run_id)
        monitor.wait(60)
        store.finish_run(RunEnd(id=run_id, ended_at=started + 2, status="ok"))
        runs.append(run_id)
    assert not warnings, warnings
    return store, runs


def main() -> None:
    json.dump(bundles(), sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
