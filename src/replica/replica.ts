/**
 * The browser's read replica of the lineage store.
 *
 * It starts from a snapshot the server serialized (SQLite file bytes) and
 * then applies row changes from the server's "changes since" feed. Python is
 * the only writer of the real store; the replica never derives data, so the
 * snapshot's triggers (which maintain `seq` on the server) are dropped.
 */
import type { Database, SqlJsStatic } from 'sql.js';

import type { IChanges } from '../api/changes';

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

export class Replica {
  private constructor(
    readonly db: Database,
    private _seq: number
  ) {
    const identity = db.exec("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'store_identity'").length
      ? db.exec('SELECT id FROM store_identity')
      : [];
    this.storeId = identity[0] ? String(identity[0].values[0][0]) : null;
    this.schemaVersion = Number(db.exec('PRAGMA user_version')[0].values[0][0]);
  }

  /** The identity of the store this replica copies (null: a store too old to have one). */
  readonly storeId: string | null;
  readonly schemaVersion: number;

  /** Whether a change page is of this replica's store, at its schema. */
  isOf(changes: IChanges): boolean {
    return changes.store_id === this.storeId && changes.schema_version === this.schemaVersion;
  }

  /** Open a snapshot; `seq` is the store's change counter it was taken at. */
  static fromSnapshot(sql: SqlJsStatic, bytes: Uint8Array, seq: number): Replica {
    const db = new sql.Database(bytes);
    try {
      const triggers = db.exec(
        "SELECT name FROM sqlite_master WHERE type = 'trigger'"
      );
      for (const [name] of triggers[0]?.values ?? []) {
        db.run(`DROP TRIGGER "${String(name).replace(/"/g, '""')}"`);
      }
      return new Replica(db, seq);
    } catch (error) {
      db.close(); // not a store (e.g. damaged bytes kept in the browser)
      throw error;
    }
  }

  /** The store's change counter this replica is up to date with. */
  get seq(): number {
    return this._seq;
  }

  /**
   * Apply one page of changes. Pages must be applied in order; a page that
   * does not start at this replica's cursor is refused.
   *
   * @returns the number of rows written.
   */
  apply(changes: IChanges): number {
    if (changes.since !== this._seq) {
      throw new Error(
        `Change page starts at ${changes.since}, replica is at ${this._seq}`
      );
    }
    let written = 0;
    // Which tables replicate is the server's to say (plumbline/store/store.py);
    // the replica only accepts tables its schema has.
    const known = this._tables();
    this.db.run('BEGIN');
    try {
      for (const [table, page] of Object.entries(changes.tables)) {
        if (!known.has(table)) {
          throw new Error(`Unexpected table in change feed: ${table}`);
        }
        if (page.rows.length === 0) {
          continue;
        }
        for (const column of page.columns) {
          if (!IDENTIFIER.test(column)) {
            throw new Error(`Unexpected column name in change feed: ${column}`);
          }
        }
        const placeholders = page.columns.map(() => '?').join(', ');
        // Quoted: a column may be an SQL keyword (check_results."when").
        const columns = page.columns.map(column => `"${column}"`).join(', ');
        const statement = this.db.prepare(
          `INSERT OR REPLACE INTO "${table}" (${columns}) VALUES (${placeholders})`
        );
        try {
          for (const row of page.rows) {
            statement.run(row);
            written++;
          }
        } finally {
          statement.free();
        }
      }
      this.db.run('COMMIT');
    } catch (error) {
      this.db.run('ROLLBACK');
      throw error;
    }
    this._seq = changes.seq;
    return written;
  }

  private _tables(): Set<string> {
    const result = this.db.exec(
      "SELECT name FROM sqlite_master WHERE type = 'table'"
    );
    return new Set((result[0]?.values ?? []).map(([name]) => String(name)));
  }

  close(): void {
    this.db.close();
  }
}
