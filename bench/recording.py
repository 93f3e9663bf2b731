#!/usr/bin/env python
"""Added time per cell of the Plumbline recorder (``%load_ext plumbline``).

Run from the repository root:

    python bench/recording.py            # N=300 timed cells per kernel
    python bench/recording.py -n 1000    # more samples
    python bench/recording.py --profile  # also cProfile the hooks in-process

What it does, all in one run (see bench/README.md for the conventions):

* starts real python3 ipykernel kernels with jupyter_client:
    - ``baseline``     no plumbline (the reference),
    - ``baseline-2``   a second identical kernel: the A/A difference is the
                       noise floor of this machine for this run,
    - ``plumbline``    ``%load_ext plumbline``, cwd outside any git repository,
    - ``plumbline-git``  the same with a temporary git repository as cwd (the
                       common case: the recorder reads the commit and runs
                       ``git status`` on a background thread); 20 files, or
                       ``--repo-files N`` for a project-sized repository;
  each plumbline kernel writes to its own temporary store (PLUMBLINE_DB);
* times, on the client side with time.perf_counter, the round trip from
  sending an execute_request for a trivial cell (``x = 1``) to receiving its
  execute_reply; warm-up executions are discarded, then the kernels take
  turns in batches, shuffled in every round, so machine noise lands on all
  variants alike;
* prints median and p90 per variant, the added median per cell against the
  baseline and the ratio, and whether the target (<= 3 ms added per cell) is
  met. Nothing about wall time is asserted: the exit status is 0 either way;
* checks the stores: every timed and warm-up execution must be a run row with
  status 'ok' (the right git commit in the git repository). A recorder that
  silently records nothing would look fast; the exit status is 1 then
  (2: the benchmark itself could not run);
* in-process, with an IPython InteractiveShell in this process: the cost of
  the pre_run_cell/post_run_cell hooks alone (run_cell with vs without them).

Only jupyter_client, ipykernel/IPython, the standard library and plumbline.
"""

from __future__ import annotations

import argparse
import ast
import math
import os
import platform
import queue
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional

TARGET_ADDED_MS = 3.0
REPLY_TIMEOUT_S = 30.0


# -- statistics -----------------------------------------------------------------


from _stats import median, ms, p90  # noqa: E402  (bench/ is on sys.path when run as a script)


# -- kernels ----------------------------------------------------------------------


@dataclass
class Variant:
    name: str
    label: str
    cwd: Path
    db: Optional[Path]  # None: plumbline not loaded
    in_repo: bool = False
    km: Any = None
    kc: Any = None
    samples: list[float] = field(default_factory=list)  # seconds, timed executions only
    round_medians: list[float] = field(default_factory=list)
    executed_after_load: int = 0  # execute_requests sent after %load_ext
    recorder_warnings: list[str] = field(default_factory=list)
    log: Optional[Path] = None

    @property
    def records(self) -> bool:
        return self.db is not None


def kernel_env(db: Optional[Path]) -> dict[str, str]:
    env = dict(os.environ)
    for name in ("PLUMBLINE_DB", "JPY_SESSION_NAME"):
        env.pop(name, None)
    # Silences ipykernel's "frozen modules" debugger warning; same for every kernel.
    env["PYDEVD_DISABLE_FILE_VALIDATION"] = "1"
    if db is not None:
        env["PLUMBLINE_DB"] = str(db)
    return env


def start(variant: Variant, log_dir: Path) -> None:
    from jupyter_client.manager import start_new_kernel

    # The kernel's own stdout/stderr (startup warnings, crashes) go to a log, shown on failure.
    variant.log = log_dir / f"{variant.name}.log"
    with open(variant.log, "wb") as log:
        variant.km, variant.kc = start_new_kernel(
            startup_timeout=120, kernel_name="python3", cwd=str(variant.cwd), env=kernel_env(variant.db),
            stdout=log, stderr=subprocess.STDOUT,
        )


def log_tail(variant: Variant, lines: int = 20) -> str:
    try:
        text = variant.log.read_text("utf-8", "replace").splitlines()
    except (AttributeError, OSError):
        return ""
    return "\n".join(text[-lines:])


