"""Lineage: what runs read and wrote (``run_io``), materialized copies, and flags on outputs."""

from __future__ import annotations

import json
import time
from typing import Iterable, Optional

from .connection import Connection, clip, storable_text
from .models import ArtifactRecord, Binding, IORecord

MAX_FLAG_NOTE_CHARS = 2_000
MAX_ARTIFACT_NOTE_CHARS = 4_000


class LineageStore(Connection):
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
                    "INSERT INTO run_io (id, run_id, direction, kind, name, how, type, value_hash, "
                    "strategy, shape, columns, size_bytes, row_count, source_io_id, source_run_id, depends_on, "
                    "created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING",
                    (
                        storable_text(r.id), r.run_id, r.direction, r.kind, storable_text(r.name), r.how,
                        storable_text(r.type), r.value_hash, storable_text(r.strategy),
                        None if r.shape is None else json.dumps(list(r.shape)),
                        None if r.columns is None else json.dumps([list(c) for c in r.columns]),
                        r.size_bytes, r.row_count, r.source_io_id, r.source_run_id,
                        None if r.depends_on is None else json.dumps([storable_text(d) for d in r.depends_on]),
                        r.created_at,
                    ),
                )
                if r.direction == "input" and r.kind == "file" and r.source_io_id is None and r.value_hash:
                    # No such output: both stay NULL (the file came from outside).
                    conn.execute(
                        "UPDATE run_io SET (source_io_id, source_run_id) = (SELECT o.id, o.run_id FROM run_io o "
                        "WHERE o.kind = 'file' AND o.direction = 'output' AND o.name = ? AND o.value_hash = ? "
                        "AND o.run_id != ? AND o.created_at <= ? ORDER BY o.created_at DESC LIMIT 1) WHERE id = ?",
                        (storable_text(r.name), r.value_hash, r.run_id, r.created_at, storable_text(r.id)),
                    )

    def record_bindings(self, session_id: str, run_id: Optional[str], at: float,
                        bindings: Iterable[Binding]) -> None:
        """What names of a kernel hold now (after run ``run_id`` changed them); one row per name, updated."""
        rows = [(session_id, storable_text(b.name), None if b.io_id is None else storable_text(b.io_id), run_id,
                 int(b.deleted), at) for b in bindings]
        if not rows:
            return
        with self._write() as conn:
            # Only a change bumps seq (and so replicates): a replayed write is a no-op.
            conn.executemany(
                "INSERT INTO kernel_bindings (kernel_session, name, io_id, changed_by, deleted, updated_at) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (kernel_session, name) DO UPDATE SET "
                "io_id = excluded.io_id, changed_by = excluded.changed_by, deleted = excluded.deleted, "
                "updated_at = excluded.updated_at "
                "WHERE io_id IS NOT excluded.io_id OR deleted IS NOT excluded.deleted",
                rows,
            )

    def bindings(self, session_id: str) -> dict[str, dict]:
        """What each name of a kernel session holds: name -> its kernel_bindings row."""
        rows = self._read("SELECT * FROM kernel_bindings WHERE kernel_session = ? ORDER BY name", (session_id,))
        return {r["name"]: dict(r) for r in rows}

    def record_artifact(self, io_id: str, artifact: Optional[ArtifactRecord], note: Optional[str] = None) -> None:
        """Link an output to its materialized copy (stored once per content), or say why there is none."""
        with self._write() as conn:
            if artifact is not None:
                conn.execute(
                    "INSERT OR IGNORE INTO artifacts (hash, path, format, type, size_bytes, created_at) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    (artifact.hash, artifact.path, artifact.format, storable_text(artifact.type),
                     artifact.size_bytes, artifact.created_at),
                )
            conn.execute(
                "UPDATE run_io SET artifact_hash = ?, artifact_note = ? WHERE id = ?",
                (artifact.hash if artifact else None, clip(note, MAX_ARTIFACT_NOTE_CHARS), storable_text(io_id)),
            )

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
                    (io_id, storable_text(note) or None, now),
                )
            else:
                conn.execute("UPDATE flags SET cleared_at = ? WHERE io_id = ? AND cleared_at IS NULL", (now, io_id))

    # -- named reads (tools and the kernel; the UI queries its replica) --------

    def io(self, io_id: str) -> Optional[dict]:
        """One input or output of a run, by its id."""
        rows = self._read("SELECT * FROM run_io WHERE id = ?", (io_id,))
        return dict(rows[0]) if rows else None

    def variable_outputs(self, run_id: str) -> list[dict]:
        """The variables a run wrote, by name."""
        rows = self._read("SELECT * FROM run_io WHERE run_id = ? AND direction = 'output' AND kind = 'variable' "
                          "ORDER BY name", (run_id,))
        return [dict(r) for r in rows]

    def artifact(self, digest: str) -> Optional[dict]:
        rows = self._read("SELECT * FROM artifacts WHERE hash = ?", (digest,))
        return dict(rows[0]) if rows else None
