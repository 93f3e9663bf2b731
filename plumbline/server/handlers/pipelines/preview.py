"""POST /plumbline/promote/preview: what a range of cells would become, without writing anything.

Body: {"notebook": "<path>", "name": "<name>", "cells": "2-7" | null, "cell_ids": [...] | null,
"schedule": {"cron", "timezone", "catchup", "catchup_limit", "max_active_runs"}, "options": {"retries",
"retry_delay_seconds", "timeout_seconds", "parallelism", "reuse", "artifacts"}, "kernel": <probe.crossing()> | null,
"content": <the notebook as the browser has it> | null}. Answer: the preview payload
(plumbline/tests/fixtures/pipeline-preview-v1.json), problems included: 200 even when ``ok`` is false.
"""

from tornado import web

from .common import PipelinesHandler


def promotion_arguments(handler, body: dict) -> dict:
    notebook = handler.text_field(body, "notebook", max_chars=4096, example='{"notebook": "examples/demo.ipynb"}')
    name = handler.text_field(body, "name", required=False, max_chars=200)
    cells = handler.text_field(body, "cells", required=False, max_chars=40)
    cell_ids = body.get("cell_ids")
    if cell_ids is not None and (not isinstance(cell_ids, list) or not all(isinstance(i, str) for i in cell_ids)
                                 or len(cell_ids) > 10_000):
        raise web.HTTPError(400, "'cell_ids' must be a list of cell ids (text).")
    options = {**(handler.object_field(body, "schedule") or {}), **(handler.object_field(body, "options") or {})}
    return {"notebook": notebook, "name": name, "cells": cells, "cell_ids": cell_ids, "options": options,
            "kernel": handler.object_field(body, "kernel"), "content": handler.object_field(body, "content")}


class PromotePreviewHandler(PipelinesHandler):
    @web.authenticated
    async def post(self) -> None:
        args = promotion_arguments(self, self.json_body())
        service = self.service
        self.write_json(await self.call(service.preview, args.pop("notebook"), **args))
