/**
 * The monitors queries on a real sql.js replica: the sidebar's list and a
 * monitor's payload rebuilt from `monitors` + `monitor_windows` rows, which
 * must parse to the same panel as the inline payload the rows were made from.
 */
import * as fs from 'fs';
import * as path from 'path';

import type { TranslationBundle } from '@jupyterlab/translation';
import type { Database, SqlJsStatic } from 'sql.js';

import { findMonitor, hasMonitors, monitorPayload, monitorsList } from '../queries/monitors';
import { MONITOR_MIME, monitorStatus, parseMonitorPayload } from '../renderers/monitorModel';
import { Replica } from '../replica/replica';
import { emptyStoreBytes, loadSql } from './storeFixture';

const trans = {
  __: (msgid: string, ...args: unknown[]) => args.reduce<string>((out, arg, i) => out.replace(`%${i + 1}`, String(arg)), msgid),
  _n: (one: string, many: string, n: number, ...args: unknown[]) =>
    [n, ...args].reduce<string>((out, arg, i) => out.replace(`%${i + 1}`, String(arg)), n === 1 ? one : many)
} as unknown as TranslationBundle;

const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'monitor-example.json'), 'utf-8'));
const payloads = () => [fixture.classification[MONITOR_MIME], fixture.regression[MONITOR_MIME]].map(p => JSON.parse(JSON.stringify(p)));

/** The tables of MONITOR-CONTRACT.md section 3, for a schema without 0009_monitors.sql yet. */
const CONTRACT_DDL = `
CREATE TABLE monitors (id TEXT PRIMARY KEY, name TEXT UNIQUE NOT NULL, kind TEXT, "window" TEXT, window_kind TEXT,
  notebook TEXT, primary_metric TEXT, metrics TEXT, estimators TEXT, reference TEXT, predictions INTEGER,
  labels INTEGER, unknown_feedback INTEGER, alerts INTEGER, status TEXT, messages TEXT, triggers TEXT,
  created_at REAL, updated_at REAL, seq INTEGER NOT NULL DEFAULT 0);
CREATE TABLE monitor_windows (monitor_id TEXT NOT NULL, window_index INTEGER NOT NULL, label TEXT, start TEXT,
  "end" TEXT, predictions INTEGER, labels INTEGER, alert INTEGER, concept_drift INTEGER, series TEXT,
  updated_at REAL, seq INTEGER NOT NULL DEFAULT 0, PRIMARY KEY (monitor_id, window_index));`;

/** Writes a payload as the store would hold it (what plumbline/store/monitors.py writes). */
function insert(db: Database, payload: any, updatedAt: number, seq: number, notebook: string | null = 'monitoring.ipynb'): void {
  const m = payload.monitor;
  const parsed = parseMonitorPayload(payload, trans);
  db.run(
    `INSERT INTO monitors (id, name, kind, "window", window_kind, notebook, primary_metric, metrics, estimators, reference,
       predictions, labels, unknown_feedback, alerts, status, messages, triggers, created_at, updated_at, seq)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [
      m.id, m.name, m.kind, m.window, m.window_kind, notebook, m.primary_metric, JSON.stringify(m.metrics),
      JSON.stringify(m.estimators), JSON.stringify(m.reference), m.predictions, m.labels, m.unknown_feedback,
      m.alerts ?? payload.windows.filter((w: any) => w.alerts.length).length, monitorStatus(parsed),
      JSON.stringify(payload.messages), JSON.stringify(payload.triggers), updatedAt - 3600, updatedAt, seq
    ]
  );
  for (const w of payload.windows) {
    const metrics = Object.values(w.metrics) as any[];
    db.run(
      `INSERT INTO monitor_windows (monitor_id, window_index, label, start, "end", predictions, labels, alert, concept_drift,
         series, updated_at, seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        m.id, w.index, w.label, w.start, w.end, w.predictions, w.labels, metrics.some(x => x.alert) ? 1 : 0,
        metrics.some(x => x.concept_drift) ? 1 : 0, JSON.stringify(w), updatedAt, seq + 1 + w.index
      ]
    );
  }
}

