"""POST /plumbline/pipelines/<name>/runs {"params": {...}, "logical_date": "<ISO>" | null}: run now.
202 {"run": {...}}: the run is queued and the scheduler starts it at once (400: unknown parameter, wrong type)."""

import threading

from tornado import web

from ....pipelines import cron
from .common import PipelinesHandler


class PipelineRunsHandler(PipelinesHandler):
    @web.authenticated
    async def post(self, name: str) -> None:
        body = self.json_body()
        params = self.object_field(body, "params") or {}
        when = self.text_field(body, "logical_date", required=False, max_chars=64)
        try:
            logical = cron.parse_instant(when) if when is not None else None
        except cron.ScheduleError as exc:
            raise web.HTTPError(400, str(exc)) from None
        service = self.service
        run = await self.call(service.trigger, name, params, logical)
        if self.plumbline.get("scheduler") is not None:
            self.wake_scheduler()
        else:  # no scheduler in this server: run it here, in the background
            threading.Thread(target=service.execute, args=(run["id"],), daemon=True,
                             name=f"plumbline-run-{run['id'][:8]}").start()
        self.write_json({"run": run}, status=202)
