"""``plumbline pipelines ...``, ``plumbline export airflow ...``, ``plumbline scheduler``.

The same service as the REST API (``service.py``). Every error is one line on
stderr and a non-zero exit status (1: refused or failed; 2: usage).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any, Optional

from . import cron


def _store_and_root(args) -> tuple[Any, Path]:
    from ..store import Store, resolve_store_path
    from ..store.location import STORE_DIR

    store_path = resolve_store_path(getattr(args, "store", None))
    if getattr(args, "root", None):
        root = Path(args.root).expanduser().resolve()
    elif store_path.parent.name == STORE_DIR:
        root = store_path.parent.parent
    else:
        root = Path.cwd().resolve()
    return Store(store_path), root


def _service(args):
    from .service import Pipelines

    store, root = _store_and_root(args)
    return Pipelines(store, root, restrict_paths=False)


def add_commands(commands) -> None:
    """Add ``pipelines``, ``export`` and ``scheduler`` to the ``plumbline`` parser's subcommands."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--root", help="the project folder (default: the folder holding .plumbline/)")
    common.add_argument("--store", help="lineage store path (default: $PLUMBLINE_DB or the project's)")

    pipelines = commands.add_parser("pipelines", help="promote cells to scheduled pipelines and run them")
    sub = pipelines.add_subparsers(dest="action", required=True)

    create = sub.add_parser("create", parents=[common], help="promote a notebook's cells to a pipeline")
    create.add_argument("name")
    create.add_argument("--notebook", required=True)
    create.add_argument("--cells", help="first-last, counted from 1 with markdown cells (default: all)")
    _schedule_options(create)
    create.add_argument("--retries", type=int, help="retries per task (default 0)")
    create.add_argument("--retry-delay", type=float, help="seconds between retries (default 60)")
    create.add_argument("--timeout", type=float, help="seconds a task may run (default 3600)")
    create.add_argument("--parallelism", type=int, help="tasks of one run at once (default 2)")
    create.add_argument("--reuse", action="store_true", help="reuse unchanged tasks' outputs")
    create.add_argument("--artifacts", help="folder or fsspec URL for values between tasks")
    create.add_argument("--dry-run", action="store_true", help="show what would be created; write nothing")

    sub.add_parser("list", parents=[common], help="every pipeline, its schedule and last run")
    show = sub.add_parser("show", parents=[common], help="a pipeline's tasks, schedule and recent runs")
    show.add_argument("name")
    show.add_argument("--json", action="store_true")

    run = sub.add_parser("run", parents=[common], help="run a pipeline now, here, and wait for it")
    run.add_argument("name")
    run.add_argument("--param", action="append", default=[], metavar="K=V", help="override a parameter")
    run.add_argument("--logical-date", help="the run's logical date (ISO 8601; default now)")

    backfill = sub.add_parser("backfill", parents=[common], help="run every fire slot of a past date range")
    backfill.add_argument("name")
    backfill.add_argument("--start", required=True)
    backfill.add_argument("--end", required=True)
    backfill.add_argument("--queue", action="store_true", help="leave the runs to the scheduler")

    for action, text in (("pause", "stop firing slots"), ("resume", "fire slots again, from now on")):
        p = sub.add_parser(action, parents=[common], help=text)
        p.add_argument("name")
    delete = sub.add_parser("delete", parents=[common], help="delete a pipeline (its runs and lineage stay)")
    delete.add_argument("name")
    delete.add_argument("--keep-files", action="store_true", help="keep pipelines/<name>/")

    schedule = sub.add_parser("schedule", parents=[common], help="change a pipeline's schedule")
    schedule.add_argument("name")
    _schedule_options(schedule)
    schedule.add_argument("--unschedule", action="store_true", help="run only when asked")

    update = sub.add_parser("update", parents=[common], help="update a pipeline from its notebook")
    update.add_argument("name")
    update.add_argument("--check", action="store_true", help="only say whether it is out of date (exit 1 if so)")

    log = sub.add_parser("log", parents=[common], help="a task run's log")
    log.add_argument("name")
    log.add_argument("run", help="the pipeline run id (or a prefix of 6+ characters)")
    log.add_argument("task")

    task = sub.add_parser("run-task", parents=[common],
                          help="run one task of a run that Airflow orders (the exported DAG calls this)")
    task.add_argument("name")
    task.add_argument("task")
    task.add_argument("--logical-date", required=True)
    task.add_argument("--external-id", required=True, help="Airflow's dag run id")
    task.add_argument("--try-number", type=int, default=1)
    task.add_argument("--max-tries", type=int, default=1)

    export = commands.add_parser("export", help="export a pipeline to another orchestrator")
    target = export.add_subparsers(dest="target", required=True)
    airflow = target.add_parser("airflow", parents=[common], help="write an Airflow DAG file")
    airflow.add_argument("name")
    airflow.add_argument("--out", default=".", help="folder for <name>.py (default: here)")
    airflow.add_argument("--python", help="the Python with Plumbline that Airflow's tasks call (default: this one)")

    scheduler = commands.add_parser("scheduler", parents=[common],
                                    help="run the scheduler here (where JupyterLab is not running)")
    scheduler.add_argument("--max-concurrent-runs", type=int, default=4)


