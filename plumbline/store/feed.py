"""The change feed: what the browser replica downloads (a snapshot) and then asks for (changes).

Every replicated table has a ``seq`` column that triggers (``schema/store``)
set from one counter on every insert and update; a replica asks for the rows
with ``seq`` above its cursor.
"""

from __future__ import annotations

import sqlite3

from .connection import Connection, translate

# Tables the browser replicates, in the order changes must be applied.
REPLICATED_TABLES = (
    "code_snapshots", "kernel_sessions", "components", "runs", "check_results", "artifacts", "run_io", "flags",
    "pipelines", "pipeline_runs", "task_runs",
    "drift_verdicts",
    "kernel_bindings",
    "monitors", "monitor_windows", "monitor_triggers", "trigger_requests",
)


#: SQLite's largest integer; a cursor beyond it cannot name a row.
MAX_SEQ = 2**63 - 1


class ChangeFeed(Connection):
    def current_seq(self) -> int:
        return self._read("SELECT value FROM store_seq WHERE id = 1")[0]["value"]

    def snapshot(self) -> tuple[bytes, int]:
        """A consistent copy of the whole store as SQLite file bytes, and its seq."""
        with self._lock:
            memory = sqlite3.connect(":memory:")
            try:
                try:
                    self._conn.backup(memory)
                except sqlite3.Error as exc:
                    raise translate(exc, self.path) from exc
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
        since = min(max(0, int(since)), MAX_SEQ)
        limit = min(max(1, int(limit)), MAX_SEQ)
        with self._lock:
            try:
                self._conn.execute("BEGIN")
                try:
                    current = self._conn.execute("SELECT value FROM store_seq WHERE id = 1").fetchone()[0]
                    # Read now, not at open: a newer kernel may have migrated the store since.
                    version = self._conn.execute("PRAGMA user_version").fetchone()[0]
                    upto = min(current, since + limit)
                    tables = {}
                    # A client ahead of the store (upto < since) gets no rows: see below.
                    for table in REPLICATED_TABLES if upto >= since else ():
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
            except sqlite3.Error as exc:
                raise translate(exc, self.path) from exc
        # Which store, at which schema, this page is of: a replica kept from
        # an earlier page load must match both to apply it.
        store = {"store_id": self.identity, "schema_version": version}
        if upto < since:  # the client is ahead: the store was replaced
            return {"since": since, "seq": current, "more": False, "reset": True, "tables": {}, **store}
        return {"since": since, "seq": upto, "more": upto < current, "reset": False, "tables": tables, **store}
