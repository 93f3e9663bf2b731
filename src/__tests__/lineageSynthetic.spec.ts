/** Lineage queries on small synthetic stores, for shapes the shared fixture lacks. */
import { SqlJsStatic } from 'sql.js';

import {
  componentGraph,
  componentHistory,
  previousRun,
  staleness,
  StaleReason,
  traceDownstream,
  traceUpstream,
  upstreamNotebooks
} from '../queries/lineage';
import { ioId, LineageBuilder, loadSql } from './storeFixture';

let sql: SqlJsStatic;

beforeAll(async () => {
  sql = await loadSql();
});

const out = (run: string, name: string, kind: 'variable' | 'file' = 'variable'): string =>
  ioId(run, 'output', kind, name);

describe('component graph through untagged cells', () => {
  it('walks through untagged runs to the nearest component, and drops self edges', () => {
    const b = new LineageBuilder(sql);
    b.run({ id: 'a1', component: 'a', cell: 'ca', startedAt: 1, outputs: [{ name: 'x', hash: 'x1' }] })
      .run({ id: 'u1', cell: 'cu1', startedAt: 2, inputs: [{ name: 'x', hash: 'x1', source: out('a1', 'x') }],
             outputs: [{ name: 'y', hash: 'y1' }] })
      .run({ id: 'u2', cell: 'cu2', startedAt: 3, inputs: [{ name: 'y', hash: 'y1', source: out('u1', 'y') }],
             outputs: [{ name: 'z', hash: 'z1' }] })
      // component b has two cells; the second reads the first's output (a self edge)
      .run({ id: 'b1', component: 'b', cell: 'cb1', startedAt: 4,
             inputs: [{ name: 'z', hash: 'z1', source: out('u2', 'z') }], outputs: [{ name: 'w', hash: 'w1' }] })
      .run({ id: 'b2', component: 'b', cell: 'cb2', startedAt: 5,
             inputs: [{ name: 'w', hash: 'w1', source: out('b1', 'w') }], outputs: [{ name: 'v', hash: 'v1' }] });
    const db = b.done().db;
    expect(componentGraph(db, 'nb.ipynb')).toEqual({
      nodes: [
        expect.objectContaining({ key: 'a', runCount: 1, latestRunId: 'a1' }),
        expect.objectContaining({ key: 'b', runCount: 2, latestRunId: 'b2' })
      ],
      edges: [{ from: 'a', to: 'b', names: ['x'] }]
    });
    db.close();
  });

  it('draws edges from the latest run of each cell only', () => {
    const b = new LineageBuilder(sql);
    b.run({ id: 'p1', component: 'p', startedAt: 1, outputs: [{ name: 'd', hash: 'd1' }] })
      .run({ id: 'q1', component: 'q', startedAt: 2, outputs: [{ name: 'd', hash: 'd2' }] })
      .run({ id: 'r1', component: 'r', startedAt: 3, inputs: [{ name: 'd', hash: 'd1', source: out('p1', 'd') }] })
      .run({ id: 'r2', component: 'r', startedAt: 4, inputs: [{ name: 'd', hash: 'd2', source: out('q1', 'd') }] });
    const db = b.done().db;
    expect(componentGraph(db, 'nb.ipynb').edges).toEqual([{ from: 'q', to: 'r', names: ['d'] }]);
    db.close();
  });
});

