"""GET /plumbline/pipelines/<name>: summary + "spec", "spec_problem", "edited_by_hand", "next_fire_times", "runs"
(each with its "tasks"). DELETE /plumbline/pipelines/<name>[?keep_files=1]: {"name", "deleted", "files_removed",
"kept"} — its runs, task runs and lineage stay in the store."""

from tornado import web

from .common import PipelinesHandler


class PipelineHandler(PipelinesHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        runs = self.int_argument("runs", 20, minimum=0, maximum=500)
        service = self.service
        self.write_json(await self.call(service.show, name, runs))

    @web.authenticated
    async def delete(self, name: str) -> None:
        keep = self.int_argument("keep_files", 0, minimum=0, maximum=1) == 1
        service = self.service
        result = await self.call(service.delete, name, keep_files=keep)
        self.wake_scheduler()
        self.write_json(result)
