/**
 * Queries over the replica about pipelines (schema/store/0006_pipelines.sql):
 * what the Pipelines panel lists, its runs × tasks grid, a task run's recorded
 * cell runs and checks, and the pipelines promoted from one notebook. Tested in
 * jest on plumbline/tests/fixtures/pipelines-v1.json (the Python store built it).
 */
import type { Database, SqlValue } from 'sql.js';

import { checkSummarySql, ICheckSummary, parseCheckSummary } from './checks';
import { selectAll } from './sql';

export type PipelineRunStatus = 'queued' | 'running' | 'ok' | 'error';
export type TaskRunStatus =
  | 'pending'
  | 'running'
  | 'up_for_retry'
  | 'ok'
  | 'reused'
  | 'error'
  | 'upstream_failed';
export type Trigger = 'schedule' | 'manual' | 'backfill' | 'airflow';

/** {"python": [promoted, ran], "packages": {name: [promoted, ran]}}: what differs from the promotion. */
export interface IEnvironmentDiff {
  python?: [string | null, string | null];
  packages?: { [name: string]: [string | null, string | null] };
}

export interface IPipelineTask {
  name: string;
  upstream: string[];
}

export interface IPipelineRow {
  id: string;
  name: string;
  notebookPath: string;
  folder: string;
  cron: string | null;
  timezone: string;
  catchup: string;
  catchupLimit: number;
  maxActiveRuns: number;
  paused: boolean;
  /** Unix seconds; null when paused or unscheduled. */
  nextFireAt: number | null;
  tasks: IPipelineTask[];
  environment: { python?: string; packages?: { [name: string]: string | null } } | null;
  /** Why the scheduler cannot run it now (e.g. a hand-edited, broken spec). */
  problem: string | null;
  specHash: string;
  createdAt: number;
  updatedAt: number;
  lastRun: { id: string; status: PipelineRunStatus; trigger: Trigger; createdAt: number } | null;
  runCount: number;
}

export interface IPipelineRunRow {
  id: string;
  pipelineId: string;
  trigger: Trigger;
  status: PipelineRunStatus;
  slot: number | null;
  externalId: string | null;
  logicalDate: number;
  dataIntervalStart: number;
  dataIntervalEnd: number;
  params: { [name: string]: unknown };
  error: string | null;
  environmentDiff: IEnvironmentDiff | null;
  createdAt: number;
  startedAt: number | null;
  endedAt: number | null;
}

export interface ITaskRunRow {
  id: string;
  pipelineRunId: string;
  task: string;
  status: TaskRunStatus;
  attempts: number;
  maxAttempts: number;
  reusedFrom: string | null;
  startedAt: number | null;
  endedAt: number | null;
  durationMs: number | null;
  errorName: string | null;
  errorValue: string | null;
  environmentDiff: IEnvironmentDiff | null;
  outputs: { [name: string]: { type?: string; format?: string; io_id?: string } };
}

/** The runs × tasks grid of one pipeline: recent runs (oldest first, as Airflow's grid) and each one's tasks. */
export interface IRunGrid {
  tasks: string[];
  runs: { run: IPipelineRunRow; tasks: Map<string, ITaskRunRow> }[];
}

/** A cell run a task process recorded (a run like any other: the run inspector opens it). */
export interface ITaskCellRun {
  runId: string;
  cellId: string | null;
  componentName: string | null;
  status: string;
  startedAt: number;
  durationMs: number | null;
  checks: ICheckSummary;
}

function json<T>(value: SqlValue, fallback: T): T {
  if (value === null || value === undefined) {
    return fallback;
  }
  try {
    return JSON.parse(String(value)) as T;
  } catch {
    return fallback;
  }
}

const PIPELINE_COLUMNS = `
  p.id, p.name, p.notebook_path, p.folder, p.cron, p.timezone, p.catchup, p.catchup_limit,
  p.max_active_runs, p.paused, p.next_fire_at, p.tasks, p.environment, p.problem, p.spec_hash,
  p.created_at, p.updated_at,
  (SELECT json_object('id', r.id, 'status', r.status, 'trigger', r.trigger, 'createdAt', r.created_at)
     FROM pipeline_runs r WHERE r.pipeline_id = p.id
    ORDER BY r.created_at DESC, r.rowid DESC LIMIT 1) AS last_run,
  (SELECT count(*) FROM pipeline_runs r WHERE r.pipeline_id = p.id) AS run_count`;

