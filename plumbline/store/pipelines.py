"""Pipelines: their registration, runs, task runs, and the scheduler's lease (``0006_pipelines.sql``).

The rules that make scheduling exactly-once live in the SQL here, each in one
short ``BEGIN IMMEDIATE`` transaction:

* ``insert_slot_runs`` writes the runs of due fire slots *and* advances the
  pipeline's cursor together; ``UNIQUE (pipeline_id, slot)`` with
  ``ON CONFLICT DO NOTHING`` makes a second scheduler, a restart or a backfill
  of the same slot a no-op.
* ``claim_run`` moves a run to ``running`` for one owner only (a queued run,
  or a running one whose owner is gone).
* ``acquire_lease`` lets one scheduler fire at a time.

Reads return plain dicts, JSON columns decoded.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Iterable, Optional

from .connection import Connection, clip, storable_text
from .runs import MAX_ERROR_VALUE_CHARS

_JSON_COLUMNS = ("tasks", "environment", "params", "environment_diff", "inputs", "outputs")
TERMINAL_TASK_STATUSES = ("ok", "reused", "error", "upstream_failed")
DONE_TASK_STATUSES = ("ok", "reused")


class PipelineExists(ValueError):
    """A live pipeline already has this name."""


def _decode(row: Any) -> dict:
    out = dict(row)
    for key in _JSON_COLUMNS:
        if key in out and isinstance(out[key], str):
            try:
                out[key] = json.loads(out[key])
            except ValueError:
                pass
    return out


def _json(value: Any) -> Optional[str]:
    return None if value is None else json.dumps(value, sort_keys=True, default=str)


class PipelineStore(Connection):
    # -- pipelines ---------------------------------------------------------------------

    def create_pipeline(self, *, name: str, folder: str, notebook_path: str, spec_hash: str,
                        cron: Optional[str], timezone: str, catchup: str, catchup_limit: int,
                        max_active_runs: int, tasks: list, environment: Optional[dict],
                        cursor: Optional[float], next_fire_at: Optional[float],
                        pipeline_id: Optional[str] = None) -> str:
        """Register a pipeline; raises PipelineExists when a live one has the name."""
        now = time.time()
        pipeline_id = pipeline_id or str(uuid.uuid4())
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM pipelines WHERE name = ? AND deleted_at IS NULL", (name,)).fetchone():
                raise PipelineExists(name)
            conn.execute(
                "INSERT INTO pipelines (id, name, folder, notebook_path, spec_hash, cron, timezone, catchup, "
                "catchup_limit, max_active_runs, cursor, next_fire_at, tasks, environment, created_at, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (pipeline_id, name, storable_text(folder), storable_text(notebook_path), spec_hash, cron, timezone,
                 catchup, catchup_limit, max_active_runs, cursor, next_fire_at, _json(tasks), _json(environment),
                 now, now),
            )
        return pipeline_id

    _UPDATABLE = frozenset({"spec_hash", "cron", "timezone", "catchup", "catchup_limit", "max_active_runs",
                            "paused", "cursor", "next_fire_at", "tasks", "environment", "problem", "notebook_path"})

    def update_pipeline(self, pipeline_id: str, **fields: Any) -> None:
        unknown = set(fields) - self._UPDATABLE
        if unknown:
            raise ValueError(f"Not a pipeline field: {', '.join(sorted(unknown))}")
        if not fields:
            return
        values = [(_json(v) if k in _JSON_COLUMNS else (int(v) if k == "paused" else v)) for k, v in fields.items()]
        sets = ", ".join(f"{k} = ?" for k in fields)
        with self._write() as conn:
            # Only a real change bumps seq (and so reaches every replica).
            where = " OR ".join(f"{k} IS NOT ?" for k in fields)
            cur = conn.execute(
                f"UPDATE pipelines SET {sets}, updated_at = ? WHERE id = ? AND deleted_at IS NULL AND ({where})",
                (*values, time.time(), pipeline_id, *values),
            )
            if cur.rowcount == 0 and not conn.execute(
                    "SELECT 1 FROM pipelines WHERE id = ? AND deleted_at IS NULL", (pipeline_id,)).fetchone():
                raise KeyError(pipeline_id)

    def delete_pipeline(self, pipeline_id: str) -> None:
        """Retire a pipeline; its runs, task runs and their lineage stay."""
        with self._write() as conn:
            cur = conn.execute("UPDATE pipelines SET deleted_at = ?, updated_at = ? WHERE id = ? AND deleted_at IS NULL",
                               (time.time(), time.time(), pipeline_id))
            if cur.rowcount == 0:
                raise KeyError(pipeline_id)
            # Queued runs of a deleted pipeline would never start: say so on them.
            conn.execute("UPDATE pipeline_runs SET status = 'error', error = 'The pipeline was deleted.', "
                         "ended_at = ? WHERE pipeline_id = ? AND status = 'queued'", (time.time(), pipeline_id))

    def pipeline(self, name: str) -> Optional[dict]:
        rows = self._read("SELECT * FROM pipelines WHERE name = ? AND deleted_at IS NULL", (name,))
        return _decode(rows[0]) if rows else None

    def pipeline_by_id(self, pipeline_id: str) -> Optional[dict]:
        rows = self._read("SELECT * FROM pipelines WHERE id = ?", (pipeline_id,))
        return _decode(rows[0]) if rows else None

    def pipelines(self) -> list[dict]:
        return [_decode(r) for r in self._read("SELECT * FROM pipelines WHERE deleted_at IS NULL ORDER BY name")]

    # -- pipeline runs -------------------------------------------------------------------

    def insert_slot_runs(self, pipeline_id: str, slots: Iterable[tuple], *, trigger: str,
                         cursor: Optional[float] = None, next_fire_at: Optional[float] = None,
                         params: Optional[dict] = None, spec_hash: Optional[str] = None) -> list[str]:
        """The runs of fire slots (intent rows), and the cursor moved past them, in one transaction.

        ``slots``: (slot, logical_date, data_interval_start, data_interval_end), Unix seconds.
        A slot that already has a run is left alone: returns the ids of the runs created.
        """
        now = time.time()
        created = []
        with self._write() as conn:
            alive = conn.execute("SELECT 1 FROM pipelines WHERE id = ? AND deleted_at IS NULL", (pipeline_id,)).fetchone()
            if not alive:
                raise KeyError(pipeline_id)
            for slot, logical, start, end in slots:
                run_id = str(uuid.uuid4())
                cur = conn.execute(
                    "INSERT INTO pipeline_runs (id, pipeline_id, trigger, slot, logical_date, data_interval_start, "
                    "data_interval_end, params, spec_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (pipeline_id, slot) DO NOTHING",
                    (run_id, pipeline_id, trigger, int(slot), logical, start, end, _json(params or {}), spec_hash, now),
                )
                if cur.rowcount:
                    created.append(run_id)
            if cursor is not None:
                conn.execute("UPDATE pipelines SET cursor = ?, next_fire_at = ? WHERE id = ? "
                             "AND (cursor IS NOT ? OR next_fire_at IS NOT ?)",
                             (cursor, next_fire_at, pipeline_id, cursor, next_fire_at))
        return created

    def create_run(self, pipeline_id: str, *, trigger: str, logical_date: float, data_interval_start: float,
                   data_interval_end: float, params: Optional[dict] = None, spec_hash: Optional[str] = None,
                   external_id: Optional[str] = None, run_id: Optional[str] = None) -> tuple[str, bool]:
        """A run without a slot (manual, Airflow): (its id, whether it was created now).

        With ``external_id`` (Airflow's run id) the same call from every Airflow task
        returns the one run.
        """
        now = time.time()
        run_id = run_id or str(uuid.uuid4())
        with self._write() as conn:
            if external_id is not None:
                row = conn.execute("SELECT id FROM pipeline_runs WHERE pipeline_id = ? AND external_id = ?",
                                   (pipeline_id, external_id)).fetchone()
                if row:
                    return row[0], False
            conn.execute(
                "INSERT INTO pipeline_runs (id, pipeline_id, trigger, external_id, logical_date, data_interval_start, "
                "data_interval_end, params, spec_hash, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (run_id, pipeline_id, trigger, storable_text(external_id), logical_date, data_interval_start,
                 data_interval_end, _json(params or {}), spec_hash, now),
            )
        return run_id, True

    def claim_run(self, run_id: str, owner: str, *, take_over: Optional[str] = None) -> bool:
        """Make ``owner`` the runner of a queued run (or of a running one whose owner,
        ``take_over``, is gone). True if this call got it."""
        now = time.time()
        with self._write() as conn:
            if take_over is None:
                cur = conn.execute(
                    "UPDATE pipeline_runs SET status = 'running', owner = ?, heartbeat_at = ?, "
                    "started_at = COALESCE(started_at, ?) WHERE id = ? AND status = 'queued'",
                    (owner, now, now, run_id))
            else:
                cur = conn.execute(
                    "UPDATE pipeline_runs SET owner = ?, heartbeat_at = ? WHERE id = ? AND status = 'running' "
                    "AND owner IS ?", (owner, now, run_id, take_over))
            return cur.rowcount == 1

    def mark_run_started(self, run_id: str) -> None:
        """A run whose tasks something else orders (Airflow): running, with no owner to claim it."""
        now = time.time()
        with self._write() as conn:
            conn.execute("UPDATE pipeline_runs SET status = 'running', started_at = COALESCE(started_at, ?) "
                         "WHERE id = ? AND status = 'queued'", (now, run_id))

    def heartbeat_run(self, run_id: str, owner: str) -> None:
        with self._write() as conn:
            conn.execute("UPDATE pipeline_runs SET heartbeat_at = ? WHERE id = ? AND owner = ?",
                         (time.time(), run_id, owner))

    def release_run(self, run_id: str, owner: str) -> None:
        """A runner that stops before the run is done gives it back (queued, resumed later)."""
        with self._write() as conn:
            conn.execute("UPDATE pipeline_runs SET status = 'queued', owner = NULL WHERE id = ? AND owner = ? "
                         "AND status = 'running'", (run_id, owner))

    def finish_pipeline_run(self, run_id: str, status: str, *, error: Optional[str] = None,
                            environment_diff: Optional[dict] = None, owner: Optional[str] = None) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE pipeline_runs SET status = ?, error = ?, environment_diff = COALESCE(?, environment_diff), "
                "ended_at = ?, owner = NULL WHERE id = ? AND (? IS NULL OR owner IS ?)",
                (status, clip(error, MAX_ERROR_VALUE_CHARS), _json(environment_diff), time.time(), run_id, owner,
                 owner),
            )

    def pipeline_run(self, run_id: str) -> Optional[dict]:
        rows = self._read("SELECT * FROM pipeline_runs WHERE id = ?", (run_id,))
        return _decode(rows[0]) if rows else None

    def pipeline_runs(self, pipeline_id: Optional[str] = None, *, statuses: Optional[Iterable[str]] = None,
                      limit: int = 100) -> list[dict]:
        where, params = [], []
        if pipeline_id is not None:
            where.append("pipeline_id = ?")
            params.append(pipeline_id)
        if statuses is not None:
            statuses = list(statuses)
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            params.extend(statuses)
        sql = "SELECT * FROM pipeline_runs" + (f" WHERE {' AND '.join(where)}" if where else "")
        rows = self._read(sql + " ORDER BY created_at DESC, rowid DESC LIMIT ?", (*params, limit))
        return [_decode(r) for r in rows]

    def active_run_count(self, pipeline_id: str) -> int:
        return self._read("SELECT count(*) AS n FROM pipeline_runs WHERE pipeline_id = ? AND status = 'running'",
                          (pipeline_id,))[0]["n"]

    # -- task runs -------------------------------------------------------------------

    def ensure_task_runs(self, run_id: str, pipeline_id: str, tasks: Iterable[tuple[str, int, str]]) -> None:
        """One row per task of the run (task, max attempts, code hash); existing rows are kept (resume)."""
        rows = [(str(uuid.uuid4()), run_id, pipeline_id, task, attempts, code) for task, attempts, code in tasks]
        with self._write() as conn:
            conn.executemany(
                "INSERT INTO task_runs (id, pipeline_run_id, pipeline_id, task, max_attempts, code_hash) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (pipeline_run_id, task) DO NOTHING", rows)

    def task_runs(self, run_id: str) -> list[dict]:
        return [_decode(r) for r in self._read("SELECT * FROM task_runs WHERE pipeline_run_id = ? ORDER BY rowid",
                                               (run_id,))]

    def task_run(self, task_run_id: str) -> Optional[dict]:
        rows = self._read("SELECT * FROM task_runs WHERE id = ?", (task_run_id,))
        return _decode(rows[0]) if rows else None

    def start_task_attempt(self, task_run_id: str, *, attempt: int, max_attempts: Optional[int] = None,
                           hostname: str, pid: Optional[int], pid_started: Optional[str], log_path: str,
                           inputs: Optional[dict] = None, reuse_key: Optional[str] = None) -> None:
        now = time.time()
        with self._write() as conn:
            conn.execute(
                "UPDATE task_runs SET status = 'running', attempts = ?, max_attempts = COALESCE(?, max_attempts), "
                "hostname = ?, pid = ?, pid_started = ?, log_path = ?, started_at = COALESCE(started_at, ?), "
                "ended_at = NULL, error_name = NULL, error_value = NULL, inputs = COALESCE(?, inputs), "
                "reuse_key = COALESCE(?, reuse_key) WHERE id = ?",
                (attempt, max_attempts, hostname, pid, pid_started, storable_text(log_path), now, _json(inputs),
                 reuse_key, task_run_id),
            )

    def set_task_process(self, task_run_id: str, pid: int, pid_started: Optional[str],
                         kernel_session: Optional[str] = None) -> None:
        with self._write() as conn:
            conn.execute("UPDATE task_runs SET pid = ?, pid_started = ?, kernel_session = COALESCE(?, kernel_session) "
                         "WHERE id = ?", (pid, pid_started, kernel_session, task_run_id))

    def finish_task_attempt(self, task_run_id: str, status: str, *, error_name: Optional[str] = None,
                            error_value: Optional[str] = None, outputs: Optional[dict] = None,
                            kernel_session: Optional[str] = None, environment: Optional[dict] = None,
                            environment_diff: Optional[dict] = None, reused_from: Optional[str] = None) -> None:
        """The end of an attempt: 'ok', 'reused', 'error', or 'up_for_retry' (another attempt follows)."""
        now = time.time()
        with self._write() as conn:
            conn.execute(
                "UPDATE task_runs SET status = ?, error_name = ?, error_value = ?, outputs = COALESCE(?, outputs), "
                "kernel_session = COALESCE(?, kernel_session), environment = COALESCE(?, environment), "
                "environment_diff = COALESCE(?, environment_diff), reused_from = COALESCE(?, reused_from), "
                "ended_at = ?, duration_ms = (? - COALESCE(started_at, ?)) * 1000.0, pid = NULL WHERE id = ?",
                (status, storable_text(error_name), clip(error_value, MAX_ERROR_VALUE_CHARS), _json(outputs),
                 kernel_session, _json(environment), _json(environment_diff), reused_from, now, now, now,
                 task_run_id),
            )

    def mark_upstream_failed(self, task_run_ids: Iterable[str], because: str) -> None:
        ids = list(task_run_ids)
        if not ids:
            return
        now = time.time()
        with self._write() as conn:
            conn.executemany(
                "UPDATE task_runs SET status = 'upstream_failed', error_name = 'UpstreamFailed', error_value = ?, "
                "ended_at = ? WHERE id = ? AND status IN ('pending', 'up_for_retry')",
                [(clip(because, MAX_ERROR_VALUE_CHARS), now, i) for i in ids])

    def reset_unfinished_tasks(self, run_id: str) -> int:
        """A resumed run: tasks that were running (their runner died) run again; finished ones do not."""
        with self._write() as conn:
            return conn.execute(
                # The cut-off attempt does not count as one of the task's tries.
                "UPDATE task_runs SET status = 'pending', pid = NULL, "
                "attempts = CASE WHEN status = 'running' THEN max(attempts - 1, 0) ELSE attempts END, "
                "error_name = 'Interrupted', error_value = 'The runner stopped during this task; it runs again.' "
                "WHERE pipeline_run_id = ? AND status IN ('running', 'up_for_retry')", (run_id,)).rowcount

    def reusable_task_run(self, pipeline_id: str, task: str, reuse_key: str, exclude_run: str) -> Optional[dict]:
        """The latest successful run of this task with the same code and inputs (reuse)."""
        rows = self._read(
            "SELECT * FROM task_runs WHERE pipeline_id = ? AND task = ? AND reuse_key = ? AND status IN ('ok', 'reused') "
            "AND pipeline_run_id != ? ORDER BY ended_at DESC LIMIT 1", (pipeline_id, task, reuse_key, exclude_run))
        return _decode(rows[0]) if rows else None

    def runs_of_task_run(self, task_run_id: str) -> list[dict]:
        """The recorded cell runs of a task run (every attempt)."""
        return [dict(r) for r in self._read("SELECT * FROM runs WHERE task_run_id = ? ORDER BY started_at",
                                            (task_run_id,))]

    def recorded_cells(self, notebook_path: str, cell_ids: Iterable[str]) -> dict[str, dict]:
        """Per cell id: its latest recorded run with the run's inputs and outputs (the compiler's lineage).

        ``{cell_id: {"run": {...}, "io": [{...}, ...], "producers": {io_id: cell_id}}}``: ``producers``
        names the cell whose run wrote each input's source.
        """
        ids = list(dict.fromkeys(cell_ids))
        out: dict[str, dict] = {}
        for start in range(0, len(ids), 500):
            chunk = ids[start:start + 500]
            rows = self._read(
                "SELECT r.* FROM runs r JOIN (SELECT cell_id, max(started_at) AS latest FROM runs "
                f"WHERE notebook_path = ? AND cell_id IN ({', '.join('?' * len(chunk))}) GROUP BY cell_id) l "
                "ON r.cell_id = l.cell_id AND r.started_at = l.latest WHERE r.notebook_path = ?",
                (notebook_path, *chunk, notebook_path))
            for r in rows:
                out[r["cell_id"]] = {"run": dict(r), "io": [], "producers": {}}
        by_run = {v["run"]["id"]: v for v in out.values()}
        run_ids = list(by_run)
        for start in range(0, len(run_ids), 500):
            chunk = run_ids[start:start + 500]
            rows = self._read(
                "SELECT io.*, src.cell_id AS source_cell_id FROM run_io io LEFT JOIN runs src ON src.id = io.source_run_id "
                f"WHERE io.run_id IN ({', '.join('?' * len(chunk))})", chunk)
            for r in rows:
                by_run[r["run_id"]]["io"].append(dict(r))
        return out

    # -- the scheduler's lease -------------------------------------------------------------

    def acquire_lease(self, owner: str, hostname: str, pid: int, ttl: float,
                      is_dead: Any = None) -> tuple[bool, Optional[dict]]:
        """Take or renew the one scheduler lease: (held by ``owner`` now, the lease row).

        Another owner's lease is taken only once it expired, or when ``is_dead(row)``
        says its process is gone (same host, pid not running).
        """
        now = time.time()
        with self._write() as conn:
            row = conn.execute("SELECT owner, hostname, pid, acquired_at, expires_at FROM scheduler_lease WHERE id = 1"
                               ).fetchone()
            current = None if row is None else dict(zip(("owner", "hostname", "pid", "acquired_at", "expires_at"), row))
            if current is not None and current["owner"] != owner and current["expires_at"] > now \
                    and not (is_dead is not None and is_dead(current)):
                return False, current
            acquired = current["acquired_at"] if current is not None and current["owner"] == owner else now
            conn.execute(
                "INSERT INTO scheduler_lease (id, owner, hostname, pid, acquired_at, expires_at) VALUES (1, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO UPDATE SET owner = excluded.owner, hostname = excluded.hostname, "
                "pid = excluded.pid, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at",
                (owner, hostname, pid, acquired, now + ttl))
            return True, {"owner": owner, "hostname": hostname, "pid": pid, "acquired_at": acquired,
                          "expires_at": now + ttl}

    def release_lease(self, owner: str) -> None:
        with self._write() as conn:
            conn.execute("DELETE FROM scheduler_lease WHERE id = 1 AND owner = ?", (owner,))

    def lease(self) -> Optional[dict]:
        rows = self._read("SELECT * FROM scheduler_lease WHERE id = 1")
        return dict(rows[0]) if rows else None
