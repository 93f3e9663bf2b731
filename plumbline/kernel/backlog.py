"""Every write the recorder makes, in order, to a store that may be unusable for a while.

A write is a ``Store`` method and its arguments (``(Store.start_run, (run,))``),
queued and applied in order, so a reader can follow a cell from the hook into
the store. Three promises:

* **A cell never waits noticeably.** The store's busy timeout is a short
  budget (``BUDGET``). The cell's thread writes at once (so the run row exists
  before user code runs, whenever the store is free); once a write has met a
  lock, new ones join the queue and a background thread retries.
* **Nothing is lost to the store's state.** A ``StoreError`` (locked, disk full,
  read-only, I/O error, corrupt, or a store that could not even be opened when
  the kernel started) keeps the write and everything after it; the retry
  thread saves them when the store is usable again — reopening it if needed.
* **Only a record's own content drops it.** A ``RecordError`` (or any other
  exception from the write) means this record can never be written: it is
  dropped, the user is told which, and the ones behind it go on.

The user hears of problems from the cell's thread (``report``, at the start and
end of every cell): once when writes start to wait (a lock only after it has
lasted ``LOCK_PATIENCE``, as concurrent kernels take turns), once when they
are saved.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Any, Callable, Optional

from ..store import Store, StoreError, StoreLockedError

BUDGET = 0.1  # seconds a write may wait for another process's lock
LOCK_PATIENCE = 2.0  # seconds writes may wait for a lock before the user is told
RETRY_FIRST, RETRY_MAX = 0.1, 2.0  # seconds between retries of waiting writes (doubling)
CLOSE_BUDGET = 2.0  # seconds the kernel's exit may wait for the lock to save the last writes

Write = tuple[Callable[..., Any], tuple]


class WriteBacklog:
    def __init__(self, open_store: Callable[[float], Store], warn: Callable[[str], None]):
        self._open_store = open_store  # (busy timeout) -> Store; raises StoreError
        self._warn = warn
        self.store: Optional[Store] = None
        self._busy = BUDGET  # the open store's busy timeout
        self._queue: deque[Write] = deque()
        self._flushing = threading.Lock()
        self._state = threading.Lock()  # guards the fields below
        self._problem: Optional[StoreError] = None  # why writes wait, if they do
        self._problem_since = 0.0
        self._told: Optional[str] = None  # the problem the user was told of
        self._dropped: list[str] = []  # records dropped since the last report
        self._wake = threading.Event()
        self._retrier: Optional[threading.Thread] = None
        self._closed = False

    # -- writing -------------------------------------------------------------------

    def put(self, method: Callable[..., Any], *args: Any) -> None:
        """Queue ``method(store, *args)`` and write what waits, without waiting for a lock twice.

        Once a write has met a lock, the cell's thread only makes one attempt that
        does not wait (busy timeout 0); the retry thread keeps trying with the budget.
        Other problems (full, read-only, corrupt...) fail at once anyway.
        """
        self._queue.append((method, args))
        with self._state:
            locked = isinstance(self._problem, StoreLockedError)
        self.flush(0 if locked else BUDGET, busy=0 if locked else BUDGET)

    def flush(self, patience: float = BUDGET, *, busy: float = BUDGET) -> bool:
        """Write what waits, in order; True when nothing waits any more.

        ``patience``: how long to wait for another thread that is writing;
        ``busy``: how long each write may wait for another process's lock.
        """
        while True:
            if not self._flushing.acquire(timeout=patience):
                return False  # the other thread writes these too
            try:
                done = self._drain(busy)
            finally:
                self._flushing.release()
            if not done:
                self._start_retrier()
                return False
            if not self._queue:  # nothing was queued while the lock was released
                return True

    @property
    def waiting(self) -> int:
        return len(self._queue)

    def _drain(self, busy: float) -> bool:
        while self._queue:
            method, args = self._queue[0]
            try:
                store = self._usable_store()
                if busy != self._busy:
                    store.set_busy_timeout(busy)
                    self._busy = busy
                method(store, *args)
            except StoreError as exc:
                self._set_problem(exc)
                return False
            except Exception as exc:  # noqa: BLE001 - this record can never be written
                with self._state:
                    self._dropped.append(f"{_describe(method, args)}: {type(exc).__name__}: {exc}")
            self._queue.popleft()
        self._set_problem(None)
        return True

    def _usable_store(self) -> Store:
        if self.store is None:
            store = self._open_store(BUDGET)
            self.store, self._busy = store, BUDGET
        return self.store

    def _set_problem(self, exc: Optional[StoreError]) -> None:
        with self._state:
            if exc is None:
                self._problem = None
                return
            if self._problem is None:
                self._problem_since = time.monotonic()
            self._problem = exc

    # -- retrying in the background -------------------------------------------------------

    def _start_retrier(self) -> None:
        with self._state:
            if self._closed or (self._retrier is not None and self._retrier.is_alive()):
                return
            self._retrier = threading.Thread(target=self._retry, name="plumbline-store-retry", daemon=True)
            self._retrier.start()

    def _retry(self) -> None:
        delay = RETRY_FIRST
        while not self._closed and self._queue:
            self._wake.wait(delay)
            self._wake.clear()
            if self._closed:
                return
            if self.flush(0):
                return
            delay = min(delay * 2, RETRY_MAX)

    # -- telling the user (from the cell's thread) --------------------------------------

    def report(self) -> None:
        """Say what the user should know: writes waiting, saved again, records dropped."""
        with self._state:
            problem, since, dropped = self._problem, self._problem_since, self._dropped
            self._dropped = []
        for line in dropped:
            self._warn(f"Plumbline could not save one record and dropped it ({line}); the other runs are saved.")
        if problem is not None and self._queue:
            message = str(problem)
            patient = isinstance(problem, StoreLockedError) and time.monotonic() - since < LOCK_PATIENCE
            if self._told is None and not patient:
                self._told = message
                self._warn(f"Plumbline could not record this run: {message}")
        elif self._told is not None and not self._queue:
            self._told = None
            self._warn("Plumbline: the lineage store is writable again; the runs kept in memory are saved.")

    def problem(self) -> Optional[str]:
        with self._state:
            return None if self._problem is None else str(self._problem)

    # -- the end ------------------------------------------------------------------------

    def close(self) -> None:
        """Save what can be saved within ``CLOSE_BUDGET``; stop retrying."""
        try:
            self.flush(CLOSE_BUDGET, busy=CLOSE_BUDGET)
        except StoreError:
            pass
        finally:
            self._closed = True
            self._wake.set()


def _describe(method: Callable[..., Any], args: tuple) -> str:
    """Which record: the write, and the id of what it writes (a run, a session...)."""
    name = getattr(method, "__name__", str(method))
    first = args[0] if args else None
    if isinstance(first, list) and first:
        first = first[0]
    ident = first if isinstance(first, str) else getattr(first, "run_id", None) or getattr(first, "id", None)
    return f"{name} {ident[:8]}" if isinstance(ident, str) else name
