#!/usr/bin/env python
"""Performance estimation: Plumbline's CBPE and importance-weighted estimates beside NannyML 0.13.1's CBPE
on the same chunks of real data, and the cost of keeping the aggregates.

Run from the repository root (flights-3m comes from vega-datasets: `jlpm install` first):

    python bench/estimation.py               # everything (installs NannyML once into its own virtualenv)
    python bench/estimation.py --no-peers    # without NannyML
    python bench/estimation.py --only speed  # some sections (shift, months, speed)

What it does, in one run (conventions: bench/README.md):

1. **Covariate shift**: the model of ``plumbline/tests/flights_scenarios.py`` (HistGradientBoosting of
   "delay > 15 min" trained on 1–21 January 2001), its reference (half of 22–31 January, at random) and
   8 production batches of 10,000 rows drawn from the other half with weights that depend on the
   features only (hour, distance band, hub airports, weekend). Per method: mean absolute error of the
   estimated accuracy, F1, precision, recall, ROC AUC against the realized value, how many batches'
   bands hold the realized accuracy, and alerts. Also the **noise floor**: the MAE a perfect estimator
   of E[metric | x] would still show, sqrt(2/π) × the realized value's standard deviation given p.
2. **Real months**: weekly windows February–June (20,000 rows sampled per week), where the weather
   changes P(y | x): the same figures, and the weeks whose realized value leaves the band (Plumbline
   flags them as concept drift once labels land).
3. **Speed**: ``row_state`` + ``add_predictions`` per 100,000 predictions (with the 5 features, and
   score only), ``add_labels`` per 100,000 labels and ``summarize`` of one window, beside the model's
   own ``predict_proba`` on the same rows (the baseline: the cost a monitor's user pays anyway).
   Target: row_state + add_predictions ≤ 15 ms per 100,000 (the monitor logs ≥ 1,000,000 predictions/s in all).

NannyML runs from ``~/.cache/plumbline-bench/nannyml-0.13.1`` (``--peer-cache``), created with
``python -m venv`` and ``pip install nannyml==0.13.1`` the first time (as ``bench/drift.py`` does),
and reads the same chunks from Parquet files (``bench/peers/nannyml_cbpe.py``).

Nothing is asserted on time; exit status 1 if a check fails, 2 if the benchmark could not run.
"""

from __future__ import annotations

import argparse
import math
import os
import platform
import random
import shutil
import sys
import tempfile
import time
from pathlib import Path

from _stats import median, ms, p90  # noqa: E402  (bench/ is on sys.path when run as a script)

BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(BENCH.parent))  # plumbline.tests (the scenarios) from this checkout
SECTIONS = ("shift", "months", "speed")
PEER = ("nannyml", ["nannyml==0.13.1", "statsmodels", "pyarrow"], "peers/nannyml_cbpe.py")
METRICS = ("accuracy", "f1", "precision", "recall", "roc_auc")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--no-peers", action="store_true", help="skip NannyML")
    parser.add_argument("--only", default=None, help=f"comma-separated sections ({', '.join(SECTIONS)}; default: all)")
    parser.add_argument("--peer-cache", default=str(Path.home() / ".cache" / "plumbline-bench"))
    parser.add_argument("--rounds", type=int, default=30, help="speed rounds (default 30)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    only = set(SECTIONS) if args.only is None else {p.strip() for p in args.only.split(",") if p.strip()}
    if only - set(SECTIONS):
        parser.error(f"unknown section(s) {', '.join(sorted(only - set(SECTIONS)))}; choose from {', '.join(SECTIONS)}")
    import plumbline

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    root = Path(tempfile.mkdtemp(prefix="plumbline-bench-estimation-")).resolve()
    print(f"Plumbline estimation benchmark — seed {seed}; {os.cpu_count()} CPUs, Python {platform.python_version()}, "
          f"plumbline {plumbline.__version__} ({Path(plumbline.__file__).parent})")
    ok = True
    try:
        scenarios = [s for s in ("shift", "months") if s in only]
        if scenarios:
            ok &= accuracy(scenarios, root, peers=not args.no_peers, cache=Path(args.peer_cache))
        if "speed" in only:
            ok &= speed(args.rounds, seed)
    except Exception as exc:  # noqa: BLE001
        import traceback

        traceback.print_exc()
        print(f"\nerror: {exc}", file=sys.stderr)
        return 2
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)
    return 0 if ok else 1


