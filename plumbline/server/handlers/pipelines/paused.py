"""PUT /plumbline/pipelines/<name>/paused {"paused": true | false}: the pipeline's summary. Resuming does not
catch up the slots missed while paused."""

from tornado import web

from .common import PipelinesHandler


class PipelinePausedHandler(PipelinesHandler):
    @web.authenticated
    async def put(self, name: str) -> None:
        paused = self.bool_field(self.json_body(), "paused")
        service = self.service
        result = await self.call(service.set_paused, name, paused)
        self.wake_scheduler()
        self.write_json(result)
