/**
 * The drift panel's model: the `application/vnd.plumbline.drift+json` payload
 * (version 1, made by plumbline/monitoring/display.py and pinned by
 * plumbline/tests/fixtures/drift-bundle-v1.json), checked on arrival, and the
 * words and Vega-Lite specs the panel shows. Pure functions (jest): every
 * statistic was computed in Python; this file only formats and draws it.
 */
// Type only: jest runs these functions in Node without JupyterLab's ES modules.
import type { TranslationBundle } from '@jupyterlab/translation';

export const DRIFT_MIME = 'application/vnd.plumbline.drift+json';
export const DRIFT_VERSION = 1;

export type ColumnStatus = 'drift' | 'ok' | 'schema' | 'not judged';
export type SummaryStatus = 'drift' | 'ok' | 'schema' | 'not judged';

export interface ISide {
  label: string;
  rows: number;
  columns: number;
  run_id: string | null;
  name: string | null;
  io_id: string | null;
  created_at: number | null;
  source: 'rows' | 'run' | 'profile';
}

export type IMultivariate =
  | {
      available: true;
      measure: string;
      value: number | null;
      threshold: number | null;
      reference_value: number | null;
      drift: boolean;
      rows: number;
      components: number;
      variance_kept: number | null;
      false_alarm: number | null;
      contributions: { [column: string]: number };
      message: string;
    }
  | { available: false; message: string };

export interface ISummary {
  status: SummaryStatus;
  message: string;
  columns: number;
  judged: number;
  drifted: number;
  drifted_share: number | null;
  schema_changes: number;
  missing_columns: string[];
  new_columns: string[];
  type_changes: string[];
  expected_false_alarms: number | null;
  reference_rows: number;
  current_rows: number;
  multivariate: IMultivariate;
}

export interface IMeasure {
  title: string;
  value: number | null;
  threshold: number | null;
  error: number | null;
  p_value: number | null;
  floor: string | null;
  false_alarm: number | null;
}

export interface IHistogramOverlay {
  type: 'histogram';
  axis: 'number' | 'time';
  edges: number[];
  reference: number[];
  current: number[];
  reference_below?: number;
  reference_above?: number;
  current_below?: number;
  current_above?: number;
  ecdf?: { probabilities: number[]; reference: number[]; current: number[] } | null;
  reference_mean?: number | null;
  current_mean?: number | null;
  reference_std?: number | null;
  current_std?: number | null;
}

export interface ICategoriesOverlay {
  type: 'categories';
  categories: { value: string; reference: number; current: number; unseen: boolean }[];
  reference_distinct?: number | null;
  current_distinct?: number | null;
}

export interface IHistoryPoint {
  label: string;
  run_id?: string;
  value: number | null;
  threshold: number | null;
  status: string;
}

export interface IColumn {
  name: string;
  kind: 'numeric' | 'datetime' | 'timedelta' | 'boolean' | 'categorical';
  role: 'prediction' | 'feature';
  status: ColumnStatus;
  message: string;
  measure: string | null;
  measure_title: string | null;
  value: number | null;
  threshold: number | null;
  threshold_floor: string | null;
  severity: number | null;
  false_alarm: number | null;
  measures: { [name: string]: IMeasure };
  null_share: {
    reference: number | null;
    current: number | null;
    change: number | null;
    threshold: number | null;
    drift: boolean;
  } | null;
  dtype: { reference: string | null; current: string | null } | null;
  rows: { reference: number | null; current: number | null } | null;
  overlay: IHistogramOverlay | ICategoriesOverlay | null;
  unseen: { value: string; share: number }[];
  vanished: { value: string; share: number }[];
  contribution: number | null;
  notes: string[];
  history: IHistoryPoint[];
}

export interface IChunk {
  label: string;
  rows: number;
  status: SummaryStatus;
  judged: number;
  drifted: number;
  drifted_columns: string[];
  expected_false_alarms: number | null;
  multivariate: IMultivariate;
}

