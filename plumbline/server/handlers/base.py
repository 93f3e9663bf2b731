"""Shared behaviour of Plumbline's REST handlers."""

from __future__ import annotations

import json

from jupyter_server.base.handlers import APIHandler
from tornado import web

from ...store import Store, StoreError


class PlumblineHandler(APIHandler):
    @property
    def plumbline(self) -> dict:
        return self.settings["plumbline"]

    @property
    def store(self) -> Store:
        """The store, or a 503 telling the user why it could not be opened."""
        store = self.plumbline["store"]
        if store is None:
            raise web.HTTPError(503, self.plumbline["problem"] or "The lineage store is not available.")
        return store

    def write_json(self, payload: dict, status: int = 200) -> None:
        self.set_status(status)
        self.finish(json.dumps(payload))

    def write_error(self, status_code: int, **kwargs) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, StoreError):
            status_code = 503
            self.set_status(503)
            self.finish(json.dumps({"message": str(exc), "reason": type(exc).__name__}))
            return
        super().write_error(status_code, **kwargs)
