"""The scheduler: slots fire exactly once (lease, cursor, unique slot), catch-up policies, real firing."""

from __future__ import annotations

import threading
import time

import pytest

from plumbline.pipelines.cron import CronSchedule
from plumbline.pipelines.scheduler import PipelineScheduler
from plumbline.store import Store

from .pipeline_project import Project, code_cells

HOURLY = {"cron": "0 * * * *", "timezone": "UTC"}


def promote(project, name="p", **options):
    cells = code_cells("value = 1 + 1", components=["only"])
    project.service.create(project.notebook(f"{name}.ipynb", cells), name=name, options=options)
    return project.store.pipeline(name)


def slots_of(project, name="p") -> list[float]:
    row = project.store.pipeline(name)
    return sorted(r["slot"] for r in project.store.pipeline_runs(row["id"], limit=1000) if r["slot"] is not None)


def down_since(project, name, hours) -> float:
    """Pretend no scheduler ran for ``hours``: the cursor is that old; returns 'now'."""
    row = project.store.pipeline(name)
    # half past an hour: no slot is within the misfire grace, whatever the wall clock says
    now = CronSchedule("0 * * * *", "UTC").previous_before(time.time()) + 1800
    project.store.update_pipeline(row["id"], cursor=now - hours * 3600)
    return now


@pytest.mark.parametrize("policy,limit,expected", [("none", 10, 0), ("latest", 10, 1), ("all", 10, 5),
                                                   ("all", 3, 3)])
def test_catch_up_after_a_downtime(tmp_path, policy, limit, expected):
    project = Project(tmp_path)
    promote(project, catchup=policy, catchup_limit=limit, **HOURLY)
    now = down_since(project, "p", 5.5)
    scheduler = PipelineScheduler(project.store, tmp_path, max_concurrent_runs=0)  # fire, do not run
    scheduler.tick(now)
    slots = slots_of(project)
    assert len(slots) == expected
    schedule = CronSchedule("0 * * * *", "UTC")
    latest = schedule.previous_before(now)
    if expected:
        assert slots[-1] == latest  # the latest missed slot always comes first to mind
        assert all(b - a == 3600 for a, b in zip(slots, slots[1:]))
    row = project.store.pipeline("p")
    assert row["cursor"] == latest and row["next_fire_at"] == schedule.next_after(now)
    scheduler.tick(now + 1)  # a second pass fires nothing more
    assert len(slots_of(project)) == expected


def test_a_slot_just_due_fires_even_with_catch_up_none(tmp_path):
    project = Project(tmp_path)
    promote(project, catchup="none", **HOURLY)
    schedule = CronSchedule("0 * * * *", "UTC")
    slot = schedule.next_after(time.time())
    PipelineScheduler(project.store, tmp_path, max_concurrent_runs=0).tick(slot + 2)
    assert slots_of(project) == [slot]