describe('traces on a diamond lattice', () => {
  /** Level k runs read both outputs of level k-1: 2^depth upstream paths. */
  function lattice(levels: number): LineageBuilder {
    const b = new LineageBuilder(sql);
    b.run({ id: 'L0', component: 'c0', startedAt: 0, outputs: [{ name: 'l', hash: 'l0' }, { name: 'r', hash: 'r0' }] });
    for (let k = 1; k < levels; k++) {
      b.run({
        id: `L${k}`,
        component: `c${k}`,
        startedAt: k,
        inputs: [
          { name: 'l', hash: `l${k - 1}`, source: out(`L${k - 1}`, 'l') },
          { name: 'r', hash: `r${k - 1}`, source: out(`L${k - 1}`, 'r') }
        ],
        outputs: [{ name: 'l', hash: `l${k}` }, { name: 'r', hash: `r${k}` }]
      });
    }
    return b;
  }

  it('draws each run once however many paths lead to it (2^40 here), and bounds the walk', () => {
    const db = lattice(41).done().db;
    const root = out('L40', 'l');
    const full = traceUpstream(db, root, { maxNodes: 100_000 });
    expect(full.nodes.map(n => n.key)).toEqual(Array.from({ length: 41 }, (_, k) => `L${40 - k}`));
    expect(full.nodes.map(n => n.depth)).toEqual(Array.from({ length: 41 }, (_, k) => k));
    expect(full.nodes.slice(1).every(n => n.values.map(v => v.name).join() === 'l,r')).toBe(true);
    expect(full.edges).toHaveLength(40);
    expect(full.edges[0].names).toEqual(['l', 'r']);
    expect(full.truncated).toBe(false);
    // the bound is on distinct values walked: 1 + 2 * 10
    const cut = traceUpstream(db, root, { maxNodes: 21 });
    expect(cut.truncated).toBe(true);
    expect(cut.nodes.flatMap(n => n.values)).toHaveLength(21);
    expect(traceDownstream(db, out('L0', 'l')).nodes).toHaveLength(41);
    db.close();
  });

  it('follows only what each value was made from', () => {
    const b = new LineageBuilder(sql);
    b.run({ id: 'L0', component: 'c0', startedAt: 0, outputs: [{ name: 'l', hash: 'l0' }, { name: 'r', hash: 'r0' }] });
    for (let k = 1; k < 4; k++) {
      b.run({
        id: `L${k}`,
        component: `c${k}`,
        startedAt: k,
        inputs: [
          { name: 'l', hash: `l${k - 1}`, source: out(`L${k - 1}`, 'l') },
          { name: 'r', hash: `r${k - 1}`, source: out(`L${k - 1}`, 'r') }
        ],
        // l is made from l alone, r from both, and c is a constant
        outputs: [
          { name: 'l', hash: `l${k}`, dependsOn: ['l'] },
          { name: 'r', hash: `r${k}`, dependsOn: ['l', 'r'] },
          { name: 'c', hash: 'c', dependsOn: [] }
        ]
      });
    }
    const db = b.done().db;
    const up = traceUpstream(db, out('L3', 'l'));
    expect(up.nodes.map(n => [n.key, n.values.map(v => v.name)])).toEqual([
      ['L3', ['l']],
      ['L2', ['l']],
      ['L1', ['l']],
      ['L0', ['l']]
    ]);
    expect(traceUpstream(db, out('L3', 'c')).nodes.map(n => n.key)).toEqual(['L3']);
    // downstream of r: only the r's (l is not made from r)
    const down = traceDownstream(db, out('L0', 'r'));
    expect(down.nodes.map(n => [n.key, n.values.map(v => v.name)])).toEqual([
      ['L0', ['r']],
      ['L1', ['r']],
      ['L2', ['r']],
      ['L3', ['r']]
    ]);
    db.close();
  });

  it('counts the paths that join at a shared ancestor', () => {
    const b = new LineageBuilder(sql);
    b.run({ id: 'A', component: 'a', startedAt: 0, outputs: [{ name: 'x', hash: 'x' }] })
      .run({ id: 'B', component: 'b', startedAt: 1, inputs: [{ name: 'x', hash: 'x', source: out('A', 'x') }],
             outputs: [{ name: 'y', hash: 'y', dependsOn: ['x'] }] })
      .run({ id: 'C', component: 'c', startedAt: 2, inputs: [{ name: 'x', hash: 'x', source: out('A', 'x') }],
             outputs: [{ name: 'z', hash: 'z', dependsOn: ['x'] }] })
      .run({ id: 'D', component: 'd', startedAt: 3,
             inputs: [{ name: 'y', hash: 'y', source: out('B', 'y') }, { name: 'z', hash: 'z', source: out('C', 'z') }],
             outputs: [{ name: 'w', hash: 'w', dependsOn: ['y', 'z'] }] });
    const db = b.done().db;
    const up = traceUpstream(db, out('D', 'w'));
    expect(up.nodes.map(n => [n.key, n.joins, n.depth])).toEqual([
      ['D', 0, 0],
      ['B', 1, 1],
      ['C', 1, 1],
      ['A', 2, 2]
    ]);
    const down = traceDownstream(db, out('A', 'x'));
    expect(down.nodes.map(n => [n.key, n.joins])).toEqual([
      ['A', 0],
      ['B', 1],
      ['C', 1],
      ['D', 2]
    ]);
    db.close();
  });

  it('bounds the depth of downstream traces', () => {
    const db = lattice(6).done().db;
    const trace = traceDownstream(db, out('L0', 'r'), { maxDepth: 2 });
    expect(trace.nodes.map(n => [n.key, n.truncated ?? false])).toEqual([
      ['L0', false],
      ['L1', false],
      ['L2', true]
    ]);
    db.close();
  });
});