let sql: SqlJsStatic;
let db: Database;

beforeAll(async () => {
  sql = await loadSql();
});

beforeEach(() => {
  db = Replica.fromSnapshot(sql, emptyStoreBytes(sql), 0).db;
  if (!hasMonitors(db)) {
    db.exec(CONTRACT_DDL);
  }
  const [classification, regression] = payloads();
  insert(db, classification, Date.parse('2026-12-02T10:00:00Z') / 1000, 100);
  insert(db, regression, Date.parse('2026-12-02T10:05:00Z') / 1000, 200, null);
});

describe('monitorsList', () => {
  it('lists every monitor, the most recently updated first, with what the sidebar shows', () => {
    const list = monitorsList(db);
    expect(list.map(m => m.name)).toEqual(['delay-minutes', 'delay-model']);
    const [regression, classification] = list;
    expect(classification).toMatchObject({
      id: '3f2c9a4e-1b7d-4c1e-9a55-0d6f2e8b7a10',
      kind: 'classification',
      window: '1D',
      notebook: 'monitoring.ipynb',
      primaryMetric: 'accuracy',
      predictions: payloads()[0].monitor.predictions,
      labels: payloads()[0].monitor.labels,
      alerts: 2,
      status: 'ok',
      updatedAt: Date.parse('2026-12-02T10:00:00Z') / 1000
    });
    expect(classification.version).toBe(105); // the newest of its windows' seq
    expect(regression).toMatchObject({ status: 'alert', notebook: null, window: '1000 rows' });
  });

  it('a replica of a store without the monitors tables lists none', () => {
    const old = new sql.Database();
    expect(hasMonitors(old)).toBe(false);
    expect(monitorsList(old)).toEqual([]);
    expect(findMonitor(old, 'delay-model')).toBeNull();
    expect(monitorPayload(old, 'delay-model')).toBeNull();
  });
});

describe('monitorPayload', () => {
  it('rebuilds the payload from the rows: the same panel as the inline output', () => {
    for (const original of payloads()) {
      const rebuilt = monitorPayload(db, original.monitor.id);
      expect(rebuilt).not.toBeNull();
      const fromStore = parseMonitorPayload(rebuilt, trans);
      const inline = parseMonitorPayload(original, trans);
      expect(fromStore).toEqual(inline);
    }
  });

  it('finds a monitor by name too, and nothing for an unknown one', () => {
    expect(findMonitor(db, 'delay-model')?.id).toBe('3f2c9a4e-1b7d-4c1e-9a55-0d6f2e8b7a10');
    expect((monitorPayload(db, 'delay-minutes') as any).monitor.kind).toBe('regression');
    expect(monitorPayload(db, 'nope')).toBeNull();
  });

  it('a broken series or list in the store still makes a panel', () => {
    db.run("UPDATE monitor_windows SET series = '{not json' WHERE window_index = 1");
    db.run("UPDATE monitors SET messages = 'oops', metrics = NULL WHERE name = 'delay-model'");
    const p = parseMonitorPayload(monitorPayload(db, 'delay-model'), trans);
    expect(p.windows).toHaveLength(5);
    expect(p.windows[1].label).toBe('2001-02-06'); // from the row's own columns
    expect(p.windows[1].metrics.accuracy.cbpe).toBeNull();
    expect(p.messages).toEqual([]);
    expect(p.monitor.metrics).toEqual(['accuracy', 'precision', 'recall', 'f1', 'roc_auc']); // from the windows
  });

  it('the version moves when a window changes, so an open tab draws again', () => {
    const before = findMonitor(db, 'delay-model')!.version;
    db.run("UPDATE monitor_windows SET labels = 3000, seq = 300 WHERE window_index = 4 AND monitor_id = '3f2c9a4e-1b7d-4c1e-9a55-0d6f2e8b7a10'");
    expect(findMonitor(db, 'delay-model')!.version).toBe(300);
    expect(before).not.toBe(300);
  });
});