# -- 1 and 2: the same chunks for every method -----------------------------------------------------------


def realized_of(y, proba):
    import numpy as np
    from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

    pred = proba > 0.5
    return {"accuracy": float((pred == y).mean()), "f1": float(f1_score(y, pred)),
            "precision": float(precision_score(y, pred, zero_division=0)), "recall": float(recall_score(y, pred)),
            "roc_auc": float(roc_auc_score(y, proba)) if 0 < y.sum() < len(y) else float(np.nan)}


def accuracy(scenarios, root: Path, *, peers: bool, cache: Path) -> bool:
    import numpy as np
    import pandas as pd

    from plumbline.monitoring.estimation import ClassifierReference
    from plumbline.tests import flights_scenarios as fs

    t0 = time.perf_counter()
    s = fs.january()
    chunks = {}
    if "shift" in scenarios:
        chunks["shift"] = fs.covariate_shift_batches()
    if "months" in scenarios:
        chunks["months"] = fs.weekly_batches()
    print(f"\n(model trained, reference {len(s.reference):,} rows, chunks built in {time.perf_counter() - t0:.1f} s)")
    pd.DataFrame({"proba": s.reference_proba, "pred": (s.reference_proba > 0.5).astype(int),
                  "y": s.reference["y"].astype(int)}).to_parquet(root / "reference.parquet")
    parts = []
    for name, batches in chunks.items():
        for i, b in enumerate(batches):
            parts.append(pd.DataFrame({"proba": b.proba, "pred": (b.proba > 0.5).astype(int),
                                       "y": b.frame["y"].astype(int), "scenario": name, "chunk": i}))
    pd.concat(parts, ignore_index=True).to_parquet(root / "chunks.parquet")

    results = {}
    good = True
    for name, batches in chunks.items():
        rows = len(batches[0].proba)
        t0 = time.perf_counter()
        ref = ClassifierReference.fit(s.reference_proba, s.reference["y"].to_numpy(), s.reference[fs.FEATURES],
                                      window_rows=rows)
        agg = np.zeros((len(batches), ref.aggregate_length))
        ours = {"Plumbline CBPE": {}, "Plumbline IW": {}}
        realized, noise = {}, {}
        for i, b in enumerate(batches):
            state = ref.row_state(b.proba, b.frame[fs.FEATURES])
            ref.add_predictions(agg, i, state)
            ref.add_labels(agg, i, state, b.frame["y"].to_numpy())
            out = ref.summarize(agg[i]).to_json()
            good &= out["predictions"] == out["labels"] == len(b.proba)
            realized[i] = realized_of(b.frame["y"].to_numpy(), b.proba)
            for label, key in (("Plumbline CBPE", "cbpe"), ("Plumbline IW", "iw")):
                ours[label][i] = {m: dict(out["metrics"][m][key], alert=out["metrics"][m]["alert"],
                                          concept_drift=out["metrics"][m]["concept_drift"]) for m in METRICS}
            noise[i] = _noise_floor(ref, agg[i])
        results[name] = {"realized": realized, "noise": noise, **ours}
        print(f"   plumbline ({name}): {time.perf_counter() - t0:.1f} s for fit + {len(batches)} chunks")
    if peers:
        sys.path.insert(0, str(BENCH))
        from drift import run_peer

        found = run_peer(PEER[0], PEER[1], PEER[2], root, cache)
        if isinstance(found, str):
            print(f"   NannyML 0.13.1 CBPE: not measured ({found})")
        else:
            for name in chunks:
                results[name]["NannyML 0.13.1 CBPE"] = {int(k): v for k, v in found[name].items()}
    for name, batches in chunks.items():
        good &= report(name, batches, results[name])
    return good


