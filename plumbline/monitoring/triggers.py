"""Monitor triggers: a monitor alert, a drift alert, or N new labelled rows asks for a run of a promoted pipeline.

Alerts and labels are evaluated after every write of the monitor
(``Monitor._check_triggers``); a drift trigger names a component, and fires when
the recorder stores a drift verdict on one of its outputs (``on_drift``, from
``kernel/monitoring.py``, in a notebook or a pipeline task). A trigger
fires at most once per cooldown (checked and recorded in one store transaction,
``MonitorStore.fire_monitor_trigger``). With approval (the default) it makes a
request that waits in the Pipelines panel for a person to start or dismiss it
(``server/handlers/trigger_requests.py``); without, the run is queued at once and
the scheduler starts it.
"""

from __future__ import annotations

import time
from typing import Any, Optional

EVENTS = ("alert", "drift", "labels")


class TriggerError(ValueError):
    pass


def cooldown_seconds(cooldown: Any) -> float:
    if isinstance(cooldown, bool):
        raise TriggerError("cooldown is a duration: '1D', '6h', or seconds")
    if isinstance(cooldown, (int, float)):
        seconds = float(cooldown)
    else:
        import pandas as pd

        try:
            seconds = pd.Timedelta(str(cooldown)).total_seconds()
        except ValueError:
            raise TriggerError(f"cooldown {cooldown!r} is not a duration: use '1D', '6h', '30min' or seconds") from None
    if not seconds >= 0 or seconds != seconds:
        raise TriggerError("cooldown cannot be negative")
    return seconds


def validate(store, pipeline: Any, *, on: str, labels: Optional[int], cooldown: Any,
             component: Optional[str] = None) -> dict:
    if not isinstance(pipeline, str) or store.pipeline(pipeline) is None:
        names = ", ".join(p["name"] for p in store.pipelines()) or "none yet"
        raise TriggerError(f"there is no promoted pipeline {pipeline!r} (pipelines: {names}); promote the "
                           "retraining cells first")
    if on not in EVENTS:
        raise TriggerError(f"a trigger fires on {' or '.join(repr(e) for e in EVENTS)}, not {on!r}")
    if on == "labels":
        if isinstance(labels, bool) or not isinstance(labels, int) or labels < 1:
            raise TriggerError("on='labels' needs labels=N: the number of new labelled rows that asks for a run")
    elif labels is not None:
        raise TriggerError("labels=N goes with on='labels'")
    if on == "drift":
        if not isinstance(component, str) or not component:
            raise TriggerError("on='drift' needs component='<name>': the component whose drifted output asks for a run")
    elif component is not None:
        raise TriggerError("component= goes with on='drift'")
    return {"labels": labels, "component": component, "cooldown_seconds": cooldown_seconds(cooldown)}


def describe(store, monitor_id: str) -> list:
    """The panel's view of the monitor's triggers."""
    out = []
    waiting = {}
    for request in store.trigger_requests(monitor_id=monitor_id, statuses=["awaiting approval"]):
        waiting.setdefault(request["trigger_id"], request)
    for t in store.monitor_triggers(monitor_id):
        request = waiting.get(t["id"])
        cooling = t["last_fired_at"] is not None and time.time() - t["last_fired_at"] < t["cooldown_seconds"]
        out.append({"id": t["id"], "pipeline": t["pipeline"], "on": t["on_event"], "labels": t["labels"],
                    "component": t["component"],
                    "cooldown_seconds": t["cooldown_seconds"], "approval": bool(t["approval"]),
                    "last_fired": _iso(t["last_fired_at"]),
                    "state": "awaiting approval" if request else ("cooling down" if cooling else "armed"),
                    "request_id": request["id"] if request else None})
    return out


def _iso(at: Optional[float]) -> Optional[str]:
    # A time as text: the payload rounds numbers to 6 significant digits, which would move it by hours.
    if at is None:
        return None
    from datetime import datetime, timezone

    return datetime.fromtimestamp(at, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def evaluate(mon, store) -> list:
    """Fire the monitor's triggers whose condition holds now; returns the requests made."""
    rows = store.monitor_triggers(mon.id)
    if not rows:
        return []
    latest = mon._latest()
    fired = []
    for t in rows:
        reason = None
        if t["on_event"] == "alert" and latest is not None:
            alerts = latest.get("alerts") or []
            if alerts:
                reason = f"window {latest['label']}: " + "; ".join(a["message"] for a in alerts[:3])
        elif t["on_event"] == "labels":
            new = mon.totals["labels"] - t["labels_at_last_fire"]
            if new >= (t["labels"] or 0):
                reason = f"{new:,} new labelled rows since the last run (trigger at {t['labels']:,})"
        if reason is None:
            continue
        request = store.fire_monitor_trigger(t["id"], reason=f"monitor {mon.name!r}, {reason}",
                                             labels_now=mon.totals["labels"])
        if request is None:
            continue  # cooling down
        if not t["approval"]:
            request = start(store, request)
        fired.append(request)
    return fired


def on_drift(store, component: Optional[str], output: str, message: Optional[str]) -> list:
    """A drift verdict on ``component``'s output ``output`` was stored: fire the triggers that watch it."""
    if not component:
        return []
    fired = []
    for t in store.drift_triggers(component):
        request = store.fire_monitor_trigger(
            t["id"], reason=f"drift of {component}'s output {output!r}: {message or 'drifted'}",
            labels_now=t["labels_at_last_fire"])
        if request is None:
            continue  # cooling down
        fired.append(start(store, request) if not t["approval"] else request)
    return fired


def start(store, request: dict) -> dict:
    """Queue a run of the request's pipeline (the scheduler starts it) and mark the request started."""
    from ..pipelines import cron

    pipeline = store.pipeline(request["pipeline"])
    if pipeline is None:
        store.decide_trigger_request(request["id"], "failed",
                                     message=f"the pipeline {request['pipeline']!r} no longer exists")
        return store.trigger_request(request["id"])
    now = time.time()
    begin, end = cron.data_interval(pipeline.get("cron"), pipeline.get("timezone") or "UTC", now)
    run_id, _ = store.create_run(pipeline["id"], trigger="manual", logical_date=now, data_interval_start=begin,
                                 data_interval_end=end, spec_hash=pipeline.get("spec_hash"))
    store.decide_trigger_request(request["id"], "started", pipeline_run_id=run_id,
                                 message=f"run {run_id[:8]} queued")
    return store.trigger_request(request["id"])
