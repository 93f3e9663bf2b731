/**
 * The SQL console over the replica: one read-only statement, results capped.
 *
 * Two guards: the statement must be a query (SELECT, WITH, VALUES, EXPLAIN or
 * an informational PRAGMA), and it runs with PRAGMA query_only = ON, so that a
 * write hidden in a query (`WITH ... DELETE`) fails in SQLite itself. The
 * replica's own setting is restored afterwards, even on error.
 */
import type { Database, SqlValue, Statement, StatementIterator } from 'sql.js';

export interface IQueryResult {
  columns: string[];
  rows: SqlValue[][];
  /** More rows than maxRows matched; only the first maxRows are returned. */
  truncated: boolean;
}

/** Pragmas that only report; anything else could change the connection. */
const READ_PRAGMAS = new Set([
  'table_info',
  'table_xinfo',
  'table_list',
  'index_list',
  'index_info',
  'index_xinfo',
  'foreign_key_list',
  'database_list',
  'collation_list',
  'function_list',
  'module_list',
  'pragma_list',
  'compile_options',
  'user_version',
  'schema_version',
  'data_version',
  'page_count',
  'page_size',
  'freelist_count',
  'encoding',
  'query_only'
]);

const QUERY_KEYWORDS = new Set(['SELECT', 'WITH', 'VALUES', 'EXPLAIN']);

/** The statement without leading blanks and comments. */
function stripLeading(sql: string): string {
  let rest = sql;
  for (;;) {
    const trimmed = rest.replace(/^\s+/, '');
    if (trimmed.startsWith('--')) {
      const end = trimmed.indexOf('\n');
      rest = end < 0 ? '' : trimmed.slice(end + 1);
    } else if (trimmed.startsWith('/*')) {
      const end = trimmed.indexOf('*/');
      rest = end < 0 ? '' : trimmed.slice(end + 2);
    } else {
      return trimmed;
    }
  }
}

function checkKind(sql: string): void {
  const text = stripLeading(sql);
  const keyword = (/^[A-Za-z]+/.exec(text)?.[0] ?? '').toUpperCase();
  if (QUERY_KEYWORDS.has(keyword)) {
    return;
  }
  if (keyword === 'PRAGMA') {
    // PRAGMA [schema.]name [(argument)]: no "= value"; arguments only for table lookups.
    const match = /^PRAGMA\s+(?:\w+\s*\.\s*)?(\w+)\s*(\([^()]*\))?\s*;?\s*$/i.exec(text);
    const name = match?.[1].toLowerCase() ?? '';
    const tableLookup = name.includes('_info') || name.includes('_list') || name.includes('_xinfo');
    if (match && READ_PRAGMAS.has(name) && (!match[2] || tableLookup)) {
      return;
    }
  }
  throw new Error(
    `The SQL console is read-only: only SELECT, WITH, VALUES, EXPLAIN and informational PRAGMA statements run here${
      keyword ? ` (not ${keyword})` : ''
    }.`
  );
}

/** Frees an iterator not run to completion (missing from @types/sql.js). */
function release(iterator: StatementIterator): void {
  (iterator as unknown as { return?: () => void }).return?.();
}

/** Prepares exactly one statement, or throws. */
function prepareOne(db: Database, sql: string): Statement {
  const statements = db.iterateStatements(sql);
  const first = statements.next();
  if (first.done) {
    release(statements);
    throw new Error('No SQL statement to run.');
  }
  const statement = first.value;
  const rest = statements.getRemainingSQL();
  // Keep `statement` alive: look for a second statement with a separate iterator.
  const tail = db.iterateStatements(rest);
  let more = false;
  try {
    more = !tail.next().done;
  } catch {
    more = true; // something that is not blanks or comments follows
  } finally {
    release(tail);
  }
  if (more) {
    statement.free();
    throw new Error('The SQL console runs one statement at a time.');
  }
  return statement;
}

function queryOnly(db: Database): number {
  return Number(db.exec('PRAGMA query_only')[0]?.values[0][0] ?? 0);
}

/**
 * Runs one read-only statement and returns at most maxRows rows.
 * @throws Error with a readable message for writes, several statements and SQL errors.
 */
export function readOnlyQuery(db: Database, sql: string, maxRows = 1000): IQueryResult {
  checkKind(sql);
  const before = queryOnly(db);
  db.run('PRAGMA query_only = ON');
  try {
    const statement = prepareOne(db, sql);
    try {
      const columns = statement.getColumnNames();
      const rows: SqlValue[][] = [];
      let truncated = false;
      while (statement.step()) {
        if (rows.length >= maxRows) {
          truncated = true;
          break;
        }
        rows.push(statement.get());
      }
      return { columns, rows, truncated };
    } finally {
      statement.free();
    }
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (/readonly|read-only|query_only/i.test(message) && !/SQL console/.test(message)) {
      throw new Error(`The SQL console is read-only: ${message}`);
    }
    throw error instanceof Error ? error : new Error(message);
  } finally {
    db.run(`PRAGMA query_only = ${before ? 'ON' : 'OFF'}`);
  }
}
