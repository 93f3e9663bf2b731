"""Builds the deterministic monitors behind plumbline/tests/fixtures/monitor-bundle-v1.json.

One file, read by both suites: the inline panel's bundles (a classifier's and a
regressor's, ``application/vnd.plumbline.monitor+json``) that the TypeScript
renderer is tested against, and the change page of the replicated tables
(``monitors``, ``monitor_windows``, ``monitor_triggers``, ``trigger_requests``) from
which the sidebar's tab builds the same payload. pytest checks that Python still
produces it. Regenerate after a deliberate change with:

    python -m plumbline.tests.fixture_monitor > plumbline/tests/fixtures/monitor-bundle-v1.json

The story: a classifier's monitor with windows of 400 rows; window 0 like the
reference; window 1 shifted (covariate shift: the estimate moves, labels agree);
window 2 labelled against the truth flipped for a third of its rows (concept
drift: realized leaves the band); window 3 unlabelled; a label for an id never
logged (kept, reported); a trigger on alerts awaiting approval. A regressor's
monitor with two windows. Clocks and ids pinned; fixed seeds.
"""

from __future__ import annotations

import itertools
import json
import sys
import tempfile
import uuid
from contextlib import contextmanager
from pathlib import Path
from unittest import mock

from .fixture_store import pin_store_id

T0 = 1_767_225_600.0  # 2026-01-01T00:00:00Z
MIME = "application/vnd.plumbline.monitor+json"


class Clock:
    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        self.now += 1.0
        return self.now

    def time_ns(self) -> int:
        return int(self.time() * 1e9)

    def __getattr__(self, name):
        import time

        return getattr(time, name)


@contextmanager
def pinned():
    clock = Clock(T0)
    counter = itertools.count(1)

    def ids():
        return uuid.UUID(int=next(counter))

    with mock.patch("plumbline.store.monitors.time", clock), mock.patch("plumbline.store.pipelines.time", clock), \
            mock.patch("plumbline.monitoring.monitor.time", clock), \
            mock.patch("plumbline.monitoring.triggers.time", clock), \
            mock.patch("plumbline.monitoring.windowing.time", clock), \
            mock.patch("plumbline.store.monitors.uuid.uuid4", ids), \
            mock.patch("plumbline.store.pipelines.uuid.uuid4", ids):
        yield


def data(seed: int, n: int, shift: float = 0.0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"hour": rng.integers(0, 24, n), "distance": rng.gamma(2.0, 400.0, n) * (1 + shift),
                      "load": rng.normal(shift, 1.0, n)})
    logit = 0.15 * (X.hour - 12) + 0.001 * (X.distance - 800) + 0.8 * X.load
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    return X, y, logit


def build(folder: str | Path):
    """(store, classifier monitor, regressor monitor), written under ``folder``."""
    import numpy as np
    from sklearn.linear_model import LinearRegression, LogisticRegression

    from plumbline.monitoring.monitor import monitor
    from plumbline.store import Store

    store = Store(Path(folder) / "lineage.db")
    with pinned():
        store.create_pipeline(name="retrain", folder="pipelines/retrain", notebook_path="demo.ipynb",
                              spec_hash="0" * 64, cron="0 6 * * *", timezone="UTC", catchup="latest",
                              catchup_limit=1, max_active_runs=1, tasks=[], environment=None, cursor=None,
                              next_fire_at=None)
        X, y, _ = data(1, 3000)
        model = LogisticRegression(max_iter=500).fit(X, y)
        X_ref, y_ref, _ = data(2, 3000)
        clf = monitor("delay-model", model=model, reference=(X_ref, y_ref), window=400, store=store)
        clf.trigger("retrain", on="alert", cooldown="1D")
        batches = [data(3, 400), data(4, 400, shift=0.4), data(5, 400), data(6, 300)]
        for i, (Xb, yb, _) in enumerate(batches):
            ids = clf.log_predictions(Xb, ids=np.arange(i * 1000, i * 1000 + len(Xb)))
            if i == 0:
                clf.log_feedback(ids[:300], yb[:300])
            elif i == 1:
                clf.log_feedback(ids, yb)
            elif i == 2:
                flipped = yb.copy()
                flipped[: len(yb) // 3] = 1 - flipped[: len(yb) // 3]
                clf.log_feedback(ids, flipped)
        clf.log_feedback(np.array([99_999]), np.array([1]))

        Xr, _, logit = data(7, 2000)
        target = 10 * logit.to_numpy() + np.random.default_rng(8).normal(0, 3, 2000)
        reg_model = LinearRegression().fit(Xr, target)
        Xr_ref, _, logit_ref = data(9, 2000)
        target_ref = 10 * logit_ref.to_numpy() + np.random.default_rng(10).normal(0, 3, 2000)
        reg = monitor("arrival-delay", model=reg_model, reference=(Xr_ref, target_ref), window=500, store=store)
        for i, shift in enumerate((0.0, 0.5)):
            Xb, _, lb = data(11 + i, 500, shift=shift)
            ids = reg.log_predictions(Xb, ids=np.arange(i * 1000, i * 1000 + 500))
            noise = np.random.default_rng(20 + i).normal(0, 3 + 4 * i, 500)
            reg.log_feedback(ids[:250], (10 * lb.to_numpy() + noise)[:250])
    return store, clf, reg


def _bundle(mon) -> dict:
    with pinned():
        bundle = mon._repr_mimebundle_()
    return json.loads(json.dumps(bundle, sort_keys=True))


def fixture() -> dict:
    with tempfile.TemporaryDirectory() as folder:
        store, clf, reg = build(folder)
        try:
            out = {"classification": _bundle(clf), "regression": _bundle(reg),
                   "changes": pin_store_id(store.changes_since(0))}
        finally:
            store.close()
    tables = ("monitors", "monitor_windows", "monitor_triggers", "trigger_requests", "pipelines")
    out["changes"]["tables"] = {k: v for k, v in out["changes"]["tables"].items() if k in tables}
    return json.loads(json.dumps(out, sort_keys=True))


def main() -> None:
    json.dump(fixture(), sys.stdout, indent=1, sort_keys=True, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
