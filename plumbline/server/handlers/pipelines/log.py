"""GET /plumbline/pipelines/<name>/runs/<run>/tasks/<task>/log?offset=N: {"text", "offset" (ask from here next),
"size", "complete"} — at most 1 MiB per call, all attempts of the task run."""

from tornado import web

from .common import PipelinesHandler


class TaskLogHandler(PipelinesHandler):
    @web.authenticated
    async def get(self, name: str, run: str, task: str) -> None:
        offset = self.int_argument("offset", 0)
        service = self.service
        self.set_header("Cache-Control", "no-store")
        self.write_json(await self.call(service.log, name, run, task, offset))