function toPipeline(row: SqlValue[]): IPipelineRow {
  return {
    id: String(row[0]),
    name: String(row[1]),
    notebookPath: String(row[2]),
    folder: String(row[3]),
    cron: row[4] as string | null,
    timezone: String(row[5]),
    catchup: String(row[6]),
    catchupLimit: Number(row[7]),
    maxActiveRuns: Number(row[8]),
    paused: row[9] === 1,
    nextFireAt: row[9] === 1 ? null : (row[10] as number | null),
    tasks: json<IPipelineTask[]>(row[11], []),
    environment: json(row[12], null),
    problem: row[13] as string | null,
    specHash: String(row[14]),
    createdAt: Number(row[15]),
    updatedAt: Number(row[16]),
    lastRun: json(row[17], null),
    runCount: Number(row[18])
  };
}

/** Every live pipeline (deleted ones keep their runs but are not listed), by name. */
export function pipelinesList(db: Database): IPipelineRow[] {
  return selectAll(
    db,
    `SELECT ${PIPELINE_COLUMNS} FROM pipelines p WHERE p.deleted_at IS NULL ORDER BY p.name`,
    [],
    toPipeline
  );
}

/** The live pipelines promoted from one notebook (the out-of-date marks of its cells). */
export function pipelinesOfNotebook(db: Database, notebookPath: string): IPipelineRow[] {
  return selectAll(
    db,
    `SELECT ${PIPELINE_COLUMNS} FROM pipelines p
      WHERE p.deleted_at IS NULL AND p.notebook_path = ? ORDER BY p.name`,
    [notebookPath],
    toPipeline
  );
}

const RUN_COLUMNS = `
  r.id, r.pipeline_id, r.trigger, r.status, r.slot, r.external_id, r.logical_date,
  r.data_interval_start, r.data_interval_end, r.params, r.error, r.environment_diff,
  r.created_at, r.started_at, r.ended_at`;

function toRun(row: SqlValue[]): IPipelineRunRow {
  return {
    id: String(row[0]),
    pipelineId: String(row[1]),
    trigger: row[2] as Trigger,
    status: row[3] as PipelineRunStatus,
    slot: row[4] as number | null,
    externalId: row[5] as string | null,
    logicalDate: Number(row[6]),
    dataIntervalStart: Number(row[7]),
    dataIntervalEnd: Number(row[8]),
    params: json(row[9], {}),
    error: row[10] as string | null,
    environmentDiff: json(row[11], null),
    createdAt: Number(row[12]),
    startedAt: row[13] as number | null,
    endedAt: row[14] as number | null
  };
}

const TASK_COLUMNS = `
  t.id, t.pipeline_run_id, t.task, t.status, t.attempts, t.max_attempts, t.reused_from,
  t.started_at, t.ended_at, t.duration_ms, t.error_name, t.error_value, t.environment_diff, t.outputs`;

function toTask(row: SqlValue[]): ITaskRunRow {
  return {
    id: String(row[0]),
    pipelineRunId: String(row[1]),
    task: String(row[2]),
    status: row[3] as TaskRunStatus,
    attempts: Number(row[4]),
    maxAttempts: Number(row[5]),
    reusedFrom: row[6] as string | null,
    startedAt: row[7] as number | null,
    endedAt: row[8] as number | null,
    durationMs: row[9] as number | null,
    errorName: row[10] as string | null,
    errorValue: row[11] as string | null,
    environmentDiff: json(row[12], null),
    outputs: json(row[13], {})
  };
}

/** One pipeline run by id, or null. */
export function pipelineRunById(db: Database, runId: string): IPipelineRunRow | null {
  return selectAll(db, `SELECT ${RUN_COLUMNS} FROM pipeline_runs r WHERE r.id = ?`, [runId], toRun)[0] ?? null;
}

/** One task run by id, or null. */
export function taskRunById(db: Database, taskRunId: string): ITaskRunRow | null {
  return selectAll(db, `SELECT ${TASK_COLUMNS} FROM task_runs t WHERE t.id = ?`, [taskRunId], toTask)[0] ?? null;
}

