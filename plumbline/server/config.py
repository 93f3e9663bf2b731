"""Server-side settings of Plumbline (``c.Plumbline.<name>`` in jupyter_server_config)."""

from __future__ import annotations

import os

from traitlets import Unicode, default
from traitlets.config import Configurable

from ..store.location import ENV_VAR


class Plumbline(Configurable):
    db_path = Unicode(
        help=(
            "Path of the lineage store (SQLite). Default: $PLUMBLINE_DB, else "
            "<server root>/.plumbline/lineage.db. Kernels started by this server use the same store."
        ),
    ).tag(config=True)

    pipelines_dir = Unicode(
        "pipelines", help="Folder of promoted pipelines (pipelines/<name>/pipeline.json), inside the server root.",
    ).tag(config=True)

    root_dir = Unicode(help="The server's root folder (set by the server extension).")

    @default("db_path")
    def _default_db_path(self) -> str:
        from_env = os.environ.get(ENV_VAR)
        if from_env:
            return from_env
        from ..store import default_store_path

        return str(default_store_path(self.root_dir or os.getcwd()))
