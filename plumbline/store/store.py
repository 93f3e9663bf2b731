"""The lineage store: the only writer of the SQLite database.

Kernels, the Jupyter server and task processes all write through this class.
WAL mode lets readers (the server's snapshot and change feed) run while a
kernel writes; every write is one short ``BEGIN IMMEDIATE`` transaction, so
concurrent writers queue on the busy timeout instead of failing with
"database is locked".
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Callable, Iterable, Iterator, Optional

from .errors import StoreCorruptError, StoreError, StoreLockedError
from .migrations import migrate
from .models import ArtifactRecord, CheckRecord, ComponentInfo, IORecord, KernelSession, RunEnd, RunStart

# Tables the browser replicates, in the order changes must be applied.
REPLICATED_TABLES = (
    "code_snapshots", "kernel_sessions", "components", "runs", "check_results", "artifacts", "run_io", "flags",
)

MAX_NOTE_CHARS = 10_000
MAX_FLAG_NOTE_CHARS = 2_000
MAX_ERROR_VALUE_CHARS = 4_000


def code_hash(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8", "surrogatepass")).hexdigest()


class Store:
    """A connection to the lineage store at ``path`` (created and migrated on open)."""

    def __init__(self, path: str | os.PathLike, *, timeout: float = 30.0):
        self.path = str(Path(path).expanduser().resolve())
        self._lock = threading.RLock()
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        try:
            self._conn = sqlite3.connect(
                self.path, timeout=timeout, isolation_level=None, check_same_thread=False
            )
            self._conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._conn.execute("PRAGMA journal_mode = WAL")
            # WAL + NORMAL: commits survive a killed process (not a power cut)
            # and cost no fsync, which keeps per-cell overhead in microseconds.
            self._conn.execute("PRAGMA synchronous = NORMAL")
            self._conn.execute("PRAGMA foreign_keys = ON")
            self.schema_version = migrate(self._conn, self.path)
            self.identity = self._identify()
        except sqlite3.DatabaseError as exc:
            self._close_quietly()
            raise _translate(exc, self.path) from exc

    def _identify(self) -> str:
        """The store's id; a new one if the file was copied from elsewhere."""
        identity, path = self._conn.execute("SELECT id, path FROM store_identity").fetchone()
        if path == self.path:
            return identity
        fresh = identity if path is None else os.urandom(16).hex()
        try:
            self._conn.execute("UPDATE store_identity SET id = ?, path = ?", (fresh, self.path))
        except sqlite3.OperationalError:
            return identity  # locked or read-only: identify it next time
        return fresh

    # -- lifecycle -----------------------------------------------------------

    def set_busy_timeout(self, seconds: float) -> None:
        """How long a write waits for another process's lock before it fails."""
        with self._lock:
            self._conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def _close_quietly(self) -> None:
        try:
            self._conn.close()
        except Exception:
            pass

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
            except sqlite3.DatabaseError as exc:
                raise _translate(exc, self.path) from exc
            try:
                yield self._conn
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            try:
                self._conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                self._conn.execute("ROLLBACK")
                raise _translate(exc, self.path) from exc

    def _read(self, sql: str, params: Iterable = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                cur = self._conn.execute(sql, tuple(params))
                cur.row_factory = sqlite3.Row
                return cur.fetchall()
            except sqlite3.DatabaseError as exc:
                raise _translate(exc, self.path) from exc

    # -- sessions ------------------------------------------------------------

    def register_session(self, session: KernelSession) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO kernel_sessions (id, kind, hostname, pid, python_version, "
                "plumbline_version, started_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    session.id,
                    session.kind,
                    session.hostname,
                    session.pid,
                    session.python_version,
                    session.plumbline_version,
                    session.started_at,
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
        code = _text(run.code)
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
                    conn, _text(run.notebook_path) or "", run.component_name, run.started_at, run.component
                )
            conn.execute(
                "INSERT INTO runs (id, notebook_path, cell_id, component_id, component_name, code_hash, "
                "execution_count, kernel_session, started_at, git_commit) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    run.id,
                    _text(run.notebook_path),
                    _text(run.cell_id),
                    component_id,
                    run.component_name,
                    digest,
                    run.execution_count,
                    run.kernel_session,
                    run.started_at,
                    run.git_commit,
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
                    _text(end.error_name),
                    _clip(end.error_value, MAX_ERROR_VALUE_CHARS),
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
                "INSERT INTO check_results (run_id, component_id, spec_id, name, phase, status, on_fail, "
                "message, details, duration_ms, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        component_id[0] if component_id else None,
                        _text(r.spec_id),
                        _text(r.name),
                        r.phase,
                        r.status,
                        r.on_fail,
                        _clip(r.message, MAX_ERROR_VALUE_CHARS),
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

    def check_results(self, run_id: str) -> list[dict]:
        rows = self._read("SELECT * FROM check_results WHERE run_id = ? ORDER BY id", (run_id,))
        return [dict(r) for r in rows]

    # -- lineage ---------------------------------------------------------------

    def record_io(self, records: Iterable[IORecord]) -> None:
        """Inputs and outputs of runs. Idempotent (a replayed backlog writes nothing twice).

        A file input without a known source links to the latest earlier output of
        the same path with the same content, from any run: that is how a notebook
        that reads ``features.parquet`` links to the one that wrote it.
        """
        rows = list(records)
        if not rows:
            return
        with self._write() as conn:
            for r in rows:
                conn.execute(
                    "INSERT OR IGNORE INTO run_io (id, run_id, direction, kind, name, how, type, value_hash, "
                    "strategy, shape, columns, size_bytes, row_count, source_io_id, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        _text(r.id), r.run_id, r.direction, r.kind, _text(r.name), r.how, _text(r.type),
                        r.value_hash, _text(r.strategy),
                        None if r.shape is None else json.dumps(list(r.shape)),
                        None if r.columns is None else json.dumps([list(c) for c in r.columns]),
                        r.size_bytes, r.row_count, r.source_io_id, r.created_at,
                    ),
                )
                if r.direction == "input" and r.kind == "file" and r.source_io_id is None and r.value_hash:
                    conn.execute(
                        "UPDATE run_io SET source_io_id = (SELECT o.id FROM run_io o WHERE o.kind = 'file' "
                        "AND o.direction = 'output' AND o.name = ? AND o.value_hash = ? AND o.run_id != ? "
                        "AND o.created_at <= ? ORDER BY o.created_at DESC LIMIT 1) WHERE id = ?",
                        (_text(r.name), r.value_hash, r.run_id, r.created_at, _text(r.id)),
                    )

    def record_artifact(self, io_id: str, artifact: Optional[ArtifactRecord], note: Optional[str] = None) -> None:
        """Link an output to its materialized copy (stored once per content), or say why there is none."""
        with self._write() as conn:
            if artifact is not None:
                conn.execute(
                    "INSERT OR IGNORE INTO artifacts (hash, path, format, type, size_bytes, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (artifact.hash, artifact.path, artifact.format, _text(artifact.type), artifact.size_bytes,
                     artifact.created_at),
                )
            conn.execute(
                "UPDATE run_io SET artifact_hash = ?, artifact_note = ? WHERE id = ?",
                (artifact.hash if artifact else None, _clip(note, MAX_ERROR_VALUE_CHARS), _text(io_id)),
            )

    def artifact(self, digest: str) -> Optional[dict]:
        rows = self._read("SELECT * FROM artifacts WHERE hash = ?", (digest,))
        return dict(rows[0]) if rows else None

    def run_io(self, run_id: str) -> list[dict]:
        """Inputs and outputs of one run (tests and tools; the UI queries its replica)."""
        rows = self._read("SELECT * FROM run_io WHERE run_id = ? ORDER BY direction, kind, name", (run_id,))
        return [dict(r) for r in rows]

    def io(self, where: str = "1", params: Iterable = ()) -> list[dict]:
        return [dict(r) for r in self._read(f"SELECT * FROM run_io WHERE {where} ORDER BY created_at, id", params)]

    def set_flag(self, io_id: str, flagged: bool, note: Optional[str] = None) -> None:
        """Flag an output as wrong (or clear the flag). Flags are never deleted."""
        if note is not None and not isinstance(note, str):
            raise ValueError("A flag's note is text.")
        if note and len(note) > MAX_FLAG_NOTE_CHARS:
            raise ValueError(f"A flag's note has at most {MAX_FLAG_NOTE_CHARS} characters; this one has {len(note)}.")
        now = time.time()
        with self._write() as conn:
            row = conn.execute("SELECT direction FROM run_io WHERE id = ?", (io_id,)).fetchone()
            if row is None:
                raise KeyError(io_id)
            if row[0] != "output":
                raise ValueError("Only outputs can be flagged: flag the run's output that is wrong.")
            if flagged:
                conn.execute(
                    "INSERT INTO flags (io_id, note, flagged_at) VALUES (?, ?, ?) ON CONFLICT (io_id) DO UPDATE "
                    "SET note = excluded.note, flagged_at = excluded.flagged_at, cleared_at = NULL",
                    (io_id, _text(note) or None, now),
                )
            else:
                conn.execute("UPDATE flags SET cleared_at = ? WHERE io_id = ? AND cleared_at IS NULL", (now, io_id))

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
            cur = conn.execute("UPDATE runs SET notes = ? WHERE id = ?", (_text(text) or None, run_id))
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

    def run(self, run_id: str) -> Optional[dict]:
        rows = self._read("SELECT * FROM runs WHERE id = ?", (run_id,))
        return dict(rows[0]) if rows else None

    def runs(self, where: str = "1", params: Iterable = ()) -> list[dict]:
        """Rows of ``runs`` (tests and tools; the UI queries its replica)."""
        return [dict(r) for r in self._read(f"SELECT * FROM runs WHERE {where} ORDER BY started_at", params)]

    def code(self, digest: str) -> Optional[str]:
        rows = self._read("SELECT code FROM code_snapshots WHERE hash = ?", (digest,))
        return rows[0]["code"] if rows else None

    # -- replication ---------------------------------------------------------

    def current_seq(self) -> int:
        return self._read("SELECT value FROM store_seq WHERE id = 1")[0]["value"]

    def snapshot(self) -> tuple[bytes, int]:
        """A consistent copy of the whole store as SQLite file bytes, and its seq."""
        with self._lock:
            memory = sqlite3.connect(":memory:")
            try:
                try:
                    self._conn.backup(memory)
                except sqlite3.DatabaseError as exc:
                    raise _translate(exc, self.path) from exc
                seq = memory.execute("SELECT value FROM store_seq WHERE id = 1").fetchone()[0]
                data = bytearray(memory.serialize())
            finally:
                memory.close()
        # Bytes 18-19 of the header say "WAL"; the copy is a plain rollback-
        # journal database, which is what an in-memory sql.js can open.
        data[18] = data[19] = 1
        return bytes(data), seq

    def changes_since(self, since: int, limit: int = 5000) -> dict:
        """Rows inserted or updated after ``since``, at most ``limit`` of them.

        Every insert or update takes the next value of one counter, so the
        rows with seq in (since, upto] are at most ``upto - since``: the window
        bounds the page size without scanning.
        """
        since = max(0, int(since))
        limit = max(1, int(limit))
        with self._lock:
            try:
                self._conn.execute("BEGIN")
                try:
                    current = self._conn.execute("SELECT value FROM store_seq WHERE id = 1").fetchone()[0]
                    # Read now, not at open: a newer kernel may have migrated the store since.
                    version = self._conn.execute("PRAGMA user_version").fetchone()[0]
                    upto = min(current, since + limit)
                    tables = {}
                    for table in REPLICATED_TABLES:
                        cur = self._conn.execute(
                            f"SELECT * FROM {table} WHERE seq > ? AND seq <= ? ORDER BY seq", (since, upto)
                        )
                        rows = cur.fetchall()
                        if rows:
                            tables[table] = {
                                "columns": [d[0] for d in cur.description],
                                "rows": [list(r) for r in rows],
                            }
                finally:
                    self._conn.execute("COMMIT")
            except sqlite3.DatabaseError as exc:
                raise _translate(exc, self.path) from exc
        # Which store, at which schema, this page is of: a replica kept from
        # an earlier page load must match both to apply it.
        store = {"store_id": self.identity, "schema_version": version}
        if upto < since:  # the client is ahead: the store was replaced
            return {"since": since, "seq": current, "more": False, "reset": True, "tables": {}, **store}
        return {"since": since, "seq": upto, "more": upto < current, "reset": False, "tables": tables, **store}


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


def _text(text: Optional[str]) -> Optional[str]:
    """Text SQLite can store: a lone surrogate (an undecodable file name in an error
    message, say) would make the whole write fail, so it is kept as an escape."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def _clip(text: Optional[str], limit: int) -> Optional[str]:
    text = _text(text)
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"


def _translate(exc: sqlite3.DatabaseError, path: str) -> StoreError:
    message = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and "locked" in message:
        return StoreLockedError(
            f"The lineage store {path} stayed locked by another process past the timeout ({message}). "
            "Close the program holding it (a DB browser with an open transaction?) and run the cell again; "
            "Plumbline keeps unsaved runs in memory meanwhile."
        )
    if "not a database" in message or "malformed" in message or "corrupt" in message:
        return StoreCorruptError(
            f"The lineage store {path} is not a readable SQLite database ({message}). "
            "Move the file aside (keep it: `sqlite3 .recover` may save its runs) and Plumbline "
            "will start a new store, or set PLUMBLINE_DB to another path."
        )
    return StoreError(f"The lineage store {path} failed: {message}")
