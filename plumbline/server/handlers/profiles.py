"""GET /plumbline/profiles?run=<run id>: the profiled outputs of a run, with their drift verdicts."""

from tornado import web
from tornado.ioloop import IOLoop

from .base import PlumblineHandler
from .drift import RUN_ID

FIELDS = ("io_id", "name", "rows", "columns", "size_bytes", "created_at")


class ProfilesHandler(PlumblineHandler):
    @web.authenticated
    async def get(self) -> None:
        run = self.text_argument("run", RUN_ID, example="run=<run id>")
        store = self.store
        answer = await IOLoop.current().run_in_executor(None, listing, store, run)
        if answer is None:
            raise web.HTTPError(404, f"No run {run} in this store.")
        self.set_header("Cache-Control", "no-store")
        self.write_json(answer)


def listing(store, run: str):
    if store.run(run) is None:
        return None
    profiles = []
    for record in store.profiles_of_run(run):
        verdict = store.drift_verdict(record["io_id"])
        profiles.append({**{k: record[k] for k in FIELDS},
                         "verdict": None if verdict is None else {k: v for k, v in verdict.items() if k != "seq"}})
    return {"run_id": run, "profiles": profiles}
