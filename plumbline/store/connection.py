"""One connection to the lineage store: opening, migrating, short write transactions, errors.

WAL mode lets readers (the server's snapshot and change feed) run while a
kernel writes; every write is one short ``BEGIN IMMEDIATE`` transaction, so
concurrent writers queue on the busy timeout instead of failing with
"database is locked". Every SQLite failure leaves this module as a
``StoreError`` (the store is unusable now: keep the record, retry) or a
``RecordError`` (this record can never be written), never as a raw
``sqlite3`` error, so a writer always knows which of the two it met.
"""

from __future__ import annotations

import errno
import os
import sqlite3
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator, Optional

from .errors import (
    RecordError,
    StoreCorruptError,
    StoreError,
    StoreFullError,
    StoreLockedError,
    StoreReadOnlyError,
    StoreUnavailableError,
)
from .migrations import migrate

KEEPS_RUNS = "Plumbline keeps unsaved runs in memory meanwhile and saves them when the store is usable again."


class Connection:
    """A connection to the store at ``path`` (created and migrated on open)."""

    def __init__(self, path: str | os.PathLike, *, timeout: float = 30.0):
        self.path = str(Path(path).expanduser().resolve())
        self._lock = threading.RLock()
        self._conn: Optional[sqlite3.Connection] = None
        try:
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise _folder_error(exc, self.path) from exc
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
        except sqlite3.Error as exc:
            self._close_quietly()
            raise translate(exc, self.path) from exc
        except BaseException:
            self._close_quietly()
            raise

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
            if self._conn is not None:
                self._conn.close()
        except Exception:  # noqa: BLE001
            pass

    def __enter__(self):
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- transactions --------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One short write transaction; SQLite errors leave as StoreError or RecordError."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise translate(exc, self.path) from exc
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                # SQLite may have rolled back already (disk full, I/O error): a second
                # ROLLBACK would raise "no transaction is active" and hide the real error.
                if conn.in_transaction:
                    try:
                        conn.execute("ROLLBACK")
                    except sqlite3.Error:
                        pass
                if isinstance(exc, sqlite3.Error):
                    raise translate(exc, self.path) from exc
                raise

    def _read(self, sql: str, params: Iterable = ()) -> list[sqlite3.Row]:
        with self._lock:
            try:
                cur = self._conn.execute(sql, tuple(params))
                cur.row_factory = sqlite3.Row
                return cur.fetchall()
            except sqlite3.Error as exc:
                raise translate(exc, self.path) from exc


# Errors that are about one record, not about the store: retrying cannot help.
_RECORD_ERRORS = (sqlite3.IntegrityError, sqlite3.InterfaceError, sqlite3.ProgrammingError, sqlite3.DataError)


def translate(exc: sqlite3.Error, path: str) -> Exception:
    """The StoreError (or RecordError) a SQLite failure means, with what to do."""
    message = str(exc)
    code = getattr(exc, "sqlite_errorname", "") or ""
    lowered = message.lower()
    if isinstance(exc, _RECORD_ERRORS):
        return RecordError(f"{message} ({code})" if code else message)
    if code.startswith("SQLITE_BUSY") or code.startswith("SQLITE_LOCKED") or "locked" in lowered:
        return StoreLockedError(
            f"The lineage store {path} stayed locked by another process past the timeout ({message}). "
            "Close the program holding it (a DB browser with an open transaction?). " + KEEPS_RUNS
        )
    if code == "SQLITE_FULL" or "disk is full" in lowered or "no space" in lowered:
        return StoreFullError(
            f"The disk holding the lineage store {path} is full ({message}). Free some space there, or set "
            "PLUMBLINE_DB to a store on another disk and restart the kernel. " + KEEPS_RUNS
        )
    if code.startswith("SQLITE_READONLY") or "readonly" in lowered or "read-only" in lowered:
        return StoreReadOnlyError(
            f"The lineage store {path} cannot be written ({message}). Make the file and its folder writable "
            "for this user, or set PLUMBLINE_DB to a writable path and restart the kernel. " + KEEPS_RUNS
        )
    if code in ("SQLITE_NOTADB", "SQLITE_CORRUPT") or "not a database" in lowered or "malformed" in lowered \
            or "corrupt" in lowered:
        return StoreCorruptError(
            f"The lineage store {path} is not a readable SQLite database ({message}). "
            "Move the file aside (keep it: `sqlite3 .recover` may save its runs) and Plumbline "
            "will start a new store, or set PLUMBLINE_DB to another path. " + KEEPS_RUNS
        )
    if code.startswith("SQLITE_CANTOPEN") or "unable to open" in lowered:
        return StoreUnavailableError(
            f"The lineage store {path} cannot be opened ({message}). Check that its folder exists and is "
            "writable, or set PLUMBLINE_DB to another path. " + KEEPS_RUNS
        )
    if code.startswith("SQLITE_IOERR") or "i/o error" in lowered:
        return StoreUnavailableError(
            f"The disk holding the lineage store {path} failed to read or write ({message}); it may be full, "
            "unmounted or failing. " + KEEPS_RUNS
        )
    return StoreUnavailableError(f"The lineage store {path} failed: {message}. " + KEEPS_RUNS)


def _folder_error(exc: OSError, path: str) -> StoreError:
    folder = str(Path(path).parent)
    if isinstance(exc, PermissionError) or exc.errno == errno.EROFS:
        why = "the filesystem is read-only" if exc.errno == errno.EROFS else "permission denied"
        return StoreReadOnlyError(
            f"Plumbline cannot create the folder of its lineage store, {folder}: {why}. "
            "Make it writable, or set PLUMBLINE_DB to a writable path. " + KEEPS_RUNS
        )
    return StoreUnavailableError(
        f"Plumbline cannot create the folder of its lineage store, {folder} ({exc.strerror or exc}). "
        "Set PLUMBLINE_DB (or c.Plumbline.db_path) to a path whose folder can be created. " + KEEPS_RUNS
    )


def storable_text(text: Optional[str]) -> Optional[str]:
    """Text SQLite can store: a lone surrogate (an undecodable file name in an error
    message, say) would make the whole write fail, so it is kept as an escape."""
    if text is None:
        return None
    try:
        text.encode("utf-8")
        return text
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")


def clip(text: Optional[str], limit: int) -> Optional[str]:
    text = storable_text(text)
    if text is None or len(text) <= limit:
        return text
    return text[: limit - 1] + "…"
