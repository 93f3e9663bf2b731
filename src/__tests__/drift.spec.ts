/**
 * The drift UI's logic on the payloads Python pins: the panel's model on
 * fixtures/drift-bundle-v1.json (both bundles, every column state), the
 * badges' queries on a real sql.js replica of fixtures/drift-verdicts-v1.json.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { SqlJsStatic } from 'sql.js';

import { driftMarkModel } from '../drift/badge';
import { latestRunPerCell } from '../queries/cells';
import { byAttention, driftVerdict, driftVerdictsOfRuns, needsAttention } from '../queries/monitoring';
import type { Replica } from '../replica/replica';
import {
  chunksSpec,
  columnRow,
  DRIFT_MIME,
  DriftPayloadError,
  ecdfSpec,
  formatMeasure,
  formatPoints,
  formatShare,
  historySpec,
  IDriftPayload,
  IPalette,
  measureRows,
  overlayData,
  overlaySpec,
  parseDriftPayload,
  summaryFacts
} from '../renderers/driftModel';
import { driftReplica, loadSql, sharedFixture } from './storeFixture';

function bundle(messages: Record<string, string>): TranslationBundle {
  const fill = (text: string, args: unknown[]) =>
    args.reduce<string>((out, arg, i) => out.replace(`%${i + 1}`, String(arg)), text);
  return {
    __: (msgid: string, ...args: unknown[]) => fill(messages[msgid] ?? msgid, args),
    _n: (one: string, many: string, n: number, ...args: unknown[]) => fill(n === 1 ? one : many, [n, ...args])
  } as unknown as TranslationBundle;
}
const trans = bundle({});
const PALETTE: IPalette = { reference: 'gray', current: 'blue', drift: 'red', ok: 'green', schema: 'orange', muted: 'silver' };
const FULL = { palette: PALETTE, trans, size: 'full' as const };
const SMALL = { palette: PALETTE, trans, size: 'small' as const };

const fixture = sharedFixture('drift-bundle-v1.json');
const raw = (which: 'comparison' | 'chunked') => fixture[which][DRIFT_MIME];
const comparison = (): IDriftPayload => parseDriftPayload(raw('comparison'), trans);
const chunked = (): IDriftPayload => parseDriftPayload(raw('chunked'), trans);
const column = (p: IDriftPayload, name: string) => p.columns.find(c => c.name === name)!;

describe('parseDriftPayload', () => {
  it('reads both pinned bundles, keeping the columns in the bundle order', () => {
    const p = comparison();
    expect(p.version).toBe(1);
    expect(p.columns.map(c => c.name)).toEqual(raw('comparison').columns.map((c: any) => c.name));
    // the bundle puts predictions first, then drift, schema, ok, not judged
    expect(p.columns[0].role).toBe('prediction');
    expect(p.columns.map(c => c.status)).toEqual([
      'drift', 'drift', 'drift', 'drift', 'schema', 'schema', 'schema', 'ok', 'ok', 'not judged', 'not judged'
    ]);
    expect(chunked().chunks).toHaveLength(3);
  });

  it('refuses what it cannot show, saying what to do', () => {
    expect(() => parseDriftPayload(null, trans)).toThrow(DriftPayloadError);
    expect(() => parseDriftPayload({ ...raw('comparison'), version: 2 }, trans)).toThrow(/newer Plumbline .*format 2.*Update/);
    expect(() => parseDriftPayload({ version: 1, summary: {} }, trans)).toThrow(/incomplete \(no columns, reference, current\)/);
    expect(() => parseDriftPayload({ columns: [] }, trans)).toThrow(/no version/);
  });

  it('fills optional parts a column may lack', () => {
    const data = JSON.parse(JSON.stringify(raw('comparison')));
    delete data.columns[0].history;
    delete data.columns[0].unseen;
    delete data.summary.new_columns;
    const p = parseDriftPayload(data, trans);
    expect(p.columns[0].history).toEqual([]);
    expect(p.columns[0].unseen).toEqual([]);
    expect(p.summary.new_columns).toEqual([]);
  });
});

describe('numbers as the panel writes them', () => {
  it.each([
    [null, '–'],
    [0, '0'],
    [0.324826, '0.325'],
    [12.6816, '12.7'],
    [2858400, '2.86e+6'],
    [0.00002, '2.00e-5'],
    [NaN, '–']
  ])('measure %p reads %p', (value, text) => {
    expect(formatMeasure(value as number | null)).toBe(text);
  });
  it('shares and points', () => {
    expect(formatShare(0.666667, 0)).toBe('67%');
    expect(formatShare(0.144444)).toBe('14.4%');
    expect(formatShare(0.5)).toBe('50%');
    expect(formatPoints(0.166667)).toBe('+16.7 pt');
    expect(formatPoints(-0.05)).toBe('−5.0 pt');
    expect(formatPoints(0)).toBe('0 pt');
    expect(formatPoints(null)).toBe('–');
  });
});

describe('the dataset summary', () => {
  it('says the drifted share, rows, schema changes, missing and new columns, false alarms', () => {
    const facts = Object.fromEntries(summaryFacts(comparison(), trans).map(f => [f.key, f]));
    expect(facts.drifted.value).toBe('4 of 6 judged (67%)');
    expect(facts.drifted.alert).toBe(true);
    expect(facts.rows.value).toBe(`${(180).toLocaleString()} now, ${(200).toLocaleString()} in the reference`);
    expect(facts.schema.value).toBe('3');
    expect(facts.missing.value).toBe('retired');
    expect(facts.new.value).toBe('added');
    expect(facts.types.value).toBe('code');
    expect(facts['false-alarms'].value).toBe('0.015');
    expect(facts.multivariate.value).toBe('not available: columns of the reference model missing now: retired');
    expect(facts.multivariate.alert).toBe(false);
  });

  it('the multivariate measure against its threshold, with the columns that contribute most', () => {
    const p = comparison();
    p.summary.multivariate = {
      available: true, measure: 'reconstruction error', value: 2.03833, threshold: 1.14622, reference_value: 0.884087,
      drift: true, rows: 180, components: 2, variance_kept: 0.7, false_alarm: 0.0025,
      contributions: { delay: 0.7, origin: 0.2, distance: 0.06, prediction: 0.04 }, message: 'PCA'
    };
    const fact = summaryFacts(p, trans).find(f => f.key === 'multivariate')!;
    expect(fact.value).toBe('2.04 > 1.15 (reference 0.884); most from delay 70%, origin 20%, distance 6%');
    expect(fact.alert).toBe(true);
  });

  it('a panel with nothing judged says so instead of 0 of 0', () => {
    const p = comparison();
    p.summary = { ...p.summary, judged: 0, drifted: 0, drifted_share: null, missing_columns: [], new_columns: [], type_changes: [] };
    const facts = summaryFacts(p, trans);
    expect(facts.find(f => f.key === 'drifted')!.value).toBe('none judged');
    expect(facts.map(f => f.key)).not.toContain('missing');
  });
});

describe('one row per column', () => {
  it('a drifted prediction: measure, threshold, verdict, no change in missing values', () => {
    const row = columnRow(column(comparison(), 'prediction'), trans);
    expect(row).toMatchObject({
      prediction: true, status: 'drift', verdict: 'drift', measure: 'Wasserstein / std', value: '0.325',
      threshold: '0.289', thresholdTitle: 'threshold set by: resampled', nullChange: '0 pt', nullDrift: false,
      hasOverlay: true, hasHistory: false, kindLabel: 'number'
    });
  });

  it('a column drifted by its missing values says the change in points', () => {
    const row = columnRow(column(comparison(), 'distance'), trans);
    expect(row.nullChange).toBe('+16.7 pt');
    expect(row.nullDrift).toBe(true);
    expect(row.nullTitle).toBe('missing values: 0% in the reference, 16.7% now');
  });

  it('unseen categories are called out', () => {
    expect(columnRow(column(comparison(), 'origin'), trans).unseen).toBe('unseen: PDX 14.4%');
    expect(columnRow(column(comparison(), 'carrier'), trans).unseen).toBe('');
  });

  it('schema changes and empty columns have no measure and nothing to draw', () => {
    for (const name of ['added', 'code', 'retired', 'empty']) {
      const row = columnRow(column(comparison(), name), trans);
      expect(row.value).toBe('–');
      expect(row.hasOverlay).toBe(false);
      expect(overlaySpec(column(comparison(), name), SMALL)).toBeNull();
    }
    expect(columnRow(column(comparison(), 'code'), trans).measure).toBe('schema');
    expect(columnRow(column(comparison(), 'code'), trans).message).toMatch(/type changed/);
  });

  it('every measure of a column, the verdict\'s one marked, p-values as information', () => {
    const rows = measureRows(column(comparison(), 'prediction'));
    expect(rows.map(r => r.name).sort()).toEqual(['hellinger', 'jensen_shannon', 'ks', 'psi', 'wasserstein']);
    expect(rows.filter(r => r.decides).map(r => r.name)).toEqual(['wasserstein']);
    expect(rows.find(r => r.name === 'ks')!.pValue).toBe('0.00294');
    expect(rows.find(r => r.name === 'wasserstein')!.error).toBe('± 0.00167');
  });
});

describe('charts', () => {
  it('a number: shares of reference and current on the shared bins', () => {
    const c = column(comparison(), 'prediction');
    const data = overlayData(c)!;
    expect(data.kind).toBe('histogram');
    const overlay = c.overlay as any;
    expect(data.bars).toHaveLength(2 * (overlay.edges.length - 1));
    const current = data.bars.filter(b => b.side === 'current');
    expect(current.map(b => b.share)).toEqual(overlay.current);
    expect((current[0] as any).start).toBe(overlay.edges[0]);
    expect((current[current.length - 1] as any).end).toBe(overlay.edges[overlay.edges.length - 1]);
    const spec = overlaySpec(c, SMALL) as any;
    expect(spec.encoding.x.bin).toEqual({ binned: true });
    expect(spec.encoding.color.scale.range).toEqual(['gray', 'blue']);
    expect(spec.encoding.y.stack).toBeNull(); // overlaid, not stacked
    expect(spec.$schema).toContain('vega-lite/v6'); // the vega-lite the extension bundles: no version warning
  });

  it('a time column is drawn on a time axis (epoch milliseconds)', () => {
    const c = column(comparison(), 'date');
    const spec = overlaySpec(c, FULL) as any;
    expect(spec.encoding.x.type).toBe('temporal');
    expect(spec.data.values[0].start).toBe((c.overlay as any).edges[0] * 1000);
  });

  it('a category: top categories with unseen ones outlined', () => {
    const c = column(comparison(), 'origin');
    const data = overlayData(c)! as any;
    expect(data.kind).toBe('categories');
    const pdx = data.bars.filter((b: any) => b.value === 'PDX');
    expect(pdx.map((b: any) => [b.side, b.unseen])).toEqual([['reference', true], ['current', true]]);
    expect(pdx[0].share).toBe(0);
    const spec = overlaySpec(c, FULL) as any;
    expect(spec.encoding.stroke.condition).toEqual({ test: 'datum.unseen', value: 'red' });
  });

  it('the ECDF of a number, not of a category', () => {
    const c = column(comparison(), 'delay');
    const spec = ecdfSpec(c, FULL) as any;
    const ecdf = (c.overlay as any).ecdf;
    expect(spec.data.values).toHaveLength(2 * ecdf.probabilities.length);
    expect(ecdfSpec(column(comparison(), 'origin'), FULL)).toBeNull();
  });

  it('a chunked bundle: each column\'s measure per chunk with its threshold, and drifted columns per chunk', () => {
    const p = chunked();
    const origin = column(p, 'origin');
    expect(columnRow(origin, trans).hasHistory).toBe(true);
    const spec = historySpec(origin, SMALL) as any;
    expect(spec.data.values.map((v: any) => [v.label, v.value, v.status])).toEqual(
      origin.history.map(h => [h.label, h.value, h.status])
    );
    expect(spec.layer.map((l: any) => l.encoding.y.field)).toEqual(['threshold', 'value', 'value']);
    // a schema change has a history of no values: no sparkline
    expect(historySpec(column(p, 'code'), SMALL)).toBeNull();
    const chunks = chunksSpec(p.chunks!, FULL) as any;
    expect(chunks.data.values.map((v: any) => v.drifted)).toEqual([3, 1, 1]);
    expect(chunks.data.values[0].columns).toBe('prediction, distance, origin');
  });

  it('a comparison without history draws no sparkline', () => {
    for (const c of comparison().columns) {
      expect(historySpec(c, SMALL)).toBeNull();
    }
  });
});

describe('drift verdicts in the replica (the badges)', () => {
  let sql: SqlJsStatic;
  let replica: Replica;
  const run = (i: number) => `${i.toString(16).padStart(8, '0')}-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

  beforeAll(async () => {
    sql = await loadSql();
    replica = driftReplica(sql);
  });

  it('gives each run its verdicts; runs that profiled nothing have none', () => {
    const verdicts = driftVerdictsOfRuns(replica.db, [1, 2, 3, 4, 5, 6].map(run));
    expect([...verdicts.keys()].sort()).toEqual([1, 2, 3, 4, 5].map(run));
    expect(verdicts.get(run(1))!.map(v => v.status)).toEqual(['reference']);
    expect(verdicts.get(run(2))!.map(v => v.status)).toEqual(['ok']);
    const drifted = verdicts.get(run(3))![0];
    expect(drifted).toMatchObject({ name: 'clean', status: 'drift', drifted: 2, judged: 3, worstColumn: 'delay',
      worstMeasure: 'wasserstein', referenceRunId: run(1), policy: 'first', multivariateDrift: true });
    expect(drifted.worstValue!).toBeGreaterThan(drifted.worstThreshold!);
    expect(verdicts.get(run(5))![0]).toMatchObject({ name: 'scores', status: 'schema', schemaChanges: 1, worstColumn: 'margin' });
    expect(driftVerdictsOfRuns(replica.db, [])).toEqual(new Map());
  });

  it('the latest run of each cell leads to its badge: cleaning drifted, scoring changed schema, report nothing', () => {
    const states = latestRunPerCell(replica.db, 'demo.ipynb');
    const verdicts = driftVerdictsOfRuns(replica.db, [...states.values()].map(s => s.runId));
    const of = (cell: string) => verdicts.get(states.get(cell)!.runId) ?? [];
    expect(of('cell-1').map(v => [v.name, v.status, needsAttention(v)])).toEqual([['clean', 'drift', true]]);
    expect(of('cell-2').map(v => [v.name, v.status, needsAttention(v)])).toEqual([['scores', 'schema', true]]);
    expect(of('cell-3')).toEqual([]);
  });

  it('the badge: drift names the output and its worst column, schema its new column, a reference says nothing', () => {
    const verdicts = driftVerdictsOfRuns(replica.db, [1, 2, 3, 5].map(run));
    expect(driftMarkModel(verdicts.get(run(1))!, trans)).toBeNull();
    expect(driftMarkModel(verdicts.get(run(2))!, trans)).toMatchObject({ label: 'no drift', status: 'ok', name: 'clean' });
    const drift = driftMarkModel(verdicts.get(run(3))!, trans)!;
    expect(drift).toMatchObject({ label: 'drift: clean', status: 'drift', runId: run(3), name: 'clean' });
    expect(drift.title).toMatch(/^clean: 2 of 3 columns drifted \(67%\); multivariate drift \(worst: delay \d\.\d\d > 0\.\d+\)$/);
    const schema = driftMarkModel(verdicts.get(run(5))!, trans)!;
    expect(schema).toMatchObject({ label: 'schema: scores', status: 'schema', name: 'scores' });
    expect(schema.title).toBe('scores: 0 of 1 columns drifted (0%); 1 schema change (margin)');
    // Two outputs of one run: the drifted one is named and opened, before the one that did not drift.
    const both = [...verdicts.get(run(2))!, ...verdicts.get(run(3))!].sort(byAttention);
    expect(driftMarkModel(both, trans)).toMatchObject({ label: 'drift: clean', runId: run(3) });
    expect(driftMarkModel([{ ...verdicts.get(run(2))![0], status: 'not judged' }], trans)!.label).toBe('drift not judged');
  });

  it('one output\'s verdict by run and name', () => {
    expect(driftVerdict(replica.db, run(2), 'clean')!.status).toBe('ok');
    expect(driftVerdict(replica.db, run(2), 'scores')).toBeNull();
  });
});
