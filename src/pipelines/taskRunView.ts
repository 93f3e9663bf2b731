/**
 * One task run of a pipeline run: its facts (status, attempts, trigger, data
 * interval, parameters, environment differences), the cell runs its process
 * recorded with their checks (each opens in the run inspector: lineage, code,
 * inputs and outputs), and its log, read from the server while it grows.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import type { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { checksStatus } from '../queries/checks';
import { cellRunsOfTaskRun, pipelineRunById, taskRunById } from '../queries/pipelines';
import { ReplicaSync } from '../replica/sync';
import { CommandIDs } from '../tokens';
import { el, link, table } from '../ui/dom';
import { formatDuration } from '../ui/format';
import { fetchTaskLog } from './api';
import { environmentChanges } from './model';
import { statusLabel, triggerLabel } from './labels';

const LOG_POLL_MS = 2000;

export interface ITaskRunViewOptions {
  sync: ReplicaSync;
  commands: CommandRegistry;
  trans: TranslationBundle;
  pipeline: string;
  taskRunId: string;
}

export class TaskRunView extends Widget {
  constructor(private readonly _options: ITaskRunViewOptions) {
    super();
    this.addClass('jp-Plumbline-taskRun');
    this.title.label = _options.trans.__('%1 · task run', _options.pipeline);
    this._facts.className = 'jp-Plumbline-taskFacts';
    this._cells.className = 'jp-Plumbline-taskCells';
    this._log.className = 'jp-Plumbline-log';
    this._logStatus.className = 'jp-Plumbline-hint';
    this.node.append(
      this._facts,
      el('h3', 'jp-Plumbline-sectionTitle', _options.trans.__('Recorded cell runs: lineage, checks')),
      this._cells,
      el('h3', 'jp-Plumbline-sectionTitle', _options.trans.__('Log')),
      this._logStatus,
      this._log
    );
    _options.sync.changed.connect(() => this.update(), this);
  }

  dispose(): void {
    window.clearTimeout(this._timer);
    super.dispose();
  }

  protected onAfterAttach(msg: Message): void {
    this.update();
    void this._readLog();
  }

  protected onUpdateRequest(msg: Message): void {
    const { trans, sync, commands, taskRunId, pipeline } = this._options;
    const db = sync.replica?.db;
    const task = db ? taskRunById(db, taskRunId) : null;
    if (!db || !task) {
      this._facts.replaceChildren(el('p', 'jp-Plumbline-message', trans.__('Loading the task run…')));
      return;
    }
    const run = pipelineRunById(db, task.pipelineRunId);
    this.title.label = trans.__('%1 · %2', pipeline, task.task);
    this._task = task.task;
    this._runId = task.pipelineRunId;
    const when = (t: number | null) => (t === null ? '' : new Date(t * 1000).toLocaleString());
    const facts: [string, string | Node][] = [
      [trans.__('pipeline'), pipeline],
      [trans.__('task'), task.task],
      [trans.__('status'), el('span', `jp-Plumbline-taskStatus jp-mod-${task.status}`, statusLabel(task.status, trans))],
      [trans.__('attempts'), trans.__('%1 of %2', task.attempts, task.maxAttempts)],
      [trans.__('duration'), formatDuration(task.durationMs, trans)],
      [trans.__('started'), when(task.startedAt)]
    ];
    if (run) {
      facts.push(
        [trans.__('trigger'), el('span', `jp-Plumbline-runTrigger jp-mod-${run.trigger}`, triggerLabel(run.trigger, trans))],
        [trans.__('data interval'), `${when(run.dataIntervalStart)} → ${when(run.dataIntervalEnd)}`]
      );
      if (Object.keys(run.params).length) {
        facts.push([trans.__('parameters'), JSON.stringify(run.params)]);
      }
    }
    if (task.errorName) {
      facts.push([trans.__('error'), `${task.errorName}: ${task.errorValue ?? ''}`]);
    }
    if (task.reusedFrom) {
      facts.push([trans.__('reused'), trans.__('outputs of task run %1 (same code, inputs and parameters)', task.reusedFrom.slice(0, 8))]);
    }
    const environment = environmentChanges(task.environmentDiff ?? run?.environmentDiff ?? null);
    if (environment.length) {
      facts.push([trans.__('environment'), el('span', 'jp-Plumbline-envDiff', trans.__('differs from the notebook\'s at promotion: %1', environment.join(', ')))]);
    }
    this._facts.replaceChildren(
      table('jp-Plumbline-factTable', [trans.__('fact'), trans.__('value')], facts.map(([k, v]) => ({ cells: [k, v] })))
    );

    const cellRuns = cellRunsOfTaskRun(db, taskRunId);
    this._cells.replaceChildren(
      cellRuns.length
        ? table(
            'jp-Plumbline-taskCellRuns',
            [trans.__('cell'), trans.__('component'), trans.__('status'), trans.__('checks'), trans.__('duration'), ''],
            cellRuns.map(cell => {
              const state = checksStatus(cell.checks);
              const checks = el(
                'span',
                `jp-Plumbline-runChecks jp-mod-${state ?? 'none'}`,
                state ? trans.__('checks %1/%2', cell.checks.passed, cell.checks.total) : trans.__('no checks')
              );
              checks.title = cell.checks.problems || (state ? trans.__('All checks passed') : '');
              return {
                cells: [
                  cell.cellId ?? '',
                  cell.componentName ?? '',
                  statusLabel(cell.status, trans),
                  checks,
                  formatDuration(cell.durationMs, trans),
                  link(trans.__('inspect'), () => void commands.execute(CommandIDs.inspectRun, { runId: cell.runId }), 'jp-Plumbline-inspectCellRun')
                ],
                attrs: { 'data-run-id': cell.runId }
              };
            })
          )
        : el('p', 'jp-Plumbline-hint', task.status === 'reused'
          ? trans.__('Reused: this task ran no code, so it recorded no cell run.')
          : trans.__('No cell run recorded yet.'))
    );
    if (this._logDone === false && ['ok', 'reused', 'error', 'upstream_failed'].includes(task.status)) {
      void this._readLog();
    }
  }

  private async _readLog(): Promise<void> {
    const { trans, pipeline } = this._options;
    window.clearTimeout(this._timer);
    if (!this._task || !this._runId || this.isDisposed) {
      this._timer = window.setTimeout(() => void this._readLog(), 500);
      return;
    }
    try {
      const answer = await fetchTaskLog(pipeline, this._runId, this._task, this._offset);
      if (this.isDisposed) {
        return;
      }
      this._log.textContent += answer.text;
      this._offset = answer.offset;
      this._logDone = answer.complete;
      this._logStatus.textContent = answer.missing
        ? trans.__('The log file is gone.')
        : !answer.size && answer.complete
          ? trans.__('No log: the task did not start.')
          : answer.complete ? '' : trans.__('The task is running; the log grows below.');
      if (!answer.complete) {
        this._timer = window.setTimeout(() => void this._readLog(), LOG_POLL_MS);
      }
    } catch (error) {
      this._logStatus.textContent = trans.__('The log could not be read: %1', (error as Error).message);
    }
  }

  private _facts = el('div');
  private _cells = el('div');
  private _log = el('pre');
  private _logStatus = el('div');
  private _task: string | null = null;
  private _runId: string | null = null;
  private _offset = 0;
  private _logDone: boolean | null = null;
  private _timer = 0;
}
