"""Jupyter server extension: the store service behind ``/plumbline/*``."""

from __future__ import annotations

import os
import socket

from ..store import Store, StoreError
from ..store.liveness import pid_alive
from ..store.location import ENV_VAR
from .config import Plumbline
from .renames import follow_renames
from .routes import setup_routes


def _load_jupyter_server_extension(server_app) -> None:
    settings = Plumbline(config=server_app.config, root_dir=str(server_app.root_dir))
    db_path = os.path.abspath(os.path.expanduser(settings.db_path))
    # Kernels inherit the server's environment: this is how they find the store.
    os.environ[ENV_VAR] = db_path
    store, problem = None, None
    try:
        store = Store(db_path)
        marked = store.mark_orphaned_runs(socket.gethostname(), pid_alive)
        if marked:
            server_app.log.info("Plumbline: marked %d run(s) of dead kernels as interrupted", marked)
    except StoreError as exc:
        problem = str(exc)
        server_app.log.error("Plumbline: %s", problem)
    if store is not None:
        follow_renames(server_app, store)
    setup_routes(server_app.web_app, store=store, db_path=db_path, problem=problem)
    _start_pipelines(server_app, store, db_path, settings.pipelines_dir)
    server_app.log.info("Plumbline: lineage store at %s", db_path)



def _start_pipelines(server_app, store, db_path: str, pipelines_dir: str) -> None:
    """The pipelines service behind /plumbline/pipelines and the scheduler (plumbline/pipelines/scheduler.py)."""
    from ..pipelines.scheduler import start_in_server
    from ..pipelines.service import PipelineError, Pipelines

    settings = server_app.web_app.settings["plumbline"]
    settings.update(pipelines=None, scheduler=None, pipelines_problem=None)
    if store is None:
        return
    try:
        settings["pipelines"] = Pipelines(store, str(server_app.root_dir), pipelines_dir=pipelines_dir)
    except PipelineError as exc:
        settings["pipelines_problem"] = str(exc)
        server_app.log.error("Plumbline: pipelines are off: %s", exc)
        return
    try:
        settings["scheduler"] = start_in_server(server_app, db_path, str(server_app.root_dir), pipelines_dir)
    except StoreError as exc:
        server_app.log.error("Plumbline: the pipeline scheduler could not start: %s", exc)