def stop(variant: Variant) -> None:
    if variant.kc is not None:
        try:
            variant.kc.stop_channels()
        except Exception:
            pass
    if variant.km is not None:
        try:
            variant.km.shutdown_kernel(now=False)
        except Exception:
            try:
                variant.km.shutdown_kernel(now=True)
            except Exception:
                pass
    variant.kc = variant.km = None


def execute(variant: Variant, code: str, user_expressions: Optional[dict] = None,
            metadata: Optional[dict] = None) -> tuple[float, dict]:
    """Send one execute_request; return (round-trip seconds, reply content).

    The message is built (and its id known) before the clock starts, so the
    timed part is: sign + send, the kernel's whole handling, receive + verify.
    """
    kc = variant.kc
    content = {
        "code": code,
        "silent": False,
        "store_history": True,
        "user_expressions": user_expressions or {},
        "allow_stdin": False,
        "stop_on_error": True,
    }
    msg = kc.session.msg("execute_request", content, metadata=metadata or {})  # cell metadata, as JupyterLab sends
    msg_id = msg["header"]["msg_id"]
    t0 = time.perf_counter()
    kc.shell_channel.send(msg)
    while True:
        try:
            reply = kc.shell_channel.get_msg(timeout=REPLY_TIMEOUT_S)
        except queue.Empty:
            raise RuntimeError(f"{variant.name}: no execute_reply within {REPLY_TIMEOUT_S:.0f} s") from None
        if reply.get("parent_header", {}).get("msg_id") == msg_id:
            break
    elapsed = time.perf_counter() - t0
    if variant.records:
        variant.executed_after_load += 1
    reply_content = reply["content"]
    if reply_content.get("status") != "ok":
        raise RuntimeError(
            f"{variant.name}: {code!r} failed: {reply_content.get('ename')}: {reply_content.get('evalue')}"
        )
    return elapsed, reply_content


def drain_iopub(variant: Variant) -> None:
    """Empty the iopub queue (outside the timed part) and keep recorder warnings."""
    channel = variant.kc.iopub_channel
    while True:
        try:
            msg = channel.get_msg(timeout=0)
        except queue.Empty:
            return
        if msg["msg_type"] == "stream" and msg["content"].get("name") == "stderr":
            text = msg["content"].get("text", "")
            if "Plumbline" in text:
                variant.recorder_warnings.extend(line for line in text.splitlines() if "Plumbline" in line)


_PROBE = (
    "(lambda m: None if m is None or m.recorder() is None else "
    "{'db': str(m.recorder().store.path), 'repo': m.recorder().git.git_dir is not None})"
    "(__import__('sys').modules.get('plumbline.kernel'))"
)


def probe_recorder(variant: Variant) -> Any:
    """What the kernel's recorder is, read with user_expressions (an extra cell would be recorded)."""
    before = variant.executed_after_load
    _, content = execute(variant, "", user_expressions={"probe": _PROBE})
    # IPython returns from run_cell before pre_run_cell for an empty cell, so
    # nothing is recorded: keep the expected count unchanged.
    variant.executed_after_load = before
    result = content["user_expressions"]["probe"]
    if result.get("status") != "ok":
        raise RuntimeError(f"{variant.name}: recorder probe failed: {result}")
    return ast.literal_eval(result["data"]["text/plain"])  # the repr of None or of a small dict


def prepare(variant: Variant) -> None:
    if variant.records:
        execute(variant, "%load_ext plumbline")
        variant.executed_after_load = 0  # the %load_ext cell itself is not recorded
    info = probe_recorder(variant)
    if not variant.records:
        if info is not None:
            raise RuntimeError(f"{variant.name}: the baseline kernel records ({info}); it must not load plumbline")
        return
    if info is None:
        raise RuntimeError(f"{variant.name}: %load_ext plumbline did not start a recorder")
    if Path(info["db"]) != variant.db.resolve():
        raise RuntimeError(f"{variant.name}: the recorder writes to {info['db']}, not to {variant.db}")
    if bool(info["repo"]) != variant.in_repo:
        raise RuntimeError(
            f"{variant.name}: the recorder {'does' if info['repo'] else 'does not'} see a git repository "
            f"in {variant.cwd}; expected {'one' if variant.in_repo else 'none'}"
        )


