"""POST /plumbline/trigger-requests/<id> {"action": "start" | "dismiss"}: decide a monitor's request for a run.

A monitor trigger with approval (the default, ``plumbline/monitoring/triggers.py``)
leaves a request awaiting approval; the Pipelines panel shows it with Start and
Dismiss. Start queues a manual run of the pipeline (the scheduler starts it) and
records its id on the request. 200 {"request": {...}}; 404 unknown request;
409 decided already.
"""

from __future__ import annotations

import threading

from tornado import web

from .common import PipelinesHandler

REQUEST = r"(?P<request_id>[0-9a-f]{32})"
ACTIONS = ("start", "dismiss")


class TriggerRequestHandler(PipelinesHandler):
    @web.authenticated
    async def post(self, request_id: str) -> None:
        body = self.json_body()
        action = self.text_field(body, "action", max_chars=16, example='{"action": "start"}')
        if action not in ACTIONS:
            raise web.HTTPError(400, f"'action' is 'start' or 'dismiss', not {action!r}.")
        store = self.store
        request = await self.call(store.trigger_request, request_id)
        if request is None:
            raise web.HTTPError(404, f"No trigger request {request_id}.")
        if request["status"] != "awaiting approval":
            raise web.HTTPError(409, f"This request was {request['status']} already.")
        if action == "dismiss":
            decided = await self.call(store.decide_trigger_request, request_id, "dismissed", message="dismissed")
        else:
            service = self.service
            run = await self.call(service.trigger, request["pipeline"])
            decided = await self.call(store.decide_trigger_request, request_id, "started", pipeline_run_id=run["id"],
                                      message=f"run {run['id'][:8]} queued")
            if decided:
                if self.plumbline.get("scheduler") is not None:
                    self.wake_scheduler()
                else:
                    threading.Thread(target=service.execute, args=(run["id"],), daemon=True,
                                     name=f"plumbline-run-{run['id'][:8]}").start()
        if not decided:
            raise web.HTTPError(409, "This request was decided already.")
        self.write_json({"request": await self.call(store.trigger_request, request_id)})
