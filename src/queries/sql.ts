/** The one way queries read rows from sql.js: prepare, bind, map every row, free. */
import type { BindParams, Database, SqlValue } from 'sql.js';

/** Runs `sql` with `params` and maps every row. */
export function selectAll<T>(
  db: Database,
  sql: string,
  params: BindParams,
  map: (row: SqlValue[]) => T
): T[] {
  const statement = db.prepare(sql);
  try {
    statement.bind(params);
    const rows: T[] = [];
    while (statement.step()) {
      rows.push(map(statement.get()));
    }
    return rows;
  } finally {
    statement.free();
  }
}
