/**
 * Lineage queries on the shared fixture (plumbline/tests/fixtures/lineage-v1.json,
 * made by the Python store from plumbline/tests/fixture_lineage.py).
 */
import type { Database } from 'sql.js';
import { SqlJsStatic } from 'sql.js';

import {
  codeOfRun,
  componentGraph,
  componentInfo,
  componentOfRun,
  componentHistory,
  ioById,
  ioOfRun,
  ITrace,
  previousRun,
  readOnlyQuery,
  reviewFlagged,
  runRefs,
  staleness,
  traceDownstream,
  traceUpstream
} from '../queries/lineage';
import { lineageReplica, loadSql } from './storeFixture';

const T0 = 1_767_225_600;

let sql: SqlJsStatic;
let db: Database;

beforeAll(async () => {
  sql = await loadSql();
});

beforeEach(() => {
  db = lineageReplica(sql).db;
});

afterEach(() => {
  db.close();
});


describe('values of runs', () => {
  it('lists the inputs and outputs of a run with their sources, sorted by kind then name', () => {
    const { inputs, outputs } = ioOfRun(db, 'run-feat');
    expect(inputs).toEqual([
      {
        id: 'run-feat/in/var/df',
        runId: 'run-feat',
        direction: 'input',
        kind: 'variable',
        name: 'df',
        how: 'read',
        type: 'pandas.core.frame.DataFrame',
        valueHash: 'h-df1',
        strategy: 'full',
        shape: null,
        columns: null,
        sizeBytes: null,
        rowCount: null,
        sourceIoId: 'run-clean/out/var/df',
        sourceRunId: 'run-clean',
        sourceComponent: 'clean',
        sourceNotebook: 'pipeline.ipynb',
        artifactHash: null,
        artifactNote: null,
        flagged: false,
        flagNote: null,
        createdAt: T0 + 30,
        runComponent: 'featurize',
        runNotebook: 'pipeline.ipynb'
      }
    ]);
    expect(outputs.map(o => [o.id, o.how, o.valueHash, o.shape, o.rowCount, o.sourceIoId])).toEqual([
      ['run-feat/out/file/features.parquet', 'written', 'f-feat', null, null, null],
      ['run-feat/out/var/FEATURES', 'assigned', 'h-features', [1, 4], 1, null],
      ['run-feat/out/var/df', 'mutated', 'h-df2', [950, 4], 950, null]
    ]);
    expect(ioOfRun(db, 'run-split').outputs.map(o => o.name)).toEqual([
      'X_test',
      'X_train',
      'y_test',
      'y_train'
    ]);
    expect(ioOfRun(db, 'run-peek')).toEqual({
      inputs: [expect.objectContaining({ id: 'run-peek/in/var/predictions', sourceRunId: 'run-predict' })],
      outputs: []
    });
    expect(ioOfRun(db, 'no-such-run')).toEqual({ inputs: [], outputs: [] });
  });

  it('finds one value by id, with its active flag and cross-notebook source', () => {
    expect(ioById(db, 'run-predict/out/var/predictions')).toMatchObject({
      flagged: true,
      flagNote: 'looks wrong',
      rowCount: 250,
      createdAt: T0 + 63
    });
    expect(ioById(db, 'run-report/in/file/features.parquet')).toMatchObject({
      kind: 'file',
      valueHash: 'f-feat',
      sourceIoId: 'run-feat/out/file/features.parquet',
      sourceRunId: 'run-feat',
      sourceComponent: 'featurize',
      sourceNotebook: 'pipeline.ipynb',
      flagged: false
    });
    expect(ioById(db, 'run-load/in/file/data/flights.csv')).toMatchObject({
      sourceIoId: null,
      sourceRunId: null,
      sourceComponent: null
    });
    expect(ioById(db, 'nope')).toBeNull();
  });

  it('does not count a cleared flag', () => {
    db.run("UPDATE flags SET cleared_at = ? WHERE io_id = 'run-predict/out/var/predictions'", [T0 + 200]);
    expect(ioById(db, 'run-predict/out/var/predictions')).toMatchObject({ flagged: false, flagNote: null });
  });

  it('gives the component of a run with its owner and description', () => {
    expect(componentOfRun(db, 'run-clean-2')).toEqual({
      name: 'clean',
      notebookPath: 'pipeline.ipynb',
      owner: 'ana',
      description: 'Drops flights with missing values.',
      tags: ['quality']
    });
    expect(componentOfRun(db, 'run-peek')).toBeNull();
    expect(componentInfo(db, 'pipeline.ipynb', 'load')).toMatchObject({ owner: null, description: null, tags: [] });
  });

  it('gives the code of a run and the previous run of the same cell', () => {
    expect(codeOfRun(db, 'run-clean-2')).toBe('df = raw.dropna().drop_duplicates()');
    expect(codeOfRun(db, 'nope')).toBeNull();
    expect(previousRun(db, 'run-clean-2')).toBe('run-clean');
    expect(previousRun(db, 'run-clean')).toBeNull();
    expect(previousRun(db, 'run-peek')).toBeNull();
    expect(previousRun(db, 'nope')).toBeNull();
  });

  it('lists runs for pickers, newest first, by component or notebook', () => {
    expect(runRefs(db, { componentName: 'clean' })).toEqual([
      {
        id: 'run-clean-2',
        notebookPath: 'pipeline.ipynb',
        cellId: 'cell-clean',
        componentName: 'clean',
        startedAt: T0 + 90,
        status: 'ok',
        executionCount: 9,
        codePreview: 'df = raw.dropna().drop_duplicates()'
      },
      expect.objectContaining({ id: 'run-clean', codePreview: 'df = raw.dropna()' })
    ]);
    expect(runRefs(db, { notebookPath: 'pipeline.ipynb', limit: 3 }).map(r => r.id)).toEqual([
      'run-clean-2',
      'run-peek',
      'run-predict'
    ]);
    expect(runRefs(db, { notebookPath: 'report.ipynb', componentName: 'report' }).map(r => r.id)).toEqual([
      'run-report'
    ]);
    expect(runRefs(db, { notebookPath: 'report.ipynb', componentName: 'clean' })).toEqual([]);
    expect(runRefs(db, {}).length).toBe(9);
  });
});