/**
 * The `limit` newest runs of a pipeline, oldest first, each with its task runs,
 * and the task rows in the pipeline's order (tasks a run has that the pipeline
 * no longer has come last, so an old run's grid stays whole).
 */
export function runGrid(db: Database, pipeline: IPipelineRow, limit = 25): IRunGrid {
  const runs = selectAll(
    db,
    `SELECT * FROM (
       SELECT ${RUN_COLUMNS}, r.rowid AS n FROM pipeline_runs r WHERE r.pipeline_id = ?
        ORDER BY r.created_at DESC, r.rowid DESC LIMIT ?)
      ORDER BY created_at, n`,
    [pipeline.id, limit],
    toRun
  );
  const byRun = new Map(runs.map(run => [run.id, new Map<string, ITaskRunRow>()]));
  if (runs.length) {
    const tasks = selectAll(
      db,
      `SELECT ${TASK_COLUMNS} FROM task_runs t
        WHERE t.pipeline_run_id IN (${runs.map(() => '?').join(', ')}) ORDER BY t.rowid`,
      runs.map(run => run.id),
      toTask
    );
    for (const task of tasks) {
      byRun.get(task.pipelineRunId)?.set(task.task, task);
    }
  }
  const names = pipeline.tasks.map(task => task.name);
  for (const tasks of byRun.values()) {
    for (const name of tasks.keys()) {
      if (!names.includes(name)) {
        names.push(name);
      }
    }
  }
  return { tasks: names, runs: runs.map(run => ({ run, tasks: byRun.get(run.id)! })) };
}

/** The cell runs a task run recorded (every attempt), with their checks. */
export function cellRunsOfTaskRun(db: Database, taskRunId: string): ITaskCellRun[] {
  return selectAll(
    db,
    `SELECT r.id, r.cell_id, r.component_name, r.status, r.started_at, r.duration_ms, ${checkSummarySql('r.id')}
       FROM runs r WHERE r.task_run_id = ? ORDER BY r.started_at, r.rowid`,
    [taskRunId],
    row => ({
      runId: String(row[0]),
      cellId: row[1] as string | null,
      componentName: row[2] as string | null,
      status: String(row[3]),
      startedAt: Number(row[4]),
      durationMs: row[5] as number | null,
      checks: parseCheckSummary(row[6])
    })
  );
}

/** The pipeline, trigger and task a recorded cell run belongs to (null for an interactive run). */
export interface IRunTrigger {
  pipeline: string;
  trigger: Trigger;
  task: string;
  pipelineRunId: string;
}

/** A scalar SQL expression: the IRunTrigger (JSON) of the run whose task run id is `taskRunId`, or NULL. */
export function runTriggerSql(taskRunId: string): string {
  return `(SELECT json_object('pipeline', p.name, 'trigger', pr.trigger, 'task', tr.task,
                              'pipelineRunId', pr.id)
             FROM task_runs tr
             JOIN pipeline_runs pr ON pr.id = tr.pipeline_run_id
             JOIN pipelines p ON p.id = pr.pipeline_id
            WHERE tr.id = ${taskRunId})`;
}

export function parseRunTrigger(value: SqlValue): IRunTrigger | null {
  return json<IRunTrigger | null>(value, null);
}

/** A monitor's request for a run of a pipeline (schema/store/0009_monitors.sql), awaiting a person's decision. */
export interface ITriggerRequest {
  id: string;
  pipeline: string;
  monitor: string;
  reason: string;
  createdAt: number;
}

/** The requests awaiting approval for one pipeline, newest first. */
export function requestsAwaitingApproval(db: Database, pipeline: string): ITriggerRequest[] {
  return selectAll(
    db,
    `SELECT q.id, q.pipeline, m.name, q.reason, q.created_at FROM trigger_requests q
       JOIN monitors m ON m.id = q.monitor_id
      WHERE q.pipeline = ? AND q.status = 'awaiting approval' ORDER BY q.created_at DESC`,
    [pipeline],
    row => ({
      id: String(row[0]),
      pipeline: String(row[1]),
      monitor: String(row[2]),
      reason: String(row[3]),
      createdAt: Number(row[4])
    })
  );
}
