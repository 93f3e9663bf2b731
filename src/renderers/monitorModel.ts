/**
 * The monitor panel's model: the `application/vnd.plumbline.monitor+json`
 * payload (version 1, made by plumbline/monitoring/monitor_display.py and
 * pinned by plumbline/tests/fixtures/monitor-bundle-v1.json; the same window
 * objects are the `series` column of the replicated `monitor_windows` table),
 * checked on arrival, and the words, table rows and Vega-Lite specs the panel
 * shows. Pure functions (jest): every estimate, band, interval and alert was
 * computed in Python; this file only reads, formats and draws them.
 *
 * Defensive: numbers may be null anywhere (not computed, no labels yet), and a
 * part of a window may be missing; the panel then shows '–' instead of failing.
 */
// Type only: jest runs these functions in Node without JupyterLab's ES modules.
import type { TranslationBundle } from '@jupyterlab/translation';

import { formatMeasure, formatShare } from './driftModel';

export const MONITOR_MIME = 'application/vnd.plumbline.monitor+json';
export const MONITOR_VERSION = 1;

export type MonitorKind = 'classification' | 'regression';
export type MonitorStatus = 'ok' | 'alert' | 'concept_drift' | 'no data';
export type ViewMode = 'window' | 'cumulative';

export interface IEstimate {
  value: number | null;
  lower: number | null;
  upper: number | null;
  /** Importance-weighted only: effective sample size, share of rows outside the reference, reliable. */
  ess?: number | null;
  extrapolation?: number | null;
  reliable?: boolean | null;
}

export interface IRealized {
  value: number | null;
  lower: number | null;
  upper: number | null;
  labels: number | null;
}

/** One metric of one window: an estimate per estimator, the realized value, threshold, verdicts. */
export interface IMetricWindow {
  /** Keyed by estimator (`cbpe`, `iw`, `dle`), also `realized`, `threshold`, `alert`, `concept_drift`. */
  [estimator: string]: IEstimate | IRealized | { lower: number | null; upper: number | null } | boolean | null | undefined;
  realized: IRealized | null;
  threshold: { lower: number | null; upper: number | null } | null;
  alert: boolean;
  concept_drift: boolean;
}

export interface INotice {
  kind: string;
  metric: string | null;
  message: string;
}

export interface IAggregate {
  predictions: number | null;
  labels: number | null;
  coverage: number | null;
  metrics: { [metric: string]: IMetricWindow };
  /** A window's own; in `cumulative`, those of windows 0..index taken together (null: not sent). */
  alerts: INotice[] | null;
  warnings: INotice[] | null;
}

export interface IWindow extends IAggregate {
  alerts: INotice[];
  warnings: INotice[];
  index: number;
  label: string;
  start: string | null;
  end: string | null;
  cumulative: IAggregate | null;
}

export interface IReference {
  rows: number | null;
  calibrated: boolean | null;
  ece_before: number | null;
  ece_after: number | null;
  metrics: { [metric: string]: { [estimatorOrRealized: string]: number | null } };
}

export interface IMonitorInfo {
  id: string;
  name: string;
  kind: MonitorKind | string;
  window: string;
  window_kind: 'time' | 'rows' | string;
  metrics: string[];
  primary_metric: string;
  estimators: string[];
  predictions: number | null;
  labels: number | null;
  unknown_feedback: number | null;
  reference: IReference | null;
  updated_at: string | null;
  /** Not in the contract's section 2, but Python sends them (and the store has them): preferred when valid. */
  status: MonitorStatus | null;
  alerts: number | null;
}

export interface IMessage {
  level: 'info' | 'warning' | 'error' | string;
  message: string;
}

export interface ITrigger {
  pipeline: string;
  on: string;
  /** On 'labels': this many new labelled rows. */
  labels: number | null;
  /** As the user gave it ('1D'), or in words from `cooldown_seconds`. */
  cooldown: string | null;
  approval: boolean;
  /** ISO time ('last_fired', or 'last_fired_at' in epoch seconds). */
  last_fired: string | null;
  state: string;
}

export interface IMonitorPayload {
  version: number;
  monitor: IMonitorInfo;
  windows: IWindow[];
  messages: IMessage[];
  triggers: ITrigger[];
}