export interface IDriftPayload {
  version: number;
  title: string;
  generated_by: string;
  notes: string[];
  reference: ISide;
  current: ISide;
  summary: ISummary;
  columns: IColumn[];
  chunks: IChunk[] | null;
  settings: { alpha: number; numeric_measure: string; categorical_measure: string; min_effect: { [m: string]: number } };
}

/** A payload the panel cannot show, with what to do about it. */
export class DriftPayloadError extends Error {}

const isObject = (value: unknown): value is { [key: string]: unknown } =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The payload, checked: a newer or broken bundle gets a message saying what is
 * wrong, never a half-drawn panel. Optional parts are filled with their empty value.
 */
export function parseDriftPayload(data: unknown, trans: TranslationBundle): IDriftPayload {
  if (!isObject(data)) {
    throw new DriftPayloadError(trans.__('This drift panel has no data (the output holds no JSON object).'));
  }
  const version = data.version;
  if (typeof version !== 'number') {
    throw new DriftPayloadError(trans.__('This drift panel has no version: it was not made by plumbline.drift.'));
  }
  if (version > DRIFT_VERSION) {
    throw new DriftPayloadError(
      trans.__(
        'This drift panel was made by a newer Plumbline (format %1; this extension reads %2). Update the jupyterlab-plumbline extension, or read the text summary.',
        version,
        DRIFT_VERSION
      )
    );
  }
  const missing = ['summary', 'columns', 'reference', 'current'].filter(key =>
    key === 'columns' ? !Array.isArray(data[key]) : !isObject(data[key])
  );
  if (missing.length) {
    throw new DriftPayloadError(trans.__('This drift panel is incomplete (no %1). Run plumbline.drift again.', missing.join(', ')));
  }
  const columns = (data.columns as unknown[]).filter(isObject).map(column => ({
    measures: {},
    unseen: [],
    vanished: [],
    notes: [],
    history: [],
    ...column
  })) as unknown as IColumn[];
  const summary = data.summary as unknown as ISummary;
  return {
    title: '',
    generated_by: '',
    notes: [],
    chunks: null,
    settings: { alpha: 0, numeric_measure: '', categorical_measure: '', min_effect: {} },
    ...(data as object),
    summary: {
      ...summary,
      missing_columns: summary.missing_columns ?? [],
      new_columns: summary.new_columns ?? [],
      type_changes: summary.type_changes ?? [],
      multivariate: summary.multivariate ?? { available: false, message: '' }
    },
    columns
  } as unknown as IDriftPayload;
}

// -- numbers as the panel writes them -------------------------------------------------------------

/** Three significant digits, no exponent for everyday sizes; '–' for what was not computed. */
export function formatMeasure(value: number | null | undefined): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '–';
  }
  if (value === 0) {
    return '0';
  }
  const abs = Math.abs(value);
  if (abs >= 1e6 || abs < 1e-4) {
    return value.toExponential(2);
  }
  return String(Number(value.toPrecision(3)));
}

/** A share as a percentage: 0.6667 → "66.7%". */
export function formatShare(value: number | null | undefined, digits = 1): string {
  if (value === null || value === undefined || !Number.isFinite(value)) {
    return '–';
  }
  return `${(value * 100).toFixed(digits).replace(/\.0+$/, '')}%`;
}

/** A change of share in percentage points, signed: +16.7 pt. */
export function formatPoints(change: number | null | undefined): string {
  if (change === null || change === undefined || !Number.isFinite(change)) {
    return '–';
  }
  const points = change * 100;
  if (Math.abs(points) < 0.05) {
    return '0 pt';
  }
  return `${points > 0 ? '+' : '−'}${Math.abs(points).toFixed(1)} pt`;
}

/** The words for a verdict. */
export function statusLabel(status: string, trans: TranslationBundle): string {
  switch (status) {
    case 'drift':
      return trans.__('drift');
    case 'ok':
      return trans.__('ok');
    case 'schema':
      return trans.__('schema');
    case 'not judged':
      return trans.__('not judged');
    case 'reference':
      return trans.__('reference');
    case 'error':
      return trans.__('error');
    default:
      return status;
  }
}

