"""The scheduler: fires each pipeline's cron slots exactly once, runs queued runs, resumes cut-off ones.

Started by the Jupyter server extension (``c.PipelineScheduler.enabled``,
configurable like jupyter-scheduler's classes), or standalone with
``plumbline scheduler`` on a machine where JupyterLab is not running. Any
number of them may point at one store; exactly one is active:

1. **Lease.** A scheduler fires only while it holds the store's lease
   (``scheduler_lease``), renewed every third of ``lease_seconds``; another
   one takes over when it expires, or at once when its holder's process is
   gone (same host).
2. **Cursor on disk.** Each pipeline row keeps the last slot dealt with; the
   due slots are the ones after it, up to now, in the pipeline's timezone
   (``cron.py``). Nothing lives only in memory, so a restart loses nothing.
3. **Intent before launch.** The runs of due slots and the new cursor are
   written in one transaction, each run under ``UNIQUE (pipeline, slot)``, so
   two schedulers, a restart or a backfill never run a slot twice.
4. **Catch-up.** Slots missed while no scheduler ran: ``none`` fires none
   (a slot less than ``misfire_grace_seconds`` late still fires), ``latest``
   the latest one, ``all`` every one up to ``catchup_limit`` (the latest).
   Slots missed while the pipeline was paused are not caught up.
5. **Resume.** A run left ``running`` by a runner that died is taken over:
   its finished tasks stay, the others run again.
6. **No busy polling.** Between passes it sleeps until the next slot of any
   pipeline or the next lease renewal, whichever comes first; a change made
   through this server (create, edit, run now) wakes it at once, one made
   elsewhere (the CLI) is seen at the next renewal.

At most ``max_concurrent_runs`` runs at once, at most ``max_active_runs`` per
pipeline; a queued run waits for a free place.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
import time
from pathlib import Path
from typing import Callable, Optional

from traitlets import Bool, Float, Int, Unicode
from traitlets.config import LoggingConfigurable

from ..store import Store, StoreError
from ..store.liveness import pid_alive
from . import cron
from .runner import HEARTBEAT, RunnerOptions, owner_id
from .service import PipelineError, Pipelines
from .spec import SpecError, load

log = logging.getLogger("plumbline.scheduler")


class PipelineScheduler(LoggingConfigurable):
    enabled = Bool(True, help="Run the pipeline scheduler inside the Jupyter server.").tag(config=True)
    lease_seconds = Float(30.0, help="How long the scheduler lease lasts without renewal (seconds).").tag(config=True)
    max_concurrent_runs = Int(4, help="Pipeline runs at once, all pipelines together.").tag(config=True)
    misfire_grace_seconds = Float(
        60.0, help="With catch-up 'none', a slot at most this late still fires (seconds).").tag(config=True)
    task_launcher = Unicode("", help="How task processes start: 'fork' (a warm zygote, default) or 'spawn'.").tag(
        config=True)
    kill_grace_seconds = Float(5.0, help="Between SIGTERM and SIGKILL when a task is stopped (seconds).").tag(
        config=True)

    def __init__(self, store: Store, root: str | Path, *, pipelines_dir: str = "pipelines",
                 clock: Callable[[], float] = time.time, **kwargs):
        super().__init__(**kwargs)
        self.store = store
        self.clock = clock
        self.owner = owner_id()
        self.hostname = socket.gethostname()
        options = RunnerOptions(method=self.task_launcher or None, kill_grace=self.kill_grace_seconds)
        self.service = Pipelines(store, root, pipelines_dir=pipelines_dir, runner_options=options)
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()
        self._active: dict[str, tuple[threading.Thread, list, str]] = {}  # run id -> (thread, [runner], pipeline)
        self.holds_lease = False
        self.fired: list[tuple[str, float]] = []  # (pipeline, slot) fired by this scheduler, for tests and logs

    # -- life cycle ------------------------------------------------------------------------------

    def start(self) -> "PipelineScheduler":
        self._thread = threading.Thread(target=self._loop, name="plumbline-scheduler", daemon=True)
        self._thread.start()
        return self

    def wake(self) -> None:
        self._wake.set()

    def stop(self, timeout: float = 30.0) -> None:
        """Stop firing; stop the runs this scheduler runs (they resume later, elsewhere or after a restart)."""
        self._stop.set()
        self._wake.set()
        with self._lock:
            active = list(self._active.values())
        for _, holder, _ in active:
            for runner in holder:
                runner.stop()
        for thread, _, _ in active:
            thread.join(timeout)
        if self._thread is not None:
            self._thread.join(timeout)
        try:
            if self.holds_lease:
                self.store.release_lease(self.owner)
        except StoreError:
            pass
        self.holds_lease = False

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                delay = self.tick()
            except Exception as exc:  # noqa: BLE001 - the scheduler must outlive any one bad pass
                log.error("Plumbline scheduler: %s: %s", type(exc).__name__, exc)
                delay = max(1.0, self.lease_seconds / 3)
            self._wake.wait(max(0.0, delay))
            self._wake.clear()

    # -- one pass ----------------------------------------------------------------------------------

    def tick(self, now: Optional[float] = None) -> float:
        """Take/renew the lease; if held: fire due slots, resume orphans, start queued runs. Seconds to sleep."""
        now = self.clock() if now is None else now
        renew = self.lease_seconds / 3
        held, lease = self.store.acquire_lease(self.owner, self.hostname, os.getpid(), self.lease_seconds,
                                               is_dead=self._lease_holder_dead)
        if held and not self.holds_lease:
            log.info("Plumbline scheduler: this process (%s) schedules pipelines now", self.owner)
        self.holds_lease = held
        if not held:
            return max(0.05, min(renew, (lease or {}).get("expires_at", now + renew) - now + 0.05))
        next_slot = None
        for p in self.store.pipelines():
            at = self._fire_due(p, now)
            if at is not None and (next_slot is None or at < next_slot):
                next_slot = at
        self._resume_orphans(now)
        self._start_queued()
        delay = renew if next_slot is None else min(renew, next_slot - self.clock())
        return max(0.0, delay)

    def _fire_due(self, p: dict, now: float) -> Optional[float]:
        """Insert the runs of the pipeline's due slots (per its catch-up policy); the next slot's time."""
        if p["paused"] or not p["cron"]:
            return None
        try:
            schedule = cron.CronSchedule(p["cron"], p["timezone"])
        except cron.ScheduleError as exc:
            self._problem(p, f"The schedule cannot be used: {exc}")
            return None
        cursor = p["cursor"] if p["cursor"] is not None else p["created_at"]
        limit = p["catchup_limit"] if p["catchup"] == "all" else 1
        due, skipped = schedule.slots_between(cursor, now, limit)
        new_cursor = due[-1] if due else cursor
        fire = due
        if p["catchup"] == "none" and due and now - due[-1] > self.misfire_grace_seconds:
            fire, skipped = [], skipped + len(due)
        return self._insert(p, schedule, fire, skipped, new_cursor, now)

    def _insert(self, p: dict, schedule, slots: list, skipped: int, new_cursor: float, now: float) -> float:
        next_at = schedule.next_after(max(new_cursor, now))
        if new_cursor == (p["cursor"] if p["cursor"] is not None else p["created_at"]) and p["next_fire_at"] == next_at:
            return next_at
        try:
            _, digest = load(self.service.layout, p["name"])
        except SpecError as exc:
            # The slot is kept (the cursor does not move): it fires once the spec is fixed.
            self._problem(p, str(exc))
            return next_at
        if p["problem"]:
            self.store.update_pipeline(p["id"], problem=None)
        rows = [(s, s, schedule.previous_before(s), s) for s in slots]
        created = self.store.insert_slot_runs(p["id"], rows, trigger="schedule", cursor=new_cursor,
                                              next_fire_at=next_at, spec_hash=digest)
        for s in slots:
            self.fired.append((p["name"], s))
        if skipped:
            log.info("Plumbline scheduler: %s: %d missed slot(s) not run (catch-up %s)", p["name"], skipped,
                     p["catchup"])
        if created:
            log.info("Plumbline scheduler: %s: fired %d slot(s)", p["name"], len(created))
        return next_at

    def _problem(self, p: dict, message: str) -> None:
        if p["problem"] != message:
            log.error("Plumbline scheduler: pipeline %s: %s", p["name"], message)
            self.store.update_pipeline(p["id"], problem=message)

    def _lease_holder_dead(self, lease: dict) -> bool:
        return lease["hostname"] == self.hostname and not pid_alive(lease["pid"])

    def _owner_dead(self, run: dict, now: float) -> bool:
        owner = run.get("owner") or ""
        host, _, rest = owner.partition(":")
        pid_text = rest.split(":", 1)[0]
        if host == self.hostname and pid_text.isdigit():
            return int(pid_text) != os.getpid() and not pid_alive(int(pid_text))
        return (run.get("heartbeat_at") or 0) < now - 3 * HEARTBEAT

    def _resume_orphans(self, now: float) -> None:
        for run in self.store.pipeline_runs(statuses=["running"], limit=1000):
            if run["id"] in self._active or run["trigger"] == "airflow" or not self._owner_dead(run, now):
                continue
            log.info("Plumbline scheduler: resuming run %s (its runner %s is gone)", run["id"][:8], run["owner"])
            self._launch(run, take_over=run["owner"] or None)

    def _start_queued(self) -> None:
        queued = list(reversed(self.store.pipeline_runs(statuses=["queued"], limit=1000)))
        for run in queued:
            with self._lock:
                if len(self._active) >= self.max_concurrent_runs:
                    return
                if run["id"] in self._active:
                    continue
            pipeline = self.store.pipeline_by_id(run["pipeline_id"])
            if pipeline is None or pipeline["deleted_at"] is not None:
                continue
            if self._active_count(pipeline["id"]) >= pipeline["max_active_runs"]:
                continue
            self._launch(run)

    def _active_count(self, pipeline_id: str) -> int:
        """Runs of a pipeline going on: this scheduler's (claimed or about to be) and other runners'."""
        with self._lock:
            mine = sum(1 for _, _, pid in self._active.values() if pid == pipeline_id)
        others = sum(1 for r in self.store.pipeline_runs(pipeline_id, statuses=["running"], limit=1000)
                     if r["owner"] is None or not r["owner"].startswith(self.owner))
        return mine + others

    def _launch(self, run: dict, take_over: Optional[str] = None) -> None:
        holder: list = []

        def work() -> None:
            try:
                status = self.service.execute(run["id"], self.owner, take_over=take_over, register=holder.append)
                log.info("Plumbline scheduler: run %s ended %s", run["id"][:8], status)
            except PipelineError as exc:
                if exc.status != 409:  # 409: another scheduler claimed it first, which is fine
                    log.error("Plumbline scheduler: run %s: %s", run["id"][:8], exc)
            except Exception as exc:  # noqa: BLE001
                log.error("Plumbline scheduler: run %s failed: %s: %s", run["id"][:8], type(exc).__name__, exc)
            finally:
                with self._lock:
                    self._active.pop(run["id"], None)
                self._wake.set()  # a place is free: queued runs may start

        thread = threading.Thread(target=work, name=f"plumbline-run-{run['id'][:8]}", daemon=True)
        with self._lock:
            self._active[run["id"]] = (thread, holder, run["pipeline_id"])
        thread.start()

    @property
    def active_runs(self) -> list[str]:
        with self._lock:
            return list(self._active)


def start_in_server(server_app, db_path: str, root: str, pipelines_dir: str = "pipelines") -> Optional[PipelineScheduler]:
    """The server extension's scheduler (its own store connection), or None when disabled."""
    import atexit

    section = server_app.config.get("PipelineScheduler", {})
    if not section.get("enabled", True):
        server_app.log.info("Plumbline: the pipeline scheduler is off (c.PipelineScheduler.enabled = False)")
        return None
    scheduler = PipelineScheduler(Store(db_path), root, pipelines_dir=pipelines_dir, config=server_app.config,
                                  log=server_app.log)
    scheduler.start()
    atexit.register(scheduler.stop, 10.0)
    server_app.log.info("Plumbline: pipeline scheduler started (%s)", scheduler.owner)
    return scheduler


def run_standalone(store: Store, root: Path, *, max_concurrent_runs: int = 4) -> int:
    """``plumbline scheduler``: schedule here until Ctrl-C or SIGTERM."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    scheduler = PipelineScheduler(store, root, max_concurrent_runs=max_concurrent_runs)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    print(f"plumbline: scheduler {scheduler.owner} on {store.path} (Ctrl-C stops it)", flush=True)
    scheduler.start()
    try:
        while not done.wait(3600):
            pass
    except KeyboardInterrupt:
        pass
    scheduler.stop()
    print("plumbline: scheduler stopped", flush=True)
    return 0
