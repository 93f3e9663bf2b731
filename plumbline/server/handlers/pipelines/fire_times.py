"""GET /plumbline/schedules/preview?cron=...&timezone=...&count=5: is this schedule valid, what does it mean, when
does it fire next (the scheduler's own cron code). Answer: {"valid", "error", "cron", "timezone", "description",
"next": [{"at": UTC ISO, "local": ISO in the timezone}], "airflow"}; an invalid one is ``valid: false`` with the
reason (200: this endpoint *is* the validator the dialog calls while the user types)."""

from tornado import web

from ....pipelines import cron
from .common import PipelinesHandler


class SchedulePreviewHandler(PipelinesHandler):
    @web.authenticated
    def get(self) -> None:
        count = self.int_argument("count", 5, minimum=1, maximum=50)
        expr = self.get_query_argument("cron", "")
        tz = self.get_query_argument("timezone", "UTC")
        if len(expr) > cron.MAX_CRON_CHARS or len(tz) > cron.MAX_TIMEZONE_CHARS:
            raise web.HTTPError(400, "The cron expression or timezone is too long.")
        self.write_json({**cron.preview(expr, tz, count=count), "presets": [
            {"label": label, "cron": c} for label, c in cron.PRESETS]})