const STATUSES: MonitorStatus[] = ['ok', 'alert', 'concept_drift', 'no data'];
/** The order metrics are listed in when a payload does not say it (Python's JSON sorts keys). */
const METRIC_ORDER = ['accuracy', 'precision', 'recall', 'f1', 'roc_auc', 'mae', 'rmse'];

/** A payload the panel cannot show, with what to do about it. */
export class MonitorPayloadError extends Error {}

const isObject = (value: unknown): value is { [key: string]: unknown } =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A finite number, or null (Python writes null for what it did not compute; never NaN). */
export function num(value: unknown): number | null {
  return typeof value === 'number' && Number.isFinite(value) ? value : null;
}

const str = (value: unknown, fallback = ''): string =>
  typeof value === 'string' ? value : value === null || value === undefined ? fallback : String(value);

const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter(v => typeof v === 'string') : []);

function interval(value: unknown): IEstimate | null {
  if (!isObject(value)) {
    return null;
  }
  const out: IEstimate = { value: num(value.value), lower: num(value.lower), upper: num(value.upper) };
  if ('ess' in value) {
    out.ess = num(value.ess);
  }
  if ('extrapolation' in value) {
    out.extrapolation = num(value.extrapolation);
  }
  if ('reliable' in value) {
    out.reliable = typeof value.reliable === 'boolean' ? value.reliable : null;
  }
  return out;
}

function metricWindow(value: unknown, estimators: string[]): IMetricWindow {
  const m = isObject(value) ? value : {};
  const out: IMetricWindow = {
    realized: null,
    threshold: null,
    alert: m.alert === true,
    concept_drift: m.concept_drift === true
  };
  for (const estimator of estimators) {
    out[estimator] = interval(m[estimator]);
  }
  if (isObject(m.realized)) {
    out.realized = { ...(interval(m.realized) as IEstimate), labels: num(m.realized.labels) } as IRealized;
    delete (out.realized as IEstimate).ess;
  }
  if (isObject(m.threshold)) {
    out.threshold = { lower: num(m.threshold.lower), upper: num(m.threshold.upper) };
  }
  return out;
}

function notices(value: unknown): INotice[] {
  return (Array.isArray(value) ? value : []).filter(isObject).map(n => ({
    kind: str(n.kind, 'warning'),
    metric: typeof n.metric === 'string' ? n.metric : null,
    message: str(n.message)
  }));
}

function aggregate(value: unknown, metrics: string[], estimators: string[]): IAggregate {
  const a = isObject(value) ? value : {};
  const raw = isObject(a.metrics) ? a.metrics : {};
  const out: IAggregate = {
    predictions: num(a.predictions),
    labels: num(a.labels),
    coverage: num(a.coverage),
    metrics: {},
    alerts: Array.isArray(a.alerts) ? notices(a.alerts) : null,
    warnings: Array.isArray(a.warnings) ? notices(a.warnings) : null
  };
  for (const metric of metrics) {
    out.metrics[metric] = metricWindow(raw[metric], estimators);
  }
  return out;
}

/**
 * The payload, checked: a newer or broken payload gets a message saying what is
 * wrong, never a half-drawn panel. Every number that is not finite becomes null;
 * missing parts get their empty value.
 */
