import { SqlJsStatic } from 'sql.js';

import { Replica } from '../replica/replica';
import { runById, runCountsOfNotebook, runsOfNotebook } from '../queries/runs';
import { emptyStoreBytes, fixtureChanges, fixtureReplica, loadSql } from './storeFixture';

let sql: SqlJsStatic;

beforeAll(async () => {
  sql = await loadSql();
});

const replicaWithFixture = (): Replica => fixtureReplica(sql);

/** The store fields of a change page of `replica`'s own store. */
const storeOf = (replica: Replica) => ({ store_id: replica.storeId!, schema_version: replica.schemaVersion });

describe('Replica', () => {
  it('opens a snapshot and drops the server-side triggers', () => {
    const replica = Replica.fromSnapshot(sql, emptyStoreBytes(sql), 0);
    const triggers = replica.db.exec(
      "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
    );
    expect(triggers[0].values[0][0]).toBe(0);
    const version = replica.db.exec('PRAGMA user_version');
    expect(version[0].values[0][0]).toBeGreaterThanOrEqual(1);
  });

  it('applies the Python change feed and advances its cursor', () => {
    const changes = fixtureChanges();
    const replica = replicaWithFixture();
    expect(replica.seq).toBe(changes.seq);
    const count = replica.db.exec('SELECT count(*) FROM runs')[0].values[0][0];
    expect(count).toBe(changes.tables.runs.rows.length);
    // seq values are the server's, untouched by the replica
    const seqs = replica.db.exec('SELECT max(seq) FROM runs')[0].values[0][0];
    expect(seqs).toBe(changes.seq);
  });

  it('upserts updated rows instead of duplicating them', () => {
    const replica = replicaWithFixture();
    const columns = ['id', 'code_hash', 'kernel_session', 'started_at', 'status', 'seq'];
    const hash = replica.db.exec("SELECT code_hash FROM runs WHERE id = 'run-5'")[0].values[0][0];
    replica.apply({
      since: replica.seq,
      seq: replica.seq + 1,
      more: false,
      reset: false,
      ...storeOf(replica),
      tables: {
        runs: { columns, rows: [['run-5', hash, 'session-a', 1, 'interrupted', replica.seq + 1]] }
      }
    });
    expect(runById(replica.db, 'run-5')?.status).toBe('interrupted');
    expect(replica.db.exec('SELECT count(*) FROM runs')[0].values[0][0]).toBe(5);
  });

  it('refuses a page that does not start at its cursor, and keeps its data', () => {
    const replica = replicaWithFixture();
    const before = replica.seq;
    expect(() =>
      replica.apply({ since: before + 5, seq: before + 9, more: false, reset: false, ...storeOf(replica), tables: {} })
    ).toThrow(/starts at/);
    expect(replica.seq).toBe(before);
  });

  it('rolls back a page with an unexpected column name', () => {
    const replica = replicaWithFixture();
    const before = replica.db.exec('SELECT count(*) FROM runs')[0].values[0][0];
    expect(() =>
      replica.apply({
        since: replica.seq,
        seq: replica.seq + 1,
        more: false,
        reset: false,
        ...storeOf(replica),
        tables: { runs: { columns: ['id); DROP TABLE runs; --'], rows: [['x']] } }
      })
    ).toThrow(/Unexpected column/);
    expect(replica.db.exec('SELECT count(*) FROM runs')[0].values[0][0]).toBe(before);
  });
});

describe('run queries', () => {
  it('lists a notebook\'s runs newest first with code previews', () => {
    const replica = replicaWithFixture();
    const runs = runsOfNotebook(replica.db, 'demo.ipynb');
    expect(runs.map(r => r.id)).toEqual(['run-4', 'run-3', 'run-2', 'run-1']);
    const failed = runs[1];
    expect(failed.status).toBe('error');
    expect(failed.errorName).toBe('NameError');
    expect(failed.codePreview).toBe('model.fit(df)'); // first non-empty line
    expect(failed.durationMs).toBeCloseTo(750);
    expect(runs[0].componentName).toBe('clean');
    expect(runs[3].codePreview).toBe('import pandas as pd');
    expect(runs[2].codePreview).toBe('df = df.dropna()'); // not its comment
    expect(runs[0].codePreview).toBe('# only comments here');
    expect(runs[0].gitCommit).toBe('0123abcd');
    expect(runs[0].gitDirty).toBeNull();
    expect(runs[0].checks).toEqual({
      total: 2,
      passed: 1,
      failed: 1,
      errored: 0,
      problems: "nulls(df): column 'delay' is 25.0% null",
      passes: 'ok' // the message of the passing check, shown too
    });
    expect(runs[1].checks.total).toBe(0);
  });

  it('limits the list and counts the whole notebook', () => {
    const replica = replicaWithFixture();
    expect(runsOfNotebook(replica.db, 'demo.ipynb', 2).map(r => r.id)).toEqual(['run-4', 'run-3']);
    expect(runCountsOfNotebook(replica.db, 'demo.ipynb')).toEqual({ total: 4, errors: 1, running: 0 });
    expect(runCountsOfNotebook(replica.db, 'other.ipynb')).toEqual({ total: 1, errors: 0, running: 1 });
    expect(runsOfNotebook(replica.db, 'missing.ipynb')).toEqual([]);
  });

  it('finds one run by id', () => {
    const replica = replicaWithFixture();
    expect(runById(replica.db, 'run-5')?.notebookPath).toBe('other.ipynb');
    expect(runById(replica.db, 'nope')).toBeNull();
  });
});