def _noise_floor(ref, row):
    """E|realized − E[realized | p]| for each metric: sqrt(2/π) × its Poisson-binomial standard deviation."""
    import numpy as np

    from plumbline.monitoring.estimation import FOLDS, _auc, _confusion_metrics

    n_b, spq = ref._get(row, "n"), ref._get(row, "spq")
    sp = ref._get(row, "sp").reshape(FOLDS + 1, ref.B)[0]
    bt = ref.bt
    base = _confusion_metrics(sp[bt:].sum(), sp[:bt].sum(), n_b[bt:].sum(), n_b[:bt].sum(), spq[bt:].sum(),
                              spq[:bt].sum())
    base["roc_auc"] = _auc(sp, n_b - sp)
    return {m: math.sqrt(2 / math.pi) * math.sqrt(base[m][1]) for m in METRICS if base[m][1] is not None}


def report(name, batches, found) -> bool:
    import numpy as np

    realized = found["realized"]
    k = len(batches)
    title = {"shift": f"1. Covariate shift: {k} batches of {len(batches[0].proba):,} rows (the rest of January, biased "
                      "by hour, distance, hubs, weekend)",
             "months": f"2. Real months: {k} weekly windows February–June, {len(batches[0].proba):,} rows each "
                       "(P(y | x) changes with the weather)"}[name]
    print(f"\n{title}")
    print(f"   {'method':<22}" + "".join(f"{'MAE ' + m:>14}" for m in METRICS)
          + f"{'band holds acc.':>17}{'alerts (acc.)':>15}")
    good = True
    for method in ("Plumbline CBPE", "Plumbline IW", "NannyML 0.13.1 CBPE"):
        if method not in found:
            continue
        est = found[method]
        good &= len(est) == k
        cells = []
        for m in METRICS:
            errs = [abs(est[i][m]["value"] - realized[i][m]) for i in range(k)
                    if est[i][m]["value"] is not None and np.isfinite(realized[i][m])]
            cells.append(f"{np.mean(errs):14.5f}" if errs else f"{'—':>14}")
        held = sum(est[i]["accuracy"]["lower"] is not None
                   and est[i]["accuracy"]["lower"] <= realized[i]["accuracy"] <= est[i]["accuracy"]["upper"]
                   for i in range(k))
        alerts = sum(bool(est[i]["accuracy"].get("alert")) for i in range(k))
        print(f"   {method:<22}" + "".join(cells) + f"{held:>11} of {k:<3}{alerts:>15}")
    floor = [np.mean([found["noise"][i][m] for i in range(k)]) for m in METRICS]
    print(f"   {'noise floor':<22}" + "".join(f"{v:14.5f}" for v in floor) + "   (a perfect estimator of E[metric | x])")
    cb = found["Plumbline CBPE"]
    drift = [batches[i].name for i in range(k) if cb[i]["accuracy"]["concept_drift"]]
    print(f"   Plumbline concept drift (accuracy, all labels in): {len(drift)} of {k}"
          + (f" — {', '.join(drift)}" if drift else ""))
    consistent = all(cb[i]["accuracy"]["concept_drift"] == (not cb[i]["accuracy"]["lower"] <= realized[i]["accuracy"]
                                                             <= cb[i]["accuracy"]["upper"]) for i in range(k))
    print(f"   check: concept drift exactly where realized leaves the band -> {'OK' if consistent else 'FAILED'}")
    print(f"   {'chunk':<28}{'realized':>9}{'CBPE':>8}{'band':>16}{'IW':>8}" + (f"{'NannyML':>9}{'band':>16}"
                                                                          if "NannyML 0.13.1 CBPE" in found else ""))
    for i in range(k):
        c, w = cb[i]["accuracy"], found["Plumbline IW"][i]["accuracy"]
        line = (f"   {batches[i].name:<28}{realized[i]['accuracy']:9.4f}{c['value']:8.4f}"
                f"{c['lower']:8.4f}–{c['upper']:.4f}{w['value']:8.4f}")
        if "NannyML 0.13.1 CBPE" in found:
            n = found["NannyML 0.13.1 CBPE"][i]["accuracy"]
            line += f"{n['value']:9.4f}{n['lower']:8.4f}–{n['upper']:.4f}"
        print(line)
    return good and consistent


# -- 3. speed ---------------------------------------------------------------------------------------------


