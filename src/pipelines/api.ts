/**
 * Typed calls to the pipelines REST API (plumbline/server/handlers/pipelines/,
 * listed in its __init__.py). The payloads are pinned by
 * plumbline/tests/fixtures/pipeline-preview-v1.json and pipeline-spec-v1.json.
 */
import { PlumblineAPIError, request } from '../api/client';

export interface IProblem {
  code: string;
  severity: 'error' | 'warning';
  message: string;
  fix: string;
  /** 1-based notebook positions (markdown cells counted). */
  cells: number[];
  task: string | null;
  variable: string | null;
}

export interface INote {
  code: string;
  message: string;
  cells: number[];
  task: string | null;
  variable: string | null;
}

export interface IVariable {
  name: string;
  type: string | null;
  format: string;
  /** Where the type comes from: 'kernel' (live probe), 'recorded' (lineage) or 'static'. */
  seen: string;
}

export interface IPreviewTask {
  name: string;
  component: string | null;
  cells: number[];
  cell_ids: string[];
  inputs: string[];
  outputs: string[];
  upstream: string[];
  imports: string[];
  reads_parameters: string[];
}

export interface IParameter {
  name: string;
  type: string;
  default: unknown;
}

export interface IFireTime {
  /** UTC, ISO. */
  at: string;
  /** ISO in the schedule's timezone. */
  local: string;
}

export interface IScheduleAnswer {
  valid: boolean;
  error: string | null;
  cron: string | null;
  timezone: string;
  description: string | null;
  next: IFireTime[];
  airflow: boolean;
  presets?: { label: string; cron: string }[];
}

export interface ICellRef {
  id: string;
  index: number;
  code_hash: string;
}

export interface ISpecTask {
  name: string;
  module: string;
  cells: ICellRef[];
  code_hash: string;
  component: string | null;
  inputs: (IVariable & { task: string })[];
  outputs: IVariable[];
  upstream: string[];
  imports: string[];
  reads_parameters: string[];
  retry: { retries: number; retry_delay_seconds: number; timeout_seconds: number | null };
}

/** pipelines/<name>/pipeline.json (plumbline/pipelines/pipeline.schema.json). */
export interface ISpec {
  version: number;
  name: string;
  notebook: string;
  tasks: ISpecTask[];
  prelude: ICellRef[];
  parameters_cell: ICellRef | null;
  parameters: IParameter[];
  schedule: { cron: string | null; timezone: string; catchup: string; catchup_limit: number; max_active_runs: number };
  parallelism: number;
  reuse: boolean;
  artifacts: string | null;
  environment: { python?: string; packages?: { [name: string]: string | null }; source?: string };
  cells: string[];
  created_at: string;
  updated_at: string;
  plumbline_version: string;
}

/** POST promote/preview: what a range would become (nothing written). */
export interface IPreview {
  ok: boolean;
  name: string | null;
  notebook: string | null;
  cells: number[];
  dag: {
    tasks: IPreviewTask[];
    edges: { from: string; to: string; variables: IVariable[] }[];
    prelude: number[];
    order: string[];
  };
  problems: IProblem[];
  notes: INote[];
  parameters: IParameter[];
  interval: string[];
  schedule: IScheduleAnswer;
  catchup: string;
  catchup_limit: number;
  max_active_runs: number;
  environment: ISpec['environment'] | null;
  spec: ISpec | null;
}

export interface IScheduleOptions {
  cron: string | null;
  timezone: string;
  catchup: string;
  catchup_limit: number;
  max_active_runs: number;
}

export interface ITaskOptions {
  retries: number;
  retry_delay_seconds: number;
  timeout_seconds: number | null;
  parallelism: number;
  reuse: boolean;
}

/** The body of promote/preview and of creating a pipeline. */
export interface IPromotion {
  notebook: string;
  name: string | null;
  cell_ids: string[] | null;
  schedule: IScheduleOptions;
  options: ITaskOptions;
  /** The live kernel's probe.crossing() answer, when the notebook has a kernel. */
  kernel: IProbeAnswer | null;
  /** The notebook as the browser has it (unsaved edits and new cells included). */
  content: unknown;
}

export interface IProbeAnswer {
  python: string;
  packages: { [name: string]: string | null };
  variables: {
    [name: string]: {
      present: boolean;
      type: string | null;
      format: string | null;
      ok: boolean | null;
      error: string | null;
      changed_since_recorded?: boolean;
      read_by_cells?: string[];
    };
  };
}

