"""One background thread that runs the lineage jobs of finished cells, in order."""

from __future__ import annotations

import queue
import threading
from typing import Callable, Optional


class Worker:
    def __init__(self, warn: Callable[[str], None]):
        self._warn = warn
        self._jobs: "queue.Queue[Optional[Callable[[], None]]]" = queue.Queue()
        self._thread: Optional[threading.Thread] = None
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            if self._thread is None or not self._thread.is_alive():
                self._start()
        self._jobs.put(job)

    def _start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="plumbline-lineage", daemon=True)
        self._thread.start()

    def wait(self, timeout: Optional[float] = None) -> bool:
        """Block until every submitted job is done; False on timeout."""
        if self._thread is None:
            return True
        with self._lock:
            if self._jobs.unfinished_tasks and not self._thread.is_alive():
                self._start()  # the thread died (e.g. in a forked child): the jobs left still run
        with self._jobs.all_tasks_done:
            if timeout is None:
                while self._jobs.unfinished_tasks:
                    self._jobs.all_tasks_done.wait()
                return True
            return self._jobs.all_tasks_done.wait_for(lambda: not self._jobs.unfinished_tasks, timeout)

    def _run(self) -> None:
        while True:
            job = self._jobs.get()
            try:
                if job is not None:
                    job()
            except BaseException as exc:  # noqa: BLE001 - one bad job must not stop the next ones
                try:
                    self._warn(f"Plumbline could not record the outputs of a run: {type(exc).__name__}: {exc}")
                except Exception:  # noqa: BLE001
                    pass
            finally:
                # The job holds the cell's output values: drop it now, not when the next job comes,
                # or a deleted 1 GB frame stays alive while the kernel is idle.
                job = None
                self._jobs.task_done()
