"""GET /plumbline/changes?since=N[&limit=M]: rows changed after a replica's cursor."""

from tornado import web
from tornado.ioloop import IOLoop

from .base import PlumblineHandler

MAX_LIMIT = 20_000


class ChangesHandler(PlumblineHandler):
    @web.authenticated
    async def get(self) -> None:
        since = self._int_argument("since", 0)
        limit = self._int_argument("limit", 5_000)
        if since < 0 or not 1 <= limit <= MAX_LIMIT:
            raise web.HTTPError(400, f"'since' must be >= 0 and 'limit' between 1 and {MAX_LIMIT}.")
        store = self.store
        payload = await IOLoop.current().run_in_executor(None, store.changes_since, since, limit)
        self.set_header("Cache-Control", "no-store")
        self.write_json(payload)

    def _int_argument(self, name: str, fallback: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None:
            return fallback
        try:
            return int(raw)
        except ValueError:
            raise web.HTTPError(400, f"'{name}' must be an integer, not {raw[:40]!r}.") from None
