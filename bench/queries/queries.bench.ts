/**
 * Median times of the lineage queries (src/queries/lineage.ts) on a replica of
 * 10,000 runs, each also as a ratio to a primary-key lookup measured in the
 * same process, variants interleaved in shuffled batches (bench/README.md).
 *
 *   npx jest -c bench/queries/jest.config.js
 *
 * BENCH_RUNS, BENCH_ROUNDS and BENCH_SEED override the defaults.
 */
import type { Database } from 'sql.js';

import {
  componentGraph,
  componentHistory,
  reviewFlagged,
  staleness,
  traceDownstream,
  traceUpstream
} from '../../src/queries/lineage';
import { ioId, ISyntheticRun, LineageBuilder, loadSql } from '../../src/__tests__/storeFixture';

const RUNS = Number(process.env.BENCH_RUNS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 30);
const WARMUP_ROUNDS = 3;
const BATCH = 3;
const SEED = Number(process.env.BENCH_SEED ?? 20260101);
const TARGET_MS = 20;

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const STAGES = ['load', 'clean', 'featurize', 'split', 'train', 'predict'] as const;
const PIPELINES = 4;

/**
 * Four notebooks each hold the 6-component pipeline, re-run many times from a
 * random stage (with untagged config and peek cells), and report.ipynb reads
 * the features file of pipeline-0. Every input links to the latest version.
 */
function buildReplica(builder: LineageBuilder, random: () => number): {
  cells: Map<string, { id: string; source: string }[]>;
} {
  const out = (run: string, name: string, kind: 'variable' | 'file' = 'variable'): string =>
    ioId(run, 'output', kind, name);
  // latest output id of each (notebook, name); files keyed by name alone
  const latest = new Map<string, string>();
  const hashes = new Map<string, string>();
  const cells = new Map<string, { id: string; source: string }[]>();
  let count = 0;
  let time = 1_767_225_600;
  const add = (run: ISyntheticRun): void => {
    builder.run(run);
    count++;
    time += 5;
    for (const o of run.outputs ?? []) {
      const kind = o.kind ?? 'variable';
      const key = kind === 'file' ? `file:${o.name}` : `${run.notebook}:${o.name}`;
      latest.set(key, out(run.id, o.name, kind));
      hashes.set(key, o.hash ?? '');
    }
  };
  const read = (notebook: string, name: string, kind: 'variable' | 'file' = 'variable') => {
    const key = kind === 'file' ? `file:${name}` : `${notebook}:${name}`;
    return { kind, name, hash: hashes.get(key) ?? null, source: latest.get(key) ?? null };
  };
  const write = (name: string, rows: number | null, kind: 'variable' | 'file' = 'variable', how?: string) => ({
    kind,
    name,
    how,
    rows,
    hash: `${name}-${count}`
  });
  const io: Record<(typeof STAGES)[number], (nb: string, p: number) => Pick<ISyntheticRun, 'inputs' | 'outputs'>> = {
    load: (nb, p) => ({
      inputs: [{ kind: 'file', name: `data/flights-${p}.csv`, hash: 'csv', source: null }, read(nb, 'config')],
      outputs: [write('raw', 100_000), write('raw_meta', 12)]
    }),
    clean: nb => ({
      inputs: [read(nb, 'raw'), read(nb, 'config')],
      outputs: [write('df', 95_000), write('dropped', 5_000)]
    }),
    featurize: (nb, p) => ({
      inputs: [read(nb, 'df'), read(nb, 'config')],
      outputs: [write('df', 95_000, 'variable', 'mutated'), write(`features-${p}.parquet`, null, 'file'), write('feature_names', 14)]
    }),
    split: nb => ({
      inputs: [read(nb, 'df'), read(nb, 'config')],
      outputs: [write('X_train', 70_000), write('X_test', 25_000), write('y_train', 70_000), write('y_test', 25_000)]
    }),
    train: nb => ({
      inputs: [read(nb, 'X_train'), read(nb, 'y_train'), read(nb, 'config')],
      outputs: [write('model', null), write('train_score', null)]
    }),
    predict: nb => ({
      inputs: [read(nb, 'model'), read(nb, 'X_test'), read(nb, 'y_test'), read(nb, 'config')],
      outputs: [write('predictions', 25_000), write('score', null), write('report_df', 30)]
    })
  };
  builder.transaction(() => {
    while (count < RUNS) {
      const p = Math.floor(random() * PIPELINES);
      const nb = `pipeline-${p}.ipynb`;
      if (random() < 0.1 || !latest.has(`${nb}:config`)) {
        add({ id: `run-${count}`, notebook: nb, cell: 'cell-config', code: `config = {'seed': ${count}}`,
              startedAt: time, outputs: [write('config', 3)] });
      }
      const from = latest.has(`${nb}:predictions`) && random() < 0.8 ? 1 + Math.floor(random() * 5) : 0;
      for (const stage of STAGES.slice(from)) {
        const version = Math.floor(count / 1500); // the code changes now and then
        const { inputs, outputs } = io[stage](nb, p);
        add({ id: `run-${count}`, notebook: nb, cell: `cell-${stage}`, component: stage,
              code: `# ${stage} v${version}\n${stage}(config)`, startedAt: time,
              status: random() < 0.03 ? 'error' : 'ok', checks: random() < 0.1 ? ['pass', 'fail'] : ['pass', 'pass'],
              inputs, outputs: [...(outputs ?? []), write(`${stage}_log`, 20)] });
      }
      if (random() < 0.5) {
        add({ id: `run-${count}`, notebook: nb, cell: 'cell-peek', code: 'predictions[:5]', startedAt: time,
              inputs: [read(nb, 'predictions')] });
      }
      if (p === 0 && random() < 0.3) {
        add({ id: `run-${count}`, notebook: 'report.ipynb', cell: 'cell-report', component: 'report',
              code: "summary = pd.read_parquet('features-0.parquet').describe()", startedAt: time,
              inputs: [read('report.ipynb', 'features-0.parquet', 'file')], outputs: [write('summary', 8)] });
      }
    }
    // 20 flags on recent predictions and summaries
    const flagged = builder.db.exec(
      `SELECT id FROM run_io WHERE direction = 'output' AND name IN ('predictions', 'summary')
        ORDER BY created_at DESC LIMIT 20`
    )[0].values;
    for (const [id] of flagged) {
      builder.flag(String(id), 'looks wrong', time);
    }
  });
  for (let p = 0; p < PIPELINES; p++) {
    const nb = `pipeline-${p}.ipynb`;
    const rows = builder.db.exec(
      `SELECT cell_id, code FROM (SELECT r.cell_id, c.code, row_number() OVER (PARTITION BY r.cell_id
         ORDER BY r.started_at DESC) AS n FROM runs r JOIN code_snapshots c ON c.hash = r.code_hash
        WHERE r.notebook_path = ?) WHERE n = 1`,
      [nb]
    )[0].values;
    // one cell edited since its last run
    cells.set(nb, rows.map(([id, code]) => ({ id: String(id), source: id === 'cell-train' ? 'edited' : String(code) })));
  }
  return { cells };
}

