/**
 * The pipelines UI's queries on a real sql.js replica of the Python store's pipeline
 * tables (fixtures/pipelines-v1.json), and its pure logic on the pinned payloads:
 * the promote dialog's model from pipeline-preview-v1.json, the spec pipeline-spec-v1.json.
 */
import type { SqlJsStatic } from 'sql.js';

import type { IDiff, IPreview, IProblem, ISpec } from '../pipelines/api';
import {
  cellsOnly,
  changedCells,
  defaultText,
  dialogModel,
  environmentChanges,
  fixAction,
  overrides,
  parseOverride,
  parseProbe,
  probeCode,
  probeRequest,
  promotedCells,
  PROBE_MARK,
  suggestPipelineName
} from '../pipelines/model';
import { cronWords, formatLocal } from '../pipelines/words';
import {
  cellRunsOfTaskRun,
  pipelineRunById,
  pipelinesList,
  pipelinesOfNotebook,
  runGrid,
  taskRunById
} from '../queries/pipelines';
import { runsOfNotebook } from '../queries/runs';
import type { Replica } from '../replica/replica';
import { loadSql, pipelinesReplica, sharedFixture } from './storeFixture';

const T0 = 1_764_504_000; // 2026-11-30T12:00:00Z, the fixture's clock
const SLOT = 1_764_478_800; // 2026-11-30T05:00:00Z
const WEEK = 7 * 86400;

let sql: SqlJsStatic;
let replica: Replica;

beforeAll(async () => {
  sql = await loadSql();
  replica = pipelinesReplica(sql);
});

afterAll(() => replica.db.close());