describe('staleness rules', () => {
  it('counts newer files from any notebook, untagged writers, and not the component\'s own writes', () => {
    const b = new LineageBuilder(sql);
    b.run({ id: 'w1', notebook: 'etl.ipynb', component: 'export', startedAt: 1,
            outputs: [{ kind: 'file', name: 'data.csv', hash: 'f1' }] })
      .run({ id: 'm1', notebook: 'model.ipynb', component: 'fit', startedAt: 2,
             inputs: [{ kind: 'file', name: 'data.csv', hash: 'f1', source: out('w1', 'data.csv', 'file') },
                      { name: 'params', hash: 'p1' }],
             outputs: [{ name: 'params', how: 'mutated', hash: 'p2' }] })
      // fit's own later write of params, and a variable of the same name in another notebook
      .run({ id: 'o1', notebook: 'etl.ipynb', cell: 'x', startedAt: 3, outputs: [{ name: 'params', hash: 'p9' }] })
      // the same content rewritten: not stale
      .run({ id: 'w2', notebook: 'etl.ipynb', component: 'export', startedAt: 4,
             outputs: [{ kind: 'file', name: 'data.csv', hash: 'f1' }] });
    const db = b.replica.db;
    expect(staleness(db, 'model.ipynb', [])).toEqual(new Map());
    // new content, written by an untagged cell of another notebook
    b.run({ id: 'u1', notebook: 'scratch.ipynb', cell: 'y', startedAt: 5,
            outputs: [{ kind: 'file', name: 'data.csv', hash: 'f2' }] });
    expect(staleness(db, 'model.ipynb', [])).toEqual(
      new Map([
        ['fit', [{ kind: 'input', name: 'data.csv', valueKind: 'file', consumedHash: 'f1',
                   newerRunId: 'u1', newerIoId: out('u1', 'data.csv', 'file'), newerComponent: null }]]
      ])
    );
    // an untagged cell of the same notebook replaces params: a second reason
    b.run({ id: 'u2', notebook: 'model.ipynb', cell: 'z', startedAt: 6, outputs: [{ name: 'params', hash: 'p3' }] });
    expect(staleness(db, 'model.ipynb', []).get('fit')?.map(r => r.kind === 'input' && [r.name, r.newerRunId]))
      .toEqual([['data.csv', 'u1'], ['params', 'u2']]);
    b.done();
    db.close();
  });

  it('follows file edges into other notebooks, with the other notebook\'s current sources', () => {
    const b = new LineageBuilder(sql);
    b.run({ id: 'a1', notebook: 'etl.ipynb', component: 'a', code: 'x = 1', startedAt: 1, outputs: [{ name: 'x', hash: 'x1' }] })
      .run({ id: 'e1', notebook: 'etl.ipynb', component: 'export', startedAt: 2,
             inputs: [{ name: 'x', hash: 'x1', source: out('a1', 'x') }],
             outputs: [{ kind: 'file', name: 'data.csv', hash: 'f1' }] })
      .run({ id: 'm1', notebook: 'model.ipynb', component: 'fit', startedAt: 3,
             inputs: [{ kind: 'file', name: 'data.csv', hash: 'f1', source: out('e1', 'data.csv', 'file') }],
             outputs: [{ name: 'model', hash: 'm1', dependsOn: ['file:data.csv'] }] });
    const db = b.replica.db;
    expect(staleness(db, 'model.ipynb', [])).toEqual(new Map());
    expect(upstreamNotebooks(db, 'model.ipynb')).toEqual(['etl.ipynb']);
    // `a` is edited in etl.ipynb and not run: with etl's current sources, fit (in model) is stale
    const etlCells = [{ id: 'cell-a', source: 'x = 2' }];
    const sourcesOf = (path: string) => (path === 'etl.ipynb' ? etlCells : undefined);
    expect([...staleness(db, 'model.ipynb', [], { sourcesOf })]).toEqual([
      ['fit', [{ kind: 'upstream', component: 'etl.ipynb::export' }]],
      ['etl.ipynb::a', [{ kind: 'code', cellId: 'cell-a' }]],
      ['etl.ipynb::export', [{ kind: 'upstream', component: 'etl.ipynb::a' }]]
    ]);
    // etl's own view agrees
    expect([...staleness(db, 'etl.ipynb', etlCells)]).toEqual([
      ['a', [{ kind: 'code', cellId: 'cell-a' }]],
      ['export', [{ kind: 'upstream', component: 'a' }]]
    ]);
    // without etl's sources, only what the store knows: a newer x in etl
    expect(staleness(db, 'model.ipynb', [])).toEqual(new Map());
    b.run({ id: 'u9', notebook: 'etl.ipynb', cell: 'c9', startedAt: 9, outputs: [{ name: 'x', hash: 'x2' }] });
    expect([...staleness(db, 'model.ipynb', [])]).toEqual([
      ['fit', [{ kind: 'upstream', component: 'etl.ipynb::export' }]],
      ['etl.ipynb::export', [expect.objectContaining({ kind: 'input', name: 'x', newerRunId: 'u9' })]]
    ]);
    b.done();
    db.close();
  });

  it('carries staleness per value: a constant made next to a stale value is not stale', () => {
    const b = new LineageBuilder(sql);
    b.run({ id: 'l1', component: 'load', code: 'flights = read()', startedAt: 1, outputs: [{ name: 'flights', hash: 'f' }] })
      .run({ id: 'f1', component: 'featurize', startedAt: 2,
             inputs: [{ name: 'flights', hash: 'f', source: out('l1', 'flights') }],
             outputs: [{ name: 'FEATURES', hash: 'k', dependsOn: [] }, { name: 'X', hash: 'x', dependsOn: ['flights'] }] })
      .run({ id: 'd1', component: 'document', startedAt: 3,
             inputs: [{ name: 'FEATURES', hash: 'k', source: out('f1', 'FEATURES') }], outputs: [{ name: 'doc', hash: 'd', dependsOn: ['FEATURES'] }] })
      .run({ id: 't1', component: 'train', startedAt: 4,
             inputs: [{ name: 'X', hash: 'x', source: out('f1', 'X') }], outputs: [{ name: 'model', hash: 'm', dependsOn: ['X'] }] });
    const db = b.done().db;
    const stale = staleness(db, 'nb.ipynb', [{ id: 'cell-load', source: "flights = read('other')" }]);
    expect([...stale.keys()]).toEqual(['load', 'featurize', 'train']);
    expect(stale.get('train')).toEqual([{ kind: 'upstream', component: 'featurize' }]);
    expect(stale.has('document')).toBe(false);
    db.close();
  });
});