describe('traces', () => {
  /** key, values, joins, depth — what the DAG shows. */
  const dag = (trace: ITrace) =>
    trace.nodes.map(node => [node.key, node.values.map(v => v.name), node.joins, node.depth]);
  const flows = (trace: ITrace) => trace.edges.map(e => `${e.from}->${e.to}:${e.names.join(',')}`).sort();

  it('draws each run once, shared ancestors merged, with the number of paths that join there', () => {
    const trace = traceUpstream(db, 'run-predict/out/var/predictions');
    expect(trace.root?.id).toBe('run-predict/out/var/predictions');
    expect(dag(trace)).toEqual([
      ['run-predict', ['predictions'], 0, 0],
      ['run-split', ['X_test', 'X_train', 'y_train'], 2, 1], // read by predict and by train
      ['run-train', ['model'], 1, 1],
      ['run-feat', ['FEATURES', 'df'], 1, 2],
      ['run-clean', ['df'], 1, 3],
      ['run-load', ['raw'], 1, 4],
      ['run-load/in/file/data/flights.csv', ['data/flights.csv'], 1, 5]
    ]);
    expect(flows(trace)).toEqual([
      'run-clean->run-feat:df',
      'run-feat->run-split:FEATURES,df',
      'run-load->run-clean:raw',
      'run-load/in/file/data/flights.csv->run-load:data/flights.csv',
      'run-split->run-predict:X_test',
      'run-split->run-train:X_train,y_train',
      'run-train->run-predict:model'
    ]);
    const [rootNode] = trace.nodes;
    expect(rootNode.root).toBe(true);
    expect(rootNode.values[0].flagged).toBe(true);
    expect(trace.nodes.find(n => n.key === 'run-feat')!.run).toMatchObject({
      componentName: 'featurize',
      codePreview: "df['speed'] = df['distance'] / df['time']"
    });
    expect(trace.nodes.filter(n => n.external).map(n => n.key)).toEqual(['run-load/in/file/data/flights.csv']);
    expect(trace.truncated).toBe(false);
  });

  it('stops at a constant: it depends on nothing its cell read', () => {
    const trace = traceUpstream(db, 'run-feat/out/var/FEATURES');
    expect(dag(trace)).toEqual([['run-feat', ['FEATURES'], 0, 0]]);
    expect(trace.edges).toEqual([]);
  });

  it('starts an upstream trace of an input at the version it read', () => {
    expect(dag(traceUpstream(db, 'run-clean-2/in/var/raw'))).toEqual([
      ['run-load', ['raw'], 0, 0],
      ['run-load/in/file/data/flights.csv', ['data/flights.csv'], 1, 1]
    ]);
    expect(dag(traceUpstream(db, 'run-load/in/file/data/flights.csv'))).toEqual([
      ['run-load/in/file/data/flights.csv', ['data/flights.csv'], 0, 0]
    ]);
    expect(traceUpstream(db, 'nope')).toEqual({ root: null, nodes: [], edges: [], truncated: false });
  });

  it('crosses notebooks upstream through files', () => {
    expect(traceUpstream(db, 'run-report/out/var/summary').nodes.map(n => n.key)).toEqual([
      'run-report',
      'run-feat',
      'run-clean',
      'run-load',
      'run-load/in/file/data/flights.csv'
    ]);
  });

  it('bounds the depth and marks what was cut', () => {
    const trace = traceUpstream(db, 'run-predict/out/var/predictions', { maxDepth: 1 });
    expect(trace.nodes.map(n => [n.key, n.truncated ?? false])).toEqual([
      ['run-predict', false],
      ['run-split', true],
      ['run-train', false]
    ]);
    expect(trace.truncated).toBe(true);
    expect(traceUpstream(db, 'run-predict/out/var/predictions', { maxDepth: 0 }).nodes).toEqual([
      expect.objectContaining({ key: 'run-predict', truncated: true })
    ]);
  });

  it('bounds the number of values walked', () => {
    const trace = traceUpstream(db, 'run-predict/out/var/predictions', { maxNodes: 4 });
    expect(trace.truncated).toBe(true);
    expect(trace.nodes.flatMap(n => n.values).length).toBe(4);
    expect(trace.nodes.some(n => n.truncated)).toBe(true);
  });

  it('traces featurize\'s file downstream into the report notebook', () => {
    const trace = traceDownstream(db, 'run-feat/out/file/features.parquet');
    expect(dag(trace)).toEqual([
      ['run-feat', ['features.parquet'], 0, 0],
      ['run-report', ['summary'], 1, 1]
    ]);
    expect(flows(trace)).toEqual(['run-feat->run-report:features.parquet']);
  });

  it('shows a reading run that made nothing from it as a leaf holding its input row', () => {
    const trace = traceDownstream(db, 'run-predict/out/var/predictions');
    expect(dag(trace)).toEqual([
      ['run-predict', ['predictions'], 0, 0],
      ['run-peek', ['predictions'], 1, 1]
    ]);
    expect(trace.nodes[1].values[0].direction).toBe('input');
    expect(dag(traceDownstream(db, 'run-report/out/var/summary'))).toEqual([['run-report', ['summary'], 0, 0]]);
  });

  it('traces an outside input downstream once per run, joins counted', () => {
    const trace = traceDownstream(db, 'run-load/in/file/data/flights.csv');
    expect(dag(trace)).toEqual([
      ['run-load/in/file/data/flights.csv', ['data/flights.csv'], 0, 0],
      ['run-load', ['raw'], 1, 1],
      ['run-clean', ['df'], 1, 2],
      ['run-clean-2', ['df'], 1, 2],
      ['run-feat', ['features.parquet', 'df'], 1, 3], // FEATURES is not made from df
      ['run-split', ['X_test', 'X_train', 'y_test', 'y_train'], 1, 4],
      ['run-report', ['summary'], 1, 4],
      ['run-train', ['model'], 1, 5],
      ['run-predict', ['predictions'], 2, 5], // from split and from train
      ['run-peek', ['predictions'], 1, 6]
    ]);
    expect(trace.nodes[0].external).toBe(true);
    expect(trace.nodes.slice(1).every(n => !n.external)).toBe(true);
    // a downstream trace of an input with a source starts at that source
    expect(traceDownstream(db, 'run-report/in/file/features.parquet').root?.id).toBe(
      'run-feat/out/file/features.parquet'
    );
  });

  it('marks downstream nodes cut by depth', () => {
    const trace = traceDownstream(db, 'run-load/out/var/raw', { maxDepth: 1 });
    expect(trace.nodes.map(n => [n.key, n.truncated ?? false])).toEqual([
      ['run-load', false],
      ['run-clean', true],
      ['run-clean-2', false]
    ]);
  });
});

