/**
 * Builds sql.js databases from the one DDL in schema/store, the way the
 * server's snapshot would look, for the tests of the replica and queries.
 */
import * as fs from 'fs';
import * as path from 'path';
import initSqlJs, { SqlJsStatic } from 'sql.js';

import { IChanges, Replica } from '../replica/replica';

const ROOT = path.resolve(__dirname, '..', '..');

export function loadSql(): Promise<SqlJsStatic> {
  return initSqlJs();
}

/** Bytes of an empty store at the latest schema version (triggers included). */
export function emptyStoreBytes(sql: SqlJsStatic): Uint8Array {
  const db = new sql.Database();
  const dir = path.join(ROOT, 'schema', 'store');
  const files = fs.readdirSync(dir).filter(f => /^\d{4}_.*\.sql$/.test(f)).sort();
  files.forEach((file, index) => {
    db.exec(fs.readFileSync(path.join(dir, file), 'utf-8'));
    db.exec(`PRAGMA user_version = ${index + 1}`);
  });
  const bytes = db.export();
  db.close();
  return bytes;
}

/** The change page the Python store produces (tested on both sides). */
export function fixtureChanges(): IChanges {
  return JSON.parse(
    fs.readFileSync(path.join(ROOT, 'plumbline', 'tests', 'fixtures', 'changes-v1.json'), 'utf-8')
  );
}

/** A replica opened from an empty store with the fixture's changes applied. */
export function fixtureReplica(sql: SqlJsStatic): Replica {
  const replica = Replica.fromSnapshot(sql, emptyStoreBytes(sql), 0);
  replica.apply(fixtureChanges());
  return replica;
}
