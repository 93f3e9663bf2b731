"""Runs a notebook without JupyterLab, recorded exactly like an interactive session.

nbclient sends bare execute requests; JupyterLab also sends each cell's
metadata and id, which is how the kernel knows a cell's component and its
checks. This runner sends them the same way, so components, checks and
blocking behave headless as they do in the browser.
"""

from __future__ import annotations

import os
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator, Optional

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

from .store import resolve_store_path
from .store.location import ENV_VAR, path_in_project


def activation_code(notebook_path: str, kind: str = "task") -> str:
    # repr() of a str is a valid, fully escaped Python literal.
    return (
        "__import__('plumbline.kernel', fromlist=['activate'])"
        f".activate(notebook_path={notebook_path!r}, kind={kind!r})"
    )


class RecordingNotebookClient(NotebookClient):
    """An nbclient NotebookClient whose kernel records every cell into the store."""

    def __init__(self, nb: Any, notebook_path: str, **kwargs: Any):
        super().__init__(nb, **kwargs)
        self.notebook_path = notebook_path
        self._next_cell: Optional[Any] = None
        self.on_cell_execute = self._remember_cell

    def _remember_cell(self, cell: Any, cell_index: int) -> None:
        self._next_cell = cell

    async def async_start_new_kernel_client(self):
        kc = await super().async_start_new_kernel_client()
        plain_execute = kc.execute

        def execute(code, silent=False, store_history=True, user_expressions=None,
                    allow_stdin=None, stop_on_error=True):
            cell, self._next_cell = self._next_cell, None
            if cell is None:
                return plain_execute(code, silent=silent, store_history=store_history,
                                     user_expressions=user_expressions, allow_stdin=allow_stdin,
                                     stop_on_error=stop_on_error)
            content = {
                "code": code,
                "silent": silent,
                "store_history": store_history,
                "user_expressions": user_expressions or {},
                "allow_stdin": False,
                "stop_on_error": stop_on_error,
            }
            metadata = {**dict(cell.get("metadata", {})), "cellId": cell.get("id")}
            msg = kc.session.msg("execute_request", content, metadata=metadata)
            kc.shell_channel.send(msg)
            return msg["header"]["msg_id"]

        kc.execute = execute
        msg_id = plain_execute(activation_code(self.notebook_path), silent=True, store_history=False,
                               stop_on_error=False)
        reply = await self.async_wait_for_reply(msg_id)
        content = (reply or {}).get("content", {})
        if content.get("status") != "ok":
            raise RuntimeError(
                "Plumbline could not start recording in the kernel "
                f"({content.get('ename')}: {content.get('evalue')}). Is plumbline installed in the "
                "kernel's environment?"
            )
        return kc


@dataclass
class HeadlessResult:
    notebook: Any
    error: Optional[CellExecutionError]
    store_path: Path


def run_notebook(path: str | os.PathLike, *, timeout: int = 600, allow_errors: bool = False,
                 kernel_name: str = "", store: Optional[str] = None) -> HeadlessResult:
    """Execute the notebook at ``path`` in its folder; return it with the first error, if any."""
    notebook_file = Path(path).resolve()
    if not notebook_file.is_file():
        raise FileNotFoundError(f"No notebook at {notebook_file}.")
    store_path = resolve_store_path(store, cwd=str(notebook_file.parent))
    recorded_path = path_in_project(notebook_file, store_path)
    nb = nbformat.read(notebook_file, as_version=4)
    client = RecordingNotebookClient(
        nb, recorded_path, timeout=timeout, allow_errors=allow_errors, kernel_name=kernel_name,
        resources={"metadata": {"path": str(notebook_file.parent)}},
    )
    error = None
    with _environment(ENV_VAR, str(store_path)):
        try:
            client.execute()
        except CellExecutionError as exc:
            error = exc
    return HeadlessResult(notebook=nb, error=error, store_path=store_path)


@contextmanager
def _environment(name: str, value: str) -> Iterator[None]:
    """The kernel inherits the store path from this process's environment."""
    saved = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = saved
