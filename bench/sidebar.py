"""Sidebar first render with 10,000 runs, against 100 runs, in real JupyterLab.

Builds a store where big.ipynb has 10,000 runs of a six-component pipeline and
small.ipynb 100, starts JupyterLab on it (Galata, Debian chromium) and times
showing each Plumbline sidebar until its content is drawn, interleaving the two
notebooks. Prints medians, the ratio big / small, and the 300 ms target, and
the time to download the store's snapshot (what a page pays once, before the
first render).

    python bench/sidebar.py [--runs 10000] [--rounds 15] [--keep]

Needs the UI-test packages (PLUMBLINE_SETUP_BROWSER=1 bash scripts/setup.sh).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _pipeline_store import PIPELINE, build, notebook_json  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
TARGET_MS = 300.0
COLD_KEPT_MS = 300.0  # after a reload with a kept snapshot
COLD_FIRST_VISIT_MS = 1000.0  # a first visit (download), 10,000 runs


def run_ui(runs: int, baseline_runs: int, rounds: int, keep: bool):
    """Build a store (big.ipynb: ``runs``, small.ipynb: ``baseline_runs``), run the UI bench on it."""
    folder = Path(tempfile.mkdtemp(prefix="plumbline-bench-sidebar-"))
    try:
        store = folder / ".plumbline" / "lineage.db"
        started = time.perf_counter()
        build(store, {"big.ipynb": runs, "small.ipynb": baseline_runs})
        print(f"store: {runs} + {baseline_runs} runs, {store.stat().st_size / 2**20:.1f} MiB, "
              f"built in {time.perf_counter() - started:.1f} s")
        for name in ("big.ipynb", "small.ipynb"):
            (folder / name).write_text(notebook_json([c for c, _, _ in PIPELINE]), "utf-8")
        env = {**os.environ, "PLUMBLINE_BENCH_ROOT": str(folder), "PLUMBLINE_BENCH_DB": str(store),
               "PLUMBLINE_BENCH_ROUNDS": str(rounds), "CI": "1"}
        proc = subprocess.run(["jlpm", "playwright", "test", "-c", "playwright.bench.config.js"],
                              cwd=ROOT / "ui-tests", env=env, capture_output=True, text=True)
        line = next((l for l in proc.stdout.splitlines() if "PLUMBLINE_BENCH " in l), None)
        if proc.returncode != 0 or line is None:
            print(proc.stdout[-4000:], proc.stderr[-4000:], sep="\n", file=sys.stderr)
            print("the UI benchmark did not run", file=sys.stderr)
            return None
        return json.loads(line.split("PLUMBLINE_BENCH ", 1)[1])
    finally:
        if keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10_000)
    parser.add_argument("--baseline-runs", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()

    big = run_ui(args.runs, args.baseline_runs, args.rounds, args.keep)
    if big is None:
        return 2
    results = big["results"]
    print(f"snapshot download (whole store, once per page): {big['snapshotMs']:.0f} ms")
    print("warm (panel shown again, replica loaded; interleaved):")
    print(f"{'panel':<20} {f'{args.baseline_runs:,} runs':>14} {f'{args.runs:,} runs':>14} {'p90':>8} {'ratio':>7}")
    met = True
    for panel in ("plumbline-sidebar", "plumbline-lineage"):
        few = results[f"{panel} small.ipynb"]
        many = results[f"{panel} big.ipynb"]
        ms_small, ms_big = statistics.median(few), statistics.median(many)
        p90 = sorted(many)[int(0.9 * (len(many) - 1))]
        print(f"{panel:<20} {ms_small:>11.1f} ms {ms_big:>11.1f} ms {p90:>5.0f} ms {ms_big / ms_small:>6.2f}x")
        met = met and ms_big <= TARGET_MS
    print(f"target: sidebar render with {args.runs:,} runs <= {TARGET_MS:.0f} ms -> {'MET' if met else 'NOT MET'}")
    lab = statistics.median(c["labStartMs"] for kind in big["cold"].values() for c in kind)
    shell = statistics.median(c["shellMs"] for kind in big["cold"].values() for c in kind)
    started = statistics.median(c["startedMs"] for kind in big["cold"].values() for c in kind)
    print(f"cold: page reloaded with the runs sidebar open (medians). Baselines of the same loads: JupyterLab's own "
          f"start to Plumbline's activation {lab:.0f} ms, to its shell started (app.started) {started:.0f} ms, "
          f"to its layout restored (app.restored) {shell:.0f} ms:")
    for kind, label, target in (("download", "no snapshot kept (first visit)", COLD_FIRST_VISIT_MS),
                                ("kept", "snapshot kept in the browser", COLD_KEPT_MS)):
        loads = big["cold"][kind]
        draw = statistics.median(c["drawMs"] for c in loads)
        ready = statistics.median(c["readyMs"] for c in loads)
        after = statistics.median(c["afterShellMs"] for c in loads)
        after_started = statistics.median(c["afterStartedMs"] for c in loads)
        downloads = sum(c["downloaded"] for c in loads)
        print(f"  {label:<32} replica ready {ready:>6.0f} ms after its load start ({ready / lab:.2f}x JupyterLab's "
              f"start), first row drawn {draw:>6.0f} ms after it: {after_started:>6.0f} ms after the shell started, "
              f"{after:>6.0f} ms after the layout was restored ({downloads}/{len(loads)} loads downloaded the snapshot)")
        print(f"  target: first row <= {target:.0f} ms after the shell is ready ({label}): after app.started -> "
              f"{'MET' if after_started <= target else 'NOT MET'}; after app.restored -> "
              f"{'MET' if after <= target else 'NOT MET'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
