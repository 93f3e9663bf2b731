"""Forward migrations of the lineage store.

The DDL lives once, in the repository's ``schema/store`` folder (shipped inside
the wheel as ``plumbline/_schema/store``). File ``NNNN_*.sql`` brings the store
to ``PRAGMA user_version = NNNN``.
"""

from __future__ import annotations

import re
import sqlite3
from functools import lru_cache
from pathlib import Path

from .errors import StoreVersionError

_PACKAGE_DIR = Path(__file__).resolve().parent.parent
_CANDIDATE_DIRS = (
    _PACKAGE_DIR / "_schema" / "store",  # installed wheel
    _PACKAGE_DIR.parent / "schema" / "store",  # source tree / editable install
)
_MIGRATION_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


def schema_dir() -> Path:
    for candidate in _CANDIDATE_DIRS:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        "Plumbline's store schema is missing from the installation "
        f"(looked in {', '.join(str(c) for c in _CANDIDATE_DIRS)}); reinstall plumbline."
    )


@lru_cache(maxsize=1)
def migrations() -> tuple[tuple[int, tuple[str, ...]], ...]:
    """(version, statements) for every migration file, in order."""
    found = []
    for path in sorted(schema_dir().iterdir()):
        match = _MIGRATION_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), split_statements(path.read_text("utf-8"))))
    versions = [v for v, _ in found]
    if versions != list(range(1, len(versions) + 1)):
        raise RuntimeError(f"Store migrations must be numbered 1..N without gaps, found {versions}")
    return tuple(found)


def latest_version() -> int:
    return len(migrations())


def split_statements(script: str) -> tuple[str, ...]:
    """Split a SQL script into statements (trigger bodies contain ';')."""
    statements, buffer = [], ""
    for line in script.splitlines(keepends=True):
        if not buffer and (not line.strip() or line.lstrip().startswith("--")):
            continue
        buffer += line
        if sqlite3.complete_statement(buffer):
            statements.append(buffer.strip())
            buffer = ""
    if buffer.strip():
        raise ValueError(f"Incomplete SQL statement at the end of a migration: {buffer[:80]!r}")
    return tuple(statements)


def migrate(conn: sqlite3.Connection, path: str) -> int:
    """Bring the store to the latest schema; return the version it is at.

    Runs inside one IMMEDIATE transaction so that several kernels opening a
    new store at once apply each migration exactly once.
    """
    latest = latest_version()
    current = conn.execute("PRAGMA user_version").fetchone()[0]
    if current == latest:
        return current
    _check_not_newer(current, latest, path)
    conn.execute("BEGIN IMMEDIATE")
    try:
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        _check_not_newer(current, latest, path)
        for version, statements in migrations():
            if version <= current:
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {int(version)}")
        conn.execute("COMMIT")
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    return latest


def _check_not_newer(current: int, latest: int, path: str) -> None:
    if current > latest:
        raise StoreVersionError(
            f"The lineage store {path} has schema version {current}, but this Plumbline "
            f"only knows versions up to {latest}: it was written by a newer Plumbline. "
            "Upgrade Plumbline (pip install -U jupyterlab-plumbline), or point PLUMBLINE_DB to another file."
        )