// -- the summary ------------------------------------------------------------------------------------

export interface IFact {
  key: string;
  label: string;
  value: string;
  /** The fact is a problem (drift, a schema change, multivariate drift). */
  alert: boolean;
  title?: string;
}

/** The dataset summary, one fact per line of the panel's head, in reading order. */
export function summaryFacts(payload: IDriftPayload, trans: TranslationBundle): IFact[] {
  const s = payload.summary;
  const facts: IFact[] = [
    {
      key: 'drifted',
      label: trans.__('Drifted columns'),
      value:
        s.judged > 0
          ? trans.__('%1 of %2 judged (%3)', s.drifted, s.judged, formatShare(s.drifted_share, 0))
          : trans.__('none judged'),
      alert: s.drifted > 0
    },
    {
      key: 'rows',
      label: trans.__('Rows'),
      value: trans.__('%1 now, %2 in the reference', s.current_rows.toLocaleString(), s.reference_rows.toLocaleString()),
      alert: false
    },
    {
      key: 'schema',
      label: trans.__('Schema changes'),
      value: s.schema_changes ? String(s.schema_changes) : trans.__('none'),
      alert: s.schema_changes > 0
    }
  ];
  if (s.missing_columns.length) {
    facts.push({ key: 'missing', label: trans.__('Missing columns'), value: s.missing_columns.join(', '), alert: true });
  }
  if (s.new_columns.length) {
    facts.push({ key: 'new', label: trans.__('New columns'), value: s.new_columns.join(', '), alert: true });
  }
  if (s.type_changes.length) {
    facts.push({ key: 'types', label: trans.__('Changed type'), value: s.type_changes.join(', '), alert: true });
  }
  facts.push(multivariateFact(s.multivariate, trans));
  facts.push({
    key: 'false-alarms',
    label: trans.__('Expected false alarms'),
    value: s.expected_false_alarms === null ? '–' : formatMeasure(s.expected_false_alarms),
    alert: false,
    title: trans.__(
      'The sum of every judged column\'s false-alarm probability at its threshold: how many columns would be flagged if nothing had changed.'
    )
  });
  return facts;
}

function multivariateFact(mv: IMultivariate, trans: TranslationBundle): IFact {
  const label = trans.__('Multivariate');
  if (!mv.available) {
    return { key: 'multivariate', label, value: trans.__('not available: %1', mv.message || trans.__('not computed')), alert: false };
  }
  const top = Object.entries(mv.contributions ?? {})
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([column, share]) => `${column} ${formatShare(share, 0)}`);
  const value = trans.__(
    '%1 %2 %3 (reference %4)',
    formatMeasure(mv.value),
    mv.drift ? '>' : '≤',
    formatMeasure(mv.threshold),
    formatMeasure(mv.reference_value)
  );
  return {
    key: 'multivariate',
    label,
    value: top.length && mv.drift ? trans.__('%1; most from %2', value, top.join(', ')) : value,
    alert: mv.drift,
    title: mv.message || trans.__('PCA reconstruction error of the current rows under a PCA fitted on the reference')
  };
}

// -- one row per column -----------------------------------------------------------------------------

export interface IColumnRow {
  name: string;
  status: ColumnStatus;
  prediction: boolean;
  kindLabel: string;
  measure: string;
  value: string;
  threshold: string;
  /** Why the threshold is what it is (resampled, minimum effect, sketch error). */
  thresholdTitle: string;
  verdict: string;
  nullChange: string;
  nullDrift: boolean;
  nullTitle: string;
  /** "unseen: PDX 14.4%" or ''. */
  unseen: string;
  message: string;
  hasOverlay: boolean;
  hasHistory: boolean;
}

export function kindLabel(kind: string, trans: TranslationBundle): string {
  switch (kind) {
    case 'numeric':
      return trans.__('number');
    case 'datetime':
      return trans.__('time');
    case 'timedelta':
      return trans.__('duration');
    case 'boolean':
      return trans.__('boolean');
    case 'categorical':
      return trans.__('category');
    default:
      return kind;
  }
}