export function parseMonitorPayload(data: unknown, trans: TranslationBundle): IMonitorPayload {
  if (!isObject(data)) {
    throw new MonitorPayloadError(trans.__('This monitor panel has no data (the output holds no JSON object).'));
  }
  const version = data.version;
  if (typeof version !== 'number') {
    throw new MonitorPayloadError(trans.__('This monitor panel has no version: it was not made by plumbline.monitor.'));
  }
  if (version > MONITOR_VERSION) {
    throw new MonitorPayloadError(
      trans.__(
        'This monitor panel was made by a newer Plumbline (format %1; this extension reads %2). Update the jupyterlab-plumbline extension, or read the text summary.',
        version,
        MONITOR_VERSION
      )
    );
  }
  if (version < 1) {
    throw new MonitorPayloadError(trans.__('This monitor panel has an unknown format (%1).', version));
  }
  const missing = ['monitor', 'windows'].filter(key => (key === 'windows' ? !Array.isArray(data[key]) : !isObject(data[key])));
  if (missing.length) {
    throw new MonitorPayloadError(trans.__('This monitor panel is incomplete (no %1). Display the monitor again.', missing.join(', ')));
  }
  const m = data.monitor as { [key: string]: unknown };
  const kind = str(m.kind, 'classification');
  let metrics = strings(m.metrics);
  const estimators = strings(m.estimators);
  const rawWindows = (data.windows as unknown[]).filter(isObject);
  if (!metrics.length) {
    // An older or hand-made payload: take the metrics the windows carry.
    const first = rawWindows.find(w => isObject(w.metrics));
    const rank = (m: string) => (METRIC_ORDER.indexOf(m) + METRIC_ORDER.length + 1) % (METRIC_ORDER.length + 1);
    metrics = first ? Object.keys(first.metrics as object).sort((a, b) => rank(a) - rank(b)) : [];
  }
  const primary = typeof m.primary_metric === 'string' && metrics.includes(m.primary_metric) ? m.primary_metric : metrics[0] ?? '';
  const reference = isObject(m.reference) ? m.reference : null;
  const monitor: IMonitorInfo = {
    id: str(m.id),
    name: str(m.name, trans.__('monitor')),
    kind,
    window: str(m.window),
    window_kind: str(m.window_kind, 'rows'),
    metrics,
    primary_metric: primary,
    estimators,
    predictions: num(m.predictions),
    labels: num(m.labels),
    unknown_feedback: num(m.unknown_feedback),
    reference: reference
      ? {
          rows: num(reference.rows),
          calibrated: typeof reference.calibrated === 'boolean' ? reference.calibrated : null,
          ece_before: num(reference.ece_before),
          ece_after: num(reference.ece_after),
          metrics: Object.fromEntries(
            Object.entries(isObject(reference.metrics) ? reference.metrics : {})
              .filter(([, v]) => isObject(v))
              .map(([metric, v]) => [metric, Object.fromEntries(Object.entries(v as object).map(([k, x]) => [k, num(x)]))])
          )
        }
      : null,
    updated_at: typeof m.updated_at === 'string' ? m.updated_at : null,
    status: STATUSES.includes(m.status as MonitorStatus) ? (m.status as MonitorStatus) : null,
    alerts: num(m.alerts)
  };
  const windows: IWindow[] = rawWindows.map((w, position) => ({
    ...aggregate(w, metrics, estimators),
    alerts: notices(w.alerts),
    warnings: notices(w.warnings),
    index: num(w.index) ?? position,
    label: str(w.label, String(position)),
    start: typeof w.start === 'string' ? w.start : null,
    end: typeof w.end === 'string' ? w.end : null,
    cumulative: isObject(w.cumulative) ? aggregate(w.cumulative, metrics, estimators) : null
  }));
  windows.sort((a, b) => a.index - b.index);
  const messages = (Array.isArray(data.messages) ? data.messages : []).filter(isObject).map(x => ({
    level: str(x.level, 'info'),
    message: str(x.message)
  }));
  const triggers = (Array.isArray(data.triggers) ? data.triggers : []).filter(isObject).map(t => ({
    pipeline: str(t.pipeline),
    on: str(t.on),
    labels: num(t.labels),
    cooldown: typeof t.cooldown === 'string' ? t.cooldown : num(t.cooldown_seconds) !== null ? formatSeconds(num(t.cooldown_seconds)!) : null,
    approval: t.approval !== false,
    last_fired:
      typeof t.last_fired === 'string'
        ? t.last_fired
        : num(t.last_fired_at) !== null
          ? new Date(num(t.last_fired_at)! * 1000).toISOString().replace(/\.\d{3}Z$/, 'Z')
          : null,
    state: str(t.state)
  }));
  return { version, monitor, windows, messages, triggers };
}

// -- words ------------------------------------------------------------------------------------------

/** A duration in its largest whole unit: 86400 → '1 d', 21600 → '6 h', 90 → '90 s'. */
export function formatSeconds(seconds: number): string {
  for (const [unit, size] of [['d', 86400], ['h', 3600], ['min', 60]] as [string, number][]) {
    if (seconds >= size && seconds % size === 0) {
      return `${seconds / size} ${unit}`;
    }
  }
  return `${Number(seconds.toPrecision(3))} s`;
}

