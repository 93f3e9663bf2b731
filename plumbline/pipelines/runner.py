"""Runs one pipeline run: its tasks in topological order, each in its own process, with lineage.

``PipelineRunner(...).run()`` executes a run already in the store (a queued
intent row the caller has claimed). Rules:

* **Order and parallelism.** A task starts when every upstream task succeeded
  (or was reused); at most ``spec.parallelism`` tasks run at once.
* **Retries, timeouts.** Each attempt is a new process; a failed attempt is
  retried after ``retry_delay_seconds`` up to ``retries`` times; an attempt
  past its timeout is killed with its whole process group
  (``launcher.kill_group``) and counts as failed.
* **Failure.** When a task fails for good, everything downstream of it is
  ``upstream_failed``; independent branches go on; the run ends ``error``.
* **Resume.** A run cut off by a crash or restart is claimed again and run
  again: finished tasks (ok, reused, failed) keep their result, unfinished
  ones start over (a task process left behind by the dead runner is killed
  first, so nothing runs twice at once).
* **Reuse** (``spec.reuse``): a task whose code hash, input fingerprints and
  parameters equal those of an earlier successful run of the same task, and
  whose recorded file inputs still have the same content, takes that run's
  outputs instead of running; it is recorded as ``reused``.
* **Environment.** Each task process reports Python's and its imported
  packages' versions; differences from the promotion's are stored on the
  task run and the pipeline run.

``run_task`` runs one task of a run without the loop around it; the Airflow
export calls it (through ``plumbline pipelines run-task``) once per Airflow
task, where Airflow does the ordering and retries.
"""

from __future__ import annotations

import hashlib
import json
import os
import socket
import threading
import time
import uuid
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

from ..store import Store, StoreError
from ..store.pipelines import DONE_TASK_STATUSES, TERMINAL_TASK_STATUSES
from . import launcher
from .codegen import ModuleError, read_module
from .graph import downstream, topological_order
from .models import PipelineSpec, TaskSpec
from .spec import Layout

HEARTBEAT = 30.0  # seconds between a runner's heartbeats on its run


@dataclass
class RunnerOptions:
    method: Optional[str] = None  # how task processes start: 'fork' (a warm zygote) or 'spawn'; default fork
    kill_grace: float = launcher.KILL_GRACE
    artifacts: Optional[str] = None  # overrides the spec's location (tests)


def owner_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def environment_diff(promoted: dict, ran: Optional[dict]) -> Optional[dict]:
    """{"python": [promoted, ran]?, "packages": {name: [promoted, ran]}} where they differ; None if equal."""
    if not ran or not promoted:
        return None
    out: dict = {}
    if promoted.get("python") and ran.get("python") and promoted["python"] != ran["python"]:
        out["python"] = [promoted["python"], ran["python"]]
    pkgs = {}
    for name, version in (promoted.get("packages") or {}).items():
        now = (ran.get("packages") or {}).get(name, version)
        if now != version:
            pkgs[name] = [version, now]
    if pkgs:
        out["packages"] = pkgs
    return out or None


def _merge_diffs(diffs: list[Optional[dict]]) -> Optional[dict]:
    out: dict = {}
    for d in diffs:
        if not d:
            continue
        if "python" in d:
            out["python"] = d["python"]
        out.setdefault("packages", {}).update(d.get("packages", {}))
    if "packages" in out and not out["packages"]:
        del out["packages"]
    return out or None


