/**
 * The summary of the checks recorded with one run, shared by every query that
 * shows runs (sidebar rows, cell badges): one SQL expression, one status rule.
 */
import type { SqlValue } from 'sql.js';

export interface ICheckSummary {
  total: number;
  passed: number;
  failed: number;
  errored: number;
  /** The message of each check that did not pass (it names the check), one per line. */
  problems: string;
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
                           THEN coalesce(k.message, k.name || ': ' || k.status) END, char(10)), ''))
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
