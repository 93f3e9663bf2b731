/** Lineage queries on small synthetic stores, for shapes the shared fixture lacks. */
import { SqlJsStatic } from 'sql.js';

import {
  componentGraph,
  componentHistory,
  previousRun,
  staleness,
  traceDownstream,
  traceUpstream
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

  it('cuts at maxNodes exactly where the full depth-first tree would continue', () => {
    const db = lattice(10).done().db;
    const root = out('L9', 'l');
    const full = traceUpstream(db, root, { maxNodes: 100_000 });
    expect(full.length).toBe(2 ** 10 - 1); // 1 + 2 + ... + 2^9
    expect(full.some(n => n.truncated)).toBe(false);
    const cut = traceUpstream(db, root, { maxNodes: 100 });
    expect(cut.length).toBe(100);
    const next = full[100];
    expect(cut.map(n => [n.key, n.io.id, n.truncated ?? false])).toEqual(
      full.slice(0, 100).map(n => [n.key, n.io.id, n.key === next.parentKey])
    );
    // the default bound
    expect(traceUpstream(db, root).length).toBe(500);
    expect(traceDownstream(db, out('L0', 'l')).length).toBe(500);
    db.close();
  });

  it('bounds the depth of downstream traces', () => {
    const db = lattice(6).done().db;
    const nodes = traceDownstream(db, out('L0', 'r'), { maxDepth: 2 });
    expect(nodes.map(n => [n.key, n.io.id, n.truncated ?? false])).toEqual([
      ['0', out('L0', 'r'), false],
      ['0.0', out('L1', 'l'), false],
      ['0.0.0', out('L2', 'l'), true],
      ['0.0.1', out('L2', 'r'), true],
      ['0.1', out('L1', 'r'), false],
      ['0.1.0', out('L2', 'l'), true],
      ['0.1.1', out('L2', 'r'), true]
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

  it('propagates staleness from another notebook\'s upstream components', () => {
    const b = new LineageBuilder(sql);
    b.run({ id: 'a1', notebook: 'etl.ipynb', component: 'a', startedAt: 1, outputs: [{ name: 'x', hash: 'x1' }] })
      .run({ id: 'e1', notebook: 'etl.ipynb', component: 'export', startedAt: 2,
             inputs: [{ name: 'x', hash: 'x1', source: out('a1', 'x') }],
             outputs: [{ kind: 'file', name: 'data.csv', hash: 'f1' }] })
      .run({ id: 'm1', notebook: 'model.ipynb', component: 'fit', startedAt: 3,
             inputs: [{ kind: 'file', name: 'data.csv', hash: 'f1', source: out('e1', 'data.csv', 'file') }] });
    const db = b.replica.db;
    expect(staleness(db, 'model.ipynb', [])).toEqual(new Map());
    // `a` changes its code: export (in etl) and fit (in model) become stale
    const etl = staleness(db, 'etl.ipynb', [{ id: 'cell-a', source: 'x = 2' }]);
    expect([...etl]).toEqual([
      ['a', [{ kind: 'code', cellId: 'cell-a' }]],
      ['export', [{ kind: 'upstream', component: 'a' }]]
    ]);
    // model.ipynb does not see etl's sources, but it sees a newer x in etl
    expect(staleness(db, 'model.ipynb', [])).toEqual(new Map());
    b.run({ id: 'u9', notebook: 'etl.ipynb', cell: 'c9', startedAt: 9, outputs: [{ name: 'x', hash: 'x2' }] });
    expect([...staleness(db, 'model.ipynb', [])]).toEqual([
      ['fit', [{ kind: 'upstream', component: 'etl.ipynb::export' }]]
    ]);
    b.done();
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