describe('component graph', () => {
  it('links the pipeline from the latest run of each component, without self edges', () => {
    const graph = componentGraph(db, 'pipeline.ipynb');
    expect(graph.nodes.map(n => [n.key, n.runCount, n.latestRunId, n.external])).toEqual([
      ['load', 1, 'run-load', false],
      ['clean', 2, 'run-clean-2', false],
      ['featurize', 1, 'run-feat', false],
      ['split', 1, 'run-split', false],
      ['train', 1, 'run-train', false],
      ['predict', 1, 'run-predict', false]
    ]);
    expect(graph.nodes[1]).toEqual({
      key: 'clean',
      name: 'clean',
      notebookPath: 'pipeline.ipynb',
      latestRunId: 'run-clean-2',
      latestStatus: 'ok',
      runCount: 2,
      lastRunAt: T0 + 90,
      external: false,
      owner: 'ana',
      description: 'Drops flights with missing values.'
    });
    expect(graph.edges).toEqual([
      { from: 'load', to: 'clean', names: ['raw'] },
      { from: 'clean', to: 'featurize', names: ['df'] },
      { from: 'featurize', to: 'split', names: ['FEATURES', 'df'] },
      { from: 'split', to: 'train', names: ['X_train', 'y_train'] },
      { from: 'split', to: 'predict', names: ['X_test'] },
      { from: 'train', to: 'predict', names: ['model'] }
    ]);
    expect(graph.edges.every(e => e.from !== e.to)).toBe(true);
  });

  it('shows another notebook\'s component feeding this one as an external node', () => {
    expect(componentGraph(db, 'report.ipynb')).toEqual({
      nodes: [
        expect.objectContaining({ key: 'report', external: false, runCount: 1 }),
        {
          key: 'pipeline.ipynb::featurize',
          name: 'featurize',
          notebookPath: 'pipeline.ipynb',
          latestRunId: 'run-feat',
          latestStatus: 'ok',
          runCount: 1,
          lastRunAt: T0 + 30,
          external: true,
          owner: null,
          description: null
        }
      ],
      edges: [{ from: 'pipeline.ipynb::featurize', to: 'report', names: ['features.parquet'] }]
    });
    expect(componentGraph(db, 'nothing.ipynb')).toEqual({ nodes: [], edges: [] });
  });
});