# -- the store check --------------------------------------------------------------


@dataclass
class StoreCheck:
    runs: int
    ok: int
    code_runs: int
    commit_matches: int
    dirty_known: int
    dirty_values: dict
    statuses: dict


def read_store(db: Path, code: str, head: Optional[str]) -> StoreCheck:
    conn = sqlite3.connect(str(db), timeout=10)
    try:
        from plumbline.store import code_hash

        runs = conn.execute("SELECT count(*) FROM runs").fetchone()[0]
        ok = conn.execute("SELECT count(*) FROM runs WHERE status = 'ok'").fetchone()[0]
        code_runs = conn.execute("SELECT count(*) FROM runs WHERE code_hash = ?", (code_hash(code),)).fetchone()[0]
        commit_matches = conn.execute(
            "SELECT count(*) FROM runs WHERE git_commit IS ?", (head,)
        ).fetchone()[0]
        dirty_known = conn.execute("SELECT count(*) FROM runs WHERE git_dirty IS NOT NULL").fetchone()[0]
        dirty_values = dict(conn.execute("SELECT git_dirty, count(*) FROM runs GROUP BY git_dirty").fetchall())
        statuses = dict(conn.execute("SELECT status, count(*) FROM runs GROUP BY status").fetchall())
        return StoreCheck(runs, ok, code_runs, commit_matches, dirty_known, dirty_values, statuses)
    finally:
        conn.close()


def check_store(variant: Variant, code: str, head: Optional[str], settle_s: float = 10.0) -> StoreCheck:
    """Wait (bounded) for the last writes, e.g. the asynchronous git dirtiness, then read."""
    expected = variant.executed_after_load
    deadline = time.monotonic() + settle_s
    while True:
        check = read_store(variant.db, code, head)
        complete = check.runs >= expected and check.ok >= expected
        if variant.in_repo:
            complete = complete and check.dirty_known >= check.runs
        if complete or time.monotonic() > deadline:
            return check
        time.sleep(0.1)


# -- setup --------------------------------------------------------------------------


def make_git_repo(folder: Path, files: int = 20) -> Optional[str]:
    """A committed repository of ``files`` small files; returns HEAD, or None when git is unavailable."""
    if shutil.which("git") is None:
        return None
    folder.mkdir(parents=True)
    (folder / "README.md").write_text("bench repository\n")
    for i in range(files):
        package = folder / "src" / f"package_{i // 100}"
        package.mkdir(parents=True, exist_ok=True)
        (package / f"module_{i}.py").write_text(f"VALUE = {i}\n")
    git = ["git", "-c", "user.name=plumbline-bench", "-c", "user.email=bench@example.invalid",
           "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main"]
    env = dict(os.environ, GIT_CONFIG_NOSYSTEM="1")
    for args in (["init", "-q"], ["add", "-A"], ["commit", "-q", "-m", "bench"]):
        subprocess.run(git + args, cwd=folder, env=env, check=True, capture_output=True)
    return subprocess.run(git + ["rev-parse", "HEAD"], cwd=folder, env=env, check=True,
                          capture_output=True, text=True).stdout.strip()


# -- in-process hook cost --------------------------------------------------------------