/** The metric's name as the panel writes it. */
export function metricLabel(metric: string, trans: TranslationBundle): string {
  switch (metric) {
    case 'accuracy':
      return trans.__('accuracy');
    case 'precision':
      return trans.__('precision');
    case 'recall':
      return trans.__('recall');
    case 'f1':
      return trans.__('F1');
    case 'roc_auc':
      return trans.__('ROC AUC');
    case 'mae':
      return trans.__('MAE');
    case 'rmse':
      return trans.__('RMSE');
    default:
      return metric;
  }
}

/** The estimator's name as the panel writes it. */
export function estimatorLabel(estimator: string, trans: TranslationBundle): string {
  switch (estimator) {
    case 'cbpe':
      return trans.__('CBPE');
    case 'iw':
      return trans.__('importance-weighted');
    case 'dle':
      return trans.__('DLE');
    case 'realized':
      return trans.__('realized');
    default:
      return estimator;
  }
}

export function statusLabel(status: MonitorStatus | string, trans: TranslationBundle): string {
  switch (status) {
    case 'ok':
      return trans.__('ok');
    case 'alert':
      return trans.__('alert');
    case 'concept_drift':
      return trans.__('concept drift');
    case 'no data':
      return trans.__('no data');
    default:
      return status;
  }
}

export function kindLabel(kind: string, trans: TranslationBundle): string {
  switch (kind) {
    case 'classification':
      return trans.__('classifier');
    case 'regression':
      return trans.__('regressor');
    default:
      return kind;
  }
}

/** Metrics where lower is better (errors): their threshold is an upper bound. */
export function lowerIsBetter(metric: string): boolean {
  return metric === 'mae' || metric === 'rmse';
}

/**
 * The monitor's state in one word, as Python says it (`monitor.status`, the
 * store's `monitors.status`): the latest window's verdict — concept drift,
 * else an alert, else ok; no data before the first window.
 */
export function monitorStatus(payload: IMonitorPayload): MonitorStatus {
  if (payload.monitor.status) {
    return payload.monitor.status;
  }
  const latest = payload.windows[payload.windows.length - 1];
  if (!latest) {
    return 'no data';
  }
  const metrics = Object.values(latest.metrics);
  if (metrics.some(m => m.concept_drift) || latest.alerts.some(a => a.kind === 'concept_drift')) {
    return 'concept_drift';
  }
  return metrics.some(m => m.alert) || latest.alerts.length ? 'alert' : 'ok';
}

/** Windows with an alert or concept drift (Python's count when it sends one). */
export function alertedWindows(payload: IMonitorPayload): number {
  return (
    payload.monitor.alerts ??
    payload.windows.filter(w => w.alerts.length || Object.values(w.metrics).some(x => x.alert || x.concept_drift)).length
  );
}

/** An integer with the locale's digit grouping, or '–'. */
export function formatCount(value: number | null | undefined): string {
  return value === null || value === undefined || !Number.isFinite(value) ? '–' : Math.round(value).toLocaleString();
}

/** A metric value: three decimals for scores in [0, 1], three significant digits for errors. */
export function formatValue(value: number | null | undefined, metric: string): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '–';
  }
  return lowerIsBetter(metric) ? formatMeasure(value) : value.toFixed(3);
}

/** "0.830 [0.815, 0.845]", or just the value when the band is not known. */
export function formatInterval(e: { value: number | null; lower: number | null; upper: number | null } | null, metric: string): string {
  if (!e || e.value === null) {
    return '–';
  }
  if (e.lower === null || e.upper === null) {
    return formatValue(e.value, metric);
  }
  return `${formatValue(e.value, metric)} [${formatValue(e.lower, metric)}, ${formatValue(e.upper, metric)}]`;
}

/** "≥ 0.790", "≤ 16.2", "0.790–0.900", or '–'. */
export function formatThreshold(t: { lower: number | null; upper: number | null } | null, metric: string): string {
  if (!t || (t.lower === null && t.upper === null)) {
    return '–';
  }
  if (t.lower !== null && t.upper !== null) {
    return `${formatValue(t.lower, metric)}–${formatValue(t.upper, metric)}`;
  }
  return t.lower !== null ? `≥ ${formatValue(t.lower, metric)}` : `≤ ${formatValue(t.upper, metric)}`;
}