export interface ISummary {
  id: string;
  name: string;
  notebook: string;
  folder: string;
  cron: string | null;
  timezone: string;
  catchup: string;
  catchup_limit: number;
  max_active_runs: number;
  paused: boolean;
  description: string | null;
  next_fire_at: string | null;
  tasks: { name: string; upstream: string[] }[];
  problem: string | null;
}

export interface IPipelineDetail extends ISummary {
  spec: ISpec | null;
  spec_problem: string | null;
  edited_by_hand: boolean | null;
  next_fire_times: IFireTime[];
}

export interface ICodeChange {
  cell_id: string;
  index: number;
  change: 'changed' | 'deleted' | 'added';
  pipeline_code: string | null;
  notebook_code: string | null;
}

export interface IDiff {
  name: string;
  out_of_date: boolean;
  tasks: { task: string; changes: ICodeChange[] }[];
  prelude: ICodeChange[];
  added: ICodeChange[];
}

export interface ILog {
  text: string;
  offset: number;
  size: number;
  complete: boolean;
  missing?: boolean;
}

/** A refusal's problems (400 / 409 from create, update, schedule), or []. */
export function problemsOf(error: unknown): IProblem[] {
  if (error instanceof PlumblineAPIError && Array.isArray(error.body?.problems)) {
    return error.body!.problems as IProblem[];
  }
  return [];
}

const json = (body: unknown): RequestInit['body'] => JSON.stringify(body);
const seg = encodeURIComponent;

export async function previewPromotion(body: IPromotion, init: RequestInit = {}): Promise<IPreview> {
  return (await request('promote/preview', { ...init, method: 'POST', body: json(body) })).json();
}

export async function createPipeline(body: IPromotion): Promise<{ pipeline: ISummary; problems: IProblem[] }> {
  return (await request('pipelines', { method: 'POST', body: json(body) })).json();
}

export async function previewSchedule(cron: string, timezone: string, init: RequestInit = {}): Promise<IScheduleAnswer> {
  const query = new URLSearchParams({ cron, timezone, count: '5' });
  return (await request(`schedules/preview?${query.toString()}`, init)).json();
}

export async function fetchPipeline(name: string, runs = 0): Promise<IPipelineDetail> {
  return (await request(`pipelines/${seg(name)}?runs=${runs}`)).json();
}

export async function runNow(name: string, params: { [name: string]: unknown }): Promise<{ run: { id: string } }> {
  return (await request(`pipelines/${seg(name)}/runs`, { method: 'POST', body: json({ params }) })).json();
}

/** Start (queue a run) or dismiss a monitor's request for a run of a pipeline. */
export async function decideTriggerRequest(
  id: string,
  action: 'start' | 'dismiss'
): Promise<{ request: { id: string; status: string; pipeline_run_id: string | null } }> {
  return (await request(`trigger-requests/${seg(id)}`, { method: 'POST', body: json({ action }) })).json();
}

export async function setPaused(name: string, paused: boolean): Promise<ISummary> {
  return (await request(`pipelines/${seg(name)}/paused`, { method: 'PUT', body: json({ paused }) })).json();
}

export async function backfill(
  name: string,
  start: string,
  end: string
): Promise<{ slots: number; created: unknown[]; skipped: number }> {
  return (await request(`pipelines/${seg(name)}/backfill`, { method: 'POST', body: json({ start, end }) })).json();
}

export async function setSchedule(name: string, schedule: IScheduleOptions): Promise<ISummary> {
  return (await request(`pipelines/${seg(name)}/schedule`, { method: 'PUT', body: json(schedule) })).json();
}

export async function deletePipeline(name: string): Promise<{ deleted: boolean; files_removed: boolean }> {
  return (await request(`pipelines/${seg(name)}`, { method: 'DELETE' })).json();
}

/** Out of date? For the notebook as the editor has it when `content` is given, else as saved. */
export async function fetchDiff(name: string, content?: unknown): Promise<IDiff> {
  const path = `pipelines/${seg(name)}/diff`;
  return (await (content === undefined ? request(path) : request(path, { method: 'POST', body: json({ content }) }))).json();
}

export async function updatePipeline(
  name: string,
  content?: unknown
): Promise<{ changed_tasks: string[]; removed_tasks: string[]; problems: IProblem[] }> {
  return (await request(`pipelines/${seg(name)}/update`, { method: 'POST', body: json({ content: content ?? null }) })).json();
}

export async function fetchTaskLog(name: string, runId: string, task: string, offset = 0): Promise<ILog> {
  return (await request(`pipelines/${seg(name)}/runs/${seg(runId)}/tasks/${seg(task)}/log?offset=${offset}`)).json();
}