describe('staleness', () => {
  const pipelineCells = [
    { id: 'cell-load', source: "raw = pd.read_csv('data/flights.csv')" },
    { id: 'cell-clean', source: 'df = raw.dropna().drop_duplicates()' },
    { id: 'cell-feat', source: "df['speed'] = df['distance'] / df['time']\ndf.to_parquet('features.parquet')\nFEATURES = ['speed']" },
    { id: 'cell-split', source: 'X_train, X_test, y_train, y_test = split(df[FEATURES])' },
    { id: 'cell-train', source: 'model = LogisticRegression().fit(X_train, y_train)' },
    { id: 'cell-predict', source: 'predictions = model.predict(X_test)' },
    { id: 'cell-peek', source: 'predictions[:5]' }
  ];

  it('finds featurize stale by its input and everything after it stale upstream', () => {
    const stale = staleness(db, 'pipeline.ipynb', pipelineCells);
    expect([...stale.keys()].sort()).toEqual(['featurize', 'predict', 'split', 'train']);
    const newerDf = {
      kind: 'input',
      name: 'df',
      valueKind: 'variable',
      newerRunId: 'run-clean-2',
      newerIoId: 'run-clean-2/out/var/df',
      newerComponent: 'clean'
    };
    expect(stale.get('featurize')).toEqual([{ ...newerDf, consumedHash: 'h-df1' }]);
    // split read featurize's df, and the notebook's df has changed since too
    expect(stale.get('split')).toEqual([
      { ...newerDf, consumedHash: 'h-df2' },
      { kind: 'upstream', component: 'featurize' }
    ]);
    expect(stale.get('train')).toEqual([{ kind: 'upstream', component: 'split' }]);
    expect(stale.get('predict')).toEqual([
      { kind: 'upstream', component: 'split' },
      { kind: 'upstream', component: 'train' }
    ]);
  });

  it('finds a component stale when a cell\'s source differs from its latest run', () => {
    const cells = pipelineCells.map(cell =>
      cell.id === 'cell-load' ? { ...cell, source: "raw = pd.read_csv('data/flights-2.csv')" } : cell
    );
    const stale = staleness(db, 'pipeline.ipynb', cells);
    expect(stale.get('load')).toEqual([{ kind: 'code', cellId: 'cell-load' }]);
    expect(stale.get('clean')).toEqual([{ kind: 'upstream', component: 'load' }]);
    // the source of clean's first run differs, but its latest run is what counts
    expect(
      staleness(db, 'pipeline.ipynb', [{ id: 'cell-clean', source: 'df = raw.dropna()' }]).get('clean')
    ).toEqual([{ kind: 'code', cellId: 'cell-clean' }]);
  });

  it('ignores cells never run and cells of no component', () => {
    const cells = [
      ...pipelineCells.filter(cell => cell.id !== 'cell-peek'),
      { id: 'cell-peek', source: 'predictions[:10]' },
      { id: 'cell-new', source: 'print(1)' }
    ];
    expect([...staleness(db, 'pipeline.ipynb', cells).keys()].sort()).toEqual([
      'featurize',
      'predict',
      'split',
      'train'
    ]);
  });

  it('finds report stale because featurize, in another notebook, is', () => {
    expect([...staleness(db, 'report.ipynb', [])]).toEqual([
      ['report', [{ kind: 'upstream', component: 'pipeline.ipynb::featurize' }]],
      [
        'pipeline.ipynb::featurize',
        [expect.objectContaining({ kind: 'input', name: 'df', newerRunId: 'run-clean-2' })]
      ]
    ]);
  });
});

