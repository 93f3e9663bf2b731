/**
 * Vega-Lite specs of the lineage views. Pure functions of query results: the
 * data were computed by the queries (src/queries) and the statistics, if any,
 * by Python; the specs only say how to draw them. src/charts/vega.ts draws
 * them in JupyterLab's theme (light or dark, switching live).
 */
import type { IHistoryRow } from '../queries/lineage';

/** Run status colors, the same in both themes (they are also the legend). */
const STATUS_DOMAIN = ['ok', 'error', 'interrupted', 'running'];
const STATUS_RANGE = ['#388e3c', '#d32f2f', '#f57c00', '#1976d2'];

export interface IHistorySpecOptions {
  title: string;
  width?: number;
}

/**
 * A component's runs over time: duration per run colored by status, and the
 * row count of each table output with its change since the previous run (a
 * drop in rows is the first sign of a bad batch).
 */
export function historySpec(rows: IHistoryRow[], options: IHistorySpecOptions): Record<string, unknown> {
  const width = options.width ?? 520;
  const runs = rows.map(row => ({
    run: row.runId.slice(0, 8),
    runId: row.runId,
    time: new Date(row.startedAt * 1000).toISOString(),
    status: row.status,
    duration_ms: row.durationMs,
    checks: row.checksTotal ? `${row.checksPassed}/${row.checksTotal}` : ''
  }));
  // Tables only (a boolean mask of 300,000 next to a frame would flatten the frame's line),
  // each with its change since the previous run that made it.
  const previous = new Map<string, number>();
  const outputs = rows.flatMap(row =>
    row.outputs
      .filter(output => output.table && output.rows !== null)
      .map(output => {
        const before = previous.get(output.name);
        previous.set(output.name, output.rows as number);
        const change = before === undefined ? null : (output.rows as number) - before;
        return {
          run: row.runId.slice(0, 8),
          time: new Date(row.startedAt * 1000).toISOString(),
          output: output.name,
          rows: output.rows,
          change,
          changeLabel: change ? (change > 0 ? `+${change.toLocaleString('en')}` : change.toLocaleString('en')) : ''
        };
      })
  );
  const duration = {
    title: 'Duration per run',
    width,
    height: 140,
    data: { values: runs },
    mark: { type: 'point', filled: true, size: 60, tooltip: true },
    encoding: {
      x: { field: 'time', type: 'temporal', title: null },
      y: { field: 'duration_ms', type: 'quantitative', title: 'ms' },
      color: {
        field: 'status',
        type: 'nominal',
        scale: { domain: STATUS_DOMAIN, range: STATUS_RANGE },
        legend: { orient: 'top', title: null }
      },
      tooltip: [
        { field: 'run', title: 'run' },
        { field: 'time', type: 'temporal', timeUnit: 'yearmonthdatehoursminutesseconds', title: 'started' },
        { field: 'status' },
        { field: 'duration_ms', title: 'ms', format: ',.0f' },
        { field: 'checks' }
      ]
    }
  };
  const charts: Record<string, unknown>[] = [duration];
  if (outputs.length) {
    const encoding = {
      x: { field: 'time', type: 'temporal', title: null },
      y: { field: 'rows', type: 'quantitative', title: 'rows', scale: { zero: false }, axis: { format: ',d', tickMinStep: 1 } },
      color: { field: 'output', type: 'nominal', legend: { orient: 'top', title: null } },
      tooltip: [
        { field: 'run' },
        { field: 'output' },
        { field: 'rows', format: ',' },
        { field: 'changeLabel', title: 'change' }
      ]
    };
    charts.push({
      title: 'Table rows per run (and the change)',
      width,
      height: 120,
      data: { values: outputs },
      layer: [
        { mark: { type: 'line', point: true, tooltip: true }, encoding },
        {
          mark: { type: 'text', dy: -9, fontSize: 10 },
          encoding: { x: encoding.x, y: encoding.y, color: encoding.color, text: { field: 'changeLabel' } }
        }
      ]
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: options.title,
    vconcat: charts,
    resolve: { scale: { color: 'independent' } },
    config: { view: { stroke: null } }
  };
}
