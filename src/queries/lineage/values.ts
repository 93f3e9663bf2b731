/**
 * Lineage values: the inputs and outputs of runs (run_io rows) with their
 * source versions and flags, and short references to runs for pickers.
 */
import type { Database, SqlValue } from 'sql.js';

import { codePreview } from '../runs';
import { selectAll } from '../sql';

export type IoDirection = 'input' | 'output';
export type IoKind = 'variable' | 'file';

/** One input or output of a run, with the version it read and its flag. */
export interface IValueRow {
  id: string;
  runId: string;
  direction: IoDirection;
  kind: IoKind;
  name: string;
  how: string;
  type: string | null;
  valueHash: string | null;
  strategy: string | null;
  shape: number[] | null;
  columns: [string, string][] | null;
  sizeBytes: number | null;
  rowCount: number | null;
  /** Inputs: the output (version) read; null: it came from outside. */
  sourceIoId: string | null;
  sourceRunId: string | null;
  sourceComponent: string | null;
  sourceNotebook: string | null;
  artifactHash: string | null;
  artifactNote: string | null;
  /** An active (not cleared) flag is on this value. */
  flagged: boolean;
  /** The note of the active flag. */
  flagNote: string | null;
  createdAt: number;
  /** The component and notebook of the run this value belongs to. */
  runComponent: string | null;
  runNotebook: string | null;
}

/** A run as pickers and trace nodes show it. */
export interface IRunRef {
  id: string;
  notebookPath: string | null;
  cellId: string | null;
  componentName: string | null;
  startedAt: number;
  status: string;
  executionCount: number | null;
  /** First code line of the cell (else its first comment). */
  codePreview: string;
}

/**
 * The columns of IValueRow for the run_io row aliased `io` (24 columns);
 * use with VALUE_JOINS.
 */
export const VALUE_COLUMNS = `
  io.id, io.run_id, io.direction, io.kind, io.name, io.how, io.type,
  io.value_hash, io.strategy, io.shape, io.columns, io.size_bytes, io.row_count,
  io.source_io_id,
  io.source_run_id,
  srun.component_name, srun.notebook_path,
  io.artifact_hash, io.artifact_note,
  fl.note, (fl.io_id IS NOT NULL), io.created_at,
  orun.component_name, orun.notebook_path`;
export const VALUE_COLUMN_COUNT = 24;

/** Joins VALUE_COLUMNS needs, for the run_io row aliased `io`. */
export const VALUE_JOINS = `
  LEFT JOIN runs srun ON srun.id = io.source_run_id
  LEFT JOIN flags fl ON fl.io_id = io.id AND fl.cleared_at IS NULL
  LEFT JOIN runs orun ON orun.id = io.run_id`;

function parseJson<T>(value: SqlValue): T | null {
  if (value === null || value === undefined) {
    return null;
  }
  try {
    return JSON.parse(String(value)) as T;
  } catch {
    return null;
  }
}

/** Reads VALUE_COLUMNS starting at `at` in a result row. */
export function toValue(row: SqlValue[], at = 0): IValueRow {
  const v = (i: number): SqlValue => row[at + i];
  return {
    id: String(v(0)),
    runId: String(v(1)),
    direction: v(2) as IoDirection,
    kind: v(3) as IoKind,
    name: String(v(4)),
    how: String(v(5)),
    type: v(6) as string | null,
    valueHash: v(7) as string | null,
    strategy: v(8) as string | null,
    shape: parseJson<number[]>(v(9)),
    columns: parseJson<[string, string][]>(v(10)),
    sizeBytes: v(11) as number | null,
    rowCount: v(12) as number | null,
    sourceIoId: v(13) as string | null,
    sourceRunId: v(14) as string | null,
    sourceComponent: v(15) as string | null,
    sourceNotebook: v(16) as string | null,
    artifactHash: v(17) as string | null,
    artifactNote: v(18) as string | null,
    flagNote: v(20) ? (v(19) as string | null) : null,
    flagged: v(20) === 1,
    createdAt: v(21) as number,
    runComponent: v(22) as string | null,
    runNotebook: v(23) as string | null
  };
}

/** The columns of IRunRef for the runs row aliased `r` joined to code_snapshots `cs` (8 columns). */
export const RUN_REF_COLUMNS = `
  r.id, r.notebook_path, r.cell_id, r.component_name, r.started_at, r.status,
  r.execution_count, substr(cs.code, 1, 200)`;
export const RUN_REF_COLUMN_COUNT = 8;

/** Reads RUN_REF_COLUMNS starting at `at` in a result row. */
export function toRunRef(row: SqlValue[], at = 0): IRunRef {
  return {
    id: String(row[at]),
    notebookPath: row[at + 1] as string | null,
    cellId: row[at + 2] as string | null,
    componentName: row[at + 3] as string | null,
    startedAt: row[at + 4] as number,
    status: String(row[at + 5]),
    executionCount: row[at + 6] as number | null,
    codePreview: codePreview(row[at + 7])
  };
}

