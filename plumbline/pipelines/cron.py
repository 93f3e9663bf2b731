"""Cron semantics, in one place: validation, fire slots, DST, the data interval, words.

The scheduler, the server's preview of the next fire times, the CLI and the
Airflow export all ask this module, so "when does it fire" has one answer.
croniter does the calendar arithmetic, seeded with zone-aware datetimes
(``zoneinfo``) in the pipeline's IANA timezone.

Expressions: the standard five fields (``minute hour day month weekday``) or
an alias (``@hourly``, ``@daily``, ``@weekly``, ``@monthly``, ``@yearly``,
stored as their five fields). A sixth, *leading* seconds field
(``*/10 * * * * *``) is accepted for sub-minute schedules and tests; Airflow's
cron has no seconds, so such a pipeline does not export.

Daylight saving time, the rules (tested in ``test_pipelines_cron.py``):

* a wall-clock time that does not exist (02:30 on the night clocks go
  forward) fires at the first instant after the gap, once;
* a wall-clock time that happens twice (02:30 on the night clocks go back)
  fires once, at its first occurrence — unless the hour field is a wildcard
  (``0 * * * *``, ``*/15 */2 * * *``): such a schedule follows elapsed time
  and fires in both hours.

A slot is an instant, kept as Unix seconds (UTC). The data interval of the run
of slot ``T`` (Airflow's meaning, as its ``CronTriggerTimetable`` with an
interval gives it): ``logical_date = data_interval_end = T`` and
``data_interval_start`` = the slot before ``T``. A run at any other instant
(manual) gets the interval since the latest slot before it; a pipeline
without a schedule gets an empty interval (start = end = logical date).
"""

from __future__ import annotations

from datetime import datetime, timezone as dt_timezone
from typing import Iterator, Optional
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

ALIASES = {
    "@yearly": "0 0 1 1 *", "@annually": "0 0 1 1 *", "@monthly": "0 0 1 * *", "@weekly": "0 0 * * 0",
    "@daily": "0 0 * * *", "@midnight": "0 0 * * *", "@hourly": "0 * * * *",
}
MAX_CRON_CHARS = 200
MAX_TIMEZONE_CHARS = 64
PRESETS = (  # what the dialog offers; (label, cron)
    ("Every hour", "0 * * * *"),
    ("Every day at 06:00", "0 6 * * *"),
    ("Every Monday at 06:00", "0 6 * * 1"),
    ("Weekdays at 06:00", "0 6 * * 1-5"),
    ("First day of the month at 06:00", "0 6 1 * *"),
)


class ScheduleError(ValueError):
    """A cron expression or timezone that cannot be used; the message says what to write."""


def normalize_cron(cron: object) -> str:
    """The expression as stored (aliases expanded, single spaces), or ScheduleError."""
    if not isinstance(cron, str) or not cron.strip():
        raise ScheduleError("Give a cron expression, e.g. '0 6 * * 1' (every Monday at 06:00).")
    if len(cron) > MAX_CRON_CHARS:
        raise ScheduleError(f"A cron expression has at most {MAX_CRON_CHARS} characters.")
    expr = " ".join(cron.split())
    expr = ALIASES.get(expr.lower(), expr)
    if expr.startswith("@"):
        raise ScheduleError(f"{cron!r} is not a schedule Plumbline knows; use five cron fields or one of "
                            f"{', '.join(sorted(ALIASES))}.")
    fields = expr.split(" ")
    if len(fields) not in (5, 6):
        raise ScheduleError(f"{cron!r} has {len(fields)} fields; a cron expression has five "
                            "(minute hour day-of-month month day-of-week), e.g. '0 6 * * 1'.")
    from croniter import croniter

    try:
        croniter(expr, datetime(2026, 1, 1, tzinfo=dt_timezone.utc), second_at_beginning=len(fields) == 6)
    except Exception as exc:  # noqa: BLE001 - croniter raises several types for bad fields
        raise ScheduleError(f"{cron!r} is not a valid cron expression ({exc}); e.g. '0 6 * * 1' is every "
                            "Monday at 06:00.") from None
    return expr


def zone(name: object) -> ZoneInfo:
    if not isinstance(name, str) or not name:
        raise ScheduleError("Give an IANA timezone, e.g. 'Europe/Berlin' or 'UTC'.")
    if len(name) > MAX_TIMEZONE_CHARS:
        raise ScheduleError(f"A timezone name has at most {MAX_TIMEZONE_CHARS} characters.")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise ScheduleError(f"{name!r} is not an IANA timezone; use a name like 'Europe/Berlin', "
                            "'America/New_York' or 'UTC'.") from None


def has_seconds(cron: str) -> bool:
    return len(cron.split(" ")) == 6