def test_two_schedulers_on_one_store_fire_each_slot_once(tmp_path):
    project = Project(tmp_path)
    promote(project, catchup="all", catchup_limit=50, **HOURLY)
    now = down_since(project, "p", 24)
    schedulers = [PipelineScheduler(Store(project.store_path), tmp_path, max_concurrent_runs=0) for _ in range(2)]
    barrier = threading.Barrier(2)

    def fire(s):
        barrier.wait()
        for k in range(20):
            s.tick(now + k)

    threads = [threading.Thread(target=fire, args=(s,)) for s in schedulers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sum(s.holds_lease for s in schedulers) == 1  # one lease holder...
    assert len(slots_of(project)) == 24 == len(set(slots_of(project)))  # ...and each slot once
    # Even a scheduler that thinks it may fire (an expired lease) cannot duplicate a slot.
    row = project.store.pipeline("p")
    project.store.update_pipeline(row["id"], cursor=now - 24 * 3600)
    other = [s for s in schedulers if not s.holds_lease][0]
    with project.store._write() as conn:
        conn.execute("UPDATE scheduler_lease SET expires_at = 0")
    other.tick(now)
    assert other.holds_lease and len(slots_of(project)) == 24


def test_the_lease_passes_at_once_when_its_holder_is_gone(tmp_path):
    project = Project(tmp_path)
    with project.store._write() as conn:  # a scheduler on this host whose process no longer exists
        conn.execute("INSERT INTO scheduler_lease (id, owner, hostname, pid, acquired_at, expires_at) "
                     "VALUES (1, 'dead', ?, 999999999, 0, ?)", (PipelineScheduler(project.store, tmp_path).hostname,
                                                                  time.time() + 3600))
    scheduler = PipelineScheduler(project.store, tmp_path)
    scheduler.tick()
    assert scheduler.holds_lease and project.store.lease()["owner"] == scheduler.owner


def test_paused_pipelines_fire_nothing_and_resume_from_now(tmp_path):
    project = Project(tmp_path)
    promote(project, catchup="all", **HOURLY)
    project.service.set_paused("p", True)
    now = down_since(project, "p", 5)
    scheduler = PipelineScheduler(project.store, tmp_path, max_concurrent_runs=0)
    scheduler.tick(now)
    assert slots_of(project) == []
    project.service.set_paused("p", False)
    scheduler.tick(time.time())
    assert slots_of(project) == []  # slots missed while paused are not caught up


def test_a_schedule_fires_during_the_test_and_runs_with_lineage(tmp_path):
    project = Project(tmp_path)
    promote(project, cron="*/2 * * * * *", timezone="UTC", catchup="none")
    scheduler = PipelineScheduler(project.store, tmp_path).start()
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            done = [r for r in project.store.pipeline_runs(project.store.pipeline("p")["id"]) if r["status"] == "ok"]
            if done:
                break
            time.sleep(0.2)
        else:
            pytest.fail("no scheduled run finished")
    finally:
        scheduler.stop()
    run = done[-1]
    assert run["trigger"] == "schedule" and run["slot"] is not None and run["logical_date"] == run["slot"]
    assert run["data_interval_end"] - run["data_interval_start"] == 2
    (task,) = project.store.task_runs(run["id"])
    assert task["status"] == "ok" and project.store.runs_of_task_run(task["id"])
    # one run per slot, however often the scheduler woke
    slots = slots_of(project)
    assert len(slots) == len(set(slots))


def test_max_active_runs_holds_queued_runs_back(tmp_path):
    project = Project(tmp_path)
    cells = code_cells("import time\ntime.sleep(1.5)\nv = 1", components=["slow"])
    project.service.create(project.notebook("slow.ipynb", cells), name="slow", options={"max_active_runs": 1})
    runs = [project.service.trigger("slow") for _ in range(2)]
    scheduler = PipelineScheduler(project.store, tmp_path)
    try:
        scheduler.tick()
        time.sleep(0.5)
        statuses = sorted(project.store.pipeline_run(r["id"])["status"] for r in runs)
        assert statuses == ["queued", "running"]
        scheduler.start()
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and any(project.store.pipeline_run(r["id"])["status"] != "ok" for r in runs):
            time.sleep(0.2)
    finally:
        scheduler.stop()
    assert [project.store.pipeline_run(r["id"])["status"] for r in runs] == ["ok", "ok"]
    a, b = (project.store.pipeline_run(r["id"]) for r in runs)
    assert a["ended_at"] <= b["started_at"] or b["ended_at"] <= a["started_at"]  # never both at once


def test_a_corrupt_spec_holds_its_slot_until_it_is_fixed(tmp_path):
    project = Project(tmp_path)
    promote(project, catchup="latest", **HOURLY)
    spec = tmp_path / "pipelines" / "p" / "pipeline.json"
    good = spec.read_text()
    spec.write_text("{broken")
    now = down_since(project, "p", 1.5)
    scheduler = PipelineScheduler(project.store, tmp_path, max_concurrent_runs=0)
    scheduler.tick(now)
    assert slots_of(project) == [] and "not valid JSON" in project.store.pipeline("p")["problem"]
    spec.write_text(good)
    scheduler.tick(now + 1)
    assert len(slots_of(project)) == 1 and project.store.pipeline("p")["problem"] is None