describe('review', () => {
  it('ranks the runs shared by both flagged outputs first, newest first', () => {
    const { flagged, ranking } = reviewFlagged(db);
    expect(flagged.map(v => [v.id, v.flagged, v.flagNote])).toEqual([
      ['run-predict/out/var/predictions', true, 'looks wrong'],
      ['run-report/out/var/summary', true, 'looks wrong']
    ]);
    const both = ['run-predict/out/var/predictions', 'run-report/out/var/summary'];
    expect(ranking.map(r => [r.runId, r.componentName, r.sharedBy, r.flaggedIoIds])).toEqual([
      ['run-feat', 'featurize', 2, both],
      ['run-clean', 'clean', 2, both],
      ['run-load', 'load', 2, both],
      ['run-report', 'report', 1, ['run-report/out/var/summary']],
      ['run-predict', 'predict', 1, ['run-predict/out/var/predictions']],
      ['run-train', 'train', 1, ['run-predict/out/var/predictions']],
      ['run-split', 'split', 1, ['run-predict/out/var/predictions']]
    ]);
    expect(ranking[3]).toMatchObject({ notebookPath: 'report.ipynb', startedAt: T0 + 80, status: 'ok' });
  });

  it('forgets cleared flags', () => {
    db.run("UPDATE flags SET cleared_at = ? WHERE io_id = 'run-report/out/var/summary'", [T0 + 200]);
    const { flagged, ranking } = reviewFlagged(db);
    expect(flagged.map(v => v.id)).toEqual(['run-predict/out/var/predictions']);
    expect(ranking.map(r => [r.runId, r.sharedBy])).toEqual([
      ['run-predict', 1],
      ['run-train', 1],
      ['run-split', 1],
      ['run-feat', 1],
      ['run-clean', 1],
      ['run-load', 1]
    ]);
  });
});

