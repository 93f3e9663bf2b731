/**
 * Queries over the replica about model monitors (schema/store/0009_monitors.sql):
 * the list the sidebar shows, and one monitor's panel payload built from its
 * `monitors` row and `monitor_windows` rows (each window's `series` column is
 * the payload's window object, cumulative included), so the main-area tab
 * draws with the same model and view as the inline output.
 *
 * A replica of a store from before schema 9 has no such tables: the list is
 * empty and no payload is found.
 */
import type { Database, SqlValue } from 'sql.js';

import { selectAll } from './sql';

export type MonitorRowStatus = 'ok' | 'alert' | 'concept_drift' | 'no data';

export interface IMonitorRow {
  id: string;
  name: string;
  kind: string;
  window: string;
  notebook: string | null;
  primaryMetric: string;
  predictions: number;
  labels: number;
  /** Windows with an alert. */
  alerts: number;
  status: MonitorRowStatus | string;
  createdAt: number | null;
  updatedAt: number | null;
  /** The row's change counter, with the newest of its windows': a cheap "did it change". */
  version: number;
}

/** Whether the replica has the monitors tables (a store at schema 9 or newer). */
export function hasMonitors(db: Database): boolean {
  return selectAll(
    db,
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('monitors', 'monitor_windows')",
    [],
    row => Number(row[0])
  )[0] === 2;
}

const LIST = `SELECT m.id, m.name, m.kind, m."window", m.notebook, m.primary_metric, m.predictions, m.labels,
    m.alerts, m.status, m.created_at, m.updated_at,
    max(m.seq, coalesce((SELECT max(w.seq) FROM monitor_windows w WHERE w.monitor_id = m.id), 0))
  FROM monitors m`;

const num = (value: SqlValue): number | null => (value === null ? null : Number(value));

function monitorRow(row: SqlValue[]): IMonitorRow {
  return {
    id: String(row[0]),
    name: String(row[1]),
    kind: row[2] === null ? '' : String(row[2]),
    window: row[3] === null ? '' : String(row[3]),
    notebook: row[4] === null ? null : String(row[4]),
    primaryMetric: row[5] === null ? '' : String(row[5]),
    predictions: Number(row[6] ?? 0),
    labels: Number(row[7] ?? 0),
    alerts: Number(row[8] ?? 0),
    status: row[9] === null ? 'no data' : String(row[9]),
    createdAt: num(row[10]),
    updatedAt: num(row[11]),
    version: Number(row[12] ?? 0)
  };
}

/** Every monitor, the most recently updated first. */
export function monitorsList(db: Database): IMonitorRow[] {
  if (!hasMonitors(db)) {
    return [];
  }
  return selectAll(db, `${LIST} ORDER BY m.updated_at DESC, m.name`, [], monitorRow);
}

/** One monitor's row by id, or by name when no id matches; null when the replica has none. */
export function findMonitor(db: Database, idOrName: string): IMonitorRow | null {
  if (!hasMonitors(db)) {
    return null;
  }
  return (
    selectAll(db, `${LIST} WHERE m.id = ? UNION ALL ${LIST} WHERE m.name = ? AND m.id <> ?`, [idOrName, idOrName, idOrName], monitorRow)[0] ??
    null
  );
}

/** JSON text of the store, read defensively: a broken value becomes `fallback`. */
function json<T>(value: SqlValue, fallback: T): T {
  if (typeof value !== 'string' || !value) {
    return fallback;
  }
  try {
    return JSON.parse(value) as T;
  } catch {
    return fallback;
  }
}

/** Epoch seconds → ISO 8601 (UTC), as the payload writes times. */
function iso(epochSeconds: SqlValue): string | null {
  if (epochSeconds === null || !Number.isFinite(Number(epochSeconds))) {
    return null;
  }
  return new Date(Number(epochSeconds) * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/**
 * The monitor payload (version 1, as `application/vnd.plumbline.monitor+json`)
 * of one monitor, built from the replica: its row for `monitor`, `messages`
 * and `triggers`, its windows' `series`, oldest first. Not checked here: the
 * panel parses it with parseMonitorPayload like any payload. Null when the
 * replica has no such monitor.
 */
export function monitorPayload(db: Database, idOrName: string): Record<string, unknown> | null {
  const found = findMonitor(db, idOrName);
  if (!found) {
    return null;
  }
  const row = selectAll(
    db,
    `SELECT id, name, kind, "window", window_kind, primary_metric, metrics, estimators, reference,
        predictions, labels, unknown_feedback, messages, triggers, updated_at, status, alerts
      FROM monitors WHERE id = ?`,
    [found.id],
    r => r
  )[0];
  const windows = selectAll(
    db,
    `SELECT window_index, label, start, "end", predictions, labels, alert, concept_drift, series
      FROM monitor_windows WHERE monitor_id = ? ORDER BY window_index`,
    [found.id],
    r => {
      const series = json<Record<string, unknown> | null>(r[8], null);
      // The series is the window object; the row's own columns fill what it lacks.
      return {
        index: Number(r[0]),
        label: r[1] === null ? String(r[0]) : String(r[1]),
        start: r[2] === null ? null : String(r[2]),
        end: r[3] === null ? null : String(r[3]),
        predictions: num(r[4]),
        labels: num(r[5]),
        ...(series && typeof series === 'object' && !Array.isArray(series) ? series : {})
      };
    }
  );
  return {
    version: 1,
    monitor: {
      id: String(row[0]),
      name: String(row[1]),
      kind: row[2],
      window: row[3],
      window_kind: row[4],
      primary_metric: row[5],
      metrics: json<string[]>(row[6], []),
      estimators: json<string[]>(row[7], []),
      reference: json<unknown>(row[8], null),
      predictions: num(row[9]),
      labels: num(row[10]),
      unknown_feedback: num(row[11]),
      updated_at: iso(row[14]),
      status: row[15],
      alerts: num(row[16])
    },
    windows,
    messages: json<unknown[]>(row[12], []),
    triggers: json<unknown[]>(row[13], [])
  };
}
