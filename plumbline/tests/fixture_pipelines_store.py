"""Builds the deterministic store behind plumbline/tests/fixtures/pipelines-v1.json.

The Pipelines panel's queries (src/queries/pipelines.ts) are tested in jest on this change page of the
replicated pipeline tables (``pipelines``, ``pipeline_runs``, ``task_runs``, and the cell runs a task
process recorded, ``runs.task_run_id``); pytest checks the Python store still produces it. The store API
stamps rows with ``time.time()`` and ``uuid.uuid4()``: both are replaced by a clock and a counter here, so
the page is the same on every machine. Regenerate after a deliberate change with:

    python -m plumbline.tests.fixture_pipelines_store > plumbline/tests/fixtures/pipelines-v1.json

The story (T0 = 2026-11-30T12:00:00Z, a Monday; times are T0 + seconds):

  weekly_flights (flights.ipynb, "0 6 * * 1" Europe/Berlin; load -> clean -> features -> train -> predict)
    backfill  slot 2026-11-23T05:00Z   ok      every task ok; load's cell run passed a check
    schedule  slot 2026-11-30T05:00Z   error   load ok, clean error (ValueError, 2 attempts),
                                               features, train, predict upstream_failed; pandas differs
    airflow   (external id)             ok      every task ok, train reused
    manual    params {"rows": 500}      running load ok, clean running, the rest pending
  nightly (report.ipynb, paused, one task "report", no runs)
  retired (flights.ipynb, deleted: its one run stays in the store, the panel does not list it)
"""

from __future__ import annotations

import json
import sys
import uuid as _uuid
from contextlib import contextmanager
from unittest import mock

from plumbline.store import CheckRecord, KernelSession, RunEnd, RunStart, Store

from .fixture_store import first_page

T0 = 1_764_504_000.0  # 2026-11-30T12:00:00Z
WEEK = 7 * 86400
SLOT = 1_764_478_800  # 2026-11-30T05:00:00Z (06:00 in Berlin)
TASKS = [("load", []), ("clean", ["load"]), ("features", ["clean"]), ("train", ["features"]),
         ("predict", ["train", "features"])]


class Clock:
    def __init__(self, now: float):
        self.now = now

    def time(self) -> float:
        return self.now


@contextmanager
def pinned(clock: Clock):
    counter = iter(range(1, 10_000))
    fake_uuid = mock.Mock(uuid4=lambda: _uuid.UUID(int=next(counter)))
    with mock.patch("plumbline.store.pipelines.time", clock), mock.patch("plumbline.store.pipelines.uuid", fake_uuid):
        yield


