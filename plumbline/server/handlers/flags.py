"""PUT /plumbline/flags {"io_id": "...", "flagged": true, "note": "..."}: mark an output as wrong.

The id travels in the body, not the URL: io ids hold variable names and file paths.
"""

from tornado import web
from tornado.ioloop import IOLoop

from ...store.lineage import MAX_FLAG_NOTE_CHARS
from .base import PlumblineHandler

MAX_IO_ID_CHARS = 4_096


class FlagsHandler(PlumblineHandler):
    @web.authenticated
    async def put(self) -> None:
        body = self.json_body()
        example = '{"io_id": "<output id>", "flagged": true, "note": "<optional text>"}'
        io_id = self.text_field(body, "io_id", max_chars=MAX_IO_ID_CHARS, example=example)
        flagged = self.bool_field(body, "flagged")
        note = self.text_field(body, "note", required=False, max_chars=MAX_FLAG_NOTE_CHARS)
        store = self.store
        try:
            # Off the IOLoop: a locked store must not freeze the whole server.
            await IOLoop.current().run_in_executor(None, store.set_flag, io_id, flagged, note)
        except KeyError:
            raise web.HTTPError(404, f"No recorded input or output with id {io_id}.") from None
        except ValueError as exc:
            raise web.HTTPError(400, str(exc)) from None
        self.write_json({"io_id": io_id, "flagged": flagged})