export function columnRow(column: IColumn, trans: TranslationBundle): IColumnRow {
  const nulls = column.null_share;
  const unseen = column.unseen ?? [];
  return {
    name: column.name,
    status: column.status,
    prediction: column.role === 'prediction',
    kindLabel: kindLabel(column.kind, trans),
    measure: column.measure_title ?? (column.status === 'schema' ? trans.__('schema') : '–'),
    value: formatMeasure(column.value),
    threshold: formatMeasure(column.threshold),
    thresholdTitle: column.threshold_floor ? trans.__('threshold set by: %1', column.threshold_floor) : '',
    verdict: statusLabel(column.status, trans),
    nullChange: nulls ? formatPoints(nulls.change) : '–',
    nullDrift: !!nulls?.drift,
    nullTitle: nulls
      ? trans.__('missing values: %1 in the reference, %2 now', formatShare(nulls.reference), formatShare(nulls.current))
      : '',
    unseen: unseen.length
      ? trans.__('unseen: %1', unseen.map(u => `${u.value} ${formatShare(u.share)}`).join(', '))
      : '',
    message: column.message ?? '',
    hasOverlay: overlayData(column) !== null,
    hasHistory: (column.history ?? []).some(point => point.value !== null)
  };
}

// -- charts -----------------------------------------------------------------------------------------

/** The colors charts take from JupyterLab's theme (read by the view when it draws). */
export interface IPalette {
  reference: string;
  current: string;
  drift: string;
  ok: string;
  schema: string;
  muted: string;
}

interface IBar {
  side: string;
  start: number;
  end: number;
  share: number;
}

/** The overlay's rows for Vega-Lite, or null when the column has nothing to draw. */
export function overlayData(
  column: IColumn,
  labels = { reference: 'reference', current: 'current' }
): { kind: 'histogram'; time: boolean; bars: IBar[] } | { kind: 'categories'; bars: { side: string; value: string; share: number; unseen: boolean }[] } | null {
  const overlay = column.overlay;
  if (!overlay) {
    return null;
  }
  if (overlay.type === 'histogram') {
    const { edges, reference, current } = overlay;
    if (!edges?.length || edges.length < 2) {
      return null;
    }
    const time = overlay.axis === 'time';
    const scale = time ? 1000 : 1; // Vega reads times as epoch milliseconds
    const bars: IBar[] = [];
    for (let i = 0; i < edges.length - 1; i++) {
      bars.push({ side: labels.reference, start: edges[i] * scale, end: edges[i + 1] * scale, share: reference[i] ?? 0 });
      bars.push({ side: labels.current, start: edges[i] * scale, end: edges[i + 1] * scale, share: current[i] ?? 0 });
    }
    return { kind: 'histogram', time, bars };
  }
  if (overlay.type === 'categories') {
    if (!overlay.categories?.length) {
      return null;
    }
    const bars = overlay.categories.flatMap(c => [
      { side: labels.reference, value: String(c.value), share: c.reference, unseen: c.unseen },
      { side: labels.current, value: String(c.value), share: c.current, unseen: c.unseen }
    ]);
    return { kind: 'categories', bars };
  }
  return null;
}

export interface ISpecOptions {
  palette: IPalette;
  trans: TranslationBundle;
  /** Small (a row of the table) or full size (the comparison a click opens). */
  size: 'small' | 'full';
}

function sideScale(options: ISpecOptions) {
  const { trans, palette } = options;
  return { domain: [trans.__('reference'), trans.__('current')], range: [palette.reference, palette.current] };
}

/**
 * Reference vs current for one column: shares on the shared bins (numbers,
 * times) or the top categories (unseen ones marked), or null.
 */