describe('pipeline queries on the replica', () => {
  it('lists the live pipelines by name, not the deleted one', () => {
    const pipelines = pipelinesList(replica.db);
    expect(pipelines.map(p => p.name)).toEqual(['nightly', 'weekly_flights']);
    const [nightly, weekly] = pipelines;
    expect(nightly).toMatchObject({ paused: true, nextFireAt: null, cron: '30 2 * * *', lastRun: null, runCount: 0 });
    expect(weekly).toMatchObject({
      notebookPath: 'flights.ipynb',
      cron: '0 6 * * 1',
      timezone: 'Europe/Berlin',
      paused: false,
      nextFireAt: SLOT + WEEK,
      runCount: 4,
      lastRun: { id: 'run-manual', status: 'running', trigger: 'manual' }
    });
    expect(weekly.tasks.map(t => t.name)).toEqual(['load', 'clean', 'features', 'train', 'predict']);
    expect(weekly.tasks[4].upstream).toEqual(['train', 'features']);
    expect(weekly.environment?.packages?.pandas).toBe('3.1.1');
  });

  it('finds the pipelines promoted from a notebook (a deleted one is not out of date)', () => {
    expect(pipelinesOfNotebook(replica.db, 'flights.ipynb').map(p => p.name)).toEqual(['weekly_flights']);
    expect(pipelinesOfNotebook(replica.db, 'report.ipynb').map(p => p.name)).toEqual(['nightly']);
    expect(pipelinesOfNotebook(replica.db, 'none.ipynb')).toEqual([]);
  });

  it('builds the runs × tasks grid, oldest run first, each square a task run', () => {
    const weekly = pipelinesList(replica.db).find(p => p.name === 'weekly_flights')!;
    const grid = runGrid(replica.db, weekly);
    expect(grid.tasks).toEqual(['load', 'clean', 'features', 'train', 'predict']);
    expect(grid.runs.map(r => [r.run.trigger, r.run.status])).toEqual([
      ['backfill', 'ok'],
      ['schedule', 'error'],
      ['airflow', 'ok'],
      ['manual', 'running']
    ]);
    const statuses = grid.runs.map(r => grid.tasks.map(t => r.tasks.get(t)?.status));
    expect(statuses).toEqual([
      ['ok', 'ok', 'ok', 'ok', 'ok'],
      ['ok', 'error', 'upstream_failed', 'upstream_failed', 'upstream_failed'],
      ['ok', 'ok', 'ok', 'reused', 'ok'],
      ['ok', 'running', 'pending', 'pending', 'pending']
    ]);
    const [, scheduled, airflow, manual] = grid.runs;
    expect(scheduled.run).toMatchObject({ slot: SLOT, logicalDate: SLOT, dataIntervalStart: SLOT - WEEK, dataIntervalEnd: SLOT });
    expect(scheduled.run.environmentDiff).toEqual({ packages: { pandas: ['3.1.1', '3.2.0'] } });
    expect(scheduled.run.error).toMatch(/clean failed/);
    const clean = scheduled.tasks.get('clean')!;
    expect(clean).toMatchObject({ attempts: 2, maxAttempts: 2, errorName: 'ValueError', errorValue: 'no rows left after cleaning' });
    expect(clean.environmentDiff).toEqual({ packages: { pandas: ['3.1.1', '3.2.0'] } });
    expect(airflow.run.externalId).toBe('scheduled__2026-11-30T05:00:00+00:00');
    expect(airflow.tasks.get('train')!.reusedFrom).toMatch(/-earlier$/);
    expect(manual.run.params).toEqual({ rows: 500 });
    expect(manual.run.createdAt).toBe(T0 - 60);
    // the newest runs only, still oldest first
    expect(runGrid(replica.db, weekly, 2).runs.map(r => r.run.trigger)).toEqual(['airflow', 'manual']);
  });

  it('reads one run and one task run by id', () => {
    expect(pipelineRunById(replica.db, 'run-airflow')?.trigger).toBe('airflow');
    expect(pipelineRunById(replica.db, 'nope')).toBeNull();
    const weekly = pipelinesList(replica.db).find(p => p.name === 'weekly_flights')!;
    const load = runGrid(replica.db, weekly).runs[0].tasks.get('load')!;
    expect(taskRunById(replica.db, load.id)).toEqual(load);
    expect(load.outputs.flights).toMatchObject({ type: 'pandas.DataFrame', format: 'parquet' });
  });

  it("gives a task run's recorded cell runs with their checks (the run inspector opens them)", () => {
    const weekly = pipelinesList(replica.db).find(p => p.name === 'weekly_flights')!;
    const grid = runGrid(replica.db, weekly);
    const load = grid.runs[0].tasks.get('load')!;
    const cells = cellRunsOfTaskRun(replica.db, load.id);
    expect(cells).toHaveLength(1);
    expect(cells[0]).toMatchObject({ runId: 'run-cell-load', cellId: 'c05', componentName: 'load', status: 'ok' });
    expect(cells[0].checks).toMatchObject({ total: 1, passed: 1 });
    expect(cellRunsOfTaskRun(replica.db, grid.runs[1].tasks.get('features')!.id)).toEqual([]);
  });

  it('tells the runs sidebar which pipeline run and trigger a cell run belongs to', () => {
    const runs = runsOfNotebook(replica.db, 'flights.ipynb');
    const byId = new Map(runs.map(r => [r.id, r]));
    expect(byId.get('run-cell-load')!.trigger).toMatchObject({ pipeline: 'weekly_flights', trigger: 'backfill', task: 'load' });
    expect(byId.get('run-interactive')!.trigger).toBeNull();
  });
});

