/**
 * The Pipelines panel's requests awaiting approval, read from the replicated
 * tables of plumbline/tests/fixtures/monitor-bundle-v1.json (the Python store
 * built it: a monitor's trigger on alerts fired once, at its concept-drift window).
 */
import type { SqlJsStatic } from 'sql.js';

import type { IChanges } from '../api/changes';
import { requestsAwaitingApproval } from '../queries/pipelines';
import { Replica } from '../replica/replica';
import { emptyStoreBytes, loadSql, sharedFixture } from './storeFixture';

let sql: SqlJsStatic;

beforeAll(async () => {
  sql = await loadSql();
});

function replica(changes: IChanges): Replica {
  const r = Replica.fromSnapshot(sql, emptyStoreBytes(sql), 0);
  r.apply(changes);
  return r;
}

describe('requests awaiting approval', () => {
  it('lists the monitor request of a pipeline with its reason, and none for another pipeline', () => {
    const changes = sharedFixture<{ changes: IChanges }>('monitor-bundle-v1.json').changes;
    const db = replica(changes).db;
    const requests = requestsAwaitingApproval(db, 'retrain');
    expect(requests).toHaveLength(1);
    expect(requests[0].monitor).toBe('delay-model');
    expect(requests[0].reason).toContain('likely concept drift');
    expect(requestsAwaitingApproval(db, 'nightly')).toEqual([]);
  });

  it('drops a request once it is decided', () => {
    const changes = sharedFixture<{ changes: IChanges }>('monitor-bundle-v1.json').changes;
    const r = replica(changes);
    const table = changes.tables.trigger_requests!;
    const status = table.columns.indexOf('status');
    const seq = table.columns.indexOf('seq');
    const decided = table.rows.map(row => row.map((v, i) => (i === status ? 'started' : i === seq ? Number(v) + 1000 : v)));
    r.apply({ ...changes, since: changes.seq, seq: changes.seq + 1000, tables: { trigger_requests: { columns: table.columns, rows: decided } } });
    expect(requestsAwaitingApproval(r.db, 'retrain')).toEqual([]);
  });
});
