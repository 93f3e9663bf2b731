"""POST /plumbline/pipelines/<name>/backfill {"start": "<ISO date or date-time>", "end": ...}: a run for every fire
slot in [start, end] that has none yet (naive times are in the pipeline's timezone). 202 {"name", "slots",
"created": [run...], "skipped"}; the scheduler runs them (max_active_runs at a time)."""

from tornado import web

from .common import PipelinesHandler


class PipelineBackfillHandler(PipelinesHandler):
    @web.authenticated
    async def post(self, name: str) -> None:
        body = self.json_body()
        start = self.text_field(body, "start", max_chars=64, example='{"start": "2026-11-01", "end": "2026-11-30"}')
        end = self.text_field(body, "end", max_chars=64, example='{"start": "2026-11-01", "end": "2026-11-30"}')
        service = self.service
        result = await self.call(service.backfill, name, start, end)
        self.wake_scheduler()
        self.write_json(result, status=202)
