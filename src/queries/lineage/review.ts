/**
 * mltrace's review: the runs upstream of the flagged outputs, ranked by how
 * many flagged outputs they share; the most shared are the likeliest culprits.
 */
import type { Database } from 'sql.js';

import {
  IValueRow,
  RUN_REF_COLUMNS,
  toRunRef,
  toValue,
  VALUE_COLUMNS,
  VALUE_JOINS
} from './values';
import { selectAll } from '../sql';

export interface IReviewRow {
  runId: string;
  componentName: string | null;
  notebookPath: string | null;
  startedAt: number;
  status: string;
  /** How many active flags have this run upstream (their own runs included). */
  sharedBy: number;
  /** Those flagged outputs' ids, sorted. */
  flaggedIoIds: string[];
  /** First code line of the run's cell. */
  codePreview: string;
}

export function reviewFlagged(db: Database): { flagged: IValueRow[]; ranking: IReviewRow[] } {
  const flagged = selectAll(
    db,
    `SELECT ${VALUE_COLUMNS}
       FROM flags f JOIN run_io io ON io.id = f.io_id ${VALUE_JOINS}
      WHERE f.cleared_at IS NULL
      ORDER BY f.flagged_at, f.io_id`,
    [],
    row => toValue(row)
  );
  const ranking = selectAll(
    db,
    `WITH RECURSIVE up(flag, run_id) AS (
       SELECT f.io_id, io.run_id
         FROM flags f JOIN run_io io ON io.id = f.io_id
        WHERE f.cleared_at IS NULL
       UNION
       SELECT up.flag, o.run_id
         FROM up
         JOIN run_io i ON i.run_id = up.run_id AND i.direction = 'input'
         JOIN run_io o ON o.id = i.source_io_id)
     SELECT ${RUN_REF_COLUMNS}, count(*) AS shared, json_group_array(up.flag)
       FROM up
       JOIN runs r ON r.id = up.run_id
       LEFT JOIN code_snapshots cs ON cs.hash = r.code_hash
      GROUP BY r.id
      ORDER BY shared DESC, r.started_at DESC, r.rowid DESC`,
    [],
    row => {
      const run = toRunRef(row);
      return {
        runId: run.id,
        componentName: run.componentName,
        notebookPath: run.notebookPath,
        startedAt: run.startedAt,
        status: run.status,
        sharedBy: row[8] as number,
        flaggedIoIds: (JSON.parse(String(row[9])) as string[]).sort(),
        codePreview: run.codePreview
      };
    }
  );
  return { flagged, ranking };
}
