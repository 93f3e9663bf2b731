/**
 * Queries over the replica about drift (schema/store/0007_profiles.sql): the
 * verdicts the kernel's monitor recorded for the outputs of component runs,
 * which the component badges show. Tested in jest on
 * plumbline/tests/fixtures/drift-verdicts-v1.json (the Python store built it).
 */
import type { Database, SqlValue } from 'sql.js';

import { selectAll } from './sql';

/** `reference`: the first profile of an output, nothing to compare with yet. */
export type DriftVerdictStatus = 'drift' | 'ok' | 'schema' | 'not judged' | 'reference' | 'error';

export interface IDriftVerdict {
  ioId: string;
  runId: string;
  /** The output's variable name. */
  name: string;
  componentId: number | null;
  referenceRunId: string | null;
  policy: 'first' | 'previous' | 'pinned';
  status: DriftVerdictStatus;
  message: string;
  columns: number;
  judged: number;
  drifted: number;
  schemaChanges: number;
  driftedShare: number | null;
  /** The column a badge names: the most severe drifted (or retyped) one. */
  worstColumn: string | null;
  worstMeasure: string | null;
  worstValue: number | null;
  worstThreshold: number | null;
  /** Did the multivariate measure pass its threshold? null: not computed. */
  multivariateDrift: boolean | null;
  expectedFalseAlarms: number | null;
  rows: number | null;
  referenceRows: number | null;
  createdAt: number;
}

/** The order in which a badge looks at an output's verdicts: what needs attention first. */
const RANK: { [status in DriftVerdictStatus]: number } = {
  drift: 0,
  schema: 1,
  error: 2,
  ok: 3,
  'not judged': 4,
  reference: 5
};

const COLUMNS = `v.io_id, v.run_id, v.name, v.component_id, v.reference_run_id, v.policy, v.status,
  v.message, v.columns, v.judged, v.drifted, v.schema_changes, v.drifted_share, v.worst_column,
  v.worst_measure, v.worst_value, v.worst_threshold, v.multivariate_drift, v.expected_false_alarms,
  v.rows, v.reference_rows, v.created_at`;

function verdict(row: SqlValue[]): IDriftVerdict {
  const num = (value: SqlValue) => (value === null ? null : Number(value));
  return {
    ioId: String(row[0]),
    runId: String(row[1]),
    name: String(row[2]),
    componentId: num(row[3]),
    referenceRunId: row[4] === null ? null : String(row[4]),
    policy: row[5] as IDriftVerdict['policy'],
    status: row[6] as DriftVerdictStatus,
    message: row[7] === null ? '' : String(row[7]),
    columns: Number(row[8]),
    judged: Number(row[9]),
    drifted: Number(row[10]),
    schemaChanges: Number(row[11]),
    driftedShare: num(row[12]),
    worstColumn: row[13] === null ? null : String(row[13]),
    worstMeasure: row[14] === null ? null : String(row[14]),
    worstValue: num(row[15]),
    worstThreshold: num(row[16]),
    multivariateDrift: row[17] === null ? null : Boolean(row[17]),
    expectedFalseAlarms: num(row[18]),
    rows: num(row[19]),
    referenceRows: num(row[20]),
    createdAt: Number(row[21])
  };
}

/** Sorts verdicts as a badge reads them: drift, schema, error, ok, not judged, reference; then by name. */
export function byAttention(a: IDriftVerdict, b: IDriftVerdict): number {
  return RANK[a.status] - RANK[b.status] || b.drifted - a.drifted || a.name.localeCompare(b.name);
}

/**
 * The drift verdicts of the outputs of `runIds`, per run, each run's list in
 * the order of byAttention. Runs without a profiled output have no entry.
 */
export function driftVerdictsOfRuns(db: Database, runIds: string[]): Map<string, IDriftVerdict[]> {
  const unique = [...new Set(runIds)];
  const result = new Map<string, IDriftVerdict[]>();
  // SQLite binds at most 999 parameters in old builds: ask in slices.
  for (let start = 0; start < unique.length; start += 500) {
    const slice = unique.slice(start, start + 500);
    const rows = selectAll(
      db,
      `SELECT ${COLUMNS} FROM drift_verdicts v WHERE v.run_id IN (${slice.map(() => '?').join(', ')})`,
      slice,
      verdict
    );
    for (const row of rows) {
      const list = result.get(row.runId) ?? [];
      list.push(row);
      result.set(row.runId, list);
    }
  }
  for (const list of result.values()) {
    list.sort(byAttention);
  }
  return result;
}

/** One output's verdict, or null when it was not profiled (or the replica has not got it yet). */
export function driftVerdict(db: Database, runId: string, name: string): IDriftVerdict | null {
  return (
    selectAll(db, `SELECT ${COLUMNS} FROM drift_verdicts v WHERE v.run_id = ? AND v.name = ?`, [runId, name], verdict)[0] ??
    null
  );
}

/** What needs the user's attention: a drifted or retyped output, or a comparison that failed. */
export function needsAttention(verdict: IDriftVerdict): boolean {
  return verdict.status === 'drift' || verdict.status === 'schema' || verdict.status === 'error';
}