class PipelineRunner:
    def __init__(self, store: Store, layout: Layout, spec: PipelineSpec, pipeline: dict, run: dict, owner: str,
                 options: Optional[RunnerOptions] = None, on_change: Optional[Callable[[], None]] = None):
        self.store, self.layout, self.spec = store, layout, spec
        self.pipeline, self.run_row, self.owner = pipeline, run, owner
        self.options = options or RunnerOptions()
        self._stop = threading.Event()
        self._processes: dict[str, launcher.TaskProcess] = {}
        self._lock = threading.Lock()
        self._on_change = on_change or (lambda: None)
        self.run_dir = layout.run_dir(run["id"])

    # -- the loop ----------------------------------------------------------------------------

    def run(self) -> str:
        """Run every unfinished task; the run's final status ('ok' | 'error'), or 'stopped'."""
        run_id = self.run_row["id"]
        spec = self.spec
        self.store.ensure_task_runs(run_id, self.pipeline["id"],
                                    [(t.name, t.retry.retries + 1, t.code_hash) for t in spec.tasks])
        self._kill_leftovers(run_id)
        self.store.reset_unfinished_tasks(run_id)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        upstream = {t.name: t.upstream for t in spec.tasks}
        order = topological_order(upstream)
        rows = {r["task"]: r for r in self.store.task_runs(run_id)}
        status = {name: rows[name]["status"] for name in order}
        beat = threading.Thread(target=self._heartbeat, name="plumbline-run-heartbeat", daemon=True)
        beat.start()
        running: dict[Future, str] = {}
        try:
            with ThreadPoolExecutor(max_workers=max(1, spec.parallelism), thread_name_prefix="plumbline-task") as pool:
                while True:
                    if self._stop.is_set():
                        break
                    for name in order:
                        if len(running) >= spec.parallelism:
                            break
                        if status[name] != "pending" or name in running.values():
                            continue
                        if all(status[u] in DONE_TASK_STATUSES for u in upstream[name]):
                            running[pool.submit(self._run_task, spec.task(name))] = name
                            status[name] = "running"
                    if not running:
                        break
                    done, _ = wait(list(running), return_when=FIRST_COMPLETED)
                    for future in done:
                        name = running.pop(future)
                        try:
                            status[name] = future.result()
                        except Exception as exc:  # noqa: BLE001 - a runner bug fails the task, not the loop
                            status[name] = "error"
                            self._finish(self._task_row(name)["id"], "error", error_name=type(exc).__name__,
                                         error_value=f"Plumbline's runner failed on this task: {exc}")
                        if status[name] == "error":
                            below = downstream(upstream, name)
                            ids = [rows[d]["id"] for d in below if status[d] in ("pending", "up_for_retry")]
                            self.store.mark_upstream_failed(ids, f"Upstream task '{name}' failed.")
                            for d in below:
                                if status[d] in ("pending", "up_for_retry"):
                                    status[d] = "upstream_failed"
                        self._on_change()
        finally:
            self._stop.set()
        if any(s not in TERMINAL_TASK_STATUSES for s in status.values()):
            self.store.release_run(run_id, self.owner)
            return "stopped"
        final = "ok" if all(s in DONE_TASK_STATUSES for s in status.values()) else "error"
        rows = self.store.task_runs(run_id)
        failed = [r for r in rows if r["status"] == "error"]
        error = None
        if failed:
            error = "; ".join(f"task '{r['task']}' failed: {r['error_name']}: {(r['error_value'] or '')[:300]}"
                              for r in failed)
        diff = _merge_diffs([r.get("environment_diff") for r in rows])
        self.store.finish_pipeline_run(run_id, final, error=error, environment_diff=diff, owner=self.owner)
        self._on_change()
        return final

    def stop(self) -> None:
        """Stop now: kill the running task processes; the run is given back (queued) to resume later."""
        self._stop.set()
        with self._lock:
            procs = list(self._processes.values())
        for proc in procs:
            proc.kill(self.options.kill_grace)

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT):
            try:
                self.store.heartbeat_run(self.run_row["id"], self.owner)
            except StoreError:
                pass

    def _kill_leftovers(self, run_id: str) -> None:
        """Task processes of a runner that died may still run: stop them before running those tasks again."""
        host = socket.gethostname()
        for row in self.store.task_runs(run_id):
            if row["status"] == "running" and row["pid"] and row["hostname"] == host \
                    and launcher.alive(row["pid"], row["pid_started"]):
                launcher.kill_group(row["pid"], self.options.kill_grace, started=row["pid_started"])

    def _task_row(self, name: str) -> dict:
        return next(r for r in self.store.task_runs(self.run_row["id"]) if r["task"] == name)

    def run_one(self, name: str, attempt: int, max_attempts: int) -> str:
        """One attempt of one task, ordering and retries left to the caller (Airflow): 'ok' | 'error'.

        When the run has no unfinished task left, the run is finished too; a task that
        failed for good marks what is downstream of it ``upstream_failed``.
        """
        run_id = self.run_row["id"]
        spec = self.spec
        self.store.ensure_task_runs(run_id, self.pipeline["id"],
                                    [(t.name, t.retry.retries + 1, t.code_hash) for t in spec.tasks])
        self.run_dir.mkdir(parents=True, exist_ok=True)
        task = spec.task(name)
        row = self._task_row(name)
        upstream = {t.name: t.upstream for t in spec.tasks}
        rows = {r["task"]: r for r in self.store.task_runs(run_id)}
        waiting = [u for u in task.upstream if rows[u]["status"] not in DONE_TASK_STATUSES]
        if waiting:
            self._finish(row["id"], "error", error_name="UpstreamNotDone",
                         error_value=f"Upstream task(s) {', '.join(waiting)} have not succeeded in this run.")
            outcome = "error"
        else:
            inputs = self._inputs_of(task)
            if isinstance(inputs, str):
                self._finish(row["id"], "error", error_name="MissingInput", error_value=inputs)
                outcome = "error"
            else:
                key = reuse_key(task, inputs, self._params(), self.run_row)
                outcome = self._attempt(task, row, attempt, max_attempts, inputs, key)
        if outcome == "error" and attempt >= max_attempts:
            below = downstream(upstream, name)
            self.store.mark_upstream_failed([rows[d]["id"] for d in below], f"Upstream task '{name}' failed.")
        rows = self.store.task_runs(run_id)
        if all(r["status"] in TERMINAL_TASK_STATUSES for r in rows):
            final = "ok" if all(r["status"] in DONE_TASK_STATUSES for r in rows) else "error"
            failed = [r for r in rows if r["status"] == "error"]
            error = "; ".join(f"task '{r['task']}' failed: {r['error_name']}: {(r['error_value'] or '')[:300]}"
                              for r in failed) or None
            self.store.finish_pipeline_run(run_id, final, error=error,
                                           environment_diff=_merge_diffs([r.get("environment_diff") for r in rows]))
        return outcome

    # -- one task ------------------------------------------------------------------------------

    def _run_task(self, task: TaskSpec) -> str:
        row = self._task_row(task.name)
        inputs = self._inputs_of(task)
        if isinstance(inputs, str):  # an upstream output is missing
            self._finish(row["id"], "error", error_name="MissingInput", error_value=inputs)
            return "error"
        key = reuse_key(task, inputs, self._params(), self.run_row)
        if self.spec.reuse and key is not None:
            previous = self.store.reusable_task_run(self.pipeline["id"], task.name, key, self.run_row["id"])
            if previous is not None and self._still_valid(previous):
                self.store.start_task_attempt(row["id"], attempt=row["attempts"], hostname=socket.gethostname(),
                                              pid=None, pid_started=None, log_path="", inputs=_input_summary(inputs),
                                              reuse_key=key)
                self._finish(row["id"], "reused", outputs=previous["outputs"], reused_from=previous["id"],
                             error_value=None)
                return "reused"
        attempt = row["attempts"]
        max_attempts = task.retry.retries + 1
        while True:
            attempt += 1
            outcome = self._attempt(task, row, attempt, max_attempts, inputs, key)
            if outcome == "ok":
                return "ok"
            if outcome == "stopped":
                return "stopped"
            if attempt >= max_attempts:
                return "error"
            if self._stop.wait(task.retry.retry_delay_seconds):
                return "stopped"

    def _attempt(self, task: TaskSpec, row: dict, attempt: int, max_attempts: int, inputs: dict,
                 key: Optional[str]) -> str:
        run_id = self.run_row["id"]
        log_path = self.run_dir / f"{task.name}.log"
        request_path = self.run_dir / f"{task.name}.{attempt}.request.json"
        result_path = self.run_dir / f"{task.name}.{attempt}.result.json"
        result_path.unlink(missing_ok=True)
        try:
            request = self._request(task, row, inputs, result_path)
        except ModuleError as exc:
            self.store.start_task_attempt(row["id"], attempt=attempt, max_attempts=max_attempts,
                                          hostname=socket.gethostname(), pid=None, pid_started=None,
                                          log_path=self._relative(log_path))
            self._finish(row["id"], "error", error_name="ModuleError", error_value=str(exc))
            return "error"
        request_path.write_text(json.dumps(request, default=str), "utf-8")
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(f"=== {self.spec.name}.{task.name}, run {run_id[:8]}, attempt {attempt} of {max_attempts}, "
                      f"{time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        self.store.start_task_attempt(row["id"], attempt=attempt, max_attempts=max_attempts,
                                      hostname=socket.gethostname(), pid=None, pid_started=None,
                                      log_path=self._relative(log_path), inputs=_input_summary(inputs), reuse_key=key)
        self._on_change()
        proc = launcher.TaskProcess(request_path, log_path, self.options.method, preload=task.imports)
        with self._lock:
            if self._stop.is_set():
                return "stopped"
            proc.start()
            self._processes[task.name] = proc
        try:
            self.store.set_task_process(row["id"], proc.pid, proc.started)
        except StoreError:
            pass
        timeout = task.retry.timeout_seconds
        try:
            code = proc.wait(timeout)
            timed_out = code is None
            if timed_out:
                code = proc.kill(self.options.kill_grace)
        finally:
            with self._lock:
                self._processes.pop(task.name, None)
        if self._stop.is_set() and not result_path.is_file():
            return "stopped"
        result = _read_result(result_path)
        final = attempt >= max_attempts
        if timed_out:
            name, value = "TaskTimeout", (f"The task ran longer than its timeout ({timeout:g} s) and was stopped, "
                                          "with every process it started. Raise the task's timeout, or make it faster.")
        elif result is None:
            how = f"killed by signal {-code}" if code is not None and code < 0 else f"exited with status {code}"
            name, value = "TaskDied", (f"The task process {how} before it finished (out of memory? killed by "
                                       f"someone?); see its log, {log_path.name}.")
        elif result["status"] == "ok":
            diff = environment_diff(self.spec.environment, result.get("environment"))
            self._finish(row["id"], "ok", outputs=result["outputs"], kernel_session=result.get("session"),
                         environment=result.get("environment"), environment_diff=diff)
            return "ok"
        else:
            name, value = result.get("error_name") or "Error", result.get("error_value") or ""
        with open(log_path, "a", encoding="utf-8") as log:
            log.write(f"=== attempt {attempt} failed: {name}: {value}\n")
        self._finish(row["id"], "error" if final else "up_for_retry", error_name=name, error_value=value,
                     kernel_session=(result or {}).get("session"), environment=(result or {}).get("environment"))
        return "error"

    def _finish(self, task_run_id: str, status: str, **fields: Any) -> None:
        self.store.finish_task_attempt(task_run_id, status, **fields)
        self._on_change()

    def _relative(self, path: Path) -> str:
        return Path(path).resolve().relative_to(self.layout.store_dir).as_posix()

    def _params(self) -> dict:
        values = {p.name: p.default for p in self.spec.parameters}
        values.update(self.run_row.get("params") or {})
        return values

    def _artifacts(self) -> str:
        return self.options.artifacts or self.spec.artifacts or str(self.layout.default_artifacts())

    def _inputs_of(self, task: TaskSpec) -> Any:
        """{variable: upstream output entry}, or the reason one is missing."""
        rows = {r["task"]: r for r in self.store.task_runs(self.run_row["id"])}
        out = {}
        for i in task.inputs:
            entry = (rows.get(i.task) or {}).get("outputs", {}).get(i.name)
            if entry is None:
                return (f"Task '{i.task}' finished without storing '{i.name}', which '{task.name}' reads; "
                        "update the pipeline from the notebook.")
            out[i.name] = entry
        return out

    def _request(self, task: TaskSpec, row: dict, inputs: dict, result_path: Path) -> dict:
        folder = self.layout.folder(self.spec.name)
        prelude, cells = read_module(folder / task.module, self.spec, task)
        notebook = self.layout.root / self.spec.notebook
        return {
            "pipeline": self.spec.name, "task": task.name, "task_run_id": row["id"],
            "pipeline_run_id": self.run_row["id"], "notebook_path": self.spec.notebook,
            "cwd": str(notebook.parent), "store_path": str(self.store.path), "result_path": str(result_path),
            "artifacts": self._artifacts(), "timezone": self.spec.schedule.timezone,
            "interval": {"logical_date": self.run_row["logical_date"],
                         "data_interval_start": self.run_row["data_interval_start"],
                         "data_interval_end": self.run_row["data_interval_end"]},
            "params": self.run_row.get("params") or {}, "parameters_cell":
                self.spec.parameters_cell.id if self.spec.parameters_cell else None,
            "prelude": [c._asdict() for c in prelude], "cells": [c._asdict() for c in cells],
            "inputs": inputs, "outputs": [o.name for o in task.outputs], "imports": list(task.imports),
        }

    def _still_valid(self, previous: dict) -> bool:
        """A reusable run's stored outputs still exist and the files it read still have that content."""
        from ..artifacts.exchange import ArtifactRef, Location

        location = Location(self._artifacts())
        for entry in (previous.get("outputs") or {}).values():
            if not location.exists(ArtifactRef.from_json(entry["ref"])):
                return False
        return files_unchanged(self.store, previous, self.layout.store_dir.parent)