def _schedule_options(p) -> None:
    p.add_argument("--schedule", dest="cron", help="cron expression, e.g. '0 6 * * 1'")
    p.add_argument("--timezone", help="IANA timezone (default UTC)")
    p.add_argument("--catchup", choices=["none", "latest", "all"], help="missed slots (default latest)")
    p.add_argument("--catchup-limit", type=int, help="at most this many missed slots with --catchup all")
    p.add_argument("--max-active-runs", type=int, help="runs of this pipeline at once (default 1)")


def _options(args) -> dict:
    names = {"cron": "cron", "timezone": "timezone", "catchup": "catchup", "catchup_limit": "catchup_limit",
             "max_active_runs": "max_active_runs", "retries": "retries", "retry_delay": "retry_delay_seconds",
             "timeout": "timeout_seconds", "parallelism": "parallelism", "artifacts": "artifacts"}
    out = {key: getattr(args, attr) for attr, key in names.items() if getattr(args, attr, None) is not None}
    if getattr(args, "reuse", False):
        out["reuse"] = True
    return out


def _print_problems(problems: list, out=sys.stderr) -> None:
    for p in problems:
        cells = f" [cells {', '.join(map(str, p['cells']))}]" if p.get("cells") else ""
        print(f"{p['severity']}: {p['message']}{cells}\n  fix: {p['fix']}", file=out)


def _print_dag(payload: dict) -> None:
    dag = payload["dag"]
    if dag["prelude"]:
        print(f"prelude: cells {', '.join(map(str, dag['prelude']))}")
    for t in dag["tasks"]:
        ups = f" <- {', '.join(t['upstream'])}" if t["upstream"] else ""
        print(f"task {t['name']}: cells {', '.join(map(str, t['cells']))}{ups}")
    for e in dag["edges"]:
        variables = ", ".join(f"{v['name']} ({v['type'] or 'type unknown'}, {v['format']})" for v in e["variables"])
        print(f"  {e['from']} -> {e['to']}: {variables}")
    for n in payload["notes"]:
        print(f"note: {n['message']}")
    sched = payload["schedule"]
    if sched.get("cron"):
        print(f"schedule: {sched['cron']} ({sched['description']}), {sched['timezone']}; next: "
              f"{', '.join(x['local'] for x in sched['next'][:3])}")


def _find_run(service, name: str, ref: str) -> str:
    row = service.row(name)
    runs = [r for r in service.store.pipeline_runs(row["id"], limit=10_000) if r["id"].startswith(ref)]
    if len(ref) < 6 or not runs:
        from .service import PipelineError

        raise PipelineError(f"No run of {name!r} has an id starting with {ref!r} (give at least 6 characters; "
                            f"`plumbline pipelines show {name}` lists them).")
    if len(runs) > 1:
        from .service import PipelineError

        raise PipelineError(f"{len(runs)} runs start with {ref!r}; give more characters.")
    return runs[0]["id"]


