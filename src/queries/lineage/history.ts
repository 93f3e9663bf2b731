/** The history of one component: its runs over time, for tables and charts. */
import type { Database } from 'sql.js';

import { selectAll } from '../sql';

export interface IHistoryRow {
  runId: string;
  cellId: string | null;
  startedAt: number;
  status: string;
  durationMs: number | null;
  executionCount: number | null;
  gitCommit: string | null;
  codeHash: string;
  /** The largest row count of the run's tables (frames and 2-D arrays; a boolean mask is no table). */
  outputRows: number | null;
  /** Every output (variables and files), sorted by kind then name; `table`: a frame or a 2-D array. */
  outputs: {
    name: string;
    kind: 'variable' | 'file';
    rows: number | null;
    hash: string | null;
    type: string | null;
    table: boolean;
  }[];
  checksPassed: number;
  checksTotal: number;
}

/** Frames of pandas, polars and Arrow are tables whatever their shape says. */
function isTableType(type: string | null): boolean {
  return !!type && /(^|\.)(DataFrame|LazyFrame|Table|RecordBatch)$/.test(type);
}

/** Code-point order, as SQLite's BINARY collation sorts elsewhere in the lineage queries. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/**
 * Runs of a component, oldest first: the newest `limit` (default 500) runs
 * started at or after `since`.
 */
export function componentHistory(
  db: Database,
  notebookPath: string,
  component: string,
  opts?: { since?: number; limit?: number }
): IHistoryRow[] {
  return selectAll(
    db,
    `SELECT * FROM (
       SELECT r.id, r.cell_id, r.started_at, r.status, r.duration_ms, r.execution_count,
              r.git_commit, r.code_hash,
              (SELECT json_group_array(json_array(o.kind, o.name, o.row_count, o.value_hash, o.type,
                                                   coalesce(json_array_length(o.shape), 0)))
                 FROM run_io o WHERE o.run_id = r.id AND o.direction = 'output'),
              (SELECT count(*) FROM check_results k WHERE k.run_id = r.id),
              (SELECT count(*) FROM check_results k WHERE k.run_id = r.id AND k.status = 'pass'),
              r.rowid AS rid
         FROM runs r
        WHERE r.component_id = (SELECT id FROM components WHERE notebook_path = :nb AND name = :name)
          AND r.started_at >= :since
        ORDER BY r.started_at DESC, r.rowid DESC
        LIMIT :limit)
      ORDER BY started_at, rid`,
    {
      ':nb': notebookPath,
      ':name': component,
      ':since': opts?.since ?? -1e300,
      ':limit': opts?.limit ?? 500
    },
    row => {
      const outputs = (JSON.parse(String(row[8])) as [string, string, number | null, string | null, string | null, number][])
        .map(([kind, name, rows, hash, type, dims]) => ({
          name,
          kind: kind as 'variable' | 'file',
          rows,
          hash,
          type,
          table: kind === 'variable' && (dims >= 2 || isTableType(type))
        }))
        .sort((a, b) => compare(a.kind, b.kind) || compare(a.name, b.name));
      const rows = outputs.filter(o => o.table && o.rows !== null).map(o => o.rows as number);
      return {
        runId: String(row[0]),
        cellId: row[1] as string | null,
        startedAt: row[2] as number,
        status: String(row[3]),
        durationMs: row[4] as number | null,
        executionCount: row[5] as number | null,
        gitCommit: row[6] as string | null,
        codeHash: String(row[7]),
        outputRows: rows.length ? Math.max(...rows) : null,
        outputs,
        checksPassed: row[10] as number,
        checksTotal: row[9] as number
      };
    }
  );
}
