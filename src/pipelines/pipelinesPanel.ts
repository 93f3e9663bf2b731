/**
 * The "Pipelines" sidebar: every pipeline with its schedule in words, next fire
 * time, last status and whether it is out of date with its notebook; a runs ×
 * tasks grid of its recent runs (Airflow's grid view: a column per run, oldest
 * left, a row per task) read from the replica; and its actions. A grid cell
 * opens that task run (log, checks, lineage). A monitor's requests for a run
 * (plumbline.monitor triggers with approval) wait on the card with Start and
 * Dismiss. Recorded values go in as text.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IPipelineRow, IRunGrid, ITriggerRequest, pipelinesList, requestsAwaitingApproval, runGrid } from '../queries/pipelines';
import { ReplicaSync } from '../replica/sync';
import { button, el } from '../ui/dom';
import { formatWhen } from '../ui/format';
import { environmentChanges } from './model';
import { PipelineFreshness } from './outOfDate';
import { statusLabel, triggerLabel, triggerLetter } from './labels';
import { cronWords } from './words';

const GRID_RUNS = 15;

export interface IPipelinesPanelOptions {
  sync: ReplicaSync;
  freshness: PipelineFreshness;
  trans: TranslationBundle;
  openTaskRun: (pipeline: string, taskRunId: string) => void;
  runNow: (pipeline: IPipelineRow) => void;
  setPaused: (pipeline: IPipelineRow, paused: boolean) => void;
  backfill: (pipeline: IPipelineRow) => void;
  editSchedule: (pipeline: IPipelineRow) => void;
  remove: (pipeline: IPipelineRow) => void;
  showDiff: (pipeline: IPipelineRow) => void;
  openNotebook: (path: string) => void;
  decideRequest: (request: ITriggerRequest, action: 'start' | 'dismiss') => void;
}

/** "Mon 7 Dec, 06:00" in the pipeline's timezone (the browser's locale). */
export function formatInZone(epochSeconds: number, timezone: string): string {
  try {
    return new Date(epochSeconds * 1000).toLocaleString(undefined, {
      timeZone: timezone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit'
    });
  } catch {
    return new Date(epochSeconds * 1000).toLocaleString();
  }
}

export class PipelinesPanel extends Widget {
  constructor(private readonly _options: IPipelinesPanelOptions) {
    super();
    const trans = _options.trans;
    this.id = 'plumbline-pipelines';
    this.addClass('jp-Plumbline-sidebar');
    this.addClass('jp-Plumbline-pipelines');
    this.title.caption = trans.__('Plumbline: pipelines, their schedules and runs');

    const refresh = el('button', 'jp-Plumbline-refresh jp-mod-styled');
    refresh.title = trans.__('Refresh pipelines');
    refresh.setAttribute('aria-label', trans.__('Refresh pipelines'));
    refreshIcon.element({ container: refresh });
    refresh.addEventListener('click', () => {
      _options.freshness.recheck();
      void _options.sync.refresh().catch(() => undefined);
    });
    this._list.className = 'jp-Plumbline-pipelineList';
    this.node.append(el('div', 'jp-Plumbline-header', el('h2', 'jp-Plumbline-title', trans.__('Pipelines')), refresh), this._list);
    _options.sync.changed.connect(() => this.update(), this);
    _options.freshness.changed.connect(() => this.update(), this);
    this._clock = window.setInterval(() => this.isVisible && this.update(), 30000);
  }

  dispose(): void {
    window.clearInterval(this._clock);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    this._options.freshness.recheck();
    void this._options.sync.refresh().catch(() => undefined);
    this.update();
  }

  protected onUpdateRequest(msg: Message): void {
    if (!this.isVisible) {
      return;
    }
    const { trans, sync } = this._options;
    const replica = sync.replica;
    if (!replica) {
      this._list.replaceChildren(el('p', 'jp-Plumbline-message', trans.__('Loading the lineage store…')));
      return;
    }
    const pipelines = pipelinesList(replica.db);
    if (!pipelines.length) {
      this._list.replaceChildren(
        el('p', 'jp-Plumbline-message', trans.__('No pipeline yet. Select cells in a notebook and run "Promote to Pipeline…" (Ctrl Alt P, the cell toolbar or the context menu).'))
      );
      return;
    }
    this._list.replaceChildren(
      ...pipelines.map(pipeline =>
        this._card(pipeline, runGrid(replica.db, pipeline, GRID_RUNS), requestsAwaitingApproval(replica.db, pipeline.name))
      )
    );
  }