describe('staleness and the live kernel', () => {
  /** load -> flights; clean mutates flights in place; featurize reads flights; report reads nothing kept. */
  function pipeline(): LineageBuilder {
    const b = new LineageBuilder(sql);
    b.run({ id: 'load1', component: 'load', session: 'k1', startedAt: 1, outputs: [{ name: 'flights', hash: 'raw' }] })
      .run({ id: 'clean1', component: 'clean', session: 'k1', startedAt: 2,
             inputs: [{ name: 'flights', hash: 'raw', source: out('load1', 'flights') }],
             outputs: [{ name: 'flights', how: 'mutated', hash: 'clean', dependsOn: ['flights'] }] })
      .run({ id: 'feat1', component: 'featurize', session: 'k1', startedAt: 3,
             inputs: [{ name: 'flights', hash: 'clean', source: out('clean1', 'flights') }],
             outputs: [{ name: 'X', hash: 'x', dependsOn: ['flights'] }, { name: 'i', hash: 'i3', dependsOn: [] }] })
      .run({ id: 'show1', component: 'show', session: 'k1', startedAt: 4,
             inputs: [{ name: 'X', hash: 'x', source: out('feat1', 'X') }] })
      .bind('k1', 'flights', out('clean1', 'flights'))
      .bind('k1', 'X', out('feat1', 'X'))
      .bind('k1', 'i', out('feat1', 'i'));
    return b;
  }
  const kinds = (stale: Map<string, StaleReason[]>) =>
    [...stale].map(([key, reasons]) => [key, reasons.map(r => (r.kind === 'kernel' ? `kernel:${r.why}` : r.kind))]);

  it('finds nothing stale while the kernel holds what the latest runs made', () => {
    const db = pipeline().done().db;
    expect(staleness(db, 'nb.ipynb', [], { kernelSession: 'k1' })).toEqual(new Map());
    db.close();
  });

  it('after a restart, every component with values not re-run since is stale, and what reads them', () => {
    const b = pipeline();
    const db = b.db;
    // the new kernel is loading (holds nothing yet)
    expect(kinds(staleness(db, 'nb.ipynb', [], { kernelSession: null }))).toEqual([
      ['load', ['kernel:restarted']],
      ['clean', ['kernel:restarted', 'upstream']],
      ['featurize', ['kernel:restarted', 'upstream']],
      ['show', ['upstream']] // it keeps nothing in the kernel, but read what is gone
    ]);
    // the user re-runs load in the new kernel (same content as before): clean is stale although its
    // input has the same content, and so is everything below it
    b.run({ id: 'load2', component: 'load', cell: 'cell-load', session: 'k2', startedAt: 10,
            outputs: [{ name: 'flights', hash: 'raw' }] })
      .bind('k2', 'flights', out('load2', 'flights'));
    const stale = staleness(db, 'nb.ipynb', [], { kernelSession: 'k2' });
    expect(kinds(stale)).toEqual([
      ['clean', ['kernel:restarted']],
      // and the notebook's flights is load's raw frame again: a newer version with other content
      ['featurize', ['input', 'kernel:restarted', 'upstream']],
      ['show', ['upstream']]
    ]);
    expect(stale.get('featurize')).toContainEqual({ kind: 'upstream', component: 'clean' });
    // the kernel rules are off when the kernel is not known: by the store alone clean is not
    // stale (its input has the content it read), which is what misled the user
    expect(kinds(staleness(db, 'nb.ipynb', []))).toEqual([
      ['featurize', ['input']],
      ['show', ['upstream']]
    ]);
    b.done();
    db.close();
  });

  it('re-running an upstream cell that re-creates a value makes what derived from the old one stale', () => {
    const b = pipeline();
    const db = b.db;
    b.run({ id: 'load2', component: 'load', cell: 'cell-load', session: 'k1', startedAt: 10,
            outputs: [{ name: 'flights', hash: 'raw' }] })
      .bind('k1', 'flights', out('load2', 'flights'));
    const stale = staleness(db, 'nb.ipynb', [], { kernelSession: 'k1' });
    expect(stale.get('clean')).toEqual([
      { kind: 'kernel', why: 'recreated', name: 'flights', byRunId: 'load2', byComponent: 'load' }
    ]);
    expect(kinds(stale)).toEqual([
      ['clean', ['kernel:recreated']],
      ['featurize', ['input', 'upstream']],
      ['show', ['upstream']]
    ]);
    // running clean again makes the version featurize read again: nothing is stale
    b.run({ id: 'clean2', component: 'clean', cell: 'cell-clean', session: 'k1', startedAt: 11,
            inputs: [{ name: 'flights', hash: 'raw', source: out('load2', 'flights') }],
            outputs: [{ name: 'flights', how: 'mutated', hash: 'clean', dependsOn: ['flights'] }] })
      .bind('k1', 'flights', out('clean2', 'flights'));
    expect(staleness(db, 'nb.ipynb', [], { kernelSession: 'k1' })).toEqual(new Map());
    b.done();
    db.close();
  });

  it('a value rebound by an unrelated cell matters only once another run had read it', () => {
    const b = pipeline();
    const db = b.db;
    // a later loop rebinds `i`: nobody read featurize's `i`, nothing is stale
    b.run({ id: 'loop', cell: 'cell-loop', session: 'k1', startedAt: 20, outputs: [{ name: 'i', hash: 'i9', dependsOn: [] }] })
      .bind('k1', 'i', out('loop', 'i'));
    expect(staleness(db, 'nb.ipynb', [], { kernelSession: 'k1' })).toEqual(new Map());
    // X is deleted after show read it: featurize must run again before show can
    b.bind('k1', 'X', null, true);
    expect(staleness(db, 'nb.ipynb', [], { kernelSession: 'k1' }).get('featurize')).toEqual([
      { kind: 'kernel', why: 'deleted', name: 'X' }
    ]);
    b.done();
    db.close();
  });

  it('a kernel restart does not make another notebook that reads its files stale', () => {
    const b = new LineageBuilder(sql);
    b.run({ id: 'w1', notebook: 'train.ipynb', component: 'export', session: 'k1', startedAt: 1,
            outputs: [{ name: 'df', hash: 'd' }, { kind: 'file', name: 'f.parquet', hash: 'f' }] })
      .run({ id: 'r1', notebook: 'infer.ipynb', component: 'infer', session: 'k9', startedAt: 2,
             inputs: [{ kind: 'file', name: 'f.parquet', hash: 'f', source: out('w1', 'f.parquet', 'file') }],
             outputs: [{ name: 'pred', hash: 'p', dependsOn: ['file:f.parquet'] }] })
      .bind('k9', 'pred', out('r1', 'pred'));
    const db = b.done().db;
    expect(kinds(staleness(db, 'train.ipynb', [], { kernelSession: 'k2' }))).toEqual([['export', ['kernel:restarted']]]);
    expect(staleness(db, 'infer.ipynb', [], { kernelSession: 'k9' })).toEqual(new Map());
    db.close();
  });
});

