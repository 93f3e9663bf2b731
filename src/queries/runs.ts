/**
 * Queries over the replica about runs. Every SQL statement about runs that
 * the UI needs lives here, typed, and is tested in jest on real sql.js.
 */
import type { Database, SqlValue } from 'sql.js';

import { checkSummarySql, ICheckSummary, parseCheckSummary } from './checks';
import { IRunTrigger, parseRunTrigger, runTriggerSql } from './pipelines';
import { selectAll } from './sql';

export type RunStatus = 'running' | 'ok' | 'error' | 'interrupted';

export interface IRunRow {
  id: string;
  notebookPath: string | null;
  cellId: string | null;
  componentName: string | null;
  executionCount: number | null;
  status: RunStatus;
  startedAt: number;
  endedAt: number | null;
  durationMs: number | null;
  errorName: string | null;
  errorValue: string | null;
  gitCommit: string | null;
  gitDirty: boolean | null;
  notes: string | null;
  /** First code line of the cell (else its first comment), to recognise it. */
  codePreview: string;
  /** The cell's first lines (at most 200 characters), for a tooltip. */
  codeHead: string;
  /** Checks recorded with this run. */
  checks: ICheckSummary;
  /** The pipeline run this cell run is part of (trigger, task); null for an interactive run. */
  trigger: IRunTrigger | null;
}

const RUN_COLUMNS = `
  r.id, r.notebook_path, r.cell_id, r.component_name, r.execution_count,
  r.status, r.started_at, r.ended_at, r.duration_ms, r.error_name,
  r.error_value, r.git_commit, r.git_dirty, r.notes,
  substr(c.code, 1, 200) AS code_preview,
  ${checkSummarySql('r.id')},
  ${runTriggerSql('r.task_run_id')}`;

/** The first statement of a cell recognises it better than a leading comment. */
export function codePreview(code: SqlValue): string {
  const lines = String(code ?? '')
    .split('\n')
    .map(line => line.trim())
    .filter(line => line.length > 0);
  return lines.find(line => !line.startsWith('#')) ?? lines[0] ?? '';
}

function toRun(row: SqlValue[]): IRunRow {
  return {
    id: String(row[0]),
    notebookPath: row[1] as string | null,
    cellId: row[2] as string | null,
    componentName: row[3] as string | null,
    executionCount: row[4] as number | null,
    status: row[5] as RunStatus,
    startedAt: row[6] as number,
    endedAt: row[7] as number | null,
    durationMs: row[8] as number | null,
    errorName: row[9] as string | null,
    errorValue: row[10] as string | null,
    gitCommit: row[11] as string | null,
    gitDirty: row[12] === null ? null : row[12] === 1,
    notes: row[13] as string | null,
    codePreview: codePreview(row[14]),
    codeHead: String(row[14] ?? ''),
    checks: parseCheckSummary(row[15]),
    trigger: parseRunTrigger(row[16])
  };
}

function select(db: Database, sql: string, params: SqlValue[]): IRunRow[] {
  return selectAll(db, sql, params, toRun);
}

/**
 * `column` is one of the notebook's paths: its path, and the paths it had before a
 * rename whose move the replica has not received yet. One path is an equality (the
 * index serves the order too).
 */
export function pathMatch(column: string, paths: string | string[]): { sql: string; params: string[] } {
  const list = typeof paths === 'string' ? [paths] : [...new Set(paths)];
  return list.length === 1
    ? { sql: `${column} = ?`, params: list }
    : { sql: `${column} IN (${list.map(() => '?').join(', ')})`, params: list };
}

/** Runs of one notebook (under its current and former paths), newest first. */
export function runsOfNotebook(
  db: Database,
  notebookPath: string | string[],
  limit = 200
): IRunRow[] {
  const match = pathMatch('r.notebook_path', notebookPath);
  return select(
    db,
    `SELECT ${RUN_COLUMNS}
       FROM runs r JOIN code_snapshots c ON c.hash = r.code_hash
      WHERE ${match.sql}
      ORDER BY r.started_at DESC, r.rowid DESC
      LIMIT ?`,
    [...match.params, limit]
  );
}

/** How many runs one notebook has, and how many of them failed. */
export function runCountsOfNotebook(
  db: Database,
  notebookPath: string | string[]
): { total: number; errors: number; running: number } {
  const match = pathMatch('notebook_path', notebookPath);
  const statement = db.prepare(
    `SELECT count(*),
            coalesce(sum(status = 'error'), 0),
            coalesce(sum(status = 'running'), 0)
       FROM runs WHERE ${match.sql}`
  );
  try {
    statement.bind(match.params);
    statement.step();
    const [total, errors, running] = statement.get() as number[];
    return { total, errors, running };
  } finally {
    statement.free();
  }
}

/** One run by id, or null. */
export function runById(db: Database, id: string): IRunRow | null {
  return (
    select(
      db,
      `SELECT ${RUN_COLUMNS}
         FROM runs r JOIN code_snapshots c ON c.hash = r.code_hash
        WHERE r.id = ?`,
      [id]
    )[0] ?? null
  );
}
