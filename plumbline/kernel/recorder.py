"""Records every cell execution of an IPython kernel into the lineage store.

``pre_run_cell`` writes the run with status 'running' before any user code
runs; ``post_run_cell`` completes it. Every write goes through the
``WriteBacklog`` (``backlog.py``): a store that is locked, full, read-only,
corrupt or not even openable keeps the writes in memory until it is usable
again, the user is told once, and the cell itself is never failed or made
to wait for the store.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import socket
import sys
import time
import uuid
from pathlib import Path
from typing import Any, Callable, Optional

from ..store import KernelSession, RunEnd, RunStart, Store
from ..store.liveness import pid_alive
from .backlog import WriteBacklog
from .checking import CheckRunner
from .components import ComponentCell, parse_component
from .gitinfo import GitProbe
from .lineage import Lineage, analysis_of
from .monitoring import KernelMonitor


class CellRecorder:
    def __init__(
        self,
        shell: Any,
        store_path: str | os.PathLike,
        *,
        notebook_path: Optional[str] = None,
        kind: str = "kernel",
        warn: Callable[[str], None] = lambda msg: print(msg, file=sys.stderr),
        task_run_id: Optional[str] = None,
    ):
        from .. import __version__

        self.shell = shell
        self.store_path = Path(store_path)
        # The notebook of requests from a client nobody named (a console, nbclient), and the
        # notebook of each front-end connection that said which it is (a shared kernel).
        self.notebook_path = notebook_path
        self._notebook_of_client: dict[str, str] = {}
        self._current_path: Optional[str] = notebook_path  # the notebook of the cell running now
        self.session = KernelSession(
            id=str(uuid.uuid4()),
            hostname=socket.gethostname(),
            pid=os.getpid(),
            started_at=time.time(),
            kind=kind,
            python_version=sys.version.split()[0],
            plumbline_version=__version__,
            task_run_id=task_run_id,
        )
        # A pipeline task process runs cells without a kernel: it sets each cell's
        # metadata (and cellId) here, as JupyterLab sends them with the execute request.
        self.cell_metadata: Optional[dict] = None
        self.git = GitProbe(Path(os.getcwd()))
        self._warn = warn
        self.backlog = WriteBacklog(lambda timeout: Store(self.store_path, timeout=timeout), warn)
        # A stack, because a cell may call run_cell() itself (nested runs).
        # (run id, component, the cell's info, the exception shown before it ran)
        self._running: list[Optional[tuple[str, Optional[ComponentCell], Any, Any]]] = []
        self.checks = CheckRunner(shell, previous=self._previous_check_details, warn=warn)
        self.lineage = Lineage(shell, self.backlog.put, self.store_path.parent, warn, session=self.session.id)
        # A pipeline task waits for its profiles at its end anyway: there they run beside the cells.
        self.monitor = KernelMonitor(self.backlog.put, lambda: self.backlog.store, self.store_path.parent, warn,
                                     lambda: self._current_path, defer=kind != "task")
        self.lineage.observers.append(self.monitor.on_outputs)  # profiles of component outputs
        self.backlog.put(Store.register_session, self.session)
        self.backlog.put(Store.mark_orphaned_runs, self.session.hostname, pid_alive, self.session.id)
        self.backlog.report()  # a store unusable from the start is said now, once

    def set_notebook(self, notebook_path: str, client: Optional[str] = None) -> None:
        """Requests from ``client`` (a kernel connection's session id) come from ``notebook_path``.

        Without a client (or for the client whose notebook was the default), the
        default notebook changes too: a rename reaches requests of any client.
        """
        if not client:
            self.notebook_path = notebook_path
            return
        before = self._notebook_of_client.get(client)
        self._notebook_of_client[client] = notebook_path
        if self.notebook_path is None or self.notebook_path == before:
            self.notebook_path = notebook_path

    @property
    def store(self) -> Optional[Store]:
        """The open store; None while it could not be opened yet."""
        return self.backlog.store

    # -- IPython events --------------------------------------------------------

    def pre_run_cell(self, info: Any) -> None:
        pushed = False
        try:
            self.monitor.arriving()  # profiles wait while cells run back to back (kernel/monitoring.py)
            waited = self.lineage.wait()  # the previous cells' outputs are hashed (see lineage/__init__.py)
            request = self._request()
            metadata = request.get("metadata") or {}
            metadata = metadata if isinstance(metadata, dict) else {}
            self._current_path = self._notebook_of(request)
            component = parse_component(metadata)
            analysis, stored_analysis = analysis_of(info.raw_cell or "")
            run = RunStart(
                id=str(uuid.uuid4()),
                kernel_session=self.session.id,
                code=info.raw_cell or "",
                started_at=time.time(),
                notebook_path=self._current_path,
                cell_id=getattr(info, "cell_id", None) or metadata.get("cellId"),
                component_name=component.name if component else None,
                execution_count=getattr(self.shell, "execution_count", None),
                git_commit=self.git.commit(),
                component=component.info if component else None,
                analysis=stored_analysis,
            )
            self._running.append((run.id, component, info, _shown_exception()))
            pushed = True
            self.monitor.begin(run.id, component, metadata)
            self.backlog.put(Store.start_run, run)
            self.git.request_dirty(run.id, self._on_dirty)
            if waited == "interrupted":
                # Ctrl-C while waiting: the user stops this cell (and a Run All), not the hashing.
                self.checks.block("Interrupted while Plumbline fingerprinted the previous cell's outputs; "
                                  "the cell did not run.")
            self.lineage.begin(run.id, analysis, materialize=bool(component and component.materialize),
                               outermost=len(self._running) == 1)
            if component is not None and component.runs_before_checks:
                try:
                    self.backlog.put(Store.record_checks, run.id, self.checks.run(component, "before"))
                except KeyboardInterrupt:
                    # IPython would print this and run the cell anyway: the user asked to stop.
                    self.checks.block(f"Interrupted while the before-checks of '{component.name}' ran; "
                                      "the cell did not run.")
        except Exception as exc:  # never break the user's cell
            if not pushed:
                self._running.append(None)  # keep post_run_cell paired with this cell
            self._warn(f"Plumbline could not record this run: {type(exc).__name__}: {exc}")
        self.backlog.report()

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
        run_id, component, _, shown_before = current
        try:
            self.lineage.end(run_id)  # outputs are hashed in the background
        except Exception as exc:  # noqa: BLE001
            self._warn(f"Plumbline could not record the outputs of this run: {type(exc).__name__}: {exc}")
        try:
            status, error = _outcome(result, shown_before)
            self.backlog.put(
                Store.finish_run,
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
                self.backlog.put(Store.record_checks, run_id, self.checks.run(component, "after"))
        except Exception as exc:  # noqa: BLE001
            self._warn(f"Plumbline could not record the end of this run: {type(exc).__name__}: {exc}")
        self.monitor.end(run_id)
        self.backlog.report()

    def sync(self, timeout: float = 10.0) -> bool:
        """Wait until every recorded value is hashed and every write is saved; False if one still waits."""
        self.lineage.wait(timeout)
        self.monitor.wait(timeout)  # profiles run on their own thread, after the lineage worker
        return self.backlog.flush(timeout)

    def close(self) -> None:
        self.checks.close()
        try:
            self.lineage.close()
            self.monitor.close()
        except Exception:  # noqa: BLE001
            pass
        self.backlog.put(Store.end_session, self.session.id)
        self.backlog.close()

    # -- internals -------------------------------------------------------------

    def _request(self) -> dict:
        """The execute request: JupyterLab sends the cell's metadata, and its connection's session id."""
        if self.cell_metadata is not None:  # a pipeline task process: no kernel, no request
            return {"metadata": self.cell_metadata}
        kernel = getattr(self.shell, "kernel", None)
        if kernel is None:
            return {}
        try:
            parent = kernel.get_parent("shell")
        except TypeError:
            parent = kernel.get_parent()
        except Exception:
            return {}
        return parent if isinstance(parent, dict) else {}

    def _notebook_of(self, request: dict) -> Optional[str]:
        """The notebook that sent this request: its connection's, else the default one."""
        if self._notebook_of_client:
            header = request.get("header")
            client = header.get("session") if isinstance(header, dict) else None
            if client in self._notebook_of_client:
                return self._notebook_of_client[client]
        return self.notebook_path

    def _previous_check_details(self, component: str, spec_id: str) -> Optional[dict]:
        self.backlog.flush()  # results of the previous run may still wait in the backlog
        store = self.store
        if store is None:
            return None
        return store.previous_check_details(self._current_path or "", component, spec_id)

    def _on_dirty(self, run_ids: list[str], dirty: Optional[bool]) -> None:
        self.backlog.put(Store.set_git_dirty, run_ids, dirty)


def _shown_exception() -> Any:
    """The exception IPython last showed a traceback of (it keeps it in ``sys.last_value``)."""
    return getattr(sys, "last_value", None)


def _outcome(result: Any, shown_before: Any) -> tuple[str, Optional[BaseException]]:
    """The run's status as the user sees it, and its error.

    A cell can fail without raising: when its displayed result's ``__repr__``
    (or a display formatter) raises, IPython shows the traceback and the cell
    counts as a success. JupyterLab shows an error, so the run is one.
    """
    if result is None:
        return "error", None
    error = result.error_before_exec or result.error_in_exec
    if isinstance(error, (KeyboardInterrupt, asyncio.CancelledError)):
        return "interrupted", error  # CancelledError: an interrupted top-level await
    if error is not None:
        return "error", error
    shown = _shown_exception()
    if shown is not None and shown is not shown_before:
        return "error", shown
    return "ok", None


def _safe_str(value: Any) -> str:
    """str(value), which user classes may break; the store clips the length."""
    try:
        return str(value)
    except Exception:
        return f"<{type(value).__name__}: str() failed>"


def register_atexit(recorder: CellRecorder) -> None:
    atexit.register(recorder.close)
