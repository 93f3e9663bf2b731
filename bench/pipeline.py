#!/usr/bin/env python
"""What a promoted pipeline costs, against the same code as one plain Python script, in one run.

Run from the repository root:

    python bench/pipeline.py            # 3 rounds
    python bench/pipeline.py -r 5 --keep

Four figures (conventions: bench/README.md), each against a baseline measured in the same run,
variants interleaved and shuffled every round, medians, and an A/A line for the noise:

* **end to end**: the example pipeline — five tasks on the 3M-row flights data (load the
  Parquet file, clean in place, features, train a logistic regression, predict) — run by
  Plumbline's runner as the scheduler runs it (one process per task, recorder, lineage,
  Parquet/joblib artifacts between tasks), against the same cells as one ``python script.py``
  (the plain-script baseline, run twice: A/A). Target ratio <= 1.25.
* **fixed cost per task**: a chain of ``--chain`` tasks that each add 1 to a small int; (pipeline
  - the same code as one script) / tasks. Target <= 250 ms median.
* **parallel**: two independent tasks (each ``--work`` seconds of waiting I/O) against one such
  task: wall time ratio. Target <= 1.2x.
* **scheduler lag**: a schedule firing every 2 s; from each fire slot to its first task process
  starting (task_runs.started_at) and to the first recorded cell (runs.started_at). Target <= 1 s.

Checks that the work was done (every run ok, every task recorded with lineage); exit status 1
otherwise, 2 if the benchmark could not run. Timings are printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from _stats import median, ms, p90  # noqa: E402  (bench/ is on sys.path when run as a script)

from plumbline.tests.data import flights_3m  # noqa: E402
from plumbline.tests.pipeline_project import Project, write_notebook  # noqa: E402

TARGETS = {"e2e": 1.25, "task_ms": 250.0, "parallel": 1.2, "lag_s": 1.0}


def flights_cells(path: Path) -> list:
    return [
        ("code", "import numpy as np\nimport pandas as pd", {}),
        ("code", f"flights = pd.read_parquet({str(path)!r})", {"plumbline": {"component": "load"}}),
        ("code", "flights = flights[flights['distance'] > 0]\nflights['delay'] = flights['delay'].clip(lower=-30)",
         {"plumbline": {"component": "clean"}}),
        ("code", "features = pd.DataFrame({'distance': flights['distance'], 'hour': flights['date'].dt.hour,\n"
                 "                         'late': flights['delay'] > 15})",
         {"plumbline": {"component": "features"}}),
        ("code", "from sklearn.linear_model import LogisticRegression\nX = features[['distance', 'hour']]\n"
                 "model = LogisticRegression(max_iter=200).fit(X, features['late'])",
         {"plumbline": {"component": "train"}}),
        ("code", "predictions = model.predict_proba(X)[:, 1]\nmean_risk = float(predictions.mean())",
         {"plumbline": {"component": "predict"}}),
    ]


def chain_cells(n: int) -> list:
    cells = [("code", "x0 = 0", {"plumbline": {"component": "t0"}})]
    cells += [("code", f"x{i} = x{i - 1} + 1", {"plumbline": {"component": f"t{i}"}}) for i in range(1, n)]
    return cells


def wait_cells(k: int, seconds: float) -> list:
    return [("code", f"import time\ntime.sleep({seconds})\nw{i} = {i}", {"plumbline": {"component": f"w{i}"}})
            for i in range(k)]


def script_of(cells: list, folder: Path, name: str) -> Path:
    path = folder / f"{name}.py"
    path.write_text("\n\n".join(src for kind, src, _ in cells if kind == "code") + "\n")
    return path


def time_script(path: Path) -> float:
    t = time.perf_counter()
    subprocess.run([sys.executable, str(path)], cwd=path.parent, check=True, capture_output=True)
    return time.perf_counter() - t


def time_pipeline(project: Project, name: str) -> tuple[float, str]:
    run = project.service.trigger(name)
    t = time.perf_counter()
    status = project.service.execute(run["id"])
    return time.perf_counter() - t, run["id"] if status == "ok" else f"FAILED:{run['id']}"


def check_run(project: Project, run_id: str, tasks: int) -> bool:
    rows = project.store.task_runs(run_id)
    return len(rows) == tasks and all(r["status"] == "ok" and project.store.runs_of_task_run(r["id"]) for r in rows)


def scheduler_lag(project: Project, fires: int) -> tuple[list, list]:
    from plumbline.pipelines.scheduler import PipelineScheduler

    cells = [("code", "v = 1", {"plumbline": {"component": "tick"}})]
    project.service.create(project.notebook("lag.ipynb", cells), name="lag",
                           options={"cron": "*/2 * * * * *", "catchup": "none", "max_active_runs": 1})
    row = project.store.pipeline("lag")
    scheduler = PipelineScheduler(project.store, project.root).start()
    try:
        deadline = time.monotonic() + fires * 4 + 60
        while time.monotonic() < deadline:
            done = [r for r in project.store.pipeline_runs(row["id"], limit=1000) if r["status"] == "ok"]
            if len(done) >= fires + 1:
                break
            time.sleep(0.2)
    finally:
        project.service.set_paused("lag", True)
        scheduler.stop()
    proc, cell = [], []
    runs = sorted((r for r in project.store.pipeline_runs(row["id"], limit=1000) if r["status"] == "ok"),
                  key=lambda r: r["slot"])[1:]  # the first slot may have waited for the zygote to start
    for r in runs[:fires]:
        (task,) = project.store.task_runs(r["id"])
        proc.append(task["started_at"] - r["slot"])
        first = min(x["started_at"] for x in project.store.runs_of_task_run(task["id"]))
        cell.append(first - r["slot"])
    return proc, cell


def line(label: str, value: str, target: str = "") -> None:
    print(f"{label:<58} {value}{('   ' + target) if target else ''}")


def verdict(ok: bool) -> str:
    return "MET" if ok else "NOT MET"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-r", "--rounds", type=int, default=3)
    parser.add_argument("--chain", type=int, default=8, help="tasks in the fixed-cost chain (default 8)")
    parser.add_argument("--work", type=float, default=2.0, help="seconds each parallel task waits (default 2)")
    parser.add_argument("--fires", type=int, default=5, help="scheduler slots to time (default 5)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args(argv)
    try:
        data = flights_3m()
    except FileNotFoundError as exc:
        print(f"bench/pipeline.py: {exc}", file=sys.stderr)
        return 2
    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    root = Path(tempfile.mkdtemp(prefix="plumbline-bench-pipeline-")).resolve()
    failures = []
    try:
        project = Project(root / "project")
        flights = flights_cells(data)
        project.service.create(project.notebook("flights.ipynb", flights), name="flights", options={"parallelism": 2})
        project.service.create(project.notebook("chain.ipynb", chain_cells(args.chain)), name="chain",
                               options={"parallelism": 1})
        project.service.create(project.notebook("one.ipynb", wait_cells(1, args.work)), name="one")
        project.service.create(project.notebook("two.ipynb", wait_cells(2, args.work)), name="two",
                               options={"parallelism": 2})
        scripts = root / "scripts"
        scripts.mkdir()
        flights_py = script_of(flights, scripts, "flights")
        chain_py = script_of(chain_cells(args.chain), scripts, "chain")
        # warm-up (discarded): the zygote, the page cache, imports
        time_pipeline(project, "chain")
        time_script(flights_py)
        samples: dict[str, list] = {k: [] for k in ("script", "script_aa", "pipeline", "chain_script", "chain",
                                                   "one", "two")}
        for _ in range(args.rounds):
            jobs = [
                ("script", lambda: time_script(flights_py)), ("script_aa", lambda: time_script(flights_py)),
                ("pipeline", lambda: time_pipeline(project, "flights")),
                ("chain_script", lambda: time_script(chain_py)), ("chain", lambda: time_pipeline(project, "chain")),
                ("one", lambda: time_pipeline(project, "one")), ("two", lambda: time_pipeline(project, "two")),
            ]
            rng.shuffle(jobs)
            for name, job in jobs:
                result = job()
                if isinstance(result, tuple):
                    seconds, run_id = result
                    if run_id.startswith("FAILED") or not check_run(project, run_id, {
                            "pipeline": 5, "chain": args.chain, "one": 1, "two": 2}[name]):
                        failures.append(f"{name}: run {run_id} did not record every task ok")
                else:
                    seconds = result
                samples[name].append(seconds)
        lag_proc, lag_cell = scheduler_lag(project, args.fires)
    except subprocess.CalledProcessError as exc:
        print(f"bench/pipeline.py: a baseline script failed: {exc.stderr}", file=sys.stderr)
        return 2
    finally:
        if args.keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)

    med = {k: median(v) for k, v in samples.items()}
    print(f"bench/pipeline.py: {args.rounds} rounds, seed {seed}, Python {sys.version.split()[0]}, "
          f"{os.cpu_count()} CPUs, load {os.getloadavg()[0]:.2f}")
    print(f"data: {data.name} (3,000,000 rows); medians, seconds unless said")
    line("plain script, flights (baseline)", f"{med['script']:.2f} s (p90 {p90(samples['script']):.2f})")
    line("plain script again (A/A noise)", f"{med['script_aa']:.2f} s  ratio {med['script_aa'] / med['script']:.3f}")
    e2e = med["pipeline"] / med["script"]
    line("pipeline, flights, 5 tasks", f"{med['pipeline']:.2f} s  ratio {e2e:.3f}",
         f"target <= {TARGETS['e2e']} -> {verdict(e2e <= TARGETS['e2e'])}")
    per_task = [(c - s) / args.chain for c, s in zip(samples["chain"], samples["chain_script"])]
    task_ms = ms(statistics.median(per_task))
    line(f"fixed cost per task ({args.chain}-task chain - one script) / tasks",
         f"{task_ms:.0f} ms (script {ms(med['chain_script']):.0f} ms, chain {ms(med['chain']):.0f} ms)",
         f"target <= {TARGETS['task_ms']:.0f} ms -> {verdict(task_ms <= TARGETS['task_ms'])}")
    par = med["two"] / med["one"]
    line(f"two independent tasks / one task ({args.work:g} s each)", f"{med['two']:.2f} / {med['one']:.2f}  "
         f"ratio {par:.3f}", f"target <= {TARGETS['parallel']} -> {verdict(par <= TARGETS['parallel'])}")
    if lag_proc:
        lag = median(lag_proc)
        line(f"scheduler lag: slot -> task process ({len(lag_proc)} slots)",
             f"{ms(lag):.0f} ms (max {ms(max(lag_proc)):.0f})",
             f"target <= {TARGETS['lag_s']} s -> {verdict(lag <= TARGETS['lag_s'])}")
        line("scheduler lag: slot -> first recorded cell", f"{ms(median(lag_cell)):.0f} ms "
             f"(max {ms(max(lag_cell)):.0f})")
    else:
        failures.append("the scheduler fired no slot")
    for f in failures:
        print(f"CHECK FAILED: {f}", file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
