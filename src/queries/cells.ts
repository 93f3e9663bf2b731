/** Queries over the replica about notebook cells: what the cell badges show. */
import type { Database } from 'sql.js';

import { ChecksStatus, checkSummarySql, checksStatus, parseCheckSummary } from './checks';
import type { RunStatus } from './runs';

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
     SELECT l.cell_id, l.id, l.status, ${checkSummarySql('l.id')}
       FROM latest l
      WHERE l.n = 1`
  );
  const states = new Map<string, ICellState>();
  try {
    statement.bind([notebookPath]);
    while (statement.step()) {
      const [cellId, runId, status, summaryJson] = statement.get();
      const summary = parseCheckSummary(summaryJson);
      states.set(String(cellId), {
        cellId: String(cellId),
        runId: String(runId),
        status: status as RunStatus,
        checks: checksStatus(summary),
        checksPassed: summary.passed,
        checksTotal: summary.total,
        problems: summary.problems
      });
    }
  } finally {
    statement.free();
  }
  return states;
}