def _execute(service, run: dict) -> int:
    status = service.execute(run["id"])
    for t in service.store.task_runs(run["id"]):
        extra = f" — {t['error_name']}: {(t['error_value'] or '').splitlines()[0][:200]}" if t["error_name"] and \
            t["status"] != "ok" else ""
        print(f"  {t['task']}: {t['status']}{extra}")
    print(f"run {run['id'][:8]} ({run['trigger']}, logical date {run['logical_date']}): {status}")
    return 0 if status == "ok" else 1


def run(args) -> int:
    """Dispatch a parsed ``pipelines``/``export``/``scheduler`` command; the exit status."""
    from ..store import StoreError
    from .service import PipelineError

    try:
        return _dispatch(args)
    except PipelineError as exc:
        errors = [p for p in exc.problems if p["severity"] == "error"]
        if errors:
            _print_problems(errors)
            print(f"plumbline: {len(errors)} error(s) above; nothing was written.", file=sys.stderr)
        else:
            print(f"plumbline: {exc}", file=sys.stderr)
        return 1
    except (StoreError, cron.ScheduleError) as exc:
        print(f"plumbline: {exc}", file=sys.stderr)
        return 1


def _dispatch(args) -> int:
    from .service import PipelineError

    if args.command == "scheduler":
        from .scheduler import run_standalone

        store, root = _store_and_root(args)
        return run_standalone(store, root, max_concurrent_runs=args.max_concurrent_runs)
    service = _service(args)
    if args.command == "export":
        from .export.airflow import write_dag

        path = write_dag(service, args.name, Path(args.out), python=args.python)
        print(f"plumbline: wrote {path}")
        return 0
    action = args.action
    if action == "create":
        options = _options(args)
        if args.dry_run:
            payload = service.preview(args.notebook, name=args.name, cells=args.cells, options=options)
            _print_dag(payload)
            _print_problems(payload["problems"], sys.stdout)
            return 0 if payload["ok"] else 1
        result = service.create(args.notebook, name=args.name, cells=args.cells, options=options)
        payload = {"dag": _dag_of(result), "notes": result["notes"], "schedule": cron.preview(
            result["pipeline"]["cron"], result["pipeline"]["timezone"]) if result["pipeline"]["cron"] else {}}
        _print_dag(payload)
        _print_problems(result["problems"], sys.stdout)
        print(f"plumbline: created pipeline {args.name!r} in {result['pipeline']['folder']}")
        return 0
    if action == "list":
        rows = service.list()
        if not rows:
            print("no pipelines (create one with `plumbline pipelines create NAME --notebook NB`)")
        for p in rows:
            last = p["last_run"]
            sched = f"{p['cron']} {p['timezone']}" if p["cron"] else "manual"
            print(f"{p['name']}\t{sched}\t{'paused' if p['paused'] else 'next ' + (p['next_fire_at'] or '-')}\t"
                  f"last: {last['status'] + ' ' + (last['logical_date'] or '') if last else '-'}")
        return 0
    if action == "show":
        info = service.show(args.name)
        if args.json:
            print(json.dumps(info, indent=1, default=str))
            return 0
        print(f"{info['name']}: {info['notebook']} -> {info['folder']}")
        print(f"schedule: {info['cron'] or 'none (manual)'} {info['timezone']}"
              f"{' (' + info['description'] + ')' if info['description'] else ''}; catch-up {info['catchup']}; "
              f"{'paused' if info['paused'] else 'next ' + str(info['next_fire_at'])}")
        if info["spec_problem"]:
            print(f"problem: {info['spec_problem']}")
        for t in info["tasks"]:
            print(f"task {t['name']}{' <- ' + ', '.join(t['upstream']) if t['upstream'] else ''}")
        for r in info["runs"][:10]:
            tasks = " ".join(f"{t['task']}={t['status']}" for t in r["tasks"])
            print(f"run {r['id'][:8]} {r['trigger']} {r['logical_date']} {r['status']}: {tasks}")
        return 0
    if action == "run":
        params = {}
        for item in args.param:
            key, sep, value = item.partition("=")
            if not sep or not key:
                raise PipelineError(f"--param takes key=value, not {item!r}.")
            params[key] = value
        logical = cron.parse_instant(args.logical_date, "UTC") if args.logical_date else None
        run_row = service.trigger(args.name, params, logical, from_text=True)
        return _execute(service, run_row)
    if action == "backfill":
        result = service.backfill(args.name, args.start, args.end)
        print(f"plumbline: {len(result['created'])} run(s) for {result['slots']} slot(s); {result['skipped']} slot(s) "
              "had a run already")
        if args.queue:
            return 0
        code = 0
        for r in result["created"]:
            code |= _execute(service, r)
        return code
    if action in ("pause", "resume"):
        info = service.set_paused(args.name, action == "pause")
        print(f"plumbline: {args.name} {'paused' if info['paused'] else 'resumed; next ' + str(info['next_fire_at'])}")
        return 0
    if action == "delete":
        info = service.delete(args.name, keep_files=args.keep_files)
        print(f"plumbline: deleted {args.name}; {info['kept']}")
        return 0
    if action == "schedule":
        options = _options(args)
        if args.unschedule:
            options["cron"] = None
        info = service.set_schedule(args.name, options)
        print(f"plumbline: {args.name}: {info['cron'] or 'no schedule'} {info['timezone']}; next {info['next_fire_at']}")
        return 0
    if action == "update":
        diff = service.diff(args.name)
        for t in diff["tasks"]:
            print(f"task {t['task']}: " + ", ".join(f"cell {c['index']} {c['change']}" for c in t["changes"]))
        for c in diff["prelude"] + diff["added"]:
            print(f"cell {c['index']} {c['change']}")
        if args.check:
            print(f"plumbline: {args.name} is {'out of date' if diff['out_of_date'] else 'up to date'}")
            return 1 if diff["out_of_date"] else 0
        result = service.update(args.name)
        print(f"plumbline: updated {args.name}; tasks changed: {', '.join(result['changed_tasks']) or 'none'}")
        return 0
    if action == "log":
        run_id = _find_run(service, args.name, args.run)
        sys.stdout.write(service.log(args.name, run_id, args.task)["text"])
        return 0
    if action == "run-task":
        logical = cron.parse_instant(args.logical_date, "UTC")
        outcome, run_row = service.run_external(args.name, args.task, logical_date=logical,
                                                external_id=args.external_id, attempt=args.try_number,
                                                max_attempts=args.max_tries)
        task = next(t for t in service.store.task_runs(run_row["id"]) if t["task"] == args.task)
        print(f"plumbline: {args.name}.{args.task} (run {run_row['id'][:8]}): {task['status']}")
        if outcome != "ok":
            print(f"plumbline: {task['error_name']}: {task['error_value']}", file=sys.stderr)
        return 0 if outcome == "ok" else 1
    raise PipelineError(f"Unknown action {action!r}.")


def _dag_of(result: dict) -> dict:
    spec = result["spec"]
    edges: dict = {}
    for t in spec["tasks"]:
        for i in t["inputs"]:
            edges.setdefault((i["task"], t["name"]), []).append(i)
    return {"prelude": [c["index"] for c in spec["prelude"]],
            "tasks": [{"name": t["name"], "cells": [c["index"] for c in t["cells"]], "upstream": t["upstream"]}
                      for t in spec["tasks"]],
            "edges": [{"from": a, "to": b, "variables": v} for (a, b), v in edges.items()]}


def main(argv: Optional[list[str]] = None) -> int:  # pragma: no cover - plumbline.__main__ is the entry point
    from .. import __main__

    return __main__.main(argv)
