"""IPython extension: ``%load_ext plumbline`` records every cell run.

JupyterLab loads it into each notebook kernel it starts (see
``src/kernel/autoload.ts``); headless runs load it by hand.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, Optional

from ..store import resolve_store_path
from ..store.location import path_in_project
from .recorder import CellRecorder, register_atexit

_recorder: Optional[CellRecorder] = None


def load_ipython_extension(shell: Any) -> None:
    activate(shell)


def unload_ipython_extension(shell: Any) -> None:
    global _recorder
    if _recorder is None:
        return
    shell.events.unregister("pre_run_cell", _recorder.pre_run_cell)
    shell.events.unregister("post_run_cell", _recorder.post_run_cell)
    _recorder.close()
    if _recorder.store is not None:
        _recorder.store.close()
    _recorder = None


def activate(shell: Any = None, *, notebook_path: Optional[str] = None, db: Optional[str] = None,
             kind: str = "kernel", task_run_id: Optional[str] = None,
             client: Optional[str] = None) -> CellRecorder:
    """Start recording in ``shell`` (idempotent: a second call only says which notebook is which).

    ``client`` is the session id a front end's kernel connection puts in the
    header of its requests: a kernel shared by two notebooks ("use kernel from
    other session") records each cell under the notebook that sent it.

    A store that cannot be used now (locked, full, read-only, corrupt, a folder
    that cannot be created) does not stop recording: the runs wait in memory,
    the user is told once what is wrong, and they are saved once it is fixed.
    """
    global _recorder
    if shell is None:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is None:
            raise RuntimeError("plumbline.kernel.activate() needs an IPython kernel or shell.")
    if _recorder is not None:
        if notebook_path:
            _recorder.set_notebook(notebook_path, client)
        return _recorder
    store_path = resolve_store_path(db)
    _recorder = CellRecorder(
        shell, store_path, notebook_path=notebook_path or _session_notebook_path(store_path), kind=kind,
        task_run_id=task_run_id,
    )
    if notebook_path and client:
        _recorder.set_notebook(notebook_path, client)
    shell.events.register("pre_run_cell", _recorder.pre_run_cell)
    shell.events.register("post_run_cell", _recorder.post_run_cell)
    register_atexit(_recorder)
    return _recorder


def recorder() -> Optional[CellRecorder]:
    return _recorder


def _session_notebook_path(store_path: Path) -> Optional[str]:
    """The notebook this kernel was started for, relative to the project root.

    The Jupyter server sets JPY_SESSION_NAME when it starts a kernel for a
    notebook; the project root is the folder holding ``.plumbline/``.
    """
    name = os.environ.get("JPY_SESSION_NAME")
    if not name:
        return None
    return path_in_project(name, store_path) if os.path.isabs(name) else name
