#!/usr/bin/env python
"""Cost of plumbline.fingerprint.fingerprint() on big values, against a trivial operation on them.

Run from the repository root:

    python bench/fingerprint.py            # 15 timed repeats per variant
    python bench/fingerprint.py -n 31      # more samples
    python bench/fingerprint.py --rows 200000

What it does, all in one run (see bench/README.md for the conventions):

* builds, with numpy/pandas only (no downloads), a 1,000,000 x 12 DataFrame: by default issue 3's
  frame, 8 float64, 1 int64 and 3 str columns (pandas 3: Arrow-backed strings); ``--frame mixed``:
  4 float, 3 int, 3 str and 2 datetime columns; and a 1,000,000-element float64 array;
* times, with time.perf_counter, for each of them:
    - ``copy``          ``df.copy()`` / ``a.copy()``, the baseline (a trivial operation on the value),
    - ``copy #2``       the same again: the A/A difference is the noise floor of this run,
    - ``fingerprint``   ``fingerprint(value)`` with the default limit (256 MiB: the "full" strategy),
    - ``sampled``       ``fingerprint(value, full_limit_bytes=1)``: the bounded "sampled" strategy
                        a value above the limit gets;
  warm-up repeats are discarded, then the variants take turns, in an order shuffled every round;
* prints median and p90 per variant in ms and the ratio of medians against the baseline, plus,
  for context, the fingerprint against the time it took to build the frame (the cell that would
  produce it; issue 3's lineage target is <= 1.05 x the cell's own time, measured by bench/lineage);
  the fingerprint of small values (int, list, dict, set) against pickle.dumps of them.
  Target line: the full fingerprint of the frame under 100 ms and under 5% of the time it took to
  build it (the lineage budget of the cell that produces it is 1.05x);
  Nothing about wall time is asserted: the exit status is 0 either way;
* checks the work was done: every fingerprint has a content hash, the strategy expected, the same
  hash on every repeat, and a change in a middle row changes the full hash (exit status 1 when
  not; 2: the benchmark itself could not run).

Only numpy, pandas, the standard library and plumbline.
"""

from __future__ import annotations

import argparse
import gc
import os
import pickle
import platform
import random
import sys
import time
from typing import Any, Callable, Optional


from _stats import median, ms, p90  # noqa: E402  (bench/ is on sys.path when run as a script)


def build_frame(rows: int, seed: int, kind: str = "issue"):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    words = np.array([f"w{i:05d}" for i in range(50_000)], dtype=object)
    cols: dict[str, Any] = {}
    if kind == "issue":  # issue 3's cell output: 8 float64, 1 int64, 3 str
        for i in range(8):
            cols[f"float{i}"] = rng.normal(size=rows)
        cols["int0"] = rng.integers(0, 1_000_000, size=rows)
        for i in range(3):
            cols[f"str{i}"] = pd.array(words[rng.integers(0, len(words), size=rows)], dtype="str")
        return pd.DataFrame(cols)
    for i in range(4):
        cols[f"float{i}"] = rng.normal(size=rows)
    for i in range(3):
        cols[f"int{i}"] = rng.integers(0, 1_000_000, size=rows)
    for i in range(3):
        cols[f"str{i}"] = pd.array(words[rng.integers(0, len(words), size=rows)], dtype="str")
    start = np.datetime64("2024-01-01T00:00:00", "s")
    for i in range(2):
        cols[f"time{i}"] = start + rng.integers(0, 365 * 86_400, size=rows).astype("timedelta64[s]")
    return pd.DataFrame(cols)


def measure(variants: dict[str, Callable[[], Any]], repeats: int, warmup: int, rng: random.Random
            ) -> tuple[dict[str, list[float]], dict[str, list[Any]]]:
    samples: dict[str, list[float]] = {name: [] for name in variants}
    results: dict[str, list[Any]] = {name: [] for name in variants}
    for round_ in range(warmup + repeats):
        order = list(variants)
        rng.shuffle(order)
        for name in order:
            gc.collect()
            t0 = time.perf_counter()
            result = variants[name]()
            elapsed = time.perf_counter() - t0
            if round_ >= warmup:
                samples[name].append(elapsed)
                if not name.startswith("copy"):  # keep fingerprints, never the 100 MB copies
                    results[name].append(result)
            del result
    return samples, results