/** The inputs and outputs of one run, each sorted by kind then name. */
export function ioOfRun(
  db: Database,
  runId: string
): { inputs: IValueRow[]; outputs: IValueRow[] } {
  const rows = selectAll(
    db,
    `SELECT ${VALUE_COLUMNS} FROM run_io io ${VALUE_JOINS}
      WHERE io.run_id = ? ORDER BY io.kind, io.name`,
    [runId],
    row => toValue(row)
  );
  return {
    inputs: rows.filter(row => row.direction === 'input'),
    outputs: rows.filter(row => row.direction === 'output')
  };
}

/** One input or output by id, or null. */
export function ioById(db: Database, ioId: string): IValueRow | null {
  return (
    selectAll(
      db,
      `SELECT ${VALUE_COLUMNS} FROM run_io io ${VALUE_JOINS} WHERE io.id = ?`,
      [ioId],
      row => toValue(row)
    )[0] ?? null
  );
}

/** The code a run executed, or null for an unknown run. */
export function codeOfRun(db: Database, runId: string): string | null {
  const rows = selectAll(
    db,
    `SELECT cs.code FROM runs r JOIN code_snapshots cs ON cs.hash = r.code_hash WHERE r.id = ?`,
    [runId],
    row => String(row[0])
  );
  return rows[0] ?? null;
}

/**
 * The run before this one of the same cell (same notebook and cell id), else
 * of the same component; null when there is none.
 */
export function previousRun(db: Database, runId: string): string | null {
  const rows = selectAll(
    db,
    `SELECT coalesce(
       (SELECT p.id FROM runs p
         WHERE p.notebook_path = r.notebook_path AND p.cell_id = r.cell_id
           AND (p.started_at < r.started_at OR (p.started_at = r.started_at AND p.rowid < r.rowid))
         ORDER BY p.started_at DESC, p.rowid DESC LIMIT 1),
       (SELECT p.id FROM runs p
         WHERE p.component_id = r.component_id
           AND (p.started_at < r.started_at OR (p.started_at = r.started_at AND p.rowid < r.rowid))
         ORDER BY p.started_at DESC, p.rowid DESC LIMIT 1))
       FROM runs r WHERE r.id = ?`,
    [runId],
    row => row[0] as string | null
  );
  return rows[0] ?? null;
}

/** Runs newest first, of one notebook and/or component, for pickers. */
export function runRefs(
  db: Database,
  opts: { notebookPath?: string; componentName?: string; limit?: number }
): IRunRef[] {
  const where: string[] = [];
  const params: SqlValue[] = [];
  if (opts.notebookPath !== undefined) {
    where.push('r.notebook_path = ?');
    params.push(opts.notebookPath);
  }
  if (opts.componentName !== undefined) {
    // Through components, so that runs_by_component serves the lookup.
    where.push(
      `r.component_id IN (SELECT c.id FROM components c WHERE c.name = ?${
        opts.notebookPath !== undefined ? ' AND c.notebook_path = r.notebook_path' : ''
      })`
    );
    params.push(opts.componentName);
  }
  params.push(opts.limit ?? 100);
  return selectAll(
    db,
    `SELECT ${RUN_REF_COLUMNS}
       FROM runs r JOIN code_snapshots cs ON cs.hash = r.code_hash
      ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
      ORDER BY r.started_at DESC, r.rowid DESC
      LIMIT ?`,
    params,
    row => toRunRef(row)
  );
}

/** A component as its definition says (recorded with its runs). */
export interface IComponentInfo {
  name: string;
  notebookPath: string;
  owner: string | null;
  description: string | null;
  tags: string[];
}

/** The component of a run, or null for a run of no component. */
export function componentOfRun(db: Database, runId: string): IComponentInfo | null {
  return (
    selectAll(
      db,
      `SELECT c.name, c.notebook_path, c.owner, c.description, c.tags
         FROM runs r JOIN components c ON c.id = r.component_id WHERE r.id = ?`,
      [runId],
      row => toComponentInfo(row)
    )[0] ?? null
  );
}

/** A component by notebook and name, or null. */
export function componentInfo(db: Database, notebookPath: string, name: string): IComponentInfo | null {
  return (
    selectAll(
      db,
      'SELECT name, notebook_path, owner, description, tags FROM components WHERE notebook_path = ? AND name = ?',
      [notebookPath, name],
      row => toComponentInfo(row)
    )[0] ?? null
  );
}

function toComponentInfo(row: SqlValue[]): IComponentInfo {
  return {
    name: String(row[0]),
    notebookPath: String(row[1]),
    owner: (row[2] as string | null) || null,
    description: (row[3] as string | null) || null,
    tags: parseJson<string[]>(row[4]) ?? []
  };
}