def build(path: str) -> Store:
    store = Store(path)
    clock = Clock(T0 - 3 * WEEK)
    with pinned(clock):
        weekly = store.create_pipeline(
            name="weekly_flights", folder="pipelines/weekly_flights", notebook_path="flights.ipynb",
            spec_hash="spec-1", cron="0 6 * * 1", timezone="Europe/Berlin", catchup="latest", catchup_limit=10,
            max_active_runs=1, tasks=[{"name": n, "upstream": u} for n, u in TASKS],
            environment={"python": "3.11.7", "packages": {"pandas": "3.1.1", "sklearn": "1.9.1"}},
            cursor=SLOT - WEEK, next_fire_at=SLOT + WEEK, pipeline_id="p-weekly")
        nightly = store.create_pipeline(
            name="nightly", folder="pipelines/nightly", notebook_path="report.ipynb", spec_hash="spec-2",
            cron="30 2 * * *", timezone="UTC", catchup="none", catchup_limit=10, max_active_runs=2,
            tasks=[{"name": "report", "upstream": []}], environment=None, cursor=T0, next_fire_at=T0 + 52200,
            pipeline_id="p-nightly")
        store.update_pipeline(nightly, paused=True, next_fire_at=None)
        retired = store.create_pipeline(
            name="retired", folder="pipelines/retired", notebook_path="flights.ipynb", spec_hash="spec-3", cron=None,
            timezone="UTC", catchup="latest", catchup_limit=10, max_active_runs=1,
            tasks=[{"name": "load", "upstream": []}], environment=None, cursor=None, next_fire_at=None,
            pipeline_id="p-retired")
        old, _ = store.create_run(retired, trigger="manual", logical_date=T0 - 3 * WEEK, data_interval_start=T0 - 3 * WEEK,
                                  data_interval_end=T0 - 3 * WEEK, run_id="run-retired")
        store.ensure_task_runs(old, retired, [("load", 1, "h-load")])
        store.delete_pipeline(retired)

        def run(run_id, statuses, *, attempts=None, error=None, reused=(), env_diff=None, finish=True):
            store.ensure_task_runs(run_id, weekly, [(n, 2, f"h-{n}") for n, _ in TASKS])
            assert store.claim_run(run_id, "host:1:fixture")
            by_task = {t["task"]: t["id"] for t in store.task_runs(run_id)}
            for task, status in zip([n for n, _ in TASKS], statuses):
                tid = by_task[task]
                if status == "pending":
                    continue
                if status == "upstream_failed":
                    store.mark_upstream_failed([tid], "clean failed")
                    continue
                clock.now += 1
                for attempt in range(1, (attempts or {}).get(task, 1) + 1):
                    store.start_task_attempt(tid, attempt=attempt, max_attempts=2, hostname="host", pid=4000 + attempt,
                                             pid_started="0", log_path=f"pipelines/{run_id}/{task}.log")
                    clock.now += 2.5
                    if status == "running":
                        break
                    last = attempt == (attempts or {}).get(task, 1)
                    store.finish_task_attempt(
                        tid, (status if last else "up_for_retry"),
                        error_name="ValueError" if status == "error" else None,
                        error_value="no rows left after cleaning" if status == "error" else None,
                        outputs={"flights": {"type": "pandas.DataFrame", "format": "parquet", "io_id": f"io-{tid}"}}
                        if status in ("ok", "reused") and task == "load" else None,
                        environment_diff=env_diff if status == "error" else None,
                        reused_from=f"{by_task[task]}-earlier" if task in reused else None)
            if finish:
                store.finish_pipeline_run(run_id, "error" if error else "ok", error=error, environment_diff=env_diff,
                                          owner="host:1:fixture")
            return by_task

        clock.now = SLOT - WEEK + 3
        (backfill,) = store.insert_slot_runs(weekly, [(SLOT - WEEK, SLOT - WEEK, SLOT - 2 * WEEK, SLOT - WEEK)],
                                             trigger="backfill", spec_hash="spec-1")
        backfill_tasks = run(backfill, ["ok"] * 5)
        clock.now = SLOT + 1
        (scheduled,) = store.insert_slot_runs(weekly, [(SLOT, SLOT, SLOT - WEEK, SLOT)], trigger="schedule",
                                              cursor=SLOT, next_fire_at=SLOT + WEEK, spec_hash="spec-1")
        diff = {"packages": {"pandas": ["3.1.1", "3.2.0"]}}
        run(scheduled, ["ok", "error", "upstream_failed", "upstream_failed", "upstream_failed"],
            attempts={"clean": 2}, error="clean failed: ValueError: no rows left after cleaning", env_diff=diff)
        clock.now = T0 - 3600
        airflow, _ = store.create_run(weekly, trigger="airflow", logical_date=SLOT, data_interval_start=SLOT - WEEK,
                                      data_interval_end=SLOT, external_id="scheduled__2026-11-30T05:00:00+00:00",
                                      spec_hash="spec-1", run_id="run-airflow")
        run(airflow, ["ok", "ok", "ok", "reused", "ok"], reused=("train",))
        clock.now = T0 - 60
        manual, _ = store.create_run(weekly, trigger="manual", logical_date=T0 - 60, data_interval_start=SLOT,
                                     data_interval_end=T0 - 60, params={"rows": 500}, spec_hash="spec-1",
                                     run_id="run-manual")
        run(manual, ["ok", "running", "pending", "pending", "pending"], finish=False)

    # The cell run the backfill's load task process recorded (its kernel session names the task run).
    load_task = backfill_tasks["load"]
    store.register_session(KernelSession(id="session-task-load", hostname="host", pid=4001, started_at=SLOT - WEEK + 5,
                                         kind="task", python_version="3.11.7", plumbline_version="0.1.0",
                                         task_run_id=load_task))
    store.start_run(RunStart(id="run-cell-load", kernel_session="session-task-load", started_at=SLOT - WEEK + 5,
                             code="flights = load(rows)", notebook_path="flights.ipynb", cell_id="c05",
                             component_name="load"))
    store.finish_run(RunEnd(id="run-cell-load", ended_at=SLOT - WEEK + 6.5, status="ok"))
    store.record_checks("run-cell-load", [CheckRecord("rows-1", "row_count(flights)", "after", "pass", "warn", "ok",
                                                      {"rows": 2000}, 0.5, SLOT - WEEK + 6.5)])
    # An interactive run of the same cell: no task run, no trigger.
    store.register_session(KernelSession(id="session-nb", hostname="host", pid=100, started_at=T0 - 7200))
    store.start_run(RunStart(id="run-interactive", kernel_session="session-nb", started_at=T0 - 7200,
                             code="flights = load(rows)", notebook_path="flights.ipynb", cell_id="c05",
                             component_name="load"))
    store.finish_run(RunEnd(id="run-interactive", ended_at=T0 - 7199, status="ok"))
    return store


def changes() -> dict:
    return first_page(build)


if __name__ == "__main__":
    json.dump(changes(), sys.stdout, indent=1, sort_keys=True)
    sys.stdout.write("\n")
