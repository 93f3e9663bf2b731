"""The base of the pipeline endpoints: the service, refusals with their problems, work off the IOLoop."""

from __future__ import annotations

import json
from typing import Any, Callable, Optional

from tornado import web
from tornado.ioloop import IOLoop

from ..base import PlumblineHandler

NAME = r"(?P<name>[A-Za-z_][A-Za-z0-9_]{0,63})"
RUN = r"(?P<run>[0-9a-fA-F-]{1,64})"
TASK = r"(?P<task>[A-Za-z_][A-Za-z0-9_]{0,63})"


class PipelinesHandler(PlumblineHandler):
    @property
    def service(self):
        service = self.plumbline.get("pipelines")
        if service is None:
            self.store  # noqa: B018 - a store that could not be opened answers 503 with its reason
            raise web.HTTPError(503, self.plumbline.get("pipelines_problem") or "Pipelines are not available.")
        return service

    def wake_scheduler(self) -> None:
        scheduler = self.plumbline.get("scheduler")
        if scheduler is not None:
            scheduler.wake()

    async def call(self, fn: Callable, *args: Any, **kwargs: Any) -> Any:
        """Run a service call off the IOLoop; a PipelineError becomes its status with message and problems."""
        from ....pipelines.service import PipelineError

        try:
            return await IOLoop.current().run_in_executor(None, lambda: fn(*args, **kwargs))
        except PipelineError as exc:
            raise _Refused(exc) from None

    @staticmethod
    def object_field(body: dict, name: str) -> Optional[dict]:
        """An optional JSON object field of a body (already parsed by json_body())."""
        value = body.get(name)
        if value is None:
            return None
        if not isinstance(value, dict):
            raise web.HTTPError(400, f"'{name}' must be a JSON object.")
        return value

    def write_error(self, status_code: int, **kwargs) -> None:
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, _Refused):
            self.set_status(exc.error.status)
            self.set_header("Content-Type", "application/json")
            self.finish(json.dumps({"message": str(exc.error), "problems": exc.error.problems}))
            return
        super().write_error(status_code, **kwargs)


class _Refused(web.HTTPError):
    """A refusal of the service: its status, its message, and the compiler's problems."""

    def __init__(self, error):
        super().__init__(error.status, str(error).replace("%", "%%"))
        self.error = error
