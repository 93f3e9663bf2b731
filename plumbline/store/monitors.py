"""Model monitors: their rows, their windows, their triggers and trigger requests (``0009_monitors.sql``).

A monitor's raw predictions and labels are Parquet files beside the store
(``plumbline/monitoring/monitor_files.py``); these tables hold what the panels
show, computed in Python and replicated to the browser. Writes are upserts
that only touch the windows a batch changed, so a refresh costs the same with
ten predictions stored or ten million.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any, Iterable, Optional

from .connection import Connection, clip, storable_text

MONITOR_STATUSES = ("no data", "ok", "alert", "concept_drift")
TRIGGER_EVENTS = ("alert", "drift", "labels")
REQUEST_STATUSES = ("awaiting approval", "started", "dismissed", "failed")
_JSON_COLUMNS = ("metrics", "estimators", "reference", "messages", "triggers", "series")
MAX_REASON_CHARS = 2_000


def _decode(row: Any) -> dict:
    out = dict(row)
    for key in _JSON_COLUMNS:
        if isinstance(out.get(key), str):
            out[key] = json.loads(out[key])
    return out


def _json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, allow_nan=False)


class MonitorStore(Connection):
    # -- monitors ----------------------------------------------------------------------

    def create_monitor(self, *, name: str, kind: str, window: str, window_kind: str, notebook: Optional[str],
                       primary_metric: str, metrics: list, estimators: list, reference: dict,
                       monitor_id: Optional[str] = None) -> dict:
        """Register a monitor (its folder is ``monitors/<id>``); ``ValueError`` when the name is taken."""
        monitor_id = monitor_id or uuid.uuid4().hex
        now = time.time()
        with self._write() as conn:
            if conn.execute("SELECT 1 FROM monitors WHERE name = ?", (name,)).fetchone():
                raise ValueError(f"a monitor named {name!r} exists already")
            conn.execute(
                "INSERT INTO monitors (id, name, kind, \"window\", window_kind, notebook, primary_metric, metrics, "
                "estimators, reference, folder, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (monitor_id, storable_text(name), kind, window, window_kind, storable_text(notebook), primary_metric,
                 _json(metrics), _json(estimators), _json(reference), f"monitors/{monitor_id}", now, now),
            )
        return self.monitor(name)

    def monitor(self, name: str) -> Optional[dict]:
        rows = self._read("SELECT * FROM monitors WHERE name = ?", (name,))
        return _decode(rows[0]) if rows else None

    def monitor_by_id(self, monitor_id: str) -> Optional[dict]:
        rows = self._read("SELECT * FROM monitors WHERE id = ?", (monitor_id,))
        return _decode(rows[0]) if rows else None

    def monitors(self) -> list[dict]:
        return [_decode(r) for r in self._read("SELECT * FROM monitors ORDER BY name")]

    def delete_monitor(self, monitor_id: str) -> None:
        """Forget a monitor's rows (its folder is the caller's to remove)."""
        with self._write() as conn:
            conn.execute("DELETE FROM trigger_requests WHERE monitor_id = ?", (monitor_id,))
            conn.execute("DELETE FROM monitor_triggers WHERE monitor_id = ?", (monitor_id,))
            conn.execute("DELETE FROM monitor_windows WHERE monitor_id = ?", (monitor_id,))
            conn.execute("DELETE FROM monitors WHERE id = ?", (monitor_id,))

    def save_monitor_state(self, monitor_id: str, *, totals: dict, windows: Iterable[dict],
                           removed_windows: Iterable[int] = ()) -> None:
        """The monitor's totals and the windows a batch changed, in one transaction.

        ``totals``: predictions, labels, unknown_feedback, alerts, status, messages,
        triggers; ``windows``: rows of monitor_windows (window_index, label, start, end,
        predictions, labels, alert, concept_drift, series).
        """
        now = time.time()
        if totals.get("status", "ok") not in MONITOR_STATUSES:
            raise ValueError(f"not a monitor status: {totals.get('status')!r}")
        with self._write() as conn:
            conn.execute(
                "UPDATE monitors SET predictions = ?, labels = ?, unknown_feedback = ?, alerts = ?, status = ?, "
                "messages = ?, triggers = ?, updated_at = ? WHERE id = ?",
                (int(totals["predictions"]), int(totals["labels"]), int(totals["unknown_feedback"]),
                 int(totals["alerts"]), totals["status"], _json(totals.get("messages", [])),
                 _json(totals.get("triggers", [])), now, monitor_id),
            )
            conn.executemany(
                "INSERT INTO monitor_windows (monitor_id, window_index, label, start, \"end\", predictions, labels, "
                "alert, concept_drift, series, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (monitor_id, window_index) DO UPDATE SET label = excluded.label, start = excluded.start, "
                "\"end\" = excluded.\"end\", predictions = excluded.predictions, labels = excluded.labels, "
                "alert = excluded.alert, concept_drift = excluded.concept_drift, series = excluded.series, "
                "updated_at = excluded.updated_at",
                [(monitor_id, int(w["window_index"]), storable_text(w["label"]), w.get("start"), w.get("end"),
                  int(w["predictions"]), int(w["labels"]), int(bool(w["alert"])), int(bool(w["concept_drift"])),
                  _json(w["series"]), now) for w in windows],
            )
            removed = [(monitor_id, int(i)) for i in removed_windows]
            if removed:
                conn.executemany("DELETE FROM monitor_windows WHERE monitor_id = ? AND window_index = ?", removed)

    def monitor_windows(self, monitor_id: str) -> list[dict]:
        rows = self._read("SELECT * FROM monitor_windows WHERE monitor_id = ? ORDER BY window_index", (monitor_id,))
        return [_decode(r) for r in rows]

    # -- triggers ----------------------------------------------------------------------

    def set_monitor_trigger(self, monitor_id: str, *, pipeline: str, on_event: str, labels: Optional[int],
                            cooldown_seconds: float, approval: bool, component: Optional[str] = None) -> dict:
        if on_event not in TRIGGER_EVENTS:
            raise ValueError(f"a trigger fires on one of {', '.join(TRIGGER_EVENTS)}, not {on_event!r}")
        now = time.time()
        with self._write() as conn:
            conn.execute(
                "INSERT INTO monitor_triggers (id, monitor_id, pipeline, on_event, labels, component, cooldown_seconds, "
                "approval, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (monitor_id, pipeline, on_event) "
                "DO UPDATE SET labels = excluded.labels, component = excluded.component, "
                "cooldown_seconds = excluded.cooldown_seconds, approval = excluded.approval",
                (uuid.uuid4().hex, monitor_id, storable_text(pipeline), on_event, labels, storable_text(component),
                 float(cooldown_seconds), int(bool(approval)), now),
            )
        rows = self._read("SELECT * FROM monitor_triggers WHERE monitor_id = ? AND pipeline = ? AND on_event = ?",
                          (monitor_id, pipeline, on_event))
        return dict(rows[0])

    def monitor_triggers(self, monitor_id: str) -> list[dict]:
        rows = self._read("SELECT * FROM monitor_triggers WHERE monitor_id = ? ORDER BY created_at", (monitor_id,))
        return [dict(r) for r in rows]

    def drift_triggers(self, component: str) -> list[dict]:
        """The triggers a drifted output of ``component`` fires."""
        rows = self._read("SELECT * FROM monitor_triggers WHERE on_event = 'drift' AND component = ?", (component,))
        return [dict(r) for r in rows]

    def fire_monitor_trigger(self, trigger_id: str, *, reason: str, labels_now: int,
                             now: Optional[float] = None) -> Optional[dict]:
        """A request to run the trigger's pipeline, unless the cooldown has not passed (then None).

        The cooldown check and the request are one transaction: two kernels logging to
        one monitor at once make one request, not two.
        """
        now = time.time() if now is None else now
        with self._write() as conn:
            cur = conn.execute("SELECT * FROM monitor_triggers WHERE id = ?", (trigger_id,))
            found = cur.fetchone()
            if found is None:
                raise KeyError(trigger_id)
            row = dict(zip((d[0] for d in cur.description), found))
            last, cooldown = row["last_fired_at"], row["cooldown_seconds"]
            if last is not None and now - last < cooldown:
                return None
            request_id = uuid.uuid4().hex
            conn.execute("UPDATE monitor_triggers SET last_fired_at = ?, labels_at_last_fire = ? WHERE id = ?",
                         (now, int(labels_now), trigger_id))
            conn.execute(
                "INSERT INTO trigger_requests (id, trigger_id, monitor_id, pipeline, reason, status, created_at) "
                "VALUES (?, ?, ?, ?, ?, 'awaiting approval', ?)",
                (request_id, trigger_id, row["monitor_id"], row["pipeline"], clip(storable_text(reason), MAX_REASON_CHARS),
                 now),
            )
        return self.trigger_request(request_id)

    def trigger_request(self, request_id: str) -> Optional[dict]:
        rows = self._read("SELECT * FROM trigger_requests WHERE id = ?", (request_id,))
        return dict(rows[0]) if rows else None

    def trigger_requests(self, *, statuses: Optional[Iterable[str]] = None, monitor_id: Optional[str] = None,
                         limit: int = 200) -> list[dict]:
        where, params = [], []
        if statuses:
            statuses = list(statuses)
            where.append(f"status IN ({', '.join('?' * len(statuses))})")
            params += statuses
        if monitor_id:
            where.append("monitor_id = ?")
            params.append(monitor_id)
        sql = "SELECT * FROM trigger_requests" + (f" WHERE {' AND '.join(where)}" if where else "")
        rows = self._read(sql + " ORDER BY created_at DESC LIMIT ?", (*params, int(limit)))
        return [dict(r) for r in rows]

    def decide_trigger_request(self, request_id: str, status: str, *, pipeline_run_id: Optional[str] = None,
                               message: Optional[str] = None) -> bool:
        """Move an awaiting request to started/dismissed/failed; False when it was decided already."""
        if status not in REQUEST_STATUSES[1:]:
            raise ValueError(f"a request is decided as started, dismissed or failed, not {status!r}")
        with self._write() as conn:
            cur = conn.execute(
                "UPDATE trigger_requests SET status = ?, pipeline_run_id = ?, message = ?, decided_at = ? "
                "WHERE id = ? AND status = 'awaiting approval'",
                (status, pipeline_run_id, clip(storable_text(message), MAX_REASON_CHARS), time.time(), request_id),
            )
            return cur.rowcount == 1
