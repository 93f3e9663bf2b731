"""Shared behaviour of Plumbline's REST handlers: bad requests get a clear 4xx, never a 500.

Every handler reads its input through these helpers:

* ``json_body()`` — a write's body: ``application/json`` (415 otherwise), UTF-8
  (400 otherwise; jupyter_server's ``get_json_body`` decodes outside its
  ``try`` and answers 500), a JSON object (400 otherwise);
* ``int_argument()`` — a query parameter in a stated range (400 otherwise);
* ``text_argument()`` — a query parameter matching a stated pattern (400 otherwise);
* ``text_field()`` / ``bool_field()`` — typed fields of a body.

Writes go through ``APIHandler``'s XSRF check; every method is ``@web.authenticated``
(``test_server.py`` checks both for every route).
"""

from __future__ import annotations

import json
import re
from typing import Any, Optional

from jupyter_server.base.handlers import APIHandler
from tornado import web

from ...store import RecordError, Store, StoreError

#: Largest body a write accepts (notes and flags are a few KiB at most).
MAX_BODY_BYTES = 1 << 20
#: SQLite's largest integer: no row id or cursor is larger.
MAX_INTEGER = 2**63 - 1


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

    def write_json(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    # -- input ---------------------------------------------------------------------------

    def json_body(self) -> dict:
        """The request's JSON object, or a 4xx that says what is wrong with it."""
        kind = (self.request.headers.get("Content-Type") or "").split(";", 1)[0].strip().lower()
        if kind != "application/json":
            raise web.HTTPError(415, f"Send the body as application/json (this request says {kind or 'nothing'!r}).")
        raw = self.request.body or b""
        if len(raw) > MAX_BODY_BYTES:
            raise web.HTTPError(413, f"The body has {len(raw)} bytes; at most {MAX_BODY_BYTES} are accepted.")
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise web.HTTPError(400, f"The body is not valid UTF-8 (byte {exc.start}).") from None
        try:
            body = json.loads(text)
        except ValueError as exc:
            raise web.HTTPError(400, f"The body is not valid JSON: {exc}.") from None
        if not isinstance(body, dict):
            raise web.HTTPError(400, f"The body must be a JSON object, not {type(body).__name__}.")
        return body

    def int_argument(self, name: str, default: int, minimum: int = 0, maximum: int = MAX_INTEGER) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise web.HTTPError(400, f"'{name}' must be an integer, not {raw[:40]!r}.") from None
        if not minimum <= value <= maximum:
            raise web.HTTPError(400, f"'{name}' must be between {minimum} and {maximum}, not {raw[:40]}.")
        return value

    def text_argument(self, name: str, pattern: str, *, required: bool = True, example: str = "") -> Optional[str]:
        """A text query parameter that fully matches ``pattern`` (which bounds its length), or a 400 saying why."""
        raw = self.get_query_argument(name, None)
        if raw is None:
            if required:
                hint = f" (e.g. {example})" if example else ""
                raise web.HTTPError(400, f"The query parameter '{name}' is required{hint}.")
            return None
        if not re.fullmatch(pattern, raw):
            raise web.HTTPError(400, f"'{name}' is not valid: {raw[:40]!r}" + (f" (e.g. {example})." if example else "."))
        return raw

    @staticmethod
    def text_field(body: dict, name: str, *, required: bool = True, max_chars: Optional[int] = None,
                   example: str = "") -> Optional[str]:
        value = body.get(name)
        if value is None and not required:
            return None
        if not isinstance(value, str):
            hint = f" (e.g. {example})" if example else ""
            raise web.HTTPError(400, f"'{name}' must be text{hint}, not {_json_type(value)}.")
        if max_chars is not None and len(value) > max_chars:
            raise web.HTTPError(400, f"'{name}' has at most {max_chars} characters; this one has {len(value)}.")
        return value

    @staticmethod
    def bool_field(body: dict, name: str) -> bool:
        value = body.get(name)
        if not isinstance(value, bool):
            raise web.HTTPError(400, f"'{name}' must be true or false, not {_json_type(value)}.")
        return value

    # -- errors --------------------------------------------------------------------------

    def write_error(self, status_code: int, **kwargs) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, StoreError):
            self.set_status(503)
            self.finish(json.dumps({"message": str(exc), "reason": type(exc).__name__}))
            return
        if isinstance(exc, RecordError):
            self.set_status(400)
            self.finish(json.dumps({"message": f"The store refused this write: {exc}", "reason": "RecordError"}))
            return
        super().write_error(status_code, **kwargs)


def _json_type(value: Any) -> str:
    if value is None:
        return "nothing"
    return {bool: "a boolean", int: "a number", float: "a number", str: "text", list: "a list",
            dict: "an object"}.get(type(value), type(value).__name__)