describe('the promote dialog model from the pinned preview', () => {
  const preview = sharedFixture<IPreview>('pipeline-preview-v1.json');

  it('has one task per component, folded cells and the prelude', () => {
    const model = dialogModel(preview);
    expect(model.ok).toBe(true);
    expect(model.tasks.map(t => t.name)).toEqual(['load', 'clean', 'features', 'train', 'predict']);
    const clean = model.tasks.find(t => t.name === 'clean')!;
    expect(clean.cells).toEqual([6, 7]);
    expect(clean.folded).toEqual([7]);
    expect(model.folded).toEqual([{ cells: [7], task: 'clean', message: expect.stringMatching(/Make it a component/) }]);
    expect(model.prelude).toEqual([2, 3, 4]);
    expect(model.tasks.find(t => t.name === 'features')!.readsParameters).toEqual(['data_interval_end', 'data_interval_start']);
  });

  it("lists each edge's variables with type and format", () => {
    const model = dialogModel(preview);
    const predict = model.edges.filter(e => e.to === 'predict');
    expect(predict.map(e => e.from).sort()).toEqual(['features', 'train']);
    const train = predict.find(e => e.from === 'train')!;
    expect(train.variables).toEqual([
      { name: 'X', type: 'pandas.DataFrame', short: 'DataFrame', format: 'parquet', seen: 'kernel' },
      { name: 'model', type: 'sklearn.linear_model._logistic.LogisticRegression', short: 'LogisticRegression', format: 'joblib', seen: 'kernel' }
    ]);
    expect(predict.find(e => e.from === 'features')!.variables[0]).toMatchObject({ name: 'window', format: 'pickle' });
  });

  it('shows typed parameter defaults, the data interval and the next fire times', () => {
    const model = dialogModel(preview);
    expect(model.parameters).toEqual([
      { name: 'rows', type: 'int', default: '2000' },
      { name: 'late_minutes', type: 'int', default: '15' }
    ]);
    expect(model.interval).toEqual(['logical_date', 'data_interval_start', 'data_interval_end']);
    expect(model.schedule.valid).toBe(true);
    expect(model.schedule.next.map(n => n.local)).toEqual([
      '2026-12-07T06:00:00+01:00',
      '2026-12-14T06:00:00+01:00',
      '2026-12-21T06:00:00+01:00',
      '2026-12-28T06:00:00+01:00',
      '2027-01-04T06:00:00+01:00'
    ]);
    expect(model.problems).toEqual([]);
    expect(model.nameProblem).toBeNull();
    expect(model.scheduleProblem).toBeNull();
  });

  it('asks the kernel about the variables that cross and the packages the tasks import', () => {
    expect(probeRequest(preview)).toEqual({
      names: ['X', 'features', 'flights', 'model', 'window'],
      imports: ['numpy', 'pandas', 'sklearn']
    });
  });

  it('says name and schedule problems in place, the others with their fix, errors first', () => {
    const problem = (code: string, severity: 'error' | 'warning', fix = 'Do this.', cells: number[] = []): IProblem => ({
      code, severity, message: `${code} happened`, fix, cells, task: null, variable: null
    });
    const model = dialogModel({
      ...preview,
      ok: false,
      problems: [
        problem('plot_only', 'warning', 'Save the figure.', [9]),
        problem('name_exists', 'error'),
        problem('invalid_cron', 'error'),
        problem('defined_outside_range', 'error', "Include cell 11 in the range, or make 'offset' a parameter.", [10])
      ],
      schedule: { ...preview.schedule, valid: false, error: 'bad cron', next: [] }
    });
    expect(model.nameProblem).toBe('name_exists happened');
    expect(model.scheduleProblem).toBe('invalid_cron happened');
    expect(model.problems.map(p => [p.code, p.action])).toEqual([
      ['defined_outside_range', { kind: 'include', cell: 11 }],
      ['plot_only', { kind: 'reveal', cell: 9 }]
    ]);
    expect(model.errors).toBe(3);
    expect(model.warnings).toBe(1);
    expect(fixAction(problem('cycle', 'error'))).toBeNull();
    // an invalid schedule with no problem row still says why
    expect(dialogModel({ ...preview, schedule: { ...preview.schedule, valid: false, error: 'no such zone' } }).scheduleProblem).toBe('no such zone');
  });
});