describe('previous run and history', () => {
  it('falls back to the previous run of the component when the cell is new', () => {
    const b = new LineageBuilder(sql);
    b.run({ id: 'k1', component: 'k', cell: 'old', startedAt: 1 })
      .run({ id: 'k2', component: 'k', cell: 'new', startedAt: 2 })
      .run({ id: 'k3', component: 'k', cell: 'old', startedAt: 3 });
    const db = b.done().db;
    expect(previousRun(db, 'k3')).toBe('k1');
    expect(previousRun(db, 'k2')).toBe('k1');
    expect(previousRun(db, 'k1')).toBeNull();
    db.close();
  });

  it('summarises checks and the largest variable output per run', () => {
    const b = new LineageBuilder(sql);
    b.run({ id: 'h1', component: 'h', startedAt: 1, checks: ['pass', 'fail'], status: 'error',
            outputs: [{ name: 'a', rows: 10 }, { name: 'b', rows: 30 }, { kind: 'file', name: 'f', rows: 99 }] })
      .run({ id: 'h2', component: 'h', startedAt: 2, checks: ['pass'] });
    const db = b.done().db;
    expect(componentHistory(db, 'nb.ipynb', 'h').map(r => [r.runId, r.status, r.outputRows, r.checksPassed, r.checksTotal]))
      .toEqual([
        ['h1', 'error', 30, 1, 2],
        ['h2', 'ok', null, 1, 1]
      ]);
    db.close();
  });
});