  private _card(pipeline: IPipelineRow, grid: IRunGrid, requests: ITriggerRequest[]): HTMLElement {
    const { trans, freshness } = this._options;
    const card = el('section', 'jp-Plumbline-pipeline');
    card.dataset.pipeline = pipeline.name;

    const badges = el('span', 'jp-Plumbline-pipelineBadges');
    if (pipeline.paused) {
      badges.append(el('span', 'jp-Plumbline-badgeTag jp-mod-paused', trans.__('paused')));
    }
    const diff = freshness.diffOf(pipeline);
    if (diff?.out_of_date) {
      const stale = button(trans.__('pipeline out of date'), () => this._options.showDiff(pipeline), {
        title: trans.__('The notebook\'s cells differ from what this pipeline runs: see the diff and update it'),
        className: 'jp-Plumbline-outOfDate jp-Plumbline-pipelineOutOfDate'
      });
      badges.append(stale);
    }
    card.dataset.outOfDate = String(!!diff?.out_of_date);
    const last = pipeline.lastRun;
    if (last) {
      const status = el('span', `jp-Plumbline-status jp-mod-${last.status}`, statusLabel(last.status, trans));
      status.title = trans.__('Last run: %1, %2 (%3)', statusLabel(last.status, trans), triggerLabel(last.trigger, trans), formatWhen(last.createdAt, trans));
      status.classList.add('jp-Plumbline-lastStatus');
      badges.append(status);
    }
    card.append(el('div', 'jp-Plumbline-pipelineHead', el('h3', 'jp-Plumbline-pipelineName', pipeline.name), badges));

    const notebook = el('a', 'jp-Plumbline-link jp-Plumbline-pipelineNotebook', pipeline.notebookPath);
    notebook.tabIndex = 0;
    notebook.title = trans.__('Open the notebook it was promoted from');
    notebook.addEventListener('click', () => this._options.openNotebook(pipeline.notebookPath));
    card.append(notebook);

    const words = pipeline.cron
      ? trans.__('%1 (%2)', cronWords(pipeline.cron) || pipeline.cron, pipeline.timezone)
      : trans.__('Runs only when asked');
    const schedule = el('div', 'jp-Plumbline-pipelineSchedule', words);
    schedule.title = pipeline.cron ? `${pipeline.cron} · ${pipeline.timezone}` : '';
    card.append(schedule);
    const next = el(
      'div',
      'jp-Plumbline-pipelineNext',
      pipeline.paused
        ? trans.__('Paused: no scheduled run.')
        : pipeline.nextFireAt !== null
          ? trans.__('Next run: %1', formatInZone(pipeline.nextFireAt, pipeline.timezone))
          : pipeline.cron ? '' : trans.__('No scheduled run.')
    );
    card.append(next);
    if (pipeline.problem) {
      card.append(el('div', 'jp-Plumbline-pipelineProblem', pipeline.problem));
    }

    const actions = el(
      'div',
      'jp-Plumbline-pipelineActions',
      button(trans.__('Run now'), () => this._options.runNow(pipeline), { className: 'jp-Plumbline-runNowButton', title: trans.__('Run the pipeline now, with parameter overrides') }),
      button(pipeline.paused ? trans.__('Resume') : trans.__('Pause'), () => this._options.setPaused(pipeline, !pipeline.paused), {
        className: 'jp-Plumbline-pauseButton'
      }),
      button(trans.__('Backfill'), () => this._options.backfill(pipeline), { className: 'jp-Plumbline-backfillButton', title: trans.__('Run the fire slots of a past date range') }),
      button(trans.__('Schedule'), () => this._options.editSchedule(pipeline), { className: 'jp-Plumbline-scheduleButton', title: trans.__('Edit the schedule') }),
      button(trans.__('Delete'), () => this._options.remove(pipeline), { className: 'jp-Plumbline-deleteButton', title: trans.__('Delete the pipeline (its runs and lineage are kept)') })
    );
    card.append(actions);
    if (requests.length) {
      card.append(this._requests(requests));
    }
    card.append(this._grid(pipeline, grid));
    const newest = grid.runs[grid.runs.length - 1]?.run;
    const environment = environmentChanges(newest?.environmentDiff ?? null);
    if (environment.length) {
      card.append(
        el('div', 'jp-Plumbline-envDiff', trans.__('Latest run\'s environment differs from the notebook\'s at promotion: %1', environment.join(', ')))
      );
    }
    if (newest?.error) {
      card.append(el('div', 'jp-Plumbline-pipelineError', newest.error));
    }
    return card;
  }

