"""POST /plumbline/pipelines/<name>/update {"content": <notebook> | null, "kernel": <probe> | null}: recompile the
pipeline's range of cells from the notebook, keep its schedule and settings. {"pipeline", "changed_tasks",
"removed_tasks", "problems", "spec"}; 400 with the problems when the cells no longer compile."""

from tornado import web

from .common import PipelinesHandler


class PipelineUpdateHandler(PipelinesHandler):
    @web.authenticated
    async def post(self, name: str) -> None:
        body = self.json_body()
        service = self.service
        result = await self.call(service.update, name, self.object_field(body, "content"),
                                 self.object_field(body, "kernel"))
        self.wake_scheduler()
        self.write_json(result)
