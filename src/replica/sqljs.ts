/**
 * Loads SQLite (sql.js WebAssembly) from the extension's own static assets,
 * lazily: nothing is fetched until the sidebar first needs the replica.
 */
import type { SqlJsStatic } from 'sql.js';
import wasmUrl from 'sql.js/dist/sql-wasm-browser.wasm';

let loading: Promise<SqlJsStatic> | null = null;

export function loadSqlJs(): Promise<SqlJsStatic> {
  if (!loading) {
    loading = import('sql.js')
      .then(module => module.default({ locateFile: () => wasmUrl }))
      .catch(error => {
        loading = null; // let a later call retry
        throw error;
      });
  }
  return loading;
}