/** The aggregate a view mode reads of a window: the window itself, or windows 0..index summed. */
export function aggregateOf(window: IWindow, mode: ViewMode): IAggregate | null {
  return mode === 'cumulative' ? window.cumulative : window;
}

export interface IFact {
  key: string;
  label: string;
  value: string;
  alert: boolean;
  title?: string;
}

/** The head's facts, in reading order. */
export function summaryFacts(payload: IMonitorPayload, trans: TranslationBundle): IFact[] {
  const m = payload.monitor;
  const windows = payload.windows;
  const alerted = alertedWindows(payload);
  const drifted = windows.filter(w => Object.values(w.metrics).some(x => x.concept_drift));
  const coverage = m.predictions ? (m.labels ?? 0) / m.predictions : null;
  const facts: IFact[] = [
    {
      key: 'predictions',
      label: trans.__('Predictions'),
      value: trans._n('%2 in %1 window', '%2 in %1 windows', windows.length, formatCount(m.predictions)),
      alert: false
    },
    {
      key: 'labels',
      label: trans.__('Labels'),
      value: m.labels ? trans.__('%1 (%2 of the predictions)', formatCount(m.labels), formatShare(coverage)) : trans.__('none yet'),
      alert: false
    },
    {
      key: 'alerts',
      label: trans.__('Windows with an alert'),
      value: alerted
        ? drifted.length
          ? trans.__('%1 of %2 (%3 with concept drift)', alerted, windows.length, drifted.length)
          : trans.__('%1 of %2', alerted, windows.length)
        : trans.__('none'),
      alert: alerted > 0
    }
  ];
  if (m.unknown_feedback) {
    facts.push({
      key: 'unknown',
      label: trans.__('Feedback for unknown ids'),
      value: trans.__('%1, kept until their predictions are logged', formatCount(m.unknown_feedback)),
      alert: false
    });
  }
  const reference = m.reference;
  if (reference) {
    const parts = [trans._n('%2 row', '%2 rows', reference.rows ?? 0, formatCount(reference.rows))];
    if (reference.calibrated === true) {
      parts.push(trans.__('calibrated (ECE %1 → %2)', formatMeasure(reference.ece_before), formatMeasure(reference.ece_after)));
    } else if (reference.calibrated === false) {
      parts.push(
        reference.ece_before !== null
          ? trans.__('not calibrated (ECE %1: calibration did not lower it)', formatMeasure(reference.ece_before))
          : trans.__('not calibrated')
      );
    }
    const primary = reference.metrics[m.primary_metric];
    if (primary) {
      const values = Object.entries(primary)
        .filter(([, v]) => v !== null)
        .map(([k, v]) => `${estimatorLabel(k, trans)} ${formatValue(v, m.primary_metric)}`);
      if (values.length) {
        parts.push(`${metricLabel(m.primary_metric, trans)}: ${values.join(', ')}`);
      }
    }
    facts.push({ key: 'reference', label: trans.__('Reference'), value: parts.join('; '), alert: false });
  }
  return facts;
}

// -- the table ------------------------------------------------------------------------------------------

export interface IWindowRow {
  index: number;
  label: string;
  /** start → end for a time window ('' for rows windows). */
  span: string;
  predictions: string;
  labels: string;
  coverage: string;
  /** One text per estimator, in monitor.estimators order. */
  estimates: { estimator: string; text: string; unreliable: boolean; title: string }[];
  realized: string;
  realizedTitle: string;
  threshold: string;
  alert: boolean;
  conceptDrift: boolean;
  /** The window's alerts and warnings that concern this metric (or no metric), as text. */
  notices: { kind: string; level: 'alert' | 'warning'; message: string }[];
}

