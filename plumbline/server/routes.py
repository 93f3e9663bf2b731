"""URL table of the server extension: one handler per endpoint."""

from __future__ import annotations

from jupyter_server.utils import url_path_join

from .handlers.changes import ChangesHandler
from .handlers.checks import ChecksCatalogHandler
from .handlers.config import ConfigHandler
from .handlers.drift import DriftHandler
from .handlers.flags import FlagsHandler
from .handlers.notes import RunNotesHandler
from .handlers.profiles import ProfilesHandler
from .handlers.snapshot import SnapshotHandler

NAMESPACE = "plumbline"

#: (URL pattern under /plumbline/, handler): one handler per endpoint.
ROUTES = [
    ("config", ConfigHandler),
    ("snapshot", SnapshotHandler),
    ("changes", ChangesHandler),
    ("checks/catalog", ChecksCatalogHandler),
    ("flags", FlagsHandler),
    (r"runs/(?P<run_id>[0-9a-fA-F-]{1,64})/notes", RunNotesHandler),
    ("drift", DriftHandler),
    ("profiles", ProfilesHandler),
]


def setup_routes(web_app, *, store, db_path: str, problem: str | None) -> None:
    base_url = web_app.settings["base_url"]
    web_app.settings["plumbline"] = {"store": store, "db_path": db_path, "problem": problem}
    web_app.add_handlers(
        ".*$", [(url_path_join(base_url, NAMESPACE, pattern), handler) for pattern, handler in ROUTES]
    )
