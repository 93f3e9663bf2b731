"""PUT /plumbline/pipelines/<name>/schedule {"cron": "<expr>" | null, "timezone", "catchup", "catchup_limit",
"max_active_runs"} (fields left out keep their value; "cron": null: runs only when asked): the summary.
400 with the problems for an invalid cron or timezone."""

from tornado import web

from .common import PipelinesHandler

FIELDS = ("cron", "timezone", "catchup", "catchup_limit", "max_active_runs")


class PipelineScheduleHandler(PipelinesHandler):
    @web.authenticated
    async def put(self, name: str) -> None:
        body = self.json_body()
        options = {k: body[k] for k in FIELDS if k in body}
        for key in ("cron", "timezone", "catchup"):
            if key in options and options[key] is not None:
                self.text_field(options, key, max_chars=200)
        service = self.service
        result = await self.call(service.set_schedule, name, options)
        self.wake_scheduler()
        self.write_json(result)
