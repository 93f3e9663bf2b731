"""Monitoring: profiles of component outputs (rows naming files) and drift verdicts (schema/store/0007)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from .connection import Connection, clip, storable_text

MAX_MESSAGE_CHARS = 2_000
POLICIES = ("first", "previous", "pinned")
VERDICT_STATUSES = ("drift", "ok", "schema", "not judged", "reference", "error")


@dataclass(frozen=True)
class ProfileRecord:
    """A stored profile: a row of ``profiles``; the bytes are in the file ``path`` (monitoring/storage.py)."""

    io_id: str
    run_id: str
    name: str
    rows: int
    columns: int
    hash: str
    path: str
    size_bytes: int
    format_version: int
    created_at: float


@dataclass(frozen=True)
class DriftColumnRecord:
    column: str
    position: int
    kind: Optional[str]
    role: Optional[str]
    status: str
    measure: Optional[str] = None
    value: Optional[float] = None
    threshold: Optional[float] = None
    null_change: Optional[float] = None
    contribution: Optional[float] = None
    message: Optional[str] = None


@dataclass(frozen=True)
class DriftRecord:
    """A drift verdict on one output: a row of ``drift_verdicts`` and its columns."""

    io_id: str
    run_id: str
    name: str
    policy: str
    status: str
    created_at: float
    message: Optional[str] = None
    reference_io_id: Optional[str] = None
    reference_run_id: Optional[str] = None
    columns: int = 0
    judged: int = 0
    drifted: int = 0
    schema_changes: int = 0
    drifted_share: Optional[float] = None
    worst_column: Optional[str] = None
    worst_measure: Optional[str] = None
    worst_value: Optional[float] = None
    worst_threshold: Optional[float] = None
    multivariate: Optional[float] = None
    multivariate_threshold: Optional[float] = None
    multivariate_reference: Optional[float] = None
    multivariate_drift: Optional[bool] = None
    expected_false_alarms: Optional[float] = None
    rows: Optional[int] = None
    reference_rows: Optional[int] = None
    column_rows: tuple = field(default_factory=tuple)  # DriftColumnRecord, in the panel's order

    def __post_init__(self) -> None:
        if self.policy not in POLICIES or self.status not in VERDICT_STATUSES:
            raise ValueError(f"Not a valid drift verdict: policy {self.policy!r}, status {self.status!r}")


_VERDICT_FIELDS = ("io_id", "run_id", "name", "reference_io_id", "reference_run_id", "policy", "status", "message",
                   "columns", "judged", "drifted", "schema_changes", "drifted_share", "worst_column", "worst_measure",
                   "worst_value", "worst_threshold", "multivariate", "multivariate_threshold",
                   "multivariate_reference", "multivariate_drift", "expected_false_alarms", "rows", "reference_rows",
                   "created_at")


class MonitoringStore(Connection):
    def record_profile(self, record: ProfileRecord) -> None:
        """A profile of a run's output. Idempotent (a replayed backlog writes it once)."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO profiles (io_id, run_id, name, component_id, rows, columns, hash, path, size_bytes, "
                "format_version, created_at) VALUES (?, ?, ?, (SELECT component_id FROM runs WHERE id = ?), "
                "?, ?, ?, ?, ?, ?, ?) ON CONFLICT (io_id) DO NOTHING",
                (storable_text(record.io_id), record.run_id, storable_text(record.name), record.run_id, record.rows,
                 record.columns, record.hash, record.path, record.size_bytes, record.format_version,
                 record.created_at),
            )

    def record_drift(self, verdict: DriftRecord) -> None:
        """A drift verdict and its columns (a replayed backlog replaces it with the same rows)."""
        values = []
        for name in _VERDICT_FIELDS:
            value = getattr(verdict, name)
            if name == "message":
                value = clip(value, MAX_MESSAGE_CHARS)
            elif name == "multivariate_drift" and value is not None:
                value = int(bool(value))
            elif isinstance(value, str):
                value = storable_text(value)
            values.append(value)
        columns = ", ".join(_VERDICT_FIELDS)
        with self._write() as conn:
            conn.execute(
                f"INSERT INTO drift_verdicts ({columns}, component_id) VALUES ({', '.join('?' * len(values))}, "
                "(SELECT component_id FROM runs WHERE id = ?)) ON CONFLICT (io_id) DO UPDATE SET "
                + ", ".join(f"{c} = excluded.{c}" for c in _VERDICT_FIELDS[1:]),
                (*values, verdict.run_id),
            )
            conn.execute("DELETE FROM drift_columns WHERE io_id = ?", (storable_text(verdict.io_id),))
            conn.executemany(
                "INSERT INTO drift_columns (io_id, \"column\", position, kind, role, status, measure, value, "
                "threshold, null_change, contribution, message) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [(storable_text(verdict.io_id), storable_text(c.column), c.position, c.kind, c.role, c.status,
                  c.measure, c.value, c.threshold, c.null_change, c.contribution, clip(c.message, MAX_MESSAGE_CHARS))
                 for c in verdict.column_rows],
            )

    # -- named reads (the kernel, the REST handlers; the badge reads its replica) -----------

    def profile_record(self, io_id: str) -> Optional[dict]:
        rows = self._read("SELECT p.*, r.started_at FROM profiles p JOIN runs r ON r.id = p.run_id WHERE p.io_id = ?",
                          (io_id,))
        return dict(rows[0]) if rows else None

    def profile_of(self, run_id: str, name: str) -> Optional[dict]:
        rows = self._read("SELECT p.*, r.started_at FROM profiles p JOIN runs r ON r.id = p.run_id "
                          "WHERE p.run_id = ? AND p.name = ?", (run_id, name))
        return dict(rows[0]) if rows else None

    def profiles_of_run(self, run_id: str) -> list[dict]:
        rows = self._read("SELECT p.*, r.started_at FROM profiles p JOIN runs r ON r.id = p.run_id "
                          "WHERE p.run_id = ? ORDER BY p.name", (run_id,))
        return [dict(r) for r in rows]

    def reference_profile(self, run_id: str, name: str, policy: str) -> Optional[dict]:
        """The profile a run's output ``name`` is compared with: the component's first or previous run's."""
        if policy not in ("first", "previous"):
            raise ValueError(f"policy is 'first' or 'previous' here, not {policy!r}")
        order = "ASC" if policy == "first" else "DESC"
        rows = self._read(
            "SELECT p.*, r.started_at FROM profiles p JOIN runs r ON r.id = p.run_id "
            "JOIN runs me ON me.id = ? WHERE p.component_id = me.component_id AND p.name = ? AND p.run_id != me.id "
            f"AND r.started_at < me.started_at ORDER BY r.started_at {order} LIMIT 1",
            (run_id, name),
        )
        return dict(rows[0]) if rows else None

    def drift_verdict(self, io_id: str) -> Optional[dict]:
        rows = self._read("SELECT * FROM drift_verdicts WHERE io_id = ?", (io_id,))
        return dict(rows[0]) if rows else None

    def drift_columns(self, io_id: str) -> list[dict]:
        rows = self._read("SELECT * FROM drift_columns WHERE io_id = ? ORDER BY position", (io_id,))
        return [dict(r) for r in rows]

    def drift_history(self, run_id: str, name: str, limit: int = 50) -> list[dict]:
        """Per column, the verdicts of the same component output over its runs up to this one (oldest first)."""
        rows = self._read(
            "SELECT v.io_id, v.run_id, r.started_at, v.status AS verdict, c.\"column\", c.measure, c.value, "
            "c.threshold, c.status FROM drift_verdicts v JOIN runs r ON r.id = v.run_id "
            "JOIN drift_columns c ON c.io_id = v.io_id JOIN runs me ON me.id = ? "
            "WHERE v.component_id = me.component_id AND v.name = ? AND r.started_at <= me.started_at "
            "AND v.io_id IN (SELECT v2.io_id FROM drift_verdicts v2 JOIN runs r2 ON r2.id = v2.run_id "
            "WHERE v2.component_id = me.component_id AND v2.name = ? AND r2.started_at <= me.started_at "
            "ORDER BY r2.started_at DESC LIMIT ?) ORDER BY r.started_at, c.position",
            (run_id, name, name, limit),
        )
        return [dict(r) for r in rows]

    def profiled_runs_with_prefix(self, prefix: str, limit: int = 6) -> list[str]:
        rows = self._read("SELECT DISTINCT run_id FROM profiles WHERE substr(run_id, 1, ?) = ? LIMIT ?",
                          (len(prefix), prefix, limit))
        return [r["run_id"] for r in rows]

