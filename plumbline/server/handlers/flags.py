"""PUT /plumbline/flags {"io_id": "...", "flagged": true, "note": "..."}: mark an output as wrong.

The id travels in the body, not the URL: io ids hold variable names and file paths.
"""

from tornado import web
from tornado.ioloop import IOLoop

from .base import PlumblineHandler


class FlagsHandler(PlumblineHandler):
    @web.authenticated
    async def put(self) -> None:
        body = self.get_json_body()
        if not isinstance(body, dict) or not isinstance(body.get("io_id"), str) \
                or not isinstance(body.get("flagged"), bool):
            raise web.HTTPError(
                400, 'Send {"io_id": "<output id>", "flagged": true|false, "note": "<optional text>"}.'
            )
        note = body.get("note")
        if note is not None and not isinstance(note, str):
            raise web.HTTPError(400, "A flag's note is text.")
        store = self.store
        try:
            # Off the IOLoop: a locked store must not freeze the whole server.
            await IOLoop.current().run_in_executor(None, store.set_flag, body["io_id"], body["flagged"], note)
        except KeyError:
            raise web.HTTPError(404, f"No recorded input or output with id {body['io_id']}.") from None
        except ValueError as exc:
            raise web.HTTPError(400, str(exc)) from None
        self.write_json({"io_id": body["io_id"], "flagged": body["flagged"]})
