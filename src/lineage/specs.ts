/**
 * Vega-Lite specs of the lineage views. Pure functions of query results: the
 * data were computed by the queries (src/queries) and the statistics, if any,
 * by Python; the specs only say how to draw them. JupyterLab's own Vega
 * renderer draws them (MIME type below), with its light/dark theme.
 */
import type { IHistoryRow } from '../queries/lineage';

export const VEGALITE_MIME = 'application/vnd.vegalite.v5+json';

/** Run status colors, the same in both themes (they are also the legend). */
const STATUS_DOMAIN = ['ok', 'error', 'interrupted', 'running'];
const STATUS_RANGE = ['#388e3c', '#d32f2f', '#f57c00', '#1976d2'];

export interface IHistorySpecOptions {
  title: string;
  width?: number;
}

/**
 * A component's runs over time: duration per run colored by status, and the
 * row count of each output (a drop in rows is the first sign of a bad batch).
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
  const outputs = rows.flatMap(row =>
    row.outputs
      .filter(output => output.rows !== null)
      .map(output => ({
        run: row.runId.slice(0, 8),
        time: new Date(row.startedAt * 1000).toISOString(),
        output: output.name,
        rows: output.rows
      }))
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
    charts.push({
      title: 'Output rows per run',
      width,
      height: 120,
      data: { values: outputs },
      mark: { type: 'line', point: true, tooltip: true },
      encoding: {
        x: { field: 'time', type: 'temporal', title: null },
        y: { field: 'rows', type: 'quantitative', title: 'rows' },
        color: { field: 'output', type: 'nominal', legend: { orient: 'top', title: null } },
        tooltip: [{ field: 'run' }, { field: 'output' }, { field: 'rows', format: ',' }]
      }
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: options.title,
    vconcat: charts,
    resolve: { scale: { color: 'independent' } },
    config: { view: { stroke: null } }
  };
}