def in_process(code: str, n: int, batch: int, warmup: int, plain: Path, repo: Optional[Path],
               store_dir: Path, rng: random.Random, profile: bool) -> dict:
    """run_cell(code) in an IPython InteractiveShell of this process, with and without the hooks."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    from plumbline.kernel.recorder import CellRecorder
    from plumbline.store import Store

    config = Config()
    config.HistoryManager.hist_file = ":memory:"  # leave the user's IPython history alone
    shell = InteractiveShell.instance(config=config)
    warnings: list[str] = []

    def make_recorder(cwd: Path, db: Path) -> CellRecorder:
        here = os.getcwd()
        os.chdir(cwd)  # the recorder probes git from the working folder
        try:
            return CellRecorder(shell, db, warn=warnings.append)
        finally:
            os.chdir(here)

    arms: dict[str, Optional[CellRecorder]] = {"no hooks": None}
    arms["hooks, no git"] = make_recorder(plain, store_dir / "inprocess.db")
    if repo is not None:
        arms["hooks, git repo"] = make_recorder(repo, store_dir / "inprocess-git.db")
    samples: dict[str, list[float]] = {name: [] for name in arms}
    cells: dict[str, int] = {name: 0 for name in arms}

    def run(name: str, count: int, keep: bool) -> None:
        rec = arms[name]
        if rec is not None:
            shell.events.register("pre_run_cell", rec.pre_run_cell)
            shell.events.register("post_run_cell", rec.post_run_cell)
        try:
            for _ in range(count):
                t0 = time.perf_counter()
                result = shell.run_cell(code, store_history=True)
                elapsed = time.perf_counter() - t0
                if not result.success:
                    raise RuntimeError(f"in-process run_cell({code!r}) failed: {result}")
                cells[name] += 1
                if keep:
                    samples[name].append(elapsed)
        finally:
            if rec is not None:
                shell.events.unregister("pre_run_cell", rec.pre_run_cell)
                shell.events.unregister("post_run_cell", rec.post_run_cell)

    names = list(arms)
    for name in names:
        run(name, warmup, keep=False)
    for start_at in range(0, n, batch):
        order = names[:]
        rng.shuffle(order)
        for name in order:
            run(name, min(batch, n - start_at), keep=True)
            time.sleep(0.02)

    stats = None
    if profile and repo is not None:
        import cProfile
        import io
        import pstats

        name = "hooks, git repo"
        profiler = cProfile.Profile()
        profiler.enable()
        run(name, n, keep=False)
        profiler.disable()
        out = io.StringIO()
        ps = pstats.Stats(profiler, stream=out)
        ps.sort_stats("cumulative").print_stats(r"plumbline|sqlite3|subprocess|gitinfo|events", 25)
        stats = out.getvalue()

    time.sleep(0.5)  # let the git worker finish its last `git status`
    recorded = {}
    for name, rec in arms.items():
        if rec is None:
            continue
        rows = [dict(r) for r in rec.store._read("SELECT status FROM runs")]
        recorded[name] = (len(rows), sum(r["status"] == "ok" for r in rows), cells[name])
        rec.close()
        rec.store.close()
    return {"samples": samples, "recorded": recorded, "warnings": warnings, "profile": stats}


# -- main -------------------------------------------------------------------------------


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--executions", type=int, default=300,
                        help="timed executions per kernel (default 300, at least 200 recommended)")
    parser.add_argument("--warmup", type=int, default=30, help="discarded executions per kernel first (default 30)")
    parser.add_argument("--batch", type=int, default=25, help="executions per kernel per turn (default 25)")
    parser.add_argument("--code", default="x = 1", help="the cell to execute (default 'x = 1')")
    parser.add_argument("--seed", type=int, default=None, help="seed of the batch order (default: random)")
    parser.add_argument("--settle", type=float, default=0.05,
                        help="pause after each batch, seconds (lets background git work end; default 0.05)")
    parser.add_argument("--no-git", action="store_true", help="skip the git repository variant")
    parser.add_argument("--repo-files", type=int, default=20,
                        help="files in the temporary git repository (default 20; a real project: thousands)")
    parser.add_argument("--no-inprocess", action="store_true", help="skip the in-process hook measurement")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the hooks (in-process, git repo)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder (stores, repository)")
    args = parser.parse_args(argv)
    if args.executions < 1 or args.batch < 1 or args.warmup < 0:
        parser.error("--executions and --batch must be positive, --warmup not negative")

    import ipykernel
    import jupyter_client

    import plumbline
    from plumbline.kernel.gitinfo import find_git_dir

    seed = args.seed if args.seed is not None else random.SystemRandom().randrange(1 << 30)
    rng = random.Random(seed)
    began = time.monotonic()

    root = Path(tempfile.mkdtemp(prefix="plumbline-bench-")).resolve()
    plain = root / "plain"
    plain.mkdir()
    stores = root / "stores"
    stores.mkdir()
    outside_repo = find_git_dir(plain)
    if outside_repo is not None:
        print(f"error: the temporary folder {plain} is inside the git repository {outside_repo.parent}; "
              "set TMPDIR to a folder outside any repository", file=sys.stderr)
        return 2
    head = None
    repo = None
    if not args.no_git:
        head = make_git_repo(root / "repo", args.repo_files)
        repo = root / "repo" if head else None
        if repo is None:
            print("note: git is not installed; the git repository variant is skipped")

    variants = [
        Variant("baseline", "baseline (no plumbline)", plain, None),
        Variant("baseline-2", "baseline #2 (A/A noise)", plain, None),
        Variant("plumbline", "plumbline, no git", plain, stores / "plumbline.db"),
    ]
    if repo is not None:
        variants.append(Variant("plumbline-git", f"plumbline, git repo ({args.repo_files} files)", repo, stores / "plumbline-git.db",
                                in_repo=True))
    base = variants[0]

    print("Plumbline recording overhead: added round-trip time per trivial cell, client side")
    print(f"  cell {args.code!r}; {args.executions} timed + {args.warmup} warm-up executions per kernel; "
          f"batches of {args.batch}, kernel order shuffled every round (seed {seed})")
    print(f"  {os.cpu_count()} CPUs, Python {platform.python_version()}, ipykernel {ipykernel.__version__}, "
          f"jupyter_client {jupyter_client.__version__}, plumbline {plumbline.__version__}")
    sys.stdout.flush()

    status = 0
    inproc = None
    logs = root / "logs"
    logs.mkdir()
    try:
        for v in variants:
            start(v, logs)
            prepare(v)
            drain_iopub(v)
        print(f"  kernels ready in {time.monotonic() - began:.1f} s")
        sys.stdout.flush()

        # Warm-up, interleaved like the measurement, discarded.
        remaining = args.warmup
        while remaining > 0:
            order = variants[:]
            rng.shuffle(order)
            size = min(args.batch, remaining)
            for v in order:
                for _ in range(size):
                    execute(v, args.code)
                drain_iopub(v)
                time.sleep(args.settle)
            remaining -= size

        # Measurement: rounds of one batch per kernel, in a shuffled order.
        rounds = math.ceil(args.executions / args.batch)
        for r in range(rounds):
            size = min(args.batch, args.executions - r * args.batch)
            order = variants[:]
            rng.shuffle(order)
            for v in order:
                batch = [execute(v, args.code)[0] for _ in range(size)]
                v.samples.extend(batch)
                v.round_medians.append(median(batch))
                drain_iopub(v)
                time.sleep(args.settle)

        # Store check, before shutdown (the git dirtiness is written by a daemon thread).
        checks = {}
        for v in variants:
            if v.records:
                checks[v.name] = check_store(v, args.code, head if v.in_repo else None)
                drain_iopub(v)
    except Exception as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        for v in variants:
            tail = log_tail(v)
            if tail:
                print(f"--- output of the {v.name} kernel ---\n{tail}", file=sys.stderr)
        for v in variants:
            stop(v)
        shutil.rmtree(root, ignore_errors=True)
        return 2
    finally:
        for v in variants:
            stop(v)

    # -- report: round trip --------------------------------------------------------
    base_median = median(base.samples)
    print()
    print(f"{'variant':<34}{'median ms':>11}{'p90 ms':>10}{'added median ms':>17}{'ratio':>8}")
    for v in variants:
        med = median(v.samples)
        added = "" if v is base else f"{ms(med - base_median):+.3f}"
        print(f"{v.label:<34}{ms(med):>11.3f}{ms(p90(v.samples)):>10.3f}{added:>17}{med / base_median:>8.2f}")
    print()
    noise = ms(median(variants[1].samples) - base_median)
    print(f"noise floor (A/A, two identical kernels): {noise:+.3f} ms")
    print(f"per-round added median (each round's batch median minus the baseline's, {rounds} rounds):")
    for v in variants[1:]:
        diffs = [ms(a - b) for a, b in zip(v.round_medians, base.round_medians)]
        print(f"  {v.label:<32} min {min(diffs):+.3f}  median {median(diffs):+.3f}  max {max(diffs):+.3f} ms")
    print()
    for v in variants:
        if not v.records:
            continue
        added = ms(median(v.samples) - base_median)
        verdict = "MET" if added <= TARGET_ADDED_MS else "NOT MET"
        print(f"target: <= {TARGET_ADDED_MS:g} ms added per cell (median round trip) - {v.label}: "
              f"{added:+.3f} ms -> {verdict}")

    # -- report: recording check ---------------------------------------------------------
    print()
    print("recording check (rows in the runs table of each temporary store):")
    for v in variants:
        if not v.records:
            continue
        c = checks[v.name]
        expected = v.executed_after_load
        problems = []
        if c.runs != expected:
            problems.append(f"{c.runs} runs, expected {expected}")
        if c.ok != expected:
            problems.append(f"{c.ok} with status 'ok', expected {expected} (statuses {c.statuses})")
        if c.code_runs != expected:
            problems.append(f"{c.code_runs} with the cell's code, expected {expected}")
        if c.commit_matches != c.runs:
            problems.append(f"git_commit {'= HEAD' if v.in_repo else 'empty'} on {c.commit_matches} of {c.runs}")
        extra = ""
        if v.in_repo:
            extra = f", git_dirty known on {c.dirty_known}/{c.runs} {c.dirty_values}"
        print(f"  {v.label}: {c.runs} runs recorded for {expected} executions, {c.ok} ok, "
              f"git_commit {'= HEAD' if v.in_repo else 'empty'} on {c.commit_matches}{extra} -> "
              f"{'OK' if not problems else 'FAILED: ' + '; '.join(problems)}")
        if problems:
            status = 1
        if v.in_repo and c.dirty_known != c.runs:
            print(f"  warning: {c.runs - c.dirty_known} runs never got their git dirtiness (async write lost?)")
        if v.recorder_warnings:
            distinct = sorted(set(v.recorder_warnings))
            print(f"  warning: the kernel printed {len(v.recorder_warnings)} recorder warnings, e.g. {distinct[:3]}")

    # -- report: in-process hook cost -----------------------------------------------------
    if not args.no_inprocess:
        inproc = in_process(args.code, args.executions, args.batch, args.warmup, plain, repo, stores, rng,
                            args.profile)
        samples = inproc["samples"]
        ref = median(samples["no hooks"])
        print()
        print("in-process (IPython InteractiveShell.run_cell in this process, no messaging):")
        for name, values in samples.items():
            med = median(values)
            added = "" if name == "no hooks" else f"  added {ms(med - ref):+.3f} ms  ratio {med / ref:.2f}"
            print(f"  {name:<16} median {ms(med):.3f} ms  p90 {ms(p90(values)):.3f} ms{added}")
        for name, (rows, ok, cells) in inproc["recorded"].items():
            good = rows == cells and ok == cells
            print(f"  {name}: {rows} runs recorded for {cells} cells, {ok} ok -> {'OK' if good else 'FAILED'}")
            if not good:
                status = 1
        if inproc["warnings"]:
            distinct = sorted(set(inproc["warnings"]))
            print(f"  warning: the recorder warned {len(inproc['warnings'])} times, e.g. {distinct[:3]}")
        if inproc["profile"]:
            print()
            print(inproc["profile"])

    print(f"\ntotal {time.monotonic() - began:.1f} s; exit status {status}")
    if args.keep:
        print(f"kept {root}")
    else:
        shutil.rmtree(root, ignore_errors=True)
    return status


if __name__ == "__main__":
    sys.exit(main())
