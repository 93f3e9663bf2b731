/**
 * The monitors queries on a real sql.js replica of the change page Python pins
 * in plumbline/tests/fixtures/monitor-bundle-v1.json (fixture_monitor.py): the
 * sidebar's list, and a monitor's payload rebuilt from its `monitors` and
 * `monitor_windows` rows, which must parse to the same panel as the inline
 * bundle of the same monitor.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { Database, SqlJsStatic } from 'sql.js';

import type { IChanges } from '../api/changes';
import { findMonitor, hasMonitors, monitorPayload, monitorsList } from '../queries/monitors';
import { MONITOR_MIME, parseMonitorPayload } from '../renderers/monitorModel';
import { Replica } from '../replica/replica';
import { emptyStoreBytes, loadSql, sharedFixture } from './storeFixture';

const trans = {
  __: (msgid: string, ...args: unknown[]) => args.reduce<string>((out, arg, i) => out.replace(`%${i + 1}`, String(arg)), msgid),
  _n: (one: string, many: string, n: number, ...args: unknown[]) =>
    [n, ...args].reduce<string>((out, arg, i) => out.replace(`%${i + 1}`, String(arg)), n === 1 ? one : many)
} as unknown as TranslationBundle;

const fixture = sharedFixture('monitor-bundle-v1.json');
const inline = (which: 'classification' | 'regression') => fixture[which][MONITOR_MIME];

let sql: SqlJsStatic;
let db: Database;

beforeAll(async () => {
  sql = await loadSql();
});

beforeEach(() => {
  const replica = Replica.fromSnapshot(sql, emptyStoreBytes(sql), 0);
  replica.apply(fixture.changes as IChanges);
  db = replica.db;
});

describe('monitorsList', () => {
  it('lists every monitor, the most recently updated first, with what the sidebar shows', () => {
    const list = monitorsList(db);
    expect(list.map(m => m.name)).toEqual(['arrival-delay', 'delay-model']);
    const [regression, classification] = list;
    const m = inline('classification').monitor;
    expect(classification).toMatchObject({
      id: m.id,
      kind: 'classification',
      window: '400 rows',
      notebook: null,
      primaryMetric: 'accuracy',
      predictions: m.predictions,
      labels: m.labels,
      alerts: m.alerts,
      status: 'concept_drift'
    });
    expect(classification.updatedAt).toEqual(expect.any(Number));
    // The version is the newest change to the monitor or any of its windows.
    const seqs = fixture.changes.tables.monitor_windows.rows
      .filter((r: any[]) => r[0] === m.id)
      .map((r: any[]) => r[r.length - 1]);
    const own = fixture.changes.tables.monitors.rows.find((r: any[]) => r[0] === m.id);
    expect(classification.version).toBe(Math.max(own[own.length - 1], ...seqs));
    expect(regression).toMatchObject({ kind: 'regression', window: '500 rows', status: 'concept_drift', primaryMetric: 'mae' });
  });

  it('a replica of a store without the monitors tables lists none', () => {
    const old = new sql.Database();
    expect(hasMonitors(old)).toBe(false);
    expect(monitorsList(old)).toEqual([]);
    expect(findMonitor(old, 'delay-model')).toBeNull();
    expect(monitorPayload(old, 'delay-model')).toBeNull();
    expect(hasMonitors(db)).toBe(true);
  });
});

describe('monitorPayload', () => {
  it('rebuilds the payload from the rows: the same panel as the inline bundle', () => {
    for (const which of ['classification', 'regression'] as const) {
      const original = inline(which);
      const rebuilt = monitorPayload(db, original.monitor.id);
      expect(rebuilt).not.toBeNull();
      const fromStore = parseMonitorPayload(rebuilt, trans);
      const fromBundle = parseMonitorPayload(original, trans);
      // The bundle says when it was displayed, the store when the monitor last changed.
      expect(Date.parse(fromStore.monitor.updated_at!)).toBeLessThanOrEqual(Date.parse(fromBundle.monitor.updated_at!));
      fromStore.monitor.updated_at = fromBundle.monitor.updated_at;
      expect(fromStore).toEqual(fromBundle);
    }
  });

  it('finds a monitor by name too, and nothing for an unknown one', () => {
    expect(findMonitor(db, 'delay-model')?.id).toBe(inline('classification').monitor.id);
    expect((monitorPayload(db, 'arrival-delay') as any).monitor.kind).toBe('regression');
    expect(monitorPayload(db, 'nope')).toBeNull();
  });

  it('a broken series or list in the store still makes a panel', () => {
    const id = inline('classification').monitor.id;
    const second = inline('classification').windows[1];
    db.run("UPDATE monitor_windows SET series = '{not json' WHERE monitor_id = ? AND window_index = ?", [id, second.index]);
    db.run("UPDATE monitors SET messages = 'oops', metrics = '' WHERE id = ?", [id]);
    const p = parseMonitorPayload(monitorPayload(db, 'delay-model'), trans);
    expect(p.windows).toHaveLength(4);
    expect(p.windows[1].label).toBe(second.label); // from the row's own columns
    expect(p.windows[1].predictions).toBe(second.predictions);
    expect(p.windows[1].metrics.accuracy.cbpe).toBeNull();
    expect(p.messages).toEqual([]);
    expect(p.monitor.metrics).toEqual(['accuracy', 'precision', 'recall', 'f1', 'roc_auc']); // from the windows
  });

  it('the version moves when a window changes, so an open tab draws again', () => {
    const before = findMonitor(db, 'delay-model')!;
    db.run('UPDATE monitor_windows SET labels = 300, seq = ? WHERE monitor_id = ? AND window_index = ?', [
      before.version + 1000,
      before.id,
      inline('classification').windows[3].index
    ]);
    expect(findMonitor(db, 'delay-model')!.version).toBe(before.version + 1000);
    expect(findMonitor(db, 'arrival-delay')!.version).not.toBe(before.version + 1000);
  });
});
