"""Records every cell execution of an IPython kernel into the lineage store.

``pre_run_cell`` writes the run with status 'running' before any user code
runs; ``post_run_cell`` completes it. If the store cannot be written (locked
past the timeout, disk full, corrupt), records wait in memory and are retried
at the next cell, and the user is told once; the cell itself is never failed.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import threading
import socket
import sys
import time
import uuid
from collections import deque
from pathlib import Path
from typing import Any, Callable, Optional

from ..store import KernelSession, RunEnd, RunStart, Store, StoreError
from ..store.liveness import pid_alive
from .checking import CheckRunner
from .components import ComponentCell, parse_component
from .gitinfo import GitProbe
from .lineage import Lineage, analysis_of


WRITE_TIMEOUT = 10.0  # seconds a write waits for another process's lock
RETRY_TIMEOUT = 0.05  # while the store is known to be unavailable


class CellRecorder:
    def __init__(
        self,
        shell: Any,
        store: Store,
        *,
        notebook_path: Optional[str] = None,
        kind: str = "kernel",
        warn: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr),
    ):
        from .. import __version__

        self.shell = shell
        self.store = store
        self.notebook_path = notebook_path
        self.session = KernelSession(
            id=str(uuid.uuid4()),
            hostname=socket.gethostname(),
            pid=os.getpid(),
            started_at=time.time(),
            kind=kind,
            python_version=sys.version.split()[0],
            plumbline_version=__version__,
        )
        self.git = GitProbe(Path(os.getcwd()))
        self._warn = warn
        self._warned = False
        # The git worker thread writes too: one lock orders all store writes.
        self._write_lock = threading.RLock()
        self._backlog: deque[tuple[str, tuple]] = deque()
        # A stack, because a cell may call run_cell() itself (nested runs).
        self._running: list[Optional[tuple[str, Optional[ComponentCell], Any]]] = []
        self.checks = CheckRunner(shell, previous=self._previous_check_details, warn=warn)
        self.lineage = Lineage(shell, self._write_background, Path(store.path).parent, warn)
        self._write("register_session", self.session)
        try:
            store.mark_orphaned_runs(self.session.hostname, pid_alive, exclude_session=self.session.id)
        except StoreError as exc:
            self._report(exc)

    # -- IPython events --------------------------------------------------------

    def pre_run_cell(self, info: Any) -> None:
        pushed = False
        try:
            waited = self.lineage.wait()  # the previous cells' outputs are hashed (see lineage/__init__.py)
            metadata = self._request_metadata()
            component = parse_component(metadata)
            analysis, stored_analysis = analysis_of(info.raw_cell or "")
            run = RunStart(
                id=str(uuid.uuid4()),
                kernel_session=self.session.id,
                code=info.raw_cell or "",
                started_at=time.time(),
                notebook_path=self.notebook_path,
                cell_id=getattr(info, "cell_id", None) or metadata.get("cellId"),
                component_name=component.name if component else None,
                execution_count=getattr(self.shell, "execution_count", None),
                git_commit=self.git.commit(),
                component=component.info if component else None,
                analysis=stored_analysis,
            )
            self._running.append((run.id, component, info))
            pushed = True
            self._write("start_run", run)
            self.git.request_dirty(run.id, self._on_dirty)
            if waited == "interrupted":
                # Ctrl-C while waiting: the user stops this cell (and a Run All), not the hashing.
                self.checks.block("Interrupted while Plumbline fingerprinted the previous cell's outputs; "
                                  "the cell did not run.")
            self.lineage.begin(run.id, analysis, materialize=bool(component and component.materialize),
                               outermost=len(self._running) == 1)
            if component is not None and component.runs_before_checks:
                try:
                    self._write("record_checks", run.id, self.checks.run(component, "before"))
                except KeyboardInterrupt:
                    # IPython would print this and run the cell anyway: the user asked to stop.
                    self.checks.block(f"Interrupted while the before-checks of '{component.name}' ran; "
                                      "the cell did not run.")
        except Exception as exc:  # never break the user's cell
            if not pushed:
                self._running.append(None)  # keep post_run_cell paired with this cell
            self._report(exc)

    def post_run_cell(self, result: Any) -> None:
        self.checks.take_block()  # a cell that never compiled must not leave a block armed
        # IPython calls post_run_cell without pre_run_cell for an empty cell: only
        # pop the run this result belongs to (a nested empty run_cell must not end its parent).
        if not self._running:
            return
        top = self._running[-1]
        if top is not None and result is not None and getattr(result, "info", None) is not top[2]:
            return
        current = self._running.pop()
        if current is None:
            return
        run_id, component, _ = current
        try:
            self.lineage.end(run_id)  # outputs are hashed in the background
        except Exception as exc:
            self._report(exc)
        try:
            status, error = "ok", None
            if result is None:
                status = "error"
            else:
                error = result.error_before_exec or result.error_in_exec
                if isinstance(error, (KeyboardInterrupt, asyncio.CancelledError)):
                    status = "interrupted"  # CancelledError: an interrupted top-level await
                elif error is not None:
                    status = "error"
            self._write(
                "finish_run",
                RunEnd(
                    id=run_id,
                    ended_at=time.time(),
                    status=status,
                    execution_count=getattr(result, "execution_count", None),
                    error_name=type(error).__name__ if error is not None else None,
                    error_value=_safe_str(error) if error is not None else None,
                ),
            )
            if status == "ok" and component is not None and component.runs_after_checks:
                self._write("record_checks", run_id, self.checks.run(component, "after"))
        except Exception as exc:
            self._report(exc)

    def close(self) -> None:
        self.checks.close()
        try:
            self.lineage.close()
        except Exception:
            pass
        try:
            self._flush()
            self.store.end_session(self.session.id)
        except Exception:
            pass

    # -- internals -------------------------------------------------------------

    def _request_metadata(self) -> dict:
        """Metadata of the execute request: JupyterLab sends the cell's metadata."""
        kernel = getattr(self.shell, "kernel", None)
        if kernel is None:
            return {}
        try:
            parent = kernel.get_parent("shell")
        except TypeError:
            parent = kernel.get_parent()
        except Exception:
            return {}
        metadata = (parent or {}).get("metadata") or {}
        return metadata if isinstance(metadata, dict) else {}

    def _previous_check_details(self, component: str, spec_id: str) -> Optional[dict]:
        self._flush()  # results of the previous run may still wait in the backlog
        return self.store.previous_check_details(self.notebook_path or "", component, spec_id)

    def _on_dirty(self, run_ids: list[str], dirty: Optional[bool]) -> None:
        self._write("set_git_dirty", run_ids, dirty)

    def _write(self, method: str, *args: Any) -> None:
        with self._write_lock:
            self._backlog.append((method, args))
            self._flush()

    def _write_background(self, method: str, *args: Any) -> None:
        """A write from a worker thread: while the store is known to be unavailable it
        waits in the backlog for the next cell, which retries (and tells the user)."""
        with self._write_lock:
            if self._warned:
                self._backlog.append((method, args))
            else:
                self._write(method, *args)

    def _flush(self) -> None:
        with self._write_lock:
            if self._warned:
                # The store was unavailable: try briefly instead of making every
                # cell wait the full busy timeout twice.
                self.store.set_busy_timeout(RETRY_TIMEOUT)
            while self._backlog:
                method, args = self._backlog[0]
                try:
                    getattr(self.store, method)(*args)
                except StoreError as exc:
                    self._report(exc)
                    return  # keep the backlog; retried at the next cell
                except Exception as exc:  # this record can never be written: drop it, not the rest
                    self._backlog.popleft()
                    self._warn(f"Plumbline could not save one record ({method}): {type(exc).__name__}: {exc}")
                    continue
                self._backlog.popleft()
            if self._warned:
                self._warned = False
                self.store.set_busy_timeout(WRITE_TIMEOUT)
                self._warn("Plumbline: the lineage store is writable again; the runs kept in memory are saved.")

    def _report(self, exc: BaseException) -> None:
        if not self._warned:
            self._warned = True
            self._warn(f"Plumbline could not record this run: {exc}")


def _safe_str(value: Any) -> str:
    """str(value), which user classes may break; the store clips the length."""
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__}: str() failed>"


def register_atexit(recorder: CellRecorder) -> None:
    atexit.register(recorder.close)
