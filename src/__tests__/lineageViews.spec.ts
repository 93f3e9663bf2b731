/** Pure parts of the lineage views: graph layout (dagre), Vega-Lite specs, formats. */
import { layoutGraph } from '../charts/graphLayout';
import { historySpec } from '../lineage/specs';
import type { IHistoryRow } from '../queries/lineage';
import { formatBytes, formatShape, shortType } from '../ui/format';

function history(runId: string, startedAt: number, status: string, rows: number | null): IHistoryRow {
  return {
    runId,
    cellId: 'c',
    startedAt,
    status,
    durationMs: 120,
    executionCount: 1,
    gitCommit: null,
    codeHash: 'h',
    outputRows: rows,
    outputs:
      rows === null
        ? []
        : [
            { name: 'df', rows, hash: 'x', kind: 'variable', type: 'pandas.core.frame.DataFrame', table: true },
            // a boolean mask as long as the raw data: not a table, not plotted
            { name: 'mask', rows: 300000, hash: 'm', kind: 'variable', type: 'pandas.core.series.Series', table: false }
          ],
    checksPassed: 1,
    checksTotal: 2
  } as IHistoryRow;
}

describe('layoutGraph', () => {
  it('places a pipeline top to bottom with one route per edge', () => {
    const nodes = ['load', 'clean', 'featurize', 'report'].map(key => ({ key, width: 100, height: 36 }));
    const edges = [
      { from: 'load', to: 'clean' },
      { from: 'clean', to: 'featurize' },
      { from: 'clean', to: 'report' },
      { from: 'clean', to: 'clean' } // self edges are dropped
    ];
    const placed = layoutGraph(nodes, edges);
    const y = Object.fromEntries(placed.nodes.map(n => [n.key, n.y]));
    expect(y.load).toBeLessThan(y.clean);
    expect(y.clean).toBeLessThan(y.featurize);
    expect(y.featurize).toBe(y.report);
    const x = Object.fromEntries(placed.nodes.map(n => [n.key, n.x]));
    expect(Math.abs(x.featurize - x.report)).toBeGreaterThanOrEqual(100); // side by side, not overlapping
    expect(placed.edges.map(e => `${e.from}->${e.to}`).sort()).toEqual(['clean->featurize', 'clean->report', 'load->clean']);
    for (const edge of placed.edges) {
      expect(edge.points.length).toBeGreaterThanOrEqual(2);
    }
    expect(placed.width).toBeGreaterThanOrEqual(200);
    expect(placed.height).toBeGreaterThan(3 * 36);
  });

  it('ignores edges to nodes it does not have', () => {
    const placed = layoutGraph([{ key: 'a', width: 50, height: 20 }], [{ from: 'a', to: 'ghost' }]);
    expect(placed.edges).toEqual([]);
    expect(placed.nodes).toHaveLength(1);
  });
});

describe('historySpec', () => {
  it('draws durations by status and the rows of each output, from the rows given', () => {
    const spec = historySpec(
      [history('run-aaaaaaaa1', 1767225600, 'ok', 950), history('run-bbbbbbbb2', 1767225660, 'error', null)],
      { title: 'clean over time' }
    ) as any;
    expect(spec.$schema).toContain('vega-lite/v6');
    expect(spec.vconcat).toHaveLength(2);
    const [duration, rows] = spec.vconcat;
    expect(duration.data.values.map((v: any) => [v.run, v.status, v.duration_ms, v.checks])).toEqual([
      ['run-aaaa', 'ok', 120, '1/2'],
      ['run-bbbb', 'error', 120, '1/2']
    ]);
    expect(duration.data.values[0].time).toBe('2026-01-01T00:00:00.000Z');
    expect(duration.encoding.color.scale.domain).toContain('error');
    expect(rows.data.values).toEqual([
      { run: 'run-aaaa', time: '2026-01-01T00:00:00.000Z', output: 'df', rows: 950, change: null, changeLabel: '' }
    ]);
  });

  it('plots the rows of tables only, with the change since the previous run', () => {
    const spec = historySpec(
      [history('r1', 1767225600, 'ok', 300000), history('r2', 1767225660, 'ok', 299945), history('r3', 1767225720, 'ok', 299945)],
      { title: 't' }
    ) as any;
    const rows = spec.vconcat[1];
    expect(rows.data.values.map((v: any) => [v.output, v.rows, v.change, v.changeLabel])).toEqual([
      ['df', 300000, null, ''],
      ['df', 299945, -55, '-55'],
      ['df', 299945, 0, '']
    ]);
    expect(rows.layer[1].encoding.text.field).toBe('changeLabel');
  });

  it('leaves out the rows chart when no output had rows', () => {
    const spec = historySpec([history('r1', 1, 'ok', null)], { title: 't' }) as any;
    expect(spec.vconcat).toHaveLength(1);
  });
});

describe('value formats', () => {
  it('formats shapes, sizes and type names', () => {
    expect(formatShape([1000, 12])).toBe('1000 × 12');
    expect(formatShape(null)).toBe('');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(3 * 1024 * 1024)).toBe('3.0 MiB');
    expect(formatBytes(null)).toBe('');
    expect(shortType('pandas.core.frame.DataFrame')).toBe('DataFrame');
    expect(shortType(null)).toBe('');
  });
});