  /** Runs a monitor asked for: nothing starts until a person says so (a retrain on bad data feeds itself). */
  private _requests(requests: ITriggerRequest[]): HTMLElement {
    const trans = this._options.trans;
    const list = el('ul', 'jp-Plumbline-triggerRequests');
    list.setAttribute('aria-label', trans.__('Runs asked for by monitors, awaiting approval'));
    for (const request of requests) {
      const item = el(
        'li',
        'jp-Plumbline-triggerRequest',
        el('div', 'jp-Plumbline-triggerRequestWhat', trans.__('Monitor %1 asks for a run (%2)', request.monitor, formatWhen(request.createdAt, trans))),
        el('div', 'jp-Plumbline-triggerRequestReason', request.reason),
        el(
          'div',
          'jp-Plumbline-triggerRequestActions',
          button(trans.__('Start run'), () => this._options.decideRequest(request, 'start'), {
            className: 'jp-Plumbline-approveRequest',
            title: trans.__('Queue a run of this pipeline now')
          }),
          button(trans.__('Dismiss'), () => this._options.decideRequest(request, 'dismiss'), {
            className: 'jp-Plumbline-dismissRequest',
            title: trans.__('Do not run; the monitor may ask again after its cooldown')
          })
        )
      );
      item.dataset.requestId = request.id;
      list.append(item);
    }
    return list;
  }

  private _grid(pipeline: IPipelineRow, grid: IRunGrid): HTMLElement {
    const trans = this._options.trans;
    if (!grid.runs.length) {
      return el('p', 'jp-Plumbline-hint', trans.__('No run yet.'));
    }
    const node = el('table', 'jp-Plumbline-grid');
    node.setAttribute('aria-label', trans.__('Runs × tasks of %1', pipeline.name));
    const head = el('tr', '', el('th', 'jp-Plumbline-gridCorner', ''));
    for (const { run } of grid.runs) {
      const th = el('th', `jp-Plumbline-gridRun jp-mod-${run.status}`, triggerLetter(run.trigger, trans));
      th.dataset.runId = run.id;
      th.dataset.trigger = run.trigger;
      th.dataset.status = run.status;
      const environment = environmentChanges(run.environmentDiff);
      if (environment.length) {
        th.classList.add('jp-mod-envDiff');
      }
      th.title = [
        trans.__('%1 run: %2', triggerLabel(run.trigger, trans), statusLabel(run.status, trans)),
        trans.__('logical date %1', formatInZone(run.logicalDate, pipeline.timezone)),
        Object.keys(run.params).length ? trans.__('parameters %1', JSON.stringify(run.params)) : '',
        environment.length ? trans.__('environment differs: %1', environment.join(', ')) : '',
        run.error ?? ''
      ].filter(Boolean).join('\n');
      head.append(th);
    }
    node.append(el('thead', '', head));
    const body = el('tbody');
    for (const task of grid.tasks) {
      const tr = el('tr', '', el('th', 'jp-Plumbline-gridTask', task));
      tr.dataset.task = task;
      for (const { run, tasks } of grid.runs) {
        const taskRun = tasks.get(task);
        const td = el('td', 'jp-Plumbline-gridCell');
        if (taskRun) {
          const square = el('button', `jp-Plumbline-gridSquare jp-mod-${taskRun.status}`);
          square.type = 'button';
          square.dataset.status = taskRun.status;
          square.dataset.taskRunId = taskRun.id;
          square.setAttribute('aria-label', trans.__('%1 in the %2 run: %3', task, triggerLabel(run.trigger, trans), statusLabel(taskRun.status, trans)));
          square.title = [
            `${task}: ${statusLabel(taskRun.status, trans)}`,
            taskRun.attempts > 1 ? trans.__('%1 attempts', taskRun.attempts) : '',
            taskRun.errorName ? `${taskRun.errorName}: ${taskRun.errorValue ?? ''}` : '',
            trans.__('Click for its log, checks and lineage')
          ].filter(Boolean).join('\n');
          square.addEventListener('click', () => this._options.openTaskRun(pipeline.name, taskRun.id));
          td.append(square);
        }
        tr.append(td);
      }
      body.append(tr);
    }
    node.append(body);
    const legend = el(
      'div',
      'jp-Plumbline-gridLegend',
      trans.__('Columns: runs, oldest left (S scheduled, M manual, B backfill, A Airflow). Click a square for the task run.')
    );
    return el('div', 'jp-Plumbline-gridWrap', node, legend);
  }

  private _list = el('div');
  private _clock: number;
}
