/**
 * The SQL console's worker: its own SQLite (sql.js) over a copy of the
 * replica's bytes, so a query that runs away (a recursive CTE without a
 * bound) keeps the worker busy, not the tab; the console stops it by
 * terminating the worker. The query rules are the console's (readOnlyQuery).
 */
import type { Database, SqlJsStatic } from 'sql.js';
import wasmUrl from 'sql.js/dist/sql-wasm-browser.wasm';

import { readOnlyQuery } from '../queries/lineage/console';

export interface IConsoleRequest {
  id: number;
  /** The replica's bytes, when they changed since the worker's copy (else null). */
  bytes: Uint8Array | null;
  /** Which copy `bytes` are (the replica's seq when exported). */
  version: string;
  sql: string;
  maxRows: number;
}

export type ConsoleReply =
  | { id: number; columns: string[]; rows: unknown[][]; truncated: boolean; ms: number }
  | { id: number; error: string; needBytes?: boolean };

const scope = self as unknown as {
  onmessage: (event: MessageEvent<IConsoleRequest>) => void;
  postMessage: (message: ConsoleReply) => void;
};

let sql: Promise<SqlJsStatic> | null = null;
let db: Database | null = null;
let version = '';

scope.onmessage = async event => {
  const request = event.data;
  try {
    sql ??= import('sql.js').then(module => module.default({ locateFile: () => wasmUrl }));
    const SQL = await sql;
    if (request.bytes) {
      db?.close();
      db = new SQL.Database(request.bytes);
      version = request.version;
    } else if (!db || version !== request.version) {
      scope.postMessage({ id: request.id, error: 'no copy of the store', needBytes: true });
      return;
    }
    const started = performance.now();
    const result = readOnlyQuery(db, request.sql, request.maxRows);
    scope.postMessage({ id: request.id, ...result, ms: performance.now() - started });
  } catch (error) {
    scope.postMessage({ id: request.id, error: error instanceof Error ? error.message : String(error) });
  }
};