def report(title: str, samples: dict[str, list[float]], base: str) -> None:
    ref = median(samples[base])
    print()
    print(title)
    print(f"  {'variant':<30}{'median ms':>11}{'p90 ms':>10}{'added ms':>11}{'ratio':>9}")
    for name, values in samples.items():
        med = median(values)
        added = "" if name == base else f"{ms(med - ref):+.2f}"
        print(f"  {name:<30}{ms(med):>11.2f}{ms(p90(values)):>10.2f}{added:>11}{med / ref:>9.2f}")


def check(label: str, fps: list, expect_prefix: str, problems: list[str]) -> Optional[str]:
    hashes = {fp.content_hash for fp in fps}
    strategies = {fp.strategy for fp in fps}
    if None in hashes:
        problems.append(f"{label}: no content hash ({strategies})")
        return None
    if len(hashes) != 1:
        problems.append(f"{label}: {len(hashes)} different hashes over the repeats")
    if not all(s.startswith(expect_prefix) for s in strategies):
        problems.append(f"{label}: strategy {strategies}, expected {expect_prefix!r}")
    return next(iter(hashes))


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--repeats", type=int, default=15, help="timed repeats per variant (default 15)")
    parser.add_argument("--warmup", type=int, default=2, help="discarded repeats per variant first (default 2)")
    parser.add_argument("--rows", type=int, default=1_000_000, help="rows of the frame, elements of the array")
    parser.add_argument("--seed", type=int, default=None, help="seed of the variant order (default: random)")
    parser.add_argument("--frame", choices=("issue", "mixed"), default="issue",
                        help="issue: 8 float, 1 int, 3 str columns (default); mixed: 4 float, 3 int, 3 str, 2 datetime")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.warmup < 0 or args.rows < 2:
        parser.error("--repeats must be positive, --warmup not negative, --rows at least 2")

    try:
        import numpy as np
        import pandas as pd

        import plumbline
        from plumbline.fingerprint import SAMPLE_ROWS, fingerprint
    except Exception as exc:  # noqa: BLE001
        print(f"error: {exc}", file=sys.stderr)
        return 2

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    began = time.monotonic()
    print("Plumbline value fingerprints: time of fingerprint() against a trivial operation on the value")
    print(f"  {args.repeats} timed + {args.warmup} warm-up repeats per variant, order shuffled every round "
          f"(seed {seed})")
    print(f"  {os.cpu_count()} CPUs, Python {platform.python_version()}, numpy {np.__version__}, "
          f"pandas {pd.__version__}, plumbline {plumbline.__version__}")
    sys.stdout.flush()

    try:
        t0 = time.perf_counter()
        df = build_frame(args.rows, seed=0, kind=args.frame)
        build_s = time.perf_counter() - t0
        arr = np.random.default_rng(1).normal(size=args.rows)
    except Exception as exc:  # noqa: BLE001
        print(f"error: could not build the data: {exc}", file=sys.stderr)
        return 2
    dtypes = ", ".join(f"{n} {d}" for d, n in df.dtypes.astype(str).value_counts().items())
    mib = df.memory_usage(deep=False).sum() / 2**20
    print(f"  frame {df.shape[0]:,} x {df.shape[1]} ({dtypes}); {mib:.1f} MiB (memory_usage deep=False); "
          f"built in {ms(build_s):.0f} ms")
    print(f"  array {arr.shape[0]:,} float64, {arr.nbytes / 2**20:.1f} MiB")

    problems: list[str] = []
    status = 0

    # -- DataFrame -------------------------------------------------------------------------------
    frame_variants = {
        "copy (baseline)": lambda: df.copy(),
        "copy #2 (A/A noise)": lambda: df.copy(),
        "fingerprint (full)": lambda: fingerprint(df),
        "fingerprint (sampled)": lambda: fingerprint(df, full_limit_bytes=1),
    }
    samples, results = measure(frame_variants, args.repeats, args.warmup, rng)
    report("DataFrame", samples, "copy (baseline)")
    full = check("frame full", results["fingerprint (full)"], "full", problems)
    sampled_prefix = "sampled" if args.rows > SAMPLE_ROWS else "full"
    check("frame sampled", results["fingerprint (sampled)"], sampled_prefix, problems)
    print(f"  strategies: {results['fingerprint (full)'][0].strategy!r}; {results['fingerprint (sampled)'][0].strategy!r}")
    fp_med = median(samples["fingerprint (full)"])
    print(f"  context: fingerprint (full) = {100 * fp_med / build_s:.1f}% of the time it took to build the frame "
          f"({ms(build_s):.0f} ms, measured once)")
    met = fp_med < 0.100 and fp_med < 0.05 * build_s
    print(f"  target: fingerprint (full) < 100 ms and < 5% of the build time -> {'MET' if met else 'NOT MET'} "
          f"({ms(fp_med):.1f} ms, {median(samples['fingerprint (full)']) / median(samples['copy (baseline)']):.2f}x df.copy())")
    changed = df.copy()
    changed.iloc[args.rows // 2, 0] = changed.iloc[args.rows // 2, 0] + 1.0
    if full is not None and fingerprint(changed).content_hash == full:
        problems.append("frame: changing a middle row did not change the full hash")
    del changed, results

    # -- ndarray ------------------------------------------------------------------------------------------
    array_variants = {
        "copy (baseline)": lambda: arr.copy(),
        "copy #2 (A/A noise)": lambda: arr.copy(),
        "fingerprint (full)": lambda: fingerprint(arr),
        "fingerprint (sampled)": lambda: fingerprint(arr, full_limit_bytes=1),
    }
    samples, results = measure(array_variants, args.repeats * 4, args.warmup, rng)
    report("float64 array", samples, "copy (baseline)")
    full = check("array full", results["fingerprint (full)"], "full", problems)
    check("array sampled", results["fingerprint (sampled)"], sampled_prefix, problems)
    changed = arr.copy()
    changed[args.rows // 2] += 1.0
    if full is not None and fingerprint(changed).content_hash == full:
        problems.append("array: changing a middle element did not change the full hash")
    del changed, results

    # -- small values ------------------------------------------------------------------------------------------
    print()
    print("small values (per call, median of 9 runs of a timed loop): fingerprint vs pickle.dumps(protocol 5)")
    small = {
        "int": 12345,
        "list of 1,000 floats": [float(i) for i in range(1_000)],
        "dict of 100 str -> float": {f"k{i}": i * 1.5 for i in range(100)},
        "set of 10,000 str": {f"s{i}" for i in range(10_000)},
        "list of 5,000 records (dicts)": [{"id": i, "name": f"n{i}"} for i in range(5_000)],
    }
    print(f"  {'value':<32}{'fingerprint us':>16}{'pickle us':>12}{'ratio':>9}  strategy")
    for label, value in small.items():
        loops = max(1, 2_000 // max(1, len(value) if hasattr(value, "__len__") else 1))
        timings = {"fp": [], "pickle": []}
        for _ in range(9):
            for name, fn in rng.sample([("fp", lambda: fingerprint(value)),
                                        ("pickle", lambda: pickle.dumps(value, 5))], 2):
                t0 = time.perf_counter()
                for _ in range(loops):
                    fn()
                timings[name].append((time.perf_counter() - t0) / loops)
        fp = fingerprint(value)
        if fp.content_hash is None:
            problems.append(f"{label}: {fp.strategy}")
        f, p = median(timings["fp"]), median(timings["pickle"])
        print(f"  {label:<32}{f * 1e6:>16.1f}{p * 1e6:>12.1f}{f / p:>9.2f}  {fp.strategy}")

    print()
    if problems:
        status = 1
        print("correctness check: FAILED")
        for p in problems:
            print(f"  {p}")
    else:
        print("correctness check: OK (hashes present, stable over repeats, expected strategies, "
              "a middle-row change changes the full hash)")
    print(f"\ntotal {time.monotonic() - began:.1f} s; exit status {status}")
    return status


if __name__ == "__main__":
    sys.exit(main())