def describe(cron: str) -> str:
    """The expression in English words (cron-descriptor), or the expression itself."""
    try:
        from cron_descriptor import get_description

        return get_description(cron)
    except Exception:  # noqa: BLE001 - words are a nicety; the expression was validated already
        return cron


class CronSchedule:
    """A validated cron expression in a timezone."""

    def __init__(self, cron: str, timezone: str = "UTC"):
        self.cron = normalize_cron(cron)
        self.timezone = timezone
        self.tz = zone(timezone)
        fields = self.cron.split(" ")
        self._seconds = len(fields) == 6
        hour = fields[2] if self._seconds else fields[1]
        self._elapsed_hours = "*" in hour  # hour wildcard: both hours of a DST fold fire

    def _croniter(self, start: datetime):
        from croniter import croniter

        return croniter(self.cron, start, second_at_beginning=self._seconds)

    def _skip(self, dt: datetime) -> bool:
        """The second occurrence of a repeated wall time (DST fold), for fixed-hour schedules."""
        if self._elapsed_hours or not dt.fold:
            return False
        return dt.replace(fold=0).utcoffset() != dt.utcoffset()

    def _local(self, at: float) -> datetime:
        return datetime.fromtimestamp(at, tz=dt_timezone.utc).astimezone(self.tz)

    def iter_after(self, after: float) -> Iterator[float]:
        """Slots strictly after ``after`` (Unix seconds), in order."""
        it = self._croniter(self._local(after))
        last = after
        while True:
            dt = it.get_next(datetime)
            at = dt.timestamp()
            if at <= last or self._skip(dt):
                continue
            last = at
            yield at

    def next_after(self, after: float) -> float:
        return next(self.iter_after(after))

    def next_slots(self, after: float, count: int) -> list[float]:
        it = self.iter_after(after)
        return [next(it) for _ in range(count)]

    def previous_before(self, before: float) -> float:
        """The latest slot strictly before ``before``."""
        it = self._croniter(self._local(before))
        while True:
            dt = it.get_prev(datetime)
            at = dt.timestamp()
            if at < before and not self._skip(dt):
                return at

    def slots_between(self, after: float, until: float, limit: int) -> tuple[list[float], int]:
        """Slots in (after, until], the *latest* ``limit`` of them, and how many were left out."""
        kept: list[float] = []
        dropped = 0
        for at in self.iter_after(after):
            if at > until:
                break
            kept.append(at)
            if len(kept) > limit:
                kept.pop(0)
                dropped += 1
        return kept, dropped

    def interval_of(self, logical: float) -> tuple[float, float]:
        """(data_interval_start, data_interval_end) of a run with this logical date."""
        return self.previous_before(logical), logical

    def local_iso(self, at: float) -> str:
        return self._local(at).isoformat()

    def describe(self) -> str:
        return describe(self.cron)


def data_interval(cron: Optional[str], timezone: str, logical: float) -> tuple[float, float]:
    """The data interval of a run at ``logical`` (see the module docstring)."""
    if not cron:
        return logical, logical
    return CronSchedule(cron, timezone).interval_of(logical)


def iso_utc(at: float) -> str:
    return datetime.fromtimestamp(at, tz=dt_timezone.utc).isoformat().replace("+00:00", "Z")


def parse_instant(text: object, timezone: str = "UTC") -> float:
    """An ISO 8601 date or date-time (naive ones in ``timezone``) as Unix seconds; ScheduleError otherwise."""
    if not isinstance(text, str) or not text.strip() or len(text) > 64:
        raise ScheduleError("Give a date or date-time in ISO 8601, e.g. 2026-11-30 or 2026-11-30T06:00+01:00.")
    raw = text.strip()
    try:
        dt = datetime.fromisoformat(raw[:-1] + "+00:00" if raw.endswith("Z") else raw)
    except ValueError:
        raise ScheduleError(f"{text!r} is not an ISO 8601 date or date-time; e.g. 2026-11-30 or "
                            "2026-11-30T06:00+01:00.") from None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=zone(timezone))
    return dt.timestamp()


def preview(cron: object, timezone: object, *, count: int = 5, now: Optional[float] = None) -> dict:
    """What the dialog shows while the user types: valid or why not, the words, the next fire times."""
    import time

    try:
        schedule = CronSchedule(cron, timezone)  # type: ignore[arg-type]
    except ScheduleError as exc:
        return {"valid": False, "error": str(exc), "cron": cron if isinstance(cron, str) else None,
                "timezone": timezone if isinstance(timezone, str) else None, "description": None, "next": []}
    start = time.time() if now is None else now
    slots = schedule.next_slots(start, count)
    return {
        "valid": True, "error": None, "cron": schedule.cron, "timezone": schedule.timezone,
        "description": schedule.describe(),
        "next": [{"at": iso_utc(s), "local": schedule.local_iso(s)} for s in slots],
        "airflow": not has_seconds(schedule.cron),
    }
