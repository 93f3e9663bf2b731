"""GET /plumbline/drift?run=<run id>&name=<output>[&reference=<run id>]: a drift panel from stored profiles.

The answer is the ``application/vnd.plumbline.drift+json`` payload
(``plumbline/monitoring/display.py``), built from the profiles the recorder
stored, exactly as ``plumbline.drift((reference, name), (run, name))`` builds
it in a kernel. Without ``reference``, the output is compared with the
reference its drift verdict was judged against (the component's policy).
"""

from tornado import web
from tornado.ioloop import IOLoop

from .base import PlumblineHandler

RUN_ID = r"[0-9a-fA-F-]{4,64}"
NAME = r"[A-Za-z_][A-Za-z0-9_]{0,199}"


class DriftHandler(PlumblineHandler):
    @web.authenticated
    async def get(self) -> None:
        run = self.text_argument("run", RUN_ID, example="run=<run id>")
        name = self.text_argument("name", NAME, example="name=<output variable>")
        reference = self.text_argument("reference", RUN_ID, required=False)
        store = self.store
        try:
            # Off the IOLoop: profiles are read from files and compared (milliseconds to a second).
            payload = await IOLoop.current().run_in_executor(None, build, store, run, name, reference)
        except LookupError as exc:
            raise web.HTTPError(404, str(exc.args[0] if exc.args else exc)) from None
        except ValueError as exc:
            raise web.HTTPError(400, str(exc)) from None
        self.set_header("Cache-Control", "no-store")
        self.write_json(payload)


def build(store, run: str, name: str, reference: str | None) -> dict:
    from ...monitoring.api import drift

    current_run = _run_id(store, run)
    if reference is None:
        record = store.profile_of(current_run, name)
        if record is None:
            raise LookupError(f"run {current_run[:8]} has no profile of '{name}'")
        verdict = store.drift_verdict(record["io_id"])
        if verdict is None or verdict["reference_run_id"] is None:
            why = verdict["message"] if verdict else "it has no drift verdict"
            raise LookupError(f"'{name}' of run {current_run[:8]} has no reference to compare with ({why}); "
                              "name one with reference=<run id>")
        reference = verdict["reference_run_id"]
    result = drift((reference, name), (current_run, name), store=store, show=False)
    return result.payload


def _run_id(store, run: str) -> str:
    if store.run(run) is not None:
        return run
    matches = store.profiled_runs_with_prefix(run)
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise LookupError(f"the run id '{run}' is ambiguous: give more of it")
    raise LookupError(f"no run '{run}' with profiles in this store")
