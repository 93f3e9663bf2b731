"""GET /plumbline/pipelines/<name>/diff: is the pipeline out of date with its notebook (as saved)? {"name",
"out_of_date", "tasks": [{"task", "changes": [{"cell_id", "index", "change": "changed" | "deleted", "pipeline_code",
"notebook_code"}]}], "prelude": [...], "added": [...]} (the codes feed the code-diff view).

POST /plumbline/pipelines/<name>/diff {"content": <notebook> | null}: the same answer for the notebook as the
browser has it (unsaved edits included), so a cell shows "pipeline out of date" while it is being edited."""

from tornado import web

from .common import PipelinesHandler


class PipelineDiffHandler(PipelinesHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        service = self.service
        self.write_json(await self.call(service.diff, name))

    @web.authenticated
    async def post(self, name: str) -> None:
        content = self.object_field(self.json_body(), "content")
        service = self.service
        self.write_json(await self.call(service.diff, name, content))