describe('component history', () => {
  it('lists the runs of a component oldest first with their outputs', () => {
    expect(componentHistory(db, 'pipeline.ipynb', 'clean')).toEqual([
      {
        runId: 'run-clean',
        cellId: 'cell-clean',
        startedAt: T0 + 20,
        status: 'ok',
        durationMs: 1000,
        executionCount: 2,
        gitCommit: '0123abcd',
        codeHash: '46582d7eec04755f98b2515e7eecf3019dfa7f14f4a1d13623254f4a6a33101e',
        outputRows: 950,
        outputs: [{ name: 'df', kind: 'variable', rows: 950, hash: 'h-df1', type: 'pandas.core.frame.DataFrame', table: true }],
        checksPassed: 0,
        checksTotal: 0
      },
      expect.objectContaining({ runId: 'run-clean-2', outputRows: 940, durationMs: 4500 })
    ]);
    expect(componentHistory(db, 'pipeline.ipynb', 'featurize')[0].outputs).toEqual([
      { name: 'features.parquet', kind: 'file', rows: null, hash: 'f-feat', type: 'file', table: false },
      { name: 'FEATURES', kind: 'variable', rows: 1, hash: 'h-features', type: 'pandas.core.frame.DataFrame', table: true },
      { name: 'df', kind: 'variable', rows: 950, hash: 'h-df2', type: 'pandas.core.frame.DataFrame', table: true }
    ]);
    expect(componentHistory(db, 'pipeline.ipynb', 'train')[0].outputRows).toBeNull();
  });

  it('keeps the newest runs within since and limit', () => {
    expect(componentHistory(db, 'pipeline.ipynb', 'clean', { limit: 1 }).map(r => r.runId)).toEqual([
      'run-clean-2'
    ]);
    expect(componentHistory(db, 'pipeline.ipynb', 'clean', { since: T0 + 21 }).map(r => r.runId)).toEqual([
      'run-clean-2'
    ]);
    expect(componentHistory(db, 'report.ipynb', 'clean')).toEqual([]);
  });
});

describe('SQL console', () => {
  it('runs a query and caps its rows', () => {
    expect(readOnlyQuery(db, 'SELECT id, status FROM runs ORDER BY started_at LIMIT 2')).toEqual({
      columns: ['id', 'status'],
      rows: [
        ['run-load', 'ok'],
        ['run-clean', 'ok']
      ],
      truncated: false
    });
    const capped = readOnlyQuery(db, '-- all of them\nSELECT id FROM run_io ORDER BY id;', 5);
    expect(capped.rows.length).toBe(5);
    expect(capped.truncated).toBe(true);
    expect(readOnlyQuery(db, 'SELECT id FROM runs', 9).truncated).toBe(false);
    expect(readOnlyQuery(db, "WITH x AS (SELECT 1 AS a) SELECT a FROM x").rows).toEqual([[1]]);
    expect(readOnlyQuery(db, 'PRAGMA table_info(flags)').rows.map(r => r[1])).toEqual([
      'io_id',
      'note',
      'flagged_at',
      'cleared_at',
      'seq'
    ]);
  });

  it('refuses writes with a clear error and leaves the replica unchanged and writable', () => {
    const count = (): unknown => db.exec('SELECT count(*) FROM runs')[0].values[0][0];
    for (const statement of [
      "INSERT INTO runs (id, code_hash, kernel_session, started_at) VALUES ('x', 'h', 's', 0)",
      'DELETE FROM runs',
      'DROP TABLE runs',
      '/* sneaky */ UPDATE runs SET status = 1',
      'PRAGMA query_only = OFF',
      'PRAGMA query_only(0)',
      "ATTACH DATABASE ':memory:' AS other"
    ]) {
      expect(() => readOnlyQuery(db, statement)).toThrow(/SQL console is read-only/);
    }
    // a write inside a query passes the keyword check; SQLite's query_only stops it
    expect(() => readOnlyQuery(db, 'WITH x AS (SELECT 1) DELETE FROM runs')).toThrow(
      /SQL console is read-only: .*readonly/
    );
    expect(count()).toBe(9);
    expect(db.exec('PRAGMA query_only')[0].values[0][0]).toBe(0);
    db.run("UPDATE runs SET notes = 'still writable' WHERE id = 'run-load'");
  });

  it('runs one statement only, and reports SQL errors', () => {
    expect(() => readOnlyQuery(db, 'SELECT 1; DELETE FROM runs')).toThrow(/one statement/);
    expect(() => readOnlyQuery(db, 'SELECT 1; SELECT 2')).toThrow(/one statement/);
    expect(() => readOnlyQuery(db, '  ')).toThrow(/read-only|No SQL/);
    expect(() => readOnlyQuery(db, 'SELECT * FROM no_such_table')).toThrow(/no such table/);
    expect(db.exec('PRAGMA query_only')[0].values[0][0]).toBe(0);
    expect(db.exec('SELECT count(*) FROM runs')[0].values[0][0]).toBe(9);
  });
});