describe('the live-kernel probe', () => {
  it('sends only identifiers, as JSON string literals', () => {
    const code = probeCode(['flights', "x']); import os; os.system('boom'); (['"], ['pandas', 'os; rm'])
    expect(code).toContain('crossing(["flights"], ["pandas"])');
    expect(code).not.toContain('boom');
    expect(code).not.toContain('rm');
  });

  it('reads the answer after its mark, and nothing else', () => {
    const answer = { python: '3.11.7', packages: { pandas: '3.1.1' }, variables: { gen: { present: true, type: 'generator', format: 'pickle', ok: false, error: 'a value tied to this process' } } };
    expect(parseProbe(`noise\n${PROBE_MARK}${JSON.stringify(answer)}\n`)).toEqual(answer);
    expect(parseProbe('no mark here')).toBeNull();
    expect(parseProbe(`${PROBE_MARK}{not json`)).toBeNull();
    expect(parseProbe(`${PROBE_MARK}{"python": "3"}`)).toBeNull();
  });
});

describe('run now: parameter overrides typed as the parameters cell has them', () => {
  const rows = { name: 'rows', type: 'int', default: 2000 };
  const rate = { name: 'rate', type: 'float', default: 0.5 };
  const label = { name: 'label', type: 'str', default: 'weekly' };
  const dry = { name: 'dry', type: 'bool', default: false };
  const cols = { name: 'cols', type: 'list', default: ['a'] };

  it('parses each type and refuses what is not one', () => {
    expect(parseOverride(rows, ' 500 ')).toEqual({ value: 500 });
    expect(parseOverride(rows, '5.5')).toEqual({ error: expect.stringMatching(/rows is int/) });
    expect(parseOverride(rate, '1e-3')).toEqual({ value: 0.001 });
    expect(parseOverride(rate, 'fast')).toHaveProperty('error');
    expect(parseOverride(label, ' x ')).toEqual({ value: ' x ' });
    expect(parseOverride(dry, 'True')).toEqual({ value: true });
    expect(parseOverride(dry, 'yes')).toHaveProperty('error');
    expect(parseOverride(cols, '["a", "b"]')).toEqual({ value: ['a', 'b'] });
    expect(parseOverride(cols, '{"a": 1}')).toHaveProperty('error');
  });

  it('sends only the fields changed from their default', () => {
    const parameters = [rows, rate, label, dry];
    const texts = Object.fromEntries(parameters.map(p => [p.name, defaultText(p)]));
    expect(texts).toEqual({ rows: '2000', rate: '0.5', label: 'weekly', dry: 'false' });
    expect(overrides(parameters, texts)).toEqual({ params: {}, errors: [] });
    expect(overrides(parameters, { ...texts, rows: '10', dry: 'true' })).toEqual({ params: { rows: 10, dry: true }, errors: [] });
    expect(overrides(parameters, { ...texts, rows: 'ten' }).errors).toEqual(['rows is int; "ten" is not.']);
    // the messages go through the translator
    const upper = (message: string, ...args: (string | number)[]) => `${message.toUpperCase()}|${args.join(',')}`;
    expect(overrides(parameters, { ...texts, rows: 'ten' }, upper).errors).toEqual(['%1 IS %2; %3 IS NOT.|rows,int,"ten"']);
  });
});

describe('the pinned spec', () => {
  const spec = sharedFixture<ISpec>('pipeline-spec-v1.json');

  it('maps every promoted cell to the task that runs it', () => {
    const cells = promotedCells(spec);
    expect(Object.fromEntries(cells)).toEqual({
      c02: 'prelude',
      c03: 'prelude',
      c04: 'prelude',
      c05: 'load',
      c06: 'clean',
      c07: 'clean',
      c08: 'features',
      c09: 'train',
      c10: 'predict'
    });
    expect(spec.parameters_cell?.id).toBe('c03');
    expect(spec.schedule).toEqual({ catchup: 'latest', catchup_limit: 10, cron: '0 6 * * 1', max_active_runs: 1, timezone: 'Europe/Berlin' });
    expect(spec.tasks.map(t => t.retry)).toEqual(Array(5).fill({ retries: 1, retry_delay_seconds: 30, timeout_seconds: 600 }));
  });
});