def speed(rounds: int, seed: int) -> bool:
    import numpy as np
    import pandas as pd

    from plumbline.monitoring.estimation import ClassifierReference, RegressorReference
    from plumbline.tests import flights_scenarios as fs

    s = fs.january()
    rng = np.random.default_rng(seed)
    take = rng.integers(0, len(s.production), 100_000)
    proba = s.production_proba[take]
    frame = s.production[fs.FEATURES].iloc[take].reset_index(drop=True)
    y = s.production["y"].to_numpy()[take]
    model_x = fs.model_input(frame, s.categories)
    with_features = ClassifierReference.fit(s.reference_proba, s.reference["y"].to_numpy(), s.reference[fs.FEATURES],
                                            window_rows=10_000)
    score_only = ClassifierReference.fit(s.reference_proba, s.reference["y"].to_numpy(), None, window_rows=10_000)
    # A regressor of the delay in minutes (any prediction times the same: 60 × the classifier's score here).
    numeric = ["hour", "weekday", "distance"]
    regressor = RegressorReference.fit(60 * s.reference_proba, np.clip(s.reference["delay"].to_numpy(float), -30, 120),
                                       s.reference[numeric], window_rows=10_000)
    agg_reg = np.zeros((4, regressor.aggregate_length))
    windows = rng.integers(0, 4, 100_000)  # a batch spread over 4 windows
    agg = np.zeros((4, with_features.aggregate_length))
    agg_score = np.zeros((4, score_only.aggregate_length))
    state = with_features.row_state(proba, frame)

    def log_with_features():
        with_features.add_predictions(agg, windows, with_features.row_state(proba, frame))

    def log_score_only():
        score_only.add_predictions(agg_score, windows, score_only.row_state(proba))

    def log_regressor():
        regressor.add_predictions(agg_reg, windows, regressor.row_state(60 * proba, frame[numeric]))

    def label():
        with_features.add_labels(agg, windows, state, y)

    def summarize():
        with_features.summarize(agg[0])

    def predict():
        s.model.predict_proba(model_x)

    variants = {"row_state + add_predictions (5 features)": log_with_features,
                "row_state + add_predictions (score only)": log_score_only,
                "regressor row_state + add_predictions (3)": log_regressor,
                "add_labels": label, "summarize one window": summarize,
                "model.predict_proba (baseline)": predict}
    times = {name: [] for name in variants}
    for fn in variants.values():  # warm-up
        fn()
    agg[:] = 0
    agg_score[:] = 0
    agg_reg[:] = 0
    order = list(variants)
    shuffle = random.Random(seed)
    for _ in range(rounds):
        shuffle.shuffle(order)
        for name in order:
            t0 = time.perf_counter()
            variants[name]()
            times[name].append(time.perf_counter() - t0)
    print(f"\n3. Speed per 100,000 rows (medians and p90 of {rounds} interleaved rounds; a batch spread over 4 windows)")
    base = median(times["model.predict_proba (baseline)"])
    for name in variants:
        t = median(times[name])
        rate = "" if name == "summarize one window" else f"{100_000 / t / 1e6:7.2f} M rows/s"
        print(f"   {name:<44}{ms(t):8.2f} ms  (p90 {ms(p90(times[name])):6.2f}){rate:>18}"
              + ("" if name.startswith("model") else f"   {t / base:5.2f}x predict_proba"))
    t = median(times["row_state + add_predictions (5 features)"])
    print(f"   target: row_state + add_predictions <= 15 ms per 100,000 -> {'MET' if t <= 0.015 else 'NOT MET'} "
          "(the regressor's row_state predicts with its two loss models: HistGradientBoosting, "
          f"{regressor.model_abs.n_iter_} trees each)")
    print(f"   aggregate: {with_features.aggregate_length:,} float64 per window "
          f"({with_features.aggregate_length * 8:,} bytes); score only {score_only.aggregate_length:,}; reference "
          f"{len(with_features.to_bytes()):,} bytes saved")
    expected = 100_000 * rounds
    good = (abs(agg[:, :with_features.B].sum() - expected) < 1e-6
            and abs(agg_score[:, :score_only.B].sum() - expected) < 1e-6
            and abs(agg_reg[:, regressor.offsets["n"][0]].sum() - expected) < 1e-6)
    print(f"   check: every prediction counted ({expected:,} per variant) -> {'OK' if good else 'FAILED'}")
    return good


if __name__ == "__main__":
    sys.exit(main())