function one(db: Database, sql: string, params: (string | number)[] = []): unknown {
  return db.exec(sql, params)[0]?.values[0]?.[0];
}

function quantile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

test('lineage queries on a 10,000-run replica', async () => {
  const sql = await loadSql();
  const random = mulberry32(SEED);
  const builder = new LineageBuilder(sql);
  const started = performance.now();
  const { cells } = buildReplica(builder, random);
  const db = builder.done().db;
  const buildMs = performance.now() - started;

  const runs = one(db, 'SELECT count(*) FROM runs') as number;
  const ioRows = one(db, 'SELECT count(*) FROM run_io') as number;
  const nb = 'pipeline-0.ipynb';
  const latestPredictions = String(one(db,
    `SELECT io.id FROM run_io io JOIN runs r ON r.id = io.run_id
      WHERE r.notebook_path = ? AND io.name = 'predictions' AND io.direction = 'output'
      ORDER BY io.created_at DESC LIMIT 1`, [nb]));
  const recentRaw = String(one(db,
    `SELECT io.id FROM run_io io JOIN runs r ON r.id = io.run_id
      WHERE r.notebook_path = ? AND io.name = 'raw' AND io.direction = 'output'
      ORDER BY io.created_at DESC LIMIT 1 OFFSET 2`, [nb]));
  const oldConfig = String(one(db,
    `SELECT io.id FROM run_io io JOIN runs r ON r.id = io.run_id
      WHERE r.notebook_path = ? AND io.name = 'config' AND io.direction = 'output'
      ORDER BY io.created_at LIMIT 1`, [nb]));
  const someRun = String(one(db, 'SELECT id FROM runs ORDER BY random() LIMIT 1'));
  const pipelineCells = cells.get(nb)!;

  // Correctness first: a query that silently does nothing looks fast.
  const up = traceUpstream(db, latestPredictions);
  const downRecent = traceDownstream(db, recentRaw);
  const downOld = traceDownstream(db, oldConfig);
  const history = componentHistory(db, nb, 'clean');
  const graph = componentGraph(db, nb);
  const stale = staleness(db, nb, pipelineCells);
  const review = reviewFlagged(db);
  expect(runs).toBeGreaterThanOrEqual(RUNS);
  expect(up.nodes.some(n => n.external && n.values[0].name.startsWith('data/flights'))).toBe(true);
  expect(downRecent.nodes.length).toBeGreaterThan(1);
  expect(downOld.nodes.length).toBeGreaterThan(1);
  expect(history.length).toBeGreaterThan(100);
  expect(graph.edges.length).toBeGreaterThanOrEqual(6);
  expect(stale.get('train')).toContainEqual({ kind: 'code', cellId: 'cell-train' });
  expect(review.ranking.length).toBeGreaterThan(0);

  const pkLookup = (): unknown => {
    const statement = db.prepare('SELECT * FROM runs WHERE id = ?');
    try {
      statement.bind([someRun]);
      statement.step();
      return statement.get();
    } finally {
      statement.free();
    }
  };
  const variants: [string, () => unknown][] = [
    ['baseline: runs by primary key', pkLookup],
    ['baseline again (A/A)', pkLookup],
    ['traceUpstream (latest predictions)', () => traceUpstream(db, latestPredictions)],
    ['traceDownstream (recent raw)', () => traceDownstream(db, recentRaw)],
    ['traceDownstream (first config, 500-node cap)', () => traceDownstream(db, oldConfig)],
    ['componentHistory (clean, last 500)', () => componentHistory(db, nb, 'clean')],
    ['componentGraph', () => componentGraph(db, nb)],
    ['staleness', () => staleness(db, nb, pipelineCells)],
    ['reviewFlagged (20 flags)', () => reviewFlagged(db)]
  ];
  const table = (title: string, seed: number): string[] => {
    const samples = new Map<string, number[]>(variants.map(([name]) => [name, []]));
    const shuffle = mulberry32(seed);
    for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
      const order = [...variants];
      for (let i = order.length - 1; i > 0; i--) {
        const j = Math.floor(shuffle() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      for (const [name, fn] of order) {
        for (let k = 0; k < BATCH; k++) {
          const t = performance.now();
          fn();
          const elapsed = performance.now() - t;
          if (round >= WARMUP_ROUNDS) {
            samples.get(name)!.push(elapsed);
          }
        }
      }
    }
    const stats = new Map(
      [...samples].map(([name, times]) => {
        const sorted = [...times].sort((a, b) => a - b);
        return [name, { median: quantile(sorted, 0.5), p90: quantile(sorted, 0.9) }];
      })
    );
    const base = stats.get(variants[0][0])!.median;
    const rows = [
      '',
      title,
      `${'query'.padEnd(46)} ${'median ms'.padStart(10)} ${'p90 ms'.padStart(9)} ${'x baseline'.padStart(11)}  target <= ${TARGET_MS} ms`
    ];
    for (const [name] of variants) {
      const { median, p90 } = stats.get(name)!;
      rows.push(
        `${name.padEnd(46)} ${median.toFixed(3).padStart(10)} ${p90.toFixed(3).padStart(9)} ${(median / base).toFixed(1).padStart(11)}` +
          (name.startsWith('baseline') ? '' : `  ${median <= TARGET_MS ? 'MET' : 'NOT MET'}`)
      );
    }
    return rows;
  };
  const lines = [
    `lineage query benchmark: ${runs} runs, ${ioRows} run_io rows, ` +
      `${one(db, 'SELECT count(*) FROM check_results')} check results, ${review.flagged.length} flags; ` +
      `built in ${(buildMs / 1000).toFixed(1)} s; seed ${SEED}; ${ROUNDS} rounds x ${BATCH} calls, ${WARMUP_ROUNDS} warm-up rounds`,
    `trace sizes (runs): upstream ${up.nodes.length}, downstream recent ${downRecent.nodes.length}, old ${downOld.nodes.length}; ` +
      `history ${history.length} rows; graph ${graph.nodes.length} nodes/${graph.edges.length} edges; ` +
      `${stale.size} stale; review ${review.ranking.length} runs`,
    ...table('schema/store as it is:', SEED + 1)
  ];
  // eslint-disable-next-line no-console
  console.log(lines.join('\n'));
  db.close();
});
