"""Cron semantics: one home (plumbline/pipelines/cron.py) for the scheduler, the preview and the export."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from plumbline.pipelines import cron

BERLIN = ZoneInfo("Europe/Berlin")


def at(*args, tz=BERLIN) -> float:
    return datetime(*args, tzinfo=tz).timestamp()


def local(schedule, slots):
    return [schedule.local_iso(s) for s in slots]


def test_a_wall_time_skipped_by_spring_forward_fires_once_right_after_the_gap():
    daily = cron.CronSchedule("30 2 * * *", "Europe/Berlin")
    slots = daily.next_slots(at(2026, 3, 27, 12), 4)
    assert local(daily, slots) == ["2026-03-28T02:30:00+01:00", "2026-03-29T03:00:00+02:00",
                                   "2026-03-30T02:30:00+02:00", "2026-03-31T02:30:00+02:00"]
    assert slots[1] - slots[0] == 23.5 * 3600  # one slot that night, not zero


def test_a_wall_time_repeated_by_fall_back_fires_once_for_a_fixed_hour():
    daily = cron.CronSchedule("30 2 * * *", "Europe/Berlin")
    slots = daily.next_slots(at(2026, 10, 24, 12), 3)
    assert local(daily, slots) == ["2026-10-25T02:30:00+02:00", "2026-10-26T02:30:00+01:00",
                                   "2026-10-27T02:30:00+01:00"]


def test_an_hourly_schedule_follows_elapsed_time_through_the_repeated_hour():
    hourly = cron.CronSchedule("0 * * * *", "Europe/Berlin")
    slots = hourly.next_slots(at(2026, 10, 25, 0, 30), 5)
    assert local(hourly, slots) == ["2026-10-25T01:00:00+02:00", "2026-10-25T02:00:00+02:00",
                                    "2026-10-25T02:00:00+01:00", "2026-10-25T03:00:00+01:00",
                                    "2026-10-25T04:00:00+01:00"]
    assert {b - a for a, b in zip(slots, slots[1:])} == {3600.0}


def test_the_data_interval_is_the_previous_slot_to_this_one_across_dst():
    weekly = cron.CronSchedule("0 6 * * 1", "Europe/Berlin")
    monday = weekly.next_after(at(2026, 10, 28))
    assert weekly.local_iso(monday) == "2026-11-02T06:00:00+01:00"
    start, end = weekly.interval_of(monday)
    assert end == monday and weekly.local_iso(start) == "2026-10-26T06:00:00+01:00"
    # across the change: 7 days of wall time, 7 days + 1 hour of elapsed time
    start, end = weekly.interval_of(weekly.next_after(at(2026, 10, 21)))
    assert (end - start) == 7 * 86400 + 3600
    manual = at(2026, 11, 4, 12)
    assert cron.data_interval("0 6 * * 1", "Europe/Berlin", manual) == (monday, manual)
    assert cron.data_interval(None, "UTC", manual) == (manual, manual)


def test_slots_between_keeps_the_latest_and_counts_the_rest():
    hourly = cron.CronSchedule("0 * * * *", "UTC")
    start = at(2026, 1, 1, tz=ZoneInfo("UTC"))
    kept, dropped = hourly.slots_between(start, start + 10 * 3600, 3)
    assert [round((k - start) / 3600) for k in kept] == [8, 9, 10] and dropped == 7


def test_aliases_and_a_leading_seconds_field():
    assert cron.normalize_cron(" @daily ") == "0 0 * * *"
    every5 = cron.CronSchedule("*/5 * * * * *", "UTC")
    t0 = at(2026, 1, 1, tz=ZoneInfo("UTC"))
    assert [s - t0 for s in every5.next_slots(t0, 3)] == [5.0, 10.0, 15.0]
    assert cron.preview("*/5 * * * * *", "UTC")["airflow"] is False


@pytest.mark.parametrize("expr,words", [
    ("61 * * * *", "not a valid cron expression"), ("0 6 * *", "has 4 fields"), ("", "Give a cron expression"),
    ("@reboot", "not a schedule Plumbline knows"), ("x" * 300, "at most"), (None, "Give a cron expression"),
])
def test_invalid_cron_expressions_say_what_to_write(expr, words):
    with pytest.raises(cron.ScheduleError) as info:
        cron.normalize_cron(expr)
    assert words in str(info.value)
    preview = cron.preview(expr, "UTC")
    assert preview["valid"] is False and words in preview["error"] and preview["next"] == []


@pytest.mark.parametrize("tz", ["Mars/Olympus", "../../etc/passwd", "", "Europe/" + "x" * 80])
def test_invalid_timezones_are_refused(tz):
    with pytest.raises(cron.ScheduleError) as info:
        cron.zone(tz)
    assert "timezone" in str(info.value)


def test_preview_gives_words_and_the_next_fire_times_in_the_timezone():
    p = cron.preview("0 6 * * 1", "Europe/Berlin", count=5, now=at(2026, 11, 30, 12))
    assert p["valid"] and p["description"] == "At 06:00 AM, only on Monday"
    assert [n["local"] for n in p["next"]][:2] == ["2026-12-07T06:00:00+01:00", "2026-12-14T06:00:00+01:00"]
    assert p["next"][0]["at"] == "2026-12-07T05:00:00Z" and len(p["next"]) == 5


def test_instants_parse_as_iso_with_naive_times_in_the_pipelines_timezone():
    assert cron.parse_instant("2026-11-30", "Europe/Berlin") == at(2026, 11, 30)
    assert cron.parse_instant("2026-11-30T06:00:00Z") == at(2026, 11, 30, 6, tz=ZoneInfo("UTC"))
    for bad in ("2026-13-45", "yesterday", "", None):
        with pytest.raises(cron.ScheduleError):
            cron.parse_instant(bad)
