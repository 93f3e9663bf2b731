"""GET /plumbline/snapshot: the whole store as SQLite bytes, for the browser replica."""

from tornado import web
from tornado.ioloop import IOLoop

from .base import PlumblineHandler


class SnapshotHandler(PlumblineHandler):
    @web.authenticated
    async def get(self) -> None:
        store = self.store
        data, seq = await IOLoop.current().run_in_executor(None, store.snapshot)
        self.set_header("X-Plumbline-Seq", str(seq))
        self.set_header("Cache-Control", "no-store")
        self.finish(data, set_content_type="application/vnd.sqlite3")
