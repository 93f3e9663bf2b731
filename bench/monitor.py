#!/usr/bin/env python
"""Monitor: predictions logged per second, labels joined per second, panel refresh at 10M, bytes per prediction.

Run from the repository root:

    python bench/monitor.py                  # 10,000,000 predictions in batches of 100,000
    python bench/monitor.py --predictions 2000000 --keep

What it does, in one run (conventions: bench/README.md):

1. **Logging.** A monitor on a binary classifier (a reference of 50,000 rows, its
   scores from a logistic model on 4 features), window "1D", batches of 100,000
   predictions with their features, ids and timestamps (one day per batch),
   until ``--predictions`` are stored. Each batch's ``log_predictions`` (scores
   given as ``proba=``: the model's own inference is the user's, timed apart
   for context) takes turns with the baseline: the same batch's columns written
   to Parquet with pyarrow alone, and that write again (A/A). Medians; target:
   >= 1,000,000 predictions/s.
1b. A regressor's monitor (DLE) logging the same batches (20 of them).
2. **Labels.** With everything stored, ``log_feedback`` of 500,000 ids drawn at
   random from all of them (any order, any window), five times; the baseline is
   the bare hash join (``pandas.Index.get_indexer``) of the same ids against one
   index of all ids. Target: >= 500,000 labels/s.
3. **Refresh.** After one more batch (so 10M + 100k stored), the time to bring
   the panel's data up to date: the touched window and the cumulative series
   recomputed from their aggregates, the rows written to the store, the
   payload built (``Monitor._save_rows`` + ``Monitor.payload``), twenty times.
   Target: <= 50 ms.
4. **Bytes** stored per prediction (Parquet files of the monitor's folder), and
   the store's size.

Checks (exit 1 when one fails): every prediction is counted, in the right
window; every label joined; the payload has every window. Exit 2 if the
benchmark could not run. Nothing is asserted on time.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _stats import median, ms, p90  # noqa: E402

BATCH = 100_000
DAY = 86_400


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1])
    parser.add_argument("--predictions", type=int, default=10_000_000)
    parser.add_argument("--labels", type=int, default=500_000, help="labels per feedback call")
    parser.add_argument("--seed", type=int, default=20261202)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    try:
        import numpy as np
        import pandas as pd
        import pyarrow as pa
        import pyarrow.parquet as pq
        from sklearn.linear_model import LogisticRegression

        from plumbline.monitoring.monitor import monitor
        from plumbline.store import Store
    except ImportError as exc:
        print(f"cannot run: {exc} (pip install -e .[test])", file=sys.stderr)
        return 2

    rng = np.random.default_rng(args.seed)
    random.seed(args.seed)
    folder = Path(tempfile.mkdtemp(prefix="plumbline-bench-monitor-"))
    failures = []
    try:
        store = Store(folder / "store" / "plumbline.db")

        def rows(n):
            frame = pd.DataFrame({"hour": rng.integers(0, 24, n), "distance": rng.gamma(2.0, 400.0, n),
                                  "weekday": rng.integers(0, 7, n), "load": rng.normal(size=n)})
            logit = 0.08 * (frame.hour - 12) + 0.0004 * (frame.distance - 800) + 0.5 * frame.load
            y = (rng.random(n) < 1 / (1 + np.exp(-logit - 1.2))).astype(np.int8)
            return frame, y

        X_train, y_train = rows(50_000)
        model = LogisticRegression(max_iter=500).fit(X_train, y_train)
        X_ref, y_ref = rows(50_000)
        t = time.perf_counter()
        mon = monitor("bench", model=model, reference=(X_ref, y_ref), window="1D", store=store)
        print(f"reference fitted in {ms(time.perf_counter() - t):.0f} ms (50,000 rows; "
              f"aggregate of {mon.ref.aggregate_length} numbers per window)")

        X_batch, y_batch = rows(BATCH)
        t = time.perf_counter()
        proba = model.predict_proba(X_batch)[:, 1]
        inference = time.perf_counter() - t
        start = pd.Timestamp("2026-01-01", tz="UTC").value // 10**9

        batches = max(1, args.predictions // BATCH)
        logged, base, again = [], [], []
        labels_of = {}
        scratch = folder / "baseline.parquet"
        for b in range(batches):
            ids = np.arange(b * BATCH, (b + 1) * BATCH, dtype=np.int64)
            ts = start + b * DAY + rng.integers(0, DAY, BATCH)
            labels_of[b] = y_batch
            order = ["log", "base", "again"]
            random.shuffle(order)
            for what in order:
                if what == "log":
                    t = time.perf_counter()
                    mon.log_predictions(X_batch, proba=proba, ids=ids, timestamps=ts)
                    logged.append(time.perf_counter() - t)
                else:
                    t = time.perf_counter()
                    pq.write_table(pa.table({"id": ids, "ts": ts, "proba": proba, **{c: X_batch[c].to_numpy()
                                             for c in X_batch.columns}}), scratch, compression="zstd",
                                   compression_level=1)
                    (base if what == "base" else again).append(time.perf_counter() - t)
        warm = slice(2, None) if batches > 4 else slice(None)
        rate = BATCH / median(logged[warm])
        print("\n1. logging, batches of 100,000 (scores given; the model's inference is "
              f"{ms(inference):.0f} ms per batch, the user's)")
        print(f"   log_predictions: median {ms(median(logged[warm])):.1f} ms, p90 {ms(p90(logged[warm])):.1f} ms "
              f"-> {rate:,.0f} predictions/s")
        print(f"   baseline, the batch to Parquet alone: {ms(median(base[warm])):.1f} ms; again (A/A): "
              f"{ms(median(again[warm])):.1f} ms (noise {abs(median(base[warm]) / median(again[warm]) - 1):.1%})")
        print(f"   log / baseline: {median(logged[warm]) / median(base[warm]):.2f}x")
        print(f"   target: >= 1,000,000 predictions/s -> {'MET' if rate >= 1_000_000 else 'NOT MET'}")

        # 1b. a regressor's monitor (DLE: the loss tree is looked up per row), fewer batches
        from sklearn.linear_model import LinearRegression

        target = X_train.distance / 100 + X_train.hour + rng.normal(0, 3, len(X_train))
        regressor = LinearRegression().fit(X_train, target)
        reg = monitor("bench-regressor", model=regressor, window="1D", store=store,
                      reference=(X_ref, X_ref.distance / 100 + X_ref.hour + rng.normal(0, 3, len(X_ref))))
        reg_pred = regressor.predict(X_batch)
        reg_logged = []
        for b in range(min(batches, 20)):
            t = time.perf_counter()
            reg.log_predictions(X_batch, predictions=reg_pred, ids=np.arange(b * BATCH, (b + 1) * BATCH),
                                timestamps=start + b * DAY + rng.integers(0, DAY, BATCH))
            reg_logged.append(time.perf_counter() - t)
        reg_rate = BATCH / median(reg_logged[2:] if len(reg_logged) > 4 else reg_logged)
        print(f"   a regressor's monitor (DLE): {reg_rate:,.0f} predictions/s -> "
              f"{'MET' if reg_rate >= 1_000_000 else 'NOT MET'}")

        stored = batches * BATCH
        if mon.totals["predictions"] != stored:
            failures.append(f"{mon.totals['predictions']} predictions counted, {stored} logged")
        per_window = dict(zip(mon.keys.tolist(), mon.counts[:, 0].tolist()))
        if len(per_window) != batches or set(per_window.values()) != {BATCH}:
            failures.append(f"windows hold {sorted(set(per_window.values()))} predictions, not {BATCH} each")

        # 2. labels: random ids across all of history, in any order.
        joined, bare = [], []
        all_ids = pd.Index(np.arange(stored, dtype=np.int64))
        chosen = rng.permutation(stored)
        k = min(args.labels, stored // 6)
        for i in range(5):
            ids = chosen[i * k:(i + 1) * k]
            y = rng.integers(0, 2, k).astype(np.int8)
            t = time.perf_counter()
            report = mon.log_feedback(ids, y)
            joined.append(time.perf_counter() - t)
            t = time.perf_counter()
            found = all_ids.get_indexer(ids)
            bare.append(time.perf_counter() - t)
            if report.joined != k or (found < 0).any():
                failures.append(f"feedback call {i}: {report.joined} of {k} labels joined")
        label_rate = k / median(joined)
        print(f"\n2. labels, {k:,} ids at random across {stored:,} predictions")
        print(f"   log_feedback: median {ms(median(joined)):.0f} ms -> {label_rate:,.0f} labels/s; the bare hash "
              f"join alone: {ms(median(bare)):.0f} ms ({median(joined) / median(bare):.1f}x)")
        print(f"   target: >= 500,000 labels/s -> {'MET' if label_rate >= 500_000 else 'NOT MET'}")
        if mon.totals["labels"] != 5 * k:
            failures.append(f"{mon.totals['labels']} labels counted, {5 * k} joined")

        # 3. refresh after one more batch.
        ids = np.arange(stored, stored + BATCH, dtype=np.int64)
        mon.log_predictions(X_batch, proba=proba, ids=ids, timestamps=start + batches * DAY + rng.integers(0, DAY,
                                                                                                        BATCH))
        last = int(np.argmax(mon.keys))
        refresh, build = [], []
        for _ in range(20):
            t = time.perf_counter()
            mon._save_rows({last})
            payload = mon.payload()
            refresh.append(time.perf_counter() - t)
            t = time.perf_counter()
            mon.payload()
            build.append(time.perf_counter() - t)
        if len(payload["windows"]) != batches + 1:
            failures.append(f"the payload has {len(payload['windows'])} windows, not {batches + 1}")
        print(f"\n3. refresh with {stored + BATCH:,} predictions stored ({batches + 1} windows)")
        print(f"   touched window + cumulative + store rows + payload: median {ms(median(refresh)):.1f} ms, "
              f"p90 {ms(p90(refresh)):.1f} ms (the payload alone: {ms(median(build)):.1f} ms)")
        print(f"   target: <= 50 ms -> {'MET' if median(refresh) <= 0.05 else 'NOT MET'}")

        per = mon.bytes_per_prediction()
        db = sum(f.stat().st_size for f in (folder / "store").glob("plumbline.db*"))
        print(f"\n4. bytes: {per:.1f} per prediction in the monitor's Parquet files (id, time, window, score, "
              f"class, bucket); the store {db / 1e6:.1f} MB for {batches + 1} windows")
    except Exception as exc:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        print(f"cannot run: {exc}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)
    for failure in failures:
        print(f"CHECK FAILED: {failure}")
    return 1 if failures else 0


if __name__ == "__main__":
    os.environ.setdefault("PLUMBLINE_QUIET", "1")
    sys.exit(main())