/** One row of the windows table for `metric` in `mode`. */
export function windowRow(payload: IMonitorPayload, window: IWindow, metric: string, mode: ViewMode, trans: TranslationBundle): IWindowRow {
  const agg = aggregateOf(window, mode);
  const m = agg?.metrics[metric] ?? null;
  const realized = m?.realized ?? null;
  const mine = (n: INotice) => n.metric === null || n.metric === metric;
  const perWindow = mode === 'window';
  return {
    index: window.index,
    label: window.label,
    span: window.start && window.end ? `${window.start} → ${window.end}` : window.start ?? '',
    predictions: formatCount(agg?.predictions),
    labels: formatCount(agg?.labels),
    coverage: formatShare(agg?.coverage),
    estimates: payload.monitor.estimators.map(estimator => {
      const e = (m?.[estimator] ?? null) as IEstimate | null;
      const unreliable = e?.reliable === false;
      const title = [
        e?.ess !== undefined && e?.ess !== null ? trans.__('effective sample size %1', formatCount(e.ess)) : '',
        e?.extrapolation !== undefined && e?.extrapolation !== null
          ? trans.__('%1 of the rows outside the reference', formatShare(e.extrapolation))
          : '',
        unreliable ? trans.__('unreliable here: too many rows where the reference has almost none') : ''
      ]
        .filter(Boolean)
        .join('; ');
      return { estimator, text: formatInterval(e, metric), unreliable, title };
    }),
    realized: realized ? formatInterval(realized, metric) : trans.__('no labels yet'),
    realizedTitle:
      realized?.labels !== null && realized?.labels !== undefined
        ? trans._n('from %2 label', 'from %2 labels', realized.labels, formatCount(realized.labels))
        : '',
    threshold: formatThreshold(m?.threshold ?? null, metric),
    alert: !!m?.alert,
    conceptDrift: !!m?.concept_drift,
    // The cumulative view shows what Python judged on the cumulative sums (or, from a payload
    // without them, the cumulative verdicts in words).
    notices: perWindow || agg?.alerts
      ? [
          ...(agg?.alerts ?? []).filter(mine).map(a => ({ kind: a.kind, level: 'alert' as const, message: a.message })),
          ...(agg?.warnings ?? []).filter(mine).map(w => ({ kind: w.kind, level: 'warning' as const, message: w.message }))
        ]
      : [
          ...(m?.alert ? [{ kind: 'performance', level: 'alert' as const, message: trans.__('past its threshold (cumulative)') }] : []),
          ...(m?.concept_drift
            ? [{ kind: 'concept_drift', level: 'alert' as const, message: trans.__('estimate and realized disagree — likely concept drift (P(y|x) changed)') }]
            : [])
        ]
  };
}

// -- charts ---------------------------------------------------------------------------------------------

/** The colors charts take from JupyterLab's theme (read by the view when it draws). */
export interface IMonitorPalette {
  /** One color per estimator, in monitor.estimators order. */
  estimators: string[];
  realized: string;
  threshold: string;
  alert: string;
  warn: string;
  volume: string;
  coverage: string;
  muted: string;
}

export interface IMonitorSpecOptions {
  palette: IMonitorPalette;
  trans: TranslationBundle;
  metric: string;
  mode: ViewMode;
  /** The chart's width in pixels (the view passes its own). */
  width?: number;
}

export interface IChartRows {
  estimates: { index: number; label: string; series: string; value: number; lower: number | null; upper: number | null; reliable: boolean; note: string }[];
  realized: { index: number; label: string; value: number; lower: number | null; upper: number | null; labels: number | null; concept_drift: boolean }[];
  thresholds: { index: number; label: string; side: string; value: number }[];
  alerts: { index: number; label: string; value: number; kind: string; message: string }[];
  volume: { index: number; label: string; predictions: number | null; labels: number | null; coverage: number | null }[];
}

