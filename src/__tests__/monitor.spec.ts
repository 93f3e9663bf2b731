/**
 * The monitor panel's model on the monitor payload (MONITOR-CONTRACT section 2):
 * parsing (defensive), status, summary, table rows and the Vega-Lite spec,
 * which is also compiled and rendered to SVG by the vega-lite and vega the
 * extension bundles (in a Node child process: both are ES modules).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import type { TranslationBundle } from '@jupyterlab/translation';

import {
  chartRows,
  formatInterval,
  formatThreshold,
  formatValue,
  IMonitorPalette,
  IMonitorPayload,
  MONITOR_MIME,
  MonitorPayloadError,
  monitorSpec,
  monitorStatus,
  parseMonitorPayload,
  summaryFacts,
  windowRow
} from '../renderers/monitorModel';

function bundle(messages: Record<string, string>): TranslationBundle {
  const fill = (text: string, args: unknown[]) =>
    args.reduce<string>((out, arg, i) => out.replace(`%${i + 1}`, String(arg)), text);
  return {
    __: (msgid: string, ...args: unknown[]) => fill(messages[msgid] ?? msgid, args),
    _n: (one: string, many: string, n: number, ...args: unknown[]) => fill(n === 1 ? one : many, [n, ...args])
  } as unknown as TranslationBundle;
}
const trans = bundle({});
const PALETTE: IMonitorPalette = {
  estimators: ['blue', 'teal'],
  realized: 'black',
  threshold: 'orange',
  alert: 'red',
  warn: 'orange',
  volume: 'gray',
  coverage: 'teal',
  muted: 'silver'
};

const ROOT = path.resolve(__dirname, '..', '..');
const fixture = JSON.parse(fs.readFileSync(path.join(__dirname, 'fixtures', 'monitor-example.json'), 'utf-8'));
const raw = (which: 'classification' | 'regression') => JSON.parse(JSON.stringify(fixture[which][MONITOR_MIME]));
const classifier = (): IMonitorPayload => parseMonitorPayload(raw('classification'), trans);
const regressor = (): IMonitorPayload => parseMonitorPayload(raw('regression'), trans);

describe('parseMonitorPayload', () => {
  it('reads the example payloads, windows oldest first', () => {
    const p = classifier();
    expect(p.version).toBe(1);
    expect(p.monitor.name).toBe('delay-model');
    expect(p.monitor.metrics).toEqual(['accuracy', 'precision', 'recall', 'f1', 'roc_auc']);
    expect(p.monitor.estimators).toEqual(['cbpe', 'iw']);
    expect(p.windows.map(w => w.index)).toEqual([0, 1, 2, 3, 4]);
    expect(p.windows[0].metrics.accuracy.cbpe).toMatchObject({ value: expect.any(Number), lower: expect.any(Number) });
    expect(p.windows[4].metrics.accuracy.realized).toBeNull(); // no labels yet
    expect(p.windows[4].cumulative?.predictions).toBe(raw('classification').windows[4].cumulative.predictions);
    const r = regressor();
    expect(r.monitor.estimators).toEqual(['dle']);
    expect(r.monitor.metrics).toEqual(['mae', 'rmse']);
    expect(r.windows[0].start).toBeNull();
  });

  it('refuses what it cannot show, saying what to do', () => {
    expect(() => parseMonitorPayload(null, trans)).toThrow(MonitorPayloadError);
    expect(() => parseMonitorPayload([], trans)).toThrow(/no data/);
    expect(() => parseMonitorPayload({ ...raw('classification'), version: 2 }, trans)).toThrow(/newer Plumbline .*format 2.*Update/);
    expect(() => parseMonitorPayload({ ...raw('classification'), version: 0 }, trans)).toThrow(/unknown format/);
    expect(() => parseMonitorPayload({ windows: [] }, trans)).toThrow(/no version/);
    expect(() => parseMonitorPayload({ version: 1, windows: {} }, trans)).toThrow(/incomplete \(no monitor, windows\)/);
  });

  it('tolerates nulls, missing parts and values of the wrong type everywhere', () => {
    const data = raw('classification');
    const w = data.windows[1];
    w.metrics.accuracy.cbpe = { value: 'x', lower: null };
    w.metrics.accuracy.iw = null;
    delete w.metrics.f1;
    w.predictions = null;
    delete w.cumulative;
    delete w.alerts;
    w.warnings = [null, { message: 'odd' }];
    delete data.messages;
    delete data.triggers;
    data.monitor.reference = 'broken';
    data.monitor.unknown_feedback = 'many';
    const p = parseMonitorPayload(data, trans);
    const m = p.windows[1].metrics;
    expect(m.accuracy.cbpe).toEqual({ value: null, lower: null, upper: null });
    expect(m.accuracy.iw).toBeNull();
    expect(m.f1).toMatchObject({ realized: null, threshold: null, alert: false, concept_drift: false });
    expect(p.windows[1].cumulative).toBeNull();
    expect(p.windows[1].alerts).toEqual([]);
    expect(p.windows[1].warnings).toEqual([{ kind: 'warning', metric: null, message: 'odd' }]);
    expect(p.messages).toEqual([]);
    expect(p.monitor.reference).toBeNull();
    expect(p.monitor.unknown_feedback).toBeNull();
    // Everything still renders: rows, facts, spec.
    expect(windowRow(p, p.windows[1], 'f1', 'cumulative', trans).estimates.map(e => e.text)).toEqual(['–', '–']);
    expect(windowRow(p, p.windows[1], 'accuracy', 'window', trans).predictions).toBe('–');
    expect(summaryFacts(p, trans).length).toBeGreaterThan(2);
    expect(monitorSpec(p, { palette: PALETTE, trans, metric: 'accuracy', mode: 'cumulative' })).not.toBeNull();
  });

  it('takes the metrics from the windows when the monitor does not list them, and a known primary metric', () => {
    const data = raw('regression');
    delete data.monitor.metrics;
    data.monitor.primary_metric = 'r2';
    const p = parseMonitorPayload(data, trans);
    expect(p.monitor.metrics).toEqual(['mae', 'rmse']);
    expect(p.monitor.primary_metric).toBe('mae');
  });

  it('a monitor with no window yet', () => {
    const data = raw('classification');
    data.windows = [];
    data.monitor.status = 'no data';
    const p = parseMonitorPayload(data, trans);
    expect(monitorStatus(p)).toBe('no data');
    expect(monitorSpec(p, { palette: PALETTE, trans, metric: 'accuracy', mode: 'window' })).toBeNull();
  });
});

describe('words and numbers', () => {
  it('values, intervals and thresholds', () => {
    expect(formatValue(0.83, 'accuracy')).toBe('0.830');
    expect(formatValue(12.345, 'mae')).toBe('12.3');
    expect(formatValue(null, 'mae')).toBe('–');
    expect(formatInterval({ value: 0.83, lower: 0.82, upper: 0.84 }, 'accuracy')).toBe('0.830 [0.820, 0.840]');
    expect(formatInterval({ value: 0.83, lower: null, upper: 0.84 }, 'accuracy')).toBe('0.830');
    expect(formatInterval(null, 'accuracy')).toBe('–');
    expect(formatThreshold({ lower: 0.8, upper: null }, 'accuracy')).toBe('≥ 0.800');
    expect(formatThreshold({ lower: null, upper: 16.2 }, 'mae')).toBe('≤ 16.2');
    expect(formatThreshold({ lower: 0.8, upper: 0.9 }, 'f1')).toBe('0.800–0.900');
    expect(formatThreshold(null, 'f1')).toBe('–');
  });

  it('status: what Python says, else the latest window: concept drift before an alert, an alert before ok', () => {
    expect(monitorStatus(classifier())).toBe('ok'); // the latest window is quiet
    expect(monitorStatus(regressor())).toBe('alert');
    const derived = (windows: number) => {
      const data = raw('classification');
      delete data.monitor.status;
      data.windows = data.windows.slice(0, windows);
      return monitorStatus(parseMonitorPayload(data, trans));
    };
    expect(derived(5)).toBe('ok');
    expect(derived(4)).toBe('alert');
    expect(derived(3)).toBe('concept_drift');
    expect(derived(0)).toBe('no data');
    const odd = raw('regression');
    odd.monitor.status = 'weird';
    expect(monitorStatus(parseMonitorPayload(odd, trans))).toBe('alert'); // derived
  });

  it('summary: predictions, labels and coverage, alerted windows, unknown feedback, the reference', () => {
    const facts = Object.fromEntries(summaryFacts(classifier(), trans).map(f => [f.key, f]));
    const m = raw('classification').monitor;
    expect(facts.predictions.value).toBe(`${m.predictions.toLocaleString()} in 5 windows`);
    expect(facts.labels.value).toMatch(new RegExp(`^${m.labels.toLocaleString()} \\(\\d+(\\.\\d)?% of the predictions\\)$`));
    expect(facts.alerts.value).toBe('2 of 5 (1 with concept drift)');
    expect(facts.alerts.alert).toBe(true);
    expect(facts.unknown.value).toBe('12, kept until their predictions are logged');
    expect(facts.reference.value).toBe(`${(50000).toLocaleString()} rows; calibrated (ECE 0.031 → 0.012); accuracy: realized 0.830, CBPE 0.828, importance-weighted 0.831`);
    const r = Object.fromEntries(summaryFacts(regressor(), trans).map(f => [f.key, f]));
    expect(r.unknown).toBeUndefined();
    expect(r.reference.value).toContain('not calibrated');
  });
});

describe('the windows table', () => {
  it('per window: estimates with bands, realized with its label count, threshold, alerts and warnings as text', () => {
    const p = classifier();
    const rawW = raw('classification').windows;
    const row = windowRow(p, p.windows[3], 'accuracy', 'window', trans);
    expect(row.alert).toBe(true);
    expect(row.estimates.map(e => e.estimator)).toEqual(['cbpe', 'iw']);
    const cb = rawW[3].metrics.accuracy.cbpe;
    expect(row.estimates[0].text).toBe(`${cb.value.toFixed(3)} [${cb.lower.toFixed(3)}, ${cb.upper.toFixed(3)}]`);
    expect(row.estimates[1].unreliable).toBe(true);
    expect(row.estimates[1].title).toContain('31% of the rows outside the reference');
    expect(row.realizedTitle).toBe('from 300 labels');
    expect(row.threshold).toBe(`≥ ${rawW[3].metrics.accuracy.threshold.lower.toFixed(3)}`);
    expect(row.notices.map(n => [n.level, n.kind])).toEqual([
      ['alert', 'performance'],
      ['warning', 'extrapolation'],
      ['warning', 'few_labels']
    ]);
    // Another metric's alert is not this metric's; a window-wide warning is everyone's.
    const precision = windowRow(p, p.windows[3], 'precision', 'window', trans);
    expect(precision.notices.map(n => n.kind)).toEqual(['extrapolation', 'few_labels']);
    // Concept drift, and the label-bias warning on the realized accuracy.
    const drift = windowRow(p, p.windows[2], 'accuracy', 'window', trans);
    expect(drift.conceptDrift).toBe(true);
    expect(drift.notices.map(n => n.kind)).toEqual(['concept_drift', 'label_bias']);
    expect(drift.notices[0].message).toBe('estimate and realized disagree — likely concept drift (P(y|x) changed)');
    expect(windowRow(p, p.windows[4], 'accuracy', 'window', trans).realized).toBe('no labels yet');
  });

  it('cumulative: the cumulative counts and metrics, only cumulative verdicts', () => {
    const p = classifier();
    const rawW = raw('classification').windows;
    const row = windowRow(p, p.windows[4], 'accuracy', 'cumulative', trans);
    expect(row.predictions).toBe(rawW[4].cumulative.predictions.toLocaleString());
    expect(row.labels).toBe(rawW[4].cumulative.labels.toLocaleString());
    expect(row.estimates[0].text.startsWith(rawW[4].cumulative.metrics.accuracy.cbpe.value.toFixed(3))).toBe(true);
    expect(row.realized).not.toBe('no labels yet'); // earlier windows' labels count
    expect(windowRow(p, p.windows[3], 'accuracy', 'cumulative', trans).notices).toEqual([]);
  });
});

describe('the chart', () => {
  const options = (metric: string, mode: 'window' | 'cumulative') => ({ palette: PALETTE, trans, metric, mode, width: 600 });

  it('rows: an estimate per estimator and window, realized where labelled, thresholds, alert marks, volume', () => {
    const p = classifier();
    const rows = chartRows(p, 'accuracy', 'window', trans);
    expect(rows.estimates).toHaveLength(10);
    expect(new Set(rows.estimates.map(e => e.series))).toEqual(new Set(['CBPE', 'importance-weighted']));
    expect(rows.estimates.filter(e => !e.reliable).map(e => e.index)).toEqual([3]);
    expect(rows.realized.map(r => r.index)).toEqual([0, 1, 2, 3]);
    expect(rows.realized.find(r => r.index === 2)?.concept_drift).toBe(true);
    expect(rows.realized.find(r => r.index === 3)?.labels).toBe(300);
    expect(rows.thresholds.map(t => t.side)).toEqual(Array(5).fill('lower threshold'));
    expect(rows.alerts.map(a => [a.index, a.kind])).toEqual([
      [2, 'concept drift'],
      [3, 'alert']
    ]);
    expect(rows.volume.map(v => v.predictions)).toEqual(raw('classification').windows.map((w: any) => w.predictions));
    const cumulative = chartRows(p, 'accuracy', 'cumulative', trans);
    expect(cumulative.volume.map(v => v.predictions)).toEqual(raw('classification').windows.map((w: any) => w.cumulative.predictions));
    expect(cumulative.realized).toHaveLength(5);
    // A regressor: one estimator, an upper threshold, its alert.
    const r = chartRows(regressor(), 'mae', 'window', trans);
    expect(r.estimates.map(e => e.series)).toEqual(['DLE', 'DLE', 'DLE']);
    expect(r.thresholds.every(t => t.side === 'upper threshold')).toBe(true);
    expect(r.alerts.map(a => a.index)).toEqual([2]);
  });

  it('spec: the metric chart over the volume and coverage chart, titled by metric and mode', () => {
    const spec = monitorSpec(classifier(), options('f1', 'cumulative')) as any;
    expect(spec.$schema).toContain('vega-lite/v6');
    expect(spec.vconcat).toHaveLength(2);
    const [metricChart, volume] = spec.vconcat;
    const marks = metricChart.layer.map((l: any) => l.mark.type);
    expect(marks).toEqual(['area', 'line', 'line', 'point', 'rule', 'point', 'point']);
    expect(metricChart.layer[2].encoding.y.title).toBe('F1 (cumulative)');
    expect(volume.layer.map((l: any) => l.mark.type)).toEqual(['bar', 'line']);
    // Everything is data: no value becomes markup, and the spec is JSON.
    expect(() => JSON.stringify(spec)).not.toThrow();
  });

  it('compiles with the bundled vega-lite and renders to SVG with vega, without a warning', () => {
    const specs = [
      monitorSpec(classifier(), options('accuracy', 'window')),
      monitorSpec(classifier(), options('roc_auc', 'cumulative')),
      monitorSpec(regressor(), options('rmse', 'window'))
    ];
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'plumbline-monitor-'));
    const file = path.join(dir, 'specs.json');
    fs.writeFileSync(file, JSON.stringify(specs));
    const script = `
      import { readFileSync } from 'fs';
      import * as vl from 'vega-lite';
      import * as vega from 'vega';
      const warnings = [];
      const logger = { level() { return this; }, warn: (...a) => warnings.push(a.join(' ')), info() {}, debug() {}, error: (...a) => warnings.push(a.join(' ')) };
      const out = [];
      for (const spec of JSON.parse(readFileSync(process.argv[1], 'utf-8'))) {
        const compiled = vl.compile(spec, { logger }).spec;
        const view = new vega.View(vega.parse(compiled), { renderer: 'none', logger, logLevel: vega.Warn });
        const svg = await view.toSVG();
        out.push({ symbols: (svg.match(/<path/g) || []).length, length: svg.length });
        view.finalize();
      }
      console.log(JSON.stringify({ warnings, out }));
    `;
    const result = spawnSync(process.execPath, ['--input-type=module', '-e', script, file], { cwd: ROOT, encoding: 'utf-8' });
    fs.rmSync(dir, { recursive: true, force: true });
    expect(result.stderr).toBe('');
    const { warnings, out } = JSON.parse(result.stdout);
    expect(warnings).toEqual([]);
    expect(out).toHaveLength(3);
    for (const drawn of out) {
      expect(drawn.symbols).toBeGreaterThan(10);
    }
  });
});
