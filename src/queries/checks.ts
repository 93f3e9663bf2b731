/**
 * The summary of the checks recorded with one run, shared by every query that
 * shows runs (sidebar rows, cell badges): one SQL expression, one status rule.
 */
import type { Database, SqlValue } from 'sql.js';

import { selectAll } from './sql';

export interface ICheckSummary {
  total: number;
  passed: number;
  failed: number;
  errored: number;
  /** The message of each check that did not pass (it names the check), one per line. */
  problems: string;
  /** The message of each check that passed (what it found), one per line. */
  passes: string;
}

/** One check's result on one run, as the inspector lists them. */
export interface ICheckRow {
  name: string;
  when: 'before' | 'after';
  status: 'pass' | 'fail' | 'error';
  onFail: 'warn' | 'block';
  message: string | null;
  durationMs: number | null;
}

/** The checks recorded with one run, before-checks first, in the order they ran. */
export function checksOfRun(db: Database, runId: string): ICheckRow[] {
  return selectAll(
    db,
    `SELECT name, "when", status, on_fail, message, duration_ms FROM check_results
      WHERE run_id = ? ORDER BY "when" = 'after', id`,
    [runId],
    row => ({
      name: String(row[0]),
      when: row[1] as 'before' | 'after',
      status: row[2] as 'pass' | 'fail' | 'error',
      onFail: row[3] as 'warn' | 'block',
      message: row[4] as string | null,
      durationMs: row[5] as number | null
    })
  );
}

export type ChecksStatus = 'pass' | 'fail' | 'error' | null;

/** A scalar SQL expression (JSON) summarising the checks of the run whose id is `runId`. */
export function checkSummarySql(runId: string): string {
  return `(SELECT json_object(
             'total', count(*),
             'passed', coalesce(sum(k.status = 'pass'), 0),
             'failed', coalesce(sum(k.status = 'fail'), 0),
             'errored', coalesce(sum(k.status = 'error'), 0),
             'problems', coalesce(group_concat(CASE WHEN k.status != 'pass'
                           THEN coalesce(k.message, k.name || ': ' || k.status) END, char(10)), ''),
             'passes', coalesce(group_concat(CASE WHEN k.status = 'pass'
                           THEN coalesce(nullif(k.message, ''), k.name || ': passed') END, char(10)), ''))
           FROM check_results k WHERE k.run_id = ${runId})`;
}

export function parseCheckSummary(value: SqlValue): ICheckSummary {
  return JSON.parse(String(value));
}

/** null when no check ran; a failure outweighs a check that could not run. */
export function checksStatus(summary: ICheckSummary): ChecksStatus {
  if (!summary.total) {
    return null;
  }
  return summary.failed ? 'fail' : summary.errored ? 'error' : 'pass';
}