/** The rows every layer of the chart draws, for `metric` in `mode`. */
export function chartRows(payload: IMonitorPayload, metric: string, mode: ViewMode, trans: TranslationBundle): IChartRows {
  const rows: IChartRows = { estimates: [], realized: [], thresholds: [], alerts: [], volume: [] };
  for (const window of payload.windows) {
    const agg = aggregateOf(window, mode);
    const { index, label } = window;
    rows.volume.push({ index, label, predictions: agg?.predictions ?? null, labels: agg?.labels ?? null, coverage: agg?.coverage ?? null });
    const m = agg?.metrics[metric];
    if (!m) {
      continue;
    }
    let marked: number | null = null;
    for (const estimator of payload.monitor.estimators) {
      const e = m[estimator] as IEstimate | null;
      if (!e || e.value === null) {
        continue;
      }
      marked ??= e.value;
      rows.estimates.push({
        index,
        label,
        series: estimatorLabel(estimator, trans),
        value: e.value,
        lower: e.lower,
        upper: e.upper,
        reliable: e.reliable !== false,
        note: e.reliable === false ? trans.__('unreliable: extrapolation %1', formatShare(e.extrapolation)) : ''
      });
    }
    const r = m.realized;
    if (r && r.value !== null) {
      rows.realized.push({ index, label, value: r.value, lower: r.lower, upper: r.upper, labels: r.labels, concept_drift: m.concept_drift });
    }
    for (const side of ['lower', 'upper'] as const) {
      const value = m.threshold?.[side] ?? null;
      if (value !== null) {
        rows.thresholds.push({ index, label, side: side === 'lower' ? trans.__('lower threshold') : trans.__('upper threshold'), value });
      }
    }
    const messages = (agg?.alerts ?? []).filter(a => a.metric === null || a.metric === metric).map(a => a.message);
    if (m.alert || m.concept_drift || messages.length) {
      rows.alerts.push({
        index,
        label,
        value: marked ?? r?.value ?? 0,
        kind: m.concept_drift ? trans.__('concept drift') : trans.__('alert'),
        message: messages.join('\n') || (m.concept_drift ? trans.__('estimate and realized disagree') : trans.__('past the threshold'))
      });
    }
  }
  return rows;
}

const SCHEMA = 'https://vega.github.io/schema/vega-lite/v6.json';

/**
 * The panel's chart: on top, per window (or cumulative), each estimator's
 * metric as a line with its band, the realized metric as points with their
 * interval (label count in the tooltip), the threshold(s) and alert marks;
 * below, prediction volume (bars) and label coverage (line). Null when no
 * window has anything to draw.
 */
