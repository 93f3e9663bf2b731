"""URL table of the server extension: one handler per endpoint."""

from __future__ import annotations

from jupyter_server.utils import url_path_join

from .handlers.changes import ChangesHandler
from .handlers.checks import ChecksCatalogHandler
from .handlers.config import ConfigHandler
from .handlers.drift import DriftHandler
from .handlers.flags import FlagsHandler
from .handlers.notes import RunNotesHandler
from .handlers.pipelines.backfill import PipelineBackfillHandler
from .handlers.pipelines.collection import PipelinesCollectionHandler
from .handlers.pipelines.common import NAME, RUN, TASK
from .handlers.pipelines.diff import PipelineDiffHandler
from .handlers.pipelines.fire_times import SchedulePreviewHandler
from .handlers.pipelines.item import PipelineHandler
from .handlers.pipelines.log import TaskLogHandler
from .handlers.pipelines.paused import PipelinePausedHandler
from .handlers.pipelines.preview import PromotePreviewHandler
from .handlers.pipelines.runs import PipelineRunsHandler
from .handlers.pipelines.schedule import PipelineScheduleHandler
from .handlers.pipelines.trigger_request import REQUEST, TriggerRequestHandler
from .handlers.pipelines.update import PipelineUpdateHandler
from .handlers.profiles import ProfilesHandler
from .handlers.snapshot import SnapshotHandler

NAMESPACE = "plumbline"

#: (URL pattern under /plumbline/, handler): one handler per endpoint.
ROUTES = [
    ("config", ConfigHandler),
    ("snapshot", SnapshotHandler),
    ("changes", ChangesHandler),
    ("checks/catalog", ChecksCatalogHandler),
    ("flags", FlagsHandler),
    (r"runs/(?P<run_id>[0-9a-fA-F-]{1,64})/notes", RunNotesHandler),
    # pipelines (plumbline/server/handlers/pipelines/__init__.py lists them)
    ("promote/preview", PromotePreviewHandler),
    ("schedules/preview", SchedulePreviewHandler),
    ("pipelines", PipelinesCollectionHandler),
    (rf"pipelines/{NAME}", PipelineHandler),
    (rf"pipelines/{NAME}/runs", PipelineRunsHandler),
    (rf"pipelines/{NAME}/paused", PipelinePausedHandler),
    (rf"pipelines/{NAME}/backfill", PipelineBackfillHandler),
    (rf"pipelines/{NAME}/schedule", PipelineScheduleHandler),
    (rf"pipelines/{NAME}/diff", PipelineDiffHandler),
    (rf"pipelines/{NAME}/update", PipelineUpdateHandler),
    (rf"pipelines/{NAME}/runs/{RUN}/tasks/{TASK}/log", TaskLogHandler),
    (rf"trigger-requests/{REQUEST}", TriggerRequestHandler),
    ("drift", DriftHandler),
    ("profiles", ProfilesHandler),
]


def setup_routes(web_app, *, store, db_path: str, problem: str | None) -> None:
    base_url = web_app.settings["base_url"]
    web_app.settings["plumbline"] = {"store": store, "db_path": db_path, "problem": problem}
    web_app.add_handlers(
        ".*$", [(url_path_join(base_url, NAMESPACE, pattern), handler) for pattern, handler in ROUTES]
    )
