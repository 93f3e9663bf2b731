"""Runs: kernel sessions, cell runs, their components, check results, notes; renamed notebooks."""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from typing import Callable, Iterable, Optional

from .connection import Connection, clip, storable_text
from .models import CheckRecord, ComponentInfo, KernelSession, RunEnd, RunStart

MAX_NOTE_CHARS = 10_000
MAX_ERROR_VALUE_CHARS = 4_000


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


class RunStore(Connection):
    # -- sessions ------------------------------------------------------------

    def register_session(self, session: KernelSession) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO kernel_sessions (id, kind, hostname, pid, python_version, "
                "plumbline_version, started_at, task_run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (id) DO NOTHING",
                (
                    session.id,
                    session.kind,
                    session.hostname,
                    session.pid,
                    session.python_version,
                    session.plumbline_version,
                    session.started_at,
                    session.task_run_id,
                ),
            )

    def end_session(self, session_id: str, ended_at: Optional[float] = None) -> None:
        ended_at = time.time() if ended_at is None else ended_at
        with self._write() as conn:
            conn.execute(
                "UPDATE kernel_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
                (ended_at, session_id),
            )
            _interrupt_running(conn, "kernel_session = ?", (session_id,), ended_at,
                               "The kernel shut down while the cell was running.")

    def mark_orphaned_runs(
        self, hostname: str, is_alive: Callable[[int], bool], exclude_session: Optional[str] = None
    ) -> int:
        """Mark 'interrupted' the runs left 'running' by kernels that are gone.

        A kernel is gone when its session ended, or when it ran on this host
        and its process no longer exists. Returns how many runs were marked.
        """
        rows = self._read(
            "SELECT DISTINCT s.id, s.hostname, s.pid, s.ended_at FROM runs r "
            "JOIN kernel_sessions s ON s.id = r.kernel_session WHERE r.status = 'running'"
        )
        dead = [
            row["id"]
            for row in rows
            if row["id"] != exclude_session
            and (row["ended_at"] is not None or (row["hostname"] == hostname and not is_alive(row["pid"])))
        ]
        if not dead:
            return 0
        now = time.time()
        marked = 0
        with self._write() as conn:
            for session_id in dead:
                marked += _interrupt_running(
                    conn, "kernel_session = ?", (session_id,), now,
                    "The kernel died while the cell was running (killed, crashed or restarted).",
                )
                conn.execute(
                    "UPDATE kernel_sessions SET ended_at = ? WHERE id = ? AND ended_at IS NULL",
                    (now, session_id),
                )
        return marked

    # -- runs ----------------------------------------------------------------

    def start_run(self, run: RunStart) -> None:
        code = storable_text(run.code)
        digest = code_hash(code)
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO code_snapshots (hash, code, created_at) VALUES (?, ?, ?)",
                (digest, code, run.started_at),
            )
            if run.analysis is not None:
                conn.execute(
                    "UPDATE code_snapshots SET analysis = ? WHERE hash = ? AND analysis IS NULL",
                    (json.dumps(run.analysis, sort_keys=True), digest),
                )
            component_id = None
            if run.component_name:
                component_id = _ensure_component(
                    conn, storable_text(run.notebook_path) or "", run.component_name, run.started_at,
                    run.component,
                )
            # A write replayed from the backlog after an unclear failure lands once.
            # A task process's runs name their task run (carried by the session).
            conn.execute(
                "INSERT INTO runs (id, notebook_path, cell_id, component_id, component_name, code_hash, "
                "execution_count, kernel_session, started_at, git_commit, task_run_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, "
                "(SELECT task_run_id FROM kernel_sessions WHERE id = ?)) ON CONFLICT (id) DO NOTHING",
                (
                    run.id,
                    storable_text(run.notebook_path),
                    storable_text(run.cell_id),
                    component_id,
                    run.component_name,
                    digest,
                    run.execution_count,
                    run.kernel_session,
                    run.started_at,
                    run.git_commit,
                    run.kernel_session,
                ),
            )

    def finish_run(self, end: RunEnd) -> None:
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET ended_at = ?, duration_ms = (? - started_at) * 1000.0, status = ?, "
                "execution_count = COALESCE(?, execution_count), error_name = ?, error_value = ? "
                "WHERE id = ?",
                (
                    end.ended_at,
                    end.ended_at,
                    end.status,
                    end.execution_count,
                    storable_text(end.error_name),
                    clip(end.error_value, MAX_ERROR_VALUE_CHARS),
                    end.id,
                ),
            )

    def record_checks(self, run_id: str, records: Iterable[CheckRecord]) -> None:
        rows = list(records)
        if not rows:
            return
        with self._write() as conn:
            component_id = conn.execute("SELECT component_id FROM runs WHERE id = ?", (run_id,)).fetchone()
            conn.executemany(
                "INSERT INTO check_results (run_id, component_id, spec_id, name, \"when\", status, on_fail, "
                "message, details, duration_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        component_id[0] if component_id else None,
                        storable_text(r.spec_id),
                        storable_text(r.name),
                        r.when,
                        r.status,
                        r.on_fail,
                        clip(r.message, MAX_ERROR_VALUE_CHARS),
                        json.dumps(r.details, default=str),
                        r.duration_ms,
                        r.created_at,
                    )
                    for r in rows
                ],
            )

    def previous_check_details(self, notebook_path: str, component: str, spec_id: str) -> Optional[dict]:
        """Details of the latest passing result of one check of one component.

        The baseline of run-to-run checks (row count, freshness, schema) is the last
        good run: a collapsed batch must not become the reference the next one passes.
        """
        rows = self._read(
            "SELECT r.details FROM check_results r JOIN components c ON c.id = r.component_id "
            "WHERE c.notebook_path = ? AND c.name = ? AND r.spec_id = ? AND r.status = 'pass' "
            "ORDER BY r.created_at DESC, r.id DESC LIMIT 1",
            (notebook_path, component, spec_id),
        )
        return json.loads(rows[0]["details"]) if rows else None

    def set_git_dirty(self, run_ids: Iterable[str], dirty: Optional[bool]) -> None:
        ids = list(run_ids)
        if not ids:
            return
        value = None if dirty is None else int(dirty)
        with self._write() as conn:
            conn.executemany("UPDATE runs SET git_dirty = ? WHERE id = ?", [(value, i) for i in ids])

    def set_note(self, run_id: str, text: str) -> None:
        if not isinstance(text, str):
            raise ValueError("A note is text.")
        if len(text) > MAX_NOTE_CHARS:
            raise ValueError(f"A note has at most {MAX_NOTE_CHARS} characters; this one has {len(text)}.")
        with self._write() as conn:
            cur = conn.execute("UPDATE runs SET notes = ? WHERE id = ?", (storable_text(text) or None, run_id))
            if cur.rowcount == 0:
                raise KeyError(run_id)

    def move_notebook(self, old_path: str, new_path: str) -> int:
        """Carry the history of a renamed notebook, or of every notebook in a
        renamed folder, over to its new path; returns how many runs moved.

        A component whose name already exists at the new path (a notebook
        renamed onto one that had history) keeps that row: the moved runs join
        it, so history merges instead of failing the unique constraint.
        """
        old, new = old_path.strip("/"), new_path.strip("/")
        if not old or not new or old == new:
            return 0
        # Exact path, or anything below it as a folder ('0' sorts right after
        # '/', so the range is one index scan).
        match = "(notebook_path = :old OR (notebook_path >= :old || '/' AND notebook_path < :old || '0'))"
        moved_path = ":new || substr(notebook_path, length(:old) + 1)"
        names = {"old": old, "new": new}
        with self._write() as conn:
            components = conn.execute(
                f"SELECT id, name, {moved_path} AS target FROM components WHERE {match}", names
            ).fetchall()
            for component_id, name, target in components:
                existing = conn.execute(
                    "SELECT id FROM components WHERE notebook_path = ? AND name = ?", (target, name)
                ).fetchone()
                if existing:
                    for table in ("runs", "check_results"):  # check baselines follow their runs
                        conn.execute(f"UPDATE {table} SET component_id = ? WHERE component_id = ?",
                                     (existing[0], component_id))
                else:
                    conn.execute("UPDATE components SET notebook_path = ?, updated_at = ? WHERE id = ?",
                                 (target, time.time(), component_id))
            return conn.execute(f"UPDATE runs SET notebook_path = {moved_path} WHERE {match}", names).rowcount

    # -- named reads (tools and the kernel; the UI queries its replica) --------

    def run(self, run_id: str) -> Optional[dict]:
        rows = self._read("SELECT * FROM runs WHERE id = ?", (run_id,))
        return dict(rows[0]) if rows else None

    def runs_with_id_prefix(self, prefix: str, limit: int = 6) -> list[dict]:
        """Runs whose id starts with ``prefix`` (at most ``limit``): ids are typed short."""
        rows = self._read("SELECT * FROM runs WHERE substr(id, 1, ?) = ? ORDER BY started_at LIMIT ?",
                          (len(prefix), prefix, limit))
        return [dict(r) for r in rows]

    def code(self, digest: str) -> Optional[str]:
        rows = self._read("SELECT code FROM code_snapshots WHERE hash = ?", (digest,))
        return rows[0]["code"] if rows else None


