"""GET /plumbline/pipelines/<name>/diff: is the pipeline out of date with its notebook? {"name", "out_of_date",
"tasks": [{"task", "changes": [{"cell_id", "index", "change": "changed" | "deleted", "pipeline_code",
"notebook_code"}]}], "prelude": [...], "added": [...]} (the codes feed the code-diff view)."""

from tornado import web

from .common import PipelinesHandler


class PipelineDiffHandler(PipelinesHandler):
    @web.authenticated
    async def get(self, name: str) -> None:
        service = self.service
        self.write_json(await self.call(service.diff, name))
