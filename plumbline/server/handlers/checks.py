"""GET /plumbline/checks/catalog: the built-in checks, described for the component dialog."""

import json

from tornado import web

from .base import PlumblineHandler


class ChecksCatalogHandler(PlumblineHandler):
    @web.authenticated
    def get(self) -> None:
        from ...checks import catalog

        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps({"checks": catalog()}))
