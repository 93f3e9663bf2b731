import { SqlJsStatic } from 'sql.js';

import { latestRunPerCell } from '../queries/cells';
import { fixtureReplica, loadSql } from './storeFixture';

let sql: SqlJsStatic;
beforeAll(async () => {
  sql = await loadSql();
});

const replica = () => fixtureReplica(sql);

describe('latestRunPerCell', () => {
  it('gives each cell its newest run and the checks recorded with it', () => {
    const states = latestRunPerCell(replica().db, 'demo.ipynb');
    expect([...states.keys()].sort()).toEqual(['cell-1', 'cell-2', 'cell-3']);
    const clean = states.get('cell-2')!;
    expect(clean.runId).toBe('run-4'); // not run-2: the newest run of that cell
    expect(clean.checks).toBe('fail');
    expect(clean.checksPassed).toBe(1);
    expect(clean.checksTotal).toBe(2);
    expect(clean.problems).toBe("nulls(df): column 'delay' is 25.0% null");
    expect(states.get('cell-1')!.checks).toBeNull();
    expect(states.get('cell-3')!.status).toBe('error');
  });

  it('is empty for a notebook without runs', () => {
    expect(latestRunPerCell(replica().db, 'none.ipynb').size).toBe(0);
  });
});