def _ensure_component(
    conn: sqlite3.Connection, notebook_path: str, name: str, now: float, info: Optional[ComponentInfo]
) -> int:
    conn.execute(
        "INSERT OR IGNORE INTO components (notebook_path, name, created_at, updated_at) VALUES (?, ?, ?, ?)",
        (notebook_path, name, now, now),
    )
    if info is not None:
        # The notebook metadata is the definition; the row follows it, and only
        # changes (and so replicates) when the definition did.
        conn.execute(
            "UPDATE components SET owner = ?, description = ?, tags = ?, updated_at = ? "
            "WHERE notebook_path = ? AND name = ? "
            "AND (owner IS NOT ? OR description IS NOT ? OR tags IS NOT ?)",
            (info.owner, info.description, json.dumps(list(info.tags)), now, notebook_path, name,
             info.owner, info.description, json.dumps(list(info.tags))),
        )
    return conn.execute(
        "SELECT id FROM components WHERE notebook_path = ? AND name = ?", (notebook_path, name)
    ).fetchone()[0]


def _interrupt_running(conn, where: str, params: tuple, ended_at: float, why: str) -> int:
    cur = conn.execute(
        "UPDATE runs SET status = 'interrupted', ended_at = COALESCE(ended_at, ?), "
        "error_name = COALESCE(error_name, 'KernelDied'), error_value = COALESCE(error_value, ?) "
        f"WHERE status = 'running' AND {where}",
        (ended_at, why, *params),
    )
    return cur.rowcount
