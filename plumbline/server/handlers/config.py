"""GET /plumbline/config: where the store is and whether it is usable."""

from tornado import web

from ... import __version__
from ...store.migrations import latest_version
from .base import PlumblineHandler


class ConfigHandler(PlumblineHandler):
    @web.authenticated
    def get(self) -> None:
        self.write_json(
            {
                "version": __version__,
                "db_path": self.plumbline["db_path"],
                "schema_version": latest_version(),
                "problem": self.plumbline["problem"],
            }
        )
