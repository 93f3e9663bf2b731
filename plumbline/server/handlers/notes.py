"""PUT /plumbline/runs/<run_id>/notes {"text": "..."}: a user's note on a run."""

from tornado import web
from tornado.ioloop import IOLoop

from ...store.runs import MAX_NOTE_CHARS
from .base import PlumblineHandler


class RunNotesHandler(PlumblineHandler):
    @web.authenticated
    async def put(self, run_id: str) -> None:
        body = self.json_body()
        text = self.text_field(body, "text", max_chars=MAX_NOTE_CHARS,
                               example='{"text": "<note>"}; an empty text removes the note')
        store = self.store
        try:
            # Off the IOLoop: a locked store must not freeze the whole server.
            await IOLoop.current().run_in_executor(None, store.set_note, run_id, text)
        except KeyError:
            raise web.HTTPError(404, f"No run with id {run_id}.") from None
        self.write_json({"id": run_id, "notes": text or None})
