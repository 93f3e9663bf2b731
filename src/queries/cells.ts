/** Queries over the replica about notebook cells: what the cell badges show. */
import type { Database } from 'sql.js';

import type { RunStatus } from './runs';

export type ChecksStatus = 'pass' | 'fail' | 'error' | null;

export interface ICellState {
  cellId: string;
  runId: string;
  status: RunStatus;
  /** Summary of the checks recorded with the cell's latest run; null when none ran. */
  checks: ChecksStatus;
  checksPassed: number;
  checksTotal: number;
  /** The message of each check that did not pass (it names the check), one per line. */
  problems: string;
}

/** The latest run of every cell of a notebook, with its checks. */
export function latestRunPerCell(db: Database, notebookPath: string): Map<string, ICellState> {
  const statement = db.prepare(
    `WITH latest AS (
       SELECT r.cell_id, r.id, r.status,
              row_number() OVER (PARTITION BY r.cell_id ORDER BY r.started_at DESC, r.rowid DESC) AS n
         FROM runs r
        WHERE r.notebook_path = ? AND r.cell_id IS NOT NULL)
     SELECT l.cell_id, l.id, l.status,
            count(c.id),
            coalesce(sum(c.status = 'pass'), 0),
            coalesce(sum(c.status = 'fail'), 0),
            coalesce(sum(c.status = 'error'), 0),
            coalesce(group_concat(CASE WHEN c.status != 'pass'
                                       THEN coalesce(c.message, c.name || ': ' || c.status) END, char(10)), '')
       FROM latest l LEFT JOIN check_results c ON c.run_id = l.id
      WHERE l.n = 1
      GROUP BY l.cell_id, l.id, l.status`
  );
  const states = new Map<string, ICellState>();
  try {
    statement.bind([notebookPath]);
    while (statement.step()) {
      const [cellId, runId, status, total, passed, failed, errored, problems] = statement.get();
      states.set(String(cellId), {
        cellId: String(cellId),
        runId: String(runId),
        status: status as RunStatus,
        checks: !total ? null : (failed as number) > 0 ? 'fail' : (errored as number) > 0 ? 'error' : 'pass',
        checksPassed: passed as number,
        checksTotal: total as number,
        problems: String(problems)
      });
    }
  } finally {
    statement.free();
  }
  return states;
}