export function overlaySpec(column: IColumn, options: ISpecOptions): Record<string, unknown> | null {
  const { trans, size, palette } = options;
  const data = overlayData(column, { reference: trans.__('reference'), current: trans.__('current') });
  if (!data) {
    return null;
  }
  const small = size === 'small';
  const width = small ? 180 : 420;
  const height = small ? 44 : 220;
  const color = {
    field: 'side',
    type: 'nominal',
    scale: sideScale(options),
    legend: small ? null : { orient: 'top', title: null }
  };
  const share = {
    field: 'share',
    type: 'quantitative',
    axis: small ? null : { format: '.0%', title: trans.__('share of rows') },
    stack: null
  };
  if (data.kind === 'histogram') {
    return {
      $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
      width,
      height,
      padding: small ? 2 : 5,
      data: { values: data.bars },
      mark: { type: 'bar', opacity: 0.55, binSpacing: 0 },
      encoding: {
        x: {
          field: 'start',
          type: data.time ? 'temporal' : 'quantitative',
          bin: { binned: true },
          axis: small ? null : { title: column.name },
          scale: { zero: false }
        },
        x2: { field: 'end' },
        y: share,
        color,
        tooltip: small
          ? undefined
          : [
              { field: 'side', title: ' ' },
              { field: 'start', title: trans.__('from'), type: data.time ? 'temporal' : 'quantitative' },
              { field: 'end', title: trans.__('to'), type: data.time ? 'temporal' : 'quantitative' },
              { field: 'share', format: '.1%', title: trans.__('share') }
            ]
      }
    };
  }
  const categories = [...new Set(data.bars.map(bar => bar.value))];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width,
    height: small ? height : { step: 14 },
    padding: small ? 2 : 5,
    data: { values: data.bars },
    mark: { type: 'bar', opacity: 0.85 },
    encoding: small
      ? {
          x: { field: 'value', type: 'nominal', sort: categories, axis: null },
          xOffset: { field: 'side', sort: sideScale(options).domain },
          y: share,
          color,
          stroke: { condition: { test: 'datum.unseen', value: palette.drift }, value: null },
          strokeWidth: { value: 1.5 }
        }
      : {
          y: { field: 'value', type: 'nominal', sort: categories, title: null },
          yOffset: { field: 'side', sort: sideScale(options).domain },
          x: { ...share, axis: { format: '.0%', title: trans.__('share of rows') } },
          color,
          stroke: { condition: { test: 'datum.unseen', value: palette.drift }, value: null },
          strokeWidth: { value: 2 },
          tooltip: [
            { field: 'value', title: column.name },
            { field: 'side', title: ' ' },
            { field: 'share', format: '.1%', title: trans.__('share') },
            { field: 'unseen', title: trans.__('unseen in the reference') }
          ]
        }
  };
}

/** The ECDFs of reference and current (numbers and times), full size; null without quantiles. */
export function ecdfSpec(column: IColumn, options: ISpecOptions): Record<string, unknown> | null {
  const overlay = column.overlay;
  if (!overlay || overlay.type !== 'histogram' || !overlay.ecdf?.probabilities?.length) {
    return null;
  }
  const { trans } = options;
  const time = overlay.axis === 'time';
  const scale = time ? 1000 : 1;
  const { probabilities, reference, current } = overlay.ecdf;
  const values = [
    ...probabilities.map((p, i) => ({ side: trans.__('reference'), x: reference[i] * scale, p })),
    ...probabilities.map((p, i) => ({ side: trans.__('current'), x: current[i] * scale, p }))
  ].filter(v => Number.isFinite(v.x));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: 420,
    height: 220,
    data: { values },
    mark: { type: 'line', interpolate: 'step-after' },
    encoding: {
      x: { field: 'x', type: time ? 'temporal' : 'quantitative', title: column.name, scale: { zero: false } },
      y: { field: 'p', type: 'quantitative', title: trans.__('cumulative share'), axis: { format: '.0%' } },
      color: { field: 'side', type: 'nominal', scale: sideScale(options), legend: { orient: 'top', title: null } },
      tooltip: [
        { field: 'side', title: ' ' },
        { field: 'x', title: column.name, type: time ? 'temporal' : 'quantitative' },
        { field: 'p', format: '.0%', title: trans.__('share below') }
      ]
    }
  };
}

/**
 * The measure over the component's runs (or over the chunks of a chunked
 * comparison) with its threshold; points colored by verdict. Null when the
 * history holds no value.
 */
