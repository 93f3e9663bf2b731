/**
 * The monitor panel's model on the payloads Python pins in
 * plumbline/tests/fixtures/monitor-bundle-v1.json (a classifier's monitor:
 * covariate shift, then concept drift, an unlabelled window, a label for an
 * unknown id, a trigger awaiting approval; a regressor's): parsing (defensive),
 * status, summary, table rows and the Vega-Lite spec, which is also compiled
 * and rendered to SVG by the vega-lite and vega the extension bundles (in a
 * Node child process: both are ES modules).
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

import type { TranslationBundle } from '@jupyterlab/translation';

import { sharedFixture } from './storeFixture';
import { formatMeasure, formatShare } from '../renderers/driftModel';
import {
  chartRows,
  formatInterval,
  formatSeconds,
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
const fixture = sharedFixture('monitor-bundle-v1.json');
const raw = (which: 'classification' | 'regression') => JSON.parse(JSON.stringify(fixture[which][MONITOR_MIME]));
const classifier = (): IMonitorPayload => parseMonitorPayload(raw('classification'), trans);
const regressor = (): IMonitorPayload => parseMonitorPayload(raw('regression'), trans);

const W = (which: 'classification' | 'regression') => raw(which).windows;

describe('parseMonitorPayload', () => {
  it('reads both pinned payloads, windows oldest first', () => {
    const p = classifier();
    expect(p.version).toBe(1);
    expect(p.monitor).toMatchObject({
      name: 'delay-model',
      kind: 'classification',
      window: '400 rows',
      window_kind: 'rows',
      metrics: ['accuracy', 'precision', 'recall', 'f1', 'roc_auc'],
      primary_metric: 'accuracy',
      estimators: ['cbpe', 'iw'],
      status: 'concept_drift',
      unknown_feedback: 1
    });
    expect(p.windows.map(w => w.index)).toEqual(W('classification').map((w: any) => w.index));
    expect(p.windows).toHaveLength(4);
    expect(p.windows[0].metrics.accuracy.cbpe).toEqual(W('classification')[0].metrics.accuracy.cbpe);
    expect(p.windows[0].metrics.accuracy.iw).toEqual(W('classification')[0].metrics.accuracy.iw);
    expect(p.windows[3].metrics.accuracy.realized).toBeNull(); // no labels yet
    expect(p.windows[3].cumulative?.predictions).toBe(W('classification')[3].cumulative.predictions);
    expect(p.windows[3].cumulative?.alerts?.length).toBe(W('classification')[3].cumulative.alerts.length);
    // A reference metric's threshold object is not a number: left out, the numbers kept.
    expect(p.monitor.reference?.metrics.accuracy).toMatchObject({ cbpe: expect.any(Number), realized: expect.any(Number), threshold: null });
    // Triggers: cooldown and last firing in the panel's words.
    expect(p.triggers).toEqual([
      {
        pipeline: 'retrain',
        on: 'alert',
        labels: null,
        cooldown: '1 d',
        approval: true,
        last_fired: raw('classification').triggers[0].last_fired,
        state: 'awaiting approval'
      }
    ]);
    const r = regressor();
    expect(r.monitor.estimators).toEqual(['dle']);
    expect(r.monitor.metrics).toEqual(['mae', 'rmse']);
    expect(r.windows[0].start).toBeNull(); // a rows window
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
    data.monitor.status = 'weird';
    const p = parseMonitorPayload(data, trans);
    const m = p.windows[1].metrics;
    expect(m.accuracy.cbpe).toEqual({ value: null, lower: null, upper: null });
    expect(m.accuracy.iw).toBeNull();
    expect(m.f1).toMatchObject({ realized: null, threshold: null, alert: false, concept_drift: false });
    expect(p.windows[1].cumulative).toBeNull();
    expect(p.windows[1].alerts).toEqual([]);
    expect(p.windows[1].warnings).toEqual([{ kind: 'warning', metric: null, message: 'odd' }]);
    expect(p.messages).toEqual([]);
    expect(p.triggers).toEqual([]);
    expect(p.monitor.reference).toBeNull();
    expect(p.monitor.unknown_feedback).toBeNull();
    expect(p.monitor.status).toBeNull();
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
    delete data.monitor.status;
    const p = parseMonitorPayload(data, trans);
    expect(monitorStatus(p)).toBe('no data');
    expect(monitorSpec(p, { palette: PALETTE, trans, metric: 'accuracy', mode: 'window' })).toBeNull();
  });
});

describe('words and numbers', () => {
  it('values, intervals, thresholds and durations', () => {
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
    expect(formatSeconds(86400)).toBe('1 d');
    expect(formatSeconds(21600)).toBe('6 h');
    expect(formatSeconds(90)).toBe('90 s');
    expect(formatSeconds(1800)).toBe('30 min');
  });

  it('status: what Python says, else the latest window: concept drift before an alert, an alert before ok', () => {
    expect(monitorStatus(classifier())).toBe('concept_drift');
    expect(monitorStatus(regressor())).toBe('concept_drift');
    const derived = (windows: number) => {
      const data = raw('classification');
      delete data.monitor.status;
      data.windows = data.windows.slice(0, windows);
      return monitorStatus(parseMonitorPayload(data, trans));
    };
    expect(derived(4)).toBe('ok'); // the latest window is quiet
    expect(derived(3)).toBe('concept_drift');
    expect(derived(2)).toBe('ok');
    expect(derived(0)).toBe('no data');
    const alerting = raw('classification');
    delete alerting.monitor.status;
    alerting.windows = alerting.windows.slice(0, 3);
    for (const m of Object.values(alerting.windows[2].metrics) as any[]) {
      m.concept_drift = false;
    }
    alerting.windows[2].alerts = alerting.windows[2].alerts.filter((a: any) => a.kind !== 'concept_drift');
    expect(monitorStatus(parseMonitorPayload(alerting, trans))).toBe('alert');
  });

  it('summary: predictions, labels and coverage, alerted windows, unknown feedback, the reference', () => {
    const facts = Object.fromEntries(summaryFacts(classifier(), trans).map(f => [f.key, f]));
    const m = raw('classification').monitor;
    expect(facts.predictions.value).toBe(`${m.predictions.toLocaleString()} in 4 windows`);
    expect(facts.labels.value).toBe(`${m.labels.toLocaleString()} (73.3% of the predictions)`);
    expect(facts.alerts.value).toBe(`${m.alerts} of 4 (1 with concept drift)`);
    expect(facts.alerts.alert).toBe(true);
    expect(facts.unknown.value).toBe('1, kept until their predictions are logged');
    const ref = m.reference;
    expect(facts.reference.value).toBe(
      `${ref.rows.toLocaleString()} rows; calibrated (ECE ${formatMeasure(ref.ece_before)} → ${formatMeasure(ref.ece_after)}); ` +
        `accuracy: CBPE ${ref.metrics.accuracy.cbpe.toFixed(3)}, importance-weighted ${ref.metrics.accuracy.iw.toFixed(3)}, realized ${ref.metrics.accuracy.realized.toFixed(3)}`
    );
    const r = Object.fromEntries(summaryFacts(regressor(), trans).map(f => [f.key, f]));
    expect(r.unknown).toBeUndefined();
    expect(r.reference.value).toContain('not calibrated');
  });
});

describe('the windows table', () => {
  it('per window: estimates with bands, realized with its label count, threshold, alerts as text', () => {
    const p = classifier();
    const w2 = W('classification')[2];
    const row = windowRow(p, p.windows[2], 'accuracy', 'window', trans);
    expect(row.label).toBe(w2.label);
    expect(row.alert).toBe(true);
    expect(row.conceptDrift).toBe(true);
    expect(row.estimates.map(e => e.estimator)).toEqual(['cbpe', 'iw']);
    const cb = w2.metrics.accuracy.cbpe;
    expect(row.estimates[0].text).toBe(`${cb.value.toFixed(3)} [${cb.lower.toFixed(3)}, ${cb.upper.toFixed(3)}]`);
    expect(row.estimates[1].unreliable).toBe(false);
    expect(row.estimates[1].title).toBe(
      `effective sample size ${Math.round(w2.metrics.accuracy.iw.ess).toLocaleString()}; ${formatShare(w2.metrics.accuracy.iw.extrapolation)} of the rows outside the reference`
    );
    expect(row.realized).toBe(`${w2.metrics.accuracy.realized.value.toFixed(3)} [${w2.metrics.accuracy.realized.lower.toFixed(3)}, ${w2.metrics.accuracy.realized.upper.toFixed(3)}]`);
    expect(row.realizedTitle).toBe('from 400 labels');
    expect(row.threshold).toBe(`≥ ${w2.metrics.accuracy.threshold.lower.toFixed(3)}`);
    expect(row.notices.map(n => [n.level, n.kind])).toEqual([
      ['alert', 'performance'],
      ['alert', 'concept_drift']
    ]);
    expect(row.notices[1].message).toBe('estimate and realized disagree — likely concept drift (P(y|x) changed)');
    // Another metric's alerts are not this metric's: precision has none in that window.
    expect(windowRow(p, p.windows[2], 'precision', 'window', trans).notices).toEqual([]);
    expect(windowRow(p, p.windows[3], 'accuracy', 'window', trans).realized).toBe('no labels yet');
    expect(windowRow(p, p.windows[0], 'accuracy', 'window', trans).coverage).toBe('75%');
  });

  it('warnings concern their metric, or every metric when they name none; an unreliable estimate is marked', () => {
    const data = raw('classification');
    data.windows[1].warnings = [
      { kind: 'label_bias', metric: 'accuracy', message: 'the labelled rows are not a random sample' },
      { kind: 'extrapolation', metric: null, message: '30% of the rows where the reference has almost none' }
    ];
    data.windows[1].metrics.f1.iw.reliable = false;
    const p = parseMonitorPayload(data, trans);
    expect(windowRow(p, p.windows[1], 'accuracy', 'window', trans).notices.map(n => [n.level, n.kind])).toEqual([
      ['warning', 'label_bias'],
      ['warning', 'extrapolation']
    ]);
    const f1 = windowRow(p, p.windows[1], 'f1', 'window', trans);
    expect(f1.notices.map(n => n.kind)).toEqual(['extrapolation']);
    expect(f1.estimates[1].unreliable).toBe(true);
    expect(f1.estimates[1].title).toContain('unreliable here');
    expect(chartRows(p, 'f1', 'window', trans).estimates.filter(e => !e.reliable).map(e => e.index)).toEqual([p.windows[1].index]);
  });

  it('cumulative: the cumulative counts, metrics and what Python judged on them', () => {
    const p = classifier();
    const c3 = W('classification')[3].cumulative;
    const row = windowRow(p, p.windows[3], 'accuracy', 'cumulative', trans);
    expect(row.predictions).toBe(c3.predictions.toLocaleString());
    expect(row.labels).toBe(c3.labels.toLocaleString());
    expect(row.estimates[0].text.startsWith(c3.metrics.accuracy.cbpe.value.toFixed(3))).toBe(true);
    expect(row.realized).not.toBe('no labels yet'); // earlier windows' labels count
    expect(row.alert).toBe(c3.metrics.accuracy.alert);
    expect(row.notices.map(n => n.kind)).toEqual(c3.alerts.filter((a: any) => a.metric === 'accuracy').map((a: any) => a.kind));
    // A payload whose cumulative objects carry no alerts: the cumulative verdicts in words.
    const data = raw('classification');
    delete data.windows[3].cumulative.alerts;
    delete data.windows[3].cumulative.warnings;
    const words = windowRow(parseMonitorPayload(data, trans), parseMonitorPayload(data, trans).windows[3], 'accuracy', 'cumulative', trans);
    expect(words.notices.map(n => n.message)).toEqual([
      ...(c3.metrics.accuracy.alert ? ['past its threshold (cumulative)'] : []),
      ...(c3.metrics.accuracy.concept_drift ? ['estimate and realized disagree — likely concept drift (P(y|x) changed)'] : [])
    ]);
  });
});

describe('the chart', () => {
  const options = (metric: string, mode: 'window' | 'cumulative') => ({ palette: PALETTE, trans, metric, mode, width: 600 });

  it('rows: an estimate per estimator and window, realized where labelled, thresholds, alert marks, volume', () => {
    const p = classifier();
    const windows = W('classification');
    const rows = chartRows(p, 'accuracy', 'window', trans);
    expect(rows.estimates).toHaveLength(8);
    expect(new Set(rows.estimates.map(e => e.series))).toEqual(new Set(['CBPE', 'importance-weighted']));
    expect(rows.realized.map(r => r.index)).toEqual(windows.slice(0, 3).map((w: any) => w.index));
    expect(rows.realized.find(r => r.index === windows[2].index)?.concept_drift).toBe(true);
    expect(rows.realized.find(r => r.index === windows[0].index)?.labels).toBe(300);
    expect(rows.thresholds.map(t => t.side)).toEqual(Array(4).fill('lower threshold'));
    expect(rows.alerts.map(a => [a.index, a.kind])).toEqual([[windows[2].index, 'concept drift']]);
    expect(rows.alerts[0].message).toContain('likely concept drift');
    expect(rows.volume.map(v => v.predictions)).toEqual(windows.map((w: any) => w.predictions));
    const cumulative = chartRows(p, 'accuracy', 'cumulative', trans);
    expect(cumulative.volume.map(v => v.predictions)).toEqual(windows.map((w: any) => w.cumulative.predictions));
    expect(cumulative.realized).toHaveLength(4);
    // A regressor: one estimator, an upper threshold, concept drift on its second window.
    const r = chartRows(regressor(), 'mae', 'window', trans);
    expect(r.estimates.map(e => e.series)).toEqual(['DLE', 'DLE']);
    expect(r.thresholds.every(t => t.side === 'upper threshold')).toBe(true);
    expect(r.alerts.map(a => [a.index, a.kind])).toEqual([[W('regression')[1].index, 'concept drift']]);
  });

  it('spec: the metric chart over the volume and coverage chart, titled by metric and mode', () => {
    const spec = monitorSpec(classifier(), options('f1', 'cumulative')) as any;
    expect(spec.$schema).toContain('vega-lite/v6');
    expect(spec.vconcat).toHaveLength(2);
    const [metricChart, volume] = spec.vconcat;
    const marks = metricChart.layer.map((l: any) => l.mark.type);
    expect(marks.slice(0, 6)).toEqual(['area', 'line', 'line', 'point', 'rule', 'point']);
    expect(metricChart.layer[2].encoding.y.title).toBe('F1 (cumulative)');
    expect(volume.layer.map((l: any) => l.mark.type)).toEqual(['bar', 'line']);
    // A layer with no rows is left out (no alerts: no alert marks).
    const quiet = monitorSpec(classifier(), options('precision', 'window')) as any;
    expect(quiet.vconcat[0].layer.map((l: any) => l.mark.type)).toEqual(['area', 'line', 'line', 'point', 'rule', 'point']);
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
