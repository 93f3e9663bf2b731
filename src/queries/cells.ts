/** Queries over the replica about notebook cells: what the cell badges show. */
import type { Database } from 'sql.js';

import { ChecksStatus, checkSummarySql, checksStatus, parseCheckSummary } from './checks';
import { pathMatch, RunStatus } from './runs';

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
  /** The message of each check that passed, one per line. */
  passes: string;
}

/** The latest run of every cell of a notebook (under its current and former paths), with its checks. */
export function latestRunPerCell(db: Database, notebookPath: string | string[]): Map<string, ICellState> {
  const match = pathMatch('r.notebook_path', notebookPath);
  const statement = db.prepare(
    `WITH latest AS (
       SELECT r.cell_id, r.id, r.status,
              row_number() OVER (PARTITION BY r.cell_id ORDER BY r.started_at DESC, r.rowid DESC) AS n
         FROM runs r
        WHERE ${match.sql} AND r.cell_id IS NOT NULL)
     SELECT l.cell_id, l.id, l.status, ${checkSummarySql('l.id')}
       FROM latest l
      WHERE l.n = 1`
  );
  const states = new Map<string, ICellState>();
  try {
    statement.bind(match.params);
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
        problems: summary.problems,
        passes: summary.passes
      });
    }
  } finally {
    statement.free();
  }
  return states;
}
