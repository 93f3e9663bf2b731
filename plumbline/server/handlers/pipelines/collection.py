"""GET /plumbline/pipelines: {"pipelines": [summary...]}.
POST /plumbline/pipelines (body as promote/preview, "name" required): 201 {"pipeline", "problems", "notes", "spec"};
400 with {"message", "problems"} when a problem is an error (nothing is written), 409 when the name exists."""

from tornado import web

from .common import PipelinesHandler
from .preview import promotion_arguments


class PipelinesCollectionHandler(PipelinesHandler):
    @web.authenticated
    async def get(self) -> None:
        service = self.service
        self.write_json({"pipelines": await self.call(service.list)})

    @web.authenticated
    async def post(self) -> None:
        body = self.json_body()
        self.text_field(body, "name", max_chars=200, example='{"name": "weekly_scoring", "notebook": "..."}')
        args = promotion_arguments(self, body)
        service = self.service
        result = await self.call(service.create, args.pop("notebook"), **args)
        self.wake_scheduler()
        self.write_json(result, status=201)