def reuse_key(task: TaskSpec, inputs: dict, params: dict, run: dict) -> Optional[str]:
    """Code hash + exact input fingerprints + the parameters the task reads; None when not exact."""
    parts = [task.code_hash]
    for name in sorted(inputs):
        entry = inputs[name]
        fp = entry.get("fingerprint") or {}
        if not entry.get("exact") or not fp.get("content_hash"):
            return None  # a sampled or unhashable input: its content is not known exactly
        parts.append(f"{name}={fp.get('type')}:{fp['content_hash']}")
    for name in task.reads_parameters:
        value = run.get(name) if name in ("logical_date", "data_interval_start", "data_interval_end") \
            else params.get(name)
        parts.append(f"{name}={json.dumps(value, sort_keys=True, default=str)}")
    return hashlib.sha256("\n".join(parts).encode("utf-8")).hexdigest()


def files_unchanged(store: Store, task_run: dict, root: Path) -> bool:
    """The files the task run's cells read (recorded lineage) still have the content they had."""
    from ..kernel.lineage.files import FileHasher

    hasher = FileHasher()
    seen = set()
    while task_run.get("reused_from") and task_run["id"] not in seen:  # the run that really ran
        seen.add(task_run["id"])
        task_run = store.task_run(task_run["reused_from"]) or {}
    for run in store.runs_of_task_run(task_run["id"]):
        for io in store._read("SELECT name, value_hash FROM run_io WHERE run_id = ? AND kind = 'file' "
                              "AND direction = 'input'", (run["id"],)):
            path = Path(io["name"])
            path = path if path.is_absolute() else root / path
            version = hasher.hash(str(path))
            if version is None or version.content_hash != io["value_hash"]:
                return False
    return True


def _input_summary(inputs: dict) -> dict:
    return {name: {"hash": (e.get("fingerprint") or {}).get("content_hash"), "io_id": e.get("io_id"),
                   "type": (e.get("ref") or {}).get("type")} for name, e in inputs.items()}


def _read_result(path: Path) -> Optional[dict]:
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
