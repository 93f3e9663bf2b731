"""Reading a store's rows in tests, through a connection of its own (as another process would)."""

from __future__ import annotations

import sqlite3


def query(db, sql: str, params=()) -> list[dict]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()