export function historySpec(column: IColumn, options: ISpecOptions): Record<string, unknown> | null {
  const history = (column.history ?? []).filter(point => point.value !== null);
  if (!history.length) {
    return null;
  }
  const { trans, size, palette } = options;
  const small = size === 'small';
  const values = (column.history ?? []).map((point, index) => ({
    index,
    label: point.label,
    value: point.value,
    threshold: point.threshold,
    status: point.status
  }));
  const x = {
    field: 'index',
    type: 'ordinal',
    sort: null,
    axis: small ? null : { title: null, labelExpr: `${JSON.stringify(values.map(v => v.label))}[datum.value]`, labelAngle: 0 }
  };
  const y = { type: 'quantitative', axis: small ? null : { title: column.measure_title ?? trans.__('measure') }, scale: { zero: true } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: small ? 90 : 420,
    height: small ? 24 : 160,
    padding: small ? 2 : 5,
    data: { values },
    layer: [
      {
        mark: { type: 'line', strokeDash: [3, 2], color: palette.muted },
        encoding: { x, y: { ...y, field: 'threshold' } }
      },
      {
        mark: { type: 'line', color: palette.current },
        encoding: { x, y: { ...y, field: 'value' } }
      },
      {
        mark: { type: 'point', filled: true, size: small ? 14 : 50 },
        encoding: {
          x,
          y: { ...y, field: 'value' },
          color: {
            field: 'status',
            type: 'nominal',
            scale: {
              domain: ['drift', 'schema', 'ok', 'not judged'],
              range: [palette.drift, palette.schema, palette.ok, palette.muted]
            },
            legend: null
          },
          tooltip: [
            { field: 'label', title: trans.__('when') },
            { field: 'value', format: '.3~g', title: column.measure_title ?? trans.__('measure') },
            { field: 'threshold', format: '.3~g', title: trans.__('threshold') },
            { field: 'status', title: trans.__('verdict') }
          ]
        }
      }
    ]
  };
}

/** A chunked comparison: drifted columns per chunk (each chunk's bar colored by its verdict). */
export function chunksSpec(chunks: IChunk[], options: ISpecOptions): Record<string, unknown> | null {
  if (!chunks.length) {
    return null;
  }
  const { trans, palette } = options;
  const values = chunks.map((chunk, index) => ({
    index,
    label: chunk.label,
    drifted: chunk.drifted,
    judged: chunk.judged,
    rows: chunk.rows,
    status: chunk.status,
    columns: chunk.drifted_columns.join(', ')
  }));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: Math.min(640, Math.max(160, 40 * chunks.length)),
    height: 90,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'label', type: 'ordinal', sort: null, title: null, axis: { labelAngle: 0, labelLimit: 120 } },
      y: { field: 'drifted', type: 'quantitative', title: trans.__('drifted columns'), axis: { tickMinStep: 1 } },
      color: {
        field: 'status',
        type: 'nominal',
        scale: { domain: ['drift', 'schema', 'ok', 'not judged'], range: [palette.drift, palette.schema, palette.ok, palette.muted] },
        legend: null
      },
      tooltip: [
        { field: 'label', title: trans.__('chunk') },
        { field: 'rows', title: trans.__('rows') },
        { field: 'drifted', title: trans.__('drifted') },
        { field: 'judged', title: trans.__('judged') },
        { field: 'columns', title: trans.__('columns') }
      ]
    }
  };
}

/** Every measure of a column, for the full-size comparison's table. */
export function measureRows(column: IColumn): { name: string; title: string; value: string; threshold: string; error: string; pValue: string; floor: string; decides: boolean }[] {
  return Object.entries(column.measures ?? {}).map(([name, m]) => ({
    name,
    title: m.title ?? name,
    value: formatMeasure(m.value),
    threshold: formatMeasure(m.threshold),
    error: m.error ? `± ${formatMeasure(m.error)}` : '',
    pValue: m.p_value === null || m.p_value === undefined ? '' : formatMeasure(m.p_value),
    floor: m.floor ?? '',
    decides: name === column.measure
  }));
}