describe('out of date', () => {
  it('marks the cells a diff names, with the pipelines they differ from', () => {
    const change = (cell_id: string, change: 'changed' | 'added' | 'deleted' = 'changed') => ({
      cell_id, index: 1, change, pipeline_code: 'a', notebook_code: 'b'
    });
    const diffs: IDiff[] = [
      { name: 'weekly', out_of_date: true, tasks: [{ task: 'clean', changes: [change('c06'), change('c07')] }], prelude: [change('c02')], added: [change('c11', 'added')] },
      { name: 'daily', out_of_date: true, tasks: [{ task: 'clean', changes: [change('c06')] }], prelude: [], added: [] },
      { name: 'fresh', out_of_date: false, tasks: [], prelude: [], added: [] }
    ];
    expect(Object.fromEntries(changedCells(diffs))).toEqual({
      c06: ['weekly', 'daily'],
      c07: ['weekly'],
      c02: ['weekly'],
      c11: ['weekly']
    });
  });
});

describe('the notebook sent to the server', () => {
  it('keeps sources, metadata and ids, not outputs or attachments', () => {
    const nb = {
      nbformat: 4,
      metadata: { kernelspec: { name: 'python3' } },
      cells: [
        { cell_type: 'markdown', id: 'm', source: '![x](attachment:x.png)', metadata: {}, attachments: { 'x.png': { 'image/png': 'AAAA' } } },
        { cell_type: 'code', id: 'c', source: 'df', metadata: { plumbline: { component: 'load' } }, execution_count: 3, outputs: [{ output_type: 'display_data', data: { 'image/png': 'BBBB' } }] }
      ]
    };
    expect(cellsOnly(nb)).toEqual({
      nbformat: 4,
      metadata: { kernelspec: { name: 'python3' } },
      cells: [
        { cell_type: 'markdown', id: 'm', source: '![x](attachment:x.png)', metadata: {} },
        { cell_type: 'code', id: 'c', source: 'df', metadata: { plumbline: { component: 'load' } }, execution_count: null, outputs: [] }
      ]
    });
    expect(nb.cells[1].outputs).toHaveLength(1); // the editor's notebook is untouched
  });
});

describe('words', () => {
  it('says the environment differences of a run', () => {
    expect(environmentChanges(null)).toEqual([]);
    expect(environmentChanges({ python: ['3.11.7', '3.12.1'], packages: { sklearn: ['1.9.1', null], pandas: ['3.1.1', '3.2.0'] } })).toEqual([
      'Python 3.11.7 → 3.12.1',
      'pandas 3.1.1 → 3.2.0',
      'sklearn 1.9.1 → —'
    ]);
  });

  it('describes cron while typing, and fire times on the zone wall clock', () => {
    expect(cronWords('0 6 * * 1')).toMatch(/06:00/);
    expect(cronWords('0 6 * *')).toBe('');
    expect(formatLocal('2026-12-07T06:00:00+01:00')).toMatch(/2026-12-07 06:00 \(\+01:00\)$/);
    expect(formatLocal('2026-12-07T05:00:00Z')).toMatch(/05:00 \(UTC\)$/);
  });

  it('suggests a pipeline name from the notebook, free and an identifier', () => {
    expect(suggestPipelineName('examples/Flight Delays.ipynb', new Set())).toBe('flight_delays');
    expect(suggestPipelineName('2026-report.ipynb', new Set())).toBe('p_2026_report');
    expect(suggestPipelineName('demo.ipynb', new Set(['demo', 'demo_2']))).toBe('demo_3');
  });
});
