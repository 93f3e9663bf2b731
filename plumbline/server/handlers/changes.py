"""GET /plumbline/changes?since=N[&limit=M]: rows changed after a replica's cursor."""

from tornado import web
from tornado.ioloop import IOLoop

from .base import PlumblineHandler

MAX_LIMIT = 20_000


class ChangesHandler(PlumblineHandler):
    @web.authenticated
    async def get(self) -> None:
        since = self.int_argument("since", 0)
        limit = self.int_argument("limit", 5_000, minimum=1, maximum=MAX_LIMIT)
        store = self.store
        payload = await IOLoop.current().run_in_executor(None, store.changes_since, since, limit)
        self.set_header("Cache-Control", "no-store")
        self.write_json(payload)