export function monitorSpec(payload: IMonitorPayload, options: IMonitorSpecOptions): Record<string, unknown> | null {
  const { trans, palette, metric, mode } = options;
  const rows = chartRows(payload, metric, mode, trans);
  if (!payload.windows.length || (!rows.estimates.length && !rows.realized.length && !rows.volume.some(v => v.predictions))) {
    return null;
  }
  const labels = payload.windows.map(w => w.label);
  const width = Math.max(240, Math.min(options.width ?? 640, 1200));
  const x = {
    field: 'index',
    type: 'ordinal',
    sort: null,
    scale: { domain: payload.windows.map(w => w.index) },
    // The labels go under the volume chart; the metric chart above keeps its grid.
    axis: { title: null, labels: false, ticks: false }
  };
  const xLabelled = {
    ...x,
    axis: {
      title: null,
      labelExpr: `${JSON.stringify(Object.fromEntries(payload.windows.map(w => [w.index, w.label])))}[datum.value]`,
      labelAngle: labels.some(l => l.length > 10) || labels.length > 12 ? -30 : 0,
      labelOverlap: true,
      labelLimit: 140
    }
  };
  const series = payload.monitor.estimators.map(e => estimatorLabel(e, trans));
  const realizedName = trans.__('realized');
  const color = {
    field: 'series',
    type: 'nominal',
    scale: {
      domain: [...series, realizedName],
      range: [...series.map((_, i) => palette.estimators[i % palette.estimators.length]), palette.realized]
    },
    legend: { orient: 'top', title: null, symbolOpacity: 1, symbolType: 'circle' }
  };
  const title = metricLabel(metric, trans);
  const y = { type: 'quantitative', title: mode === 'cumulative' ? trans.__('%1 (cumulative)', title) : title, scale: { zero: false } };
  const fmt = lowerIsBetter(metric) ? '.3~g' : '.3f';
  const windowTitle = trans.__('window');
  const layers: Record<string, unknown>[] = [
    {
      data: { values: rows.estimates.filter(r => r.lower !== null && r.upper !== null) },
      mark: { type: 'area', opacity: 0.16, interpolate: 'linear' },
      encoding: { x, y: { ...y, field: 'lower' }, y2: { field: 'upper' }, color }
    },
    {
      data: { values: rows.thresholds },
      mark: { type: 'line', strokeDash: [5, 3], color: palette.threshold, interpolate: 'step' },
      encoding: {
        x,
        y: { ...y, field: 'value' },
        detail: { field: 'side' },
        tooltip: [
          { field: 'label', title: windowTitle },
          { field: 'side', title: ' ' },
          { field: 'value', title: trans.__('threshold'), format: fmt }
        ]
      }
    },
    {
      data: { values: rows.estimates },
      mark: { type: 'line', point: false, strokeWidth: 2 },
      encoding: { x, y: { ...y, field: 'value' }, color }
    },
    {
      data: { values: rows.estimates },
      mark: { type: 'point', size: 36, strokeWidth: 1.5 },
      encoding: {
        x,
        y: { ...y, field: 'value' },
        color,
        fill: { condition: { test: 'datum.reliable', ...color }, value: 'transparent' },
        tooltip: [
          { field: 'label', title: windowTitle },
          { field: 'series', title: trans.__('estimator') },
          { field: 'value', title: trans.__('estimate'), format: fmt },
          { field: 'lower', title: trans.__('band from'), format: fmt },
          { field: 'upper', title: trans.__('band to'), format: fmt },
          { field: 'note', title: ' ' }
        ]
      }
    },
    {
      data: { values: rows.realized.filter(r => r.lower !== null && r.upper !== null).map(r => ({ ...r, series: realizedName })) },
      mark: { type: 'rule', strokeWidth: 1.5 },
      encoding: { x, y: { ...y, field: 'lower' }, y2: { field: 'upper' }, color }
    },
    {
      data: { values: rows.realized.map(r => ({ ...r, series: realizedName })) },
      mark: { type: 'point', filled: true, shape: 'diamond', size: 70 },
      encoding: {
        x,
        y: { ...y, field: 'value' },
        color,
        stroke: { condition: { test: 'datum.concept_drift', value: palette.alert }, value: null },
        strokeWidth: { value: 2 },
        tooltip: [
          { field: 'label', title: windowTitle },
          { field: 'value', title: trans.__('realized'), format: fmt },
          { field: 'lower', title: trans.__('interval from'), format: fmt },
          { field: 'upper', title: trans.__('interval to'), format: fmt },
          { field: 'labels', title: trans.__('labels'), format: ',' },
          { field: 'concept_drift', title: trans.__('concept drift') }
        ]
      }
    },
    {
      data: { values: rows.alerts },
      mark: { type: 'point', shape: 'triangle-down', filled: true, size: 130, color: palette.alert, yOffset: -14 },
      encoding: {
        x,
        y: { ...y, field: 'value' },
        tooltip: [
          { field: 'label', title: windowTitle },
          { field: 'kind', title: ' ' },
          { field: 'message', title: trans.__('why') }
        ]
      }
    }
  ];
  const volume = {
    height: 70,
    width,
    data: { values: rows.volume },
    layer: [
      {
        mark: { type: 'bar', color: palette.volume, opacity: 0.55, width: { band: 0.7 } },
        encoding: {
          x: xLabelled,
          y: {
            field: 'predictions',
            type: 'quantitative',
            title: mode === 'cumulative' ? trans.__('predictions (total)') : trans.__('predictions'),
            axis: { format: '~s', tickCount: 3 }
          },
          tooltip: [
            { field: 'label', title: windowTitle },
            { field: 'predictions', title: trans.__('predictions'), format: ',' },
            { field: 'labels', title: trans.__('labels'), format: ',' },
            { field: 'coverage', title: trans.__('label coverage'), format: '.1%' }
          ]
        }
      },
      {
        mark: { type: 'line', color: palette.coverage, point: { filled: true, size: 20, color: palette.coverage } },
        encoding: {
          x: xLabelled,
          y: {
            field: 'coverage',
            type: 'quantitative',
            title: trans.__('label coverage'),
            scale: { domain: [0, 1] },
            axis: { format: '.0%', tickCount: 3, orient: 'right' }
          }
        }
      }
    ],
    resolve: { scale: { y: 'independent' } }
  };
  return {
    $schema: SCHEMA,
    // A layer without rows is left out (an empty layer has no extent, and Vega warns).
    vconcat: [{ height: 200, width, layer: layers.filter(l => ((l.data as { values: unknown[] }).values.length > 0)) }, volume],
    spacing: 6,
    resolve: { scale: { x: 'shared' } }
  };
}
