/**
 * The "Plumbline" sidebar: the runs of the active notebook, newest first.
 * Everything user-controlled is inserted as text (never as HTML).
 */
import { NotebookPanel } from '@jupyterlab/notebook';
import { ITranslator, TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { checksStatus } from '../queries/checks';
import { driftMark } from '../drift/badge';
import { driftVerdictsOfRuns, IDriftVerdict } from '../queries/monitoring';
import { IRunRow, runCountsOfNotebook, runsOfNotebook } from '../queries/runs';
import { ReplicaSync } from '../replica/sync';
import { formatDuration, formatWhen } from '../ui/format';

export interface IRunsPanelOptions {
  sync: ReplicaSync;
  translator: ITranslator;
  maxRows: () => number;
  /** Scroll a notebook to the cell of a run. */
  revealCell: (panel: NotebookPanel, cellId: string) => void;
  /** Open a run's inspector (inputs, outputs, code diff, notes). */
  inspectRun: (runId: string) => void;
  /** The paths a notebook had before a rename the replica may not have received yet. */
  formerPaths?: (path: string) => string[];
  /** Open the drift panel of a run's output. */
  openDrift?: (runId: string, name: string) => void;
}

export class RunsPanel extends Widget {
  constructor(private readonly _options: IRunsPanelOptions) {
    super();
    this._trans = _options.translator.load('jupyterlab_plumbline');
    this.id = 'plumbline-sidebar';
    this.addClass('jp-Plumbline-sidebar');
    this.title.caption = this._trans.__('Plumbline: runs of this notebook');

    const header = document.createElement('div');
    header.className = 'jp-Plumbline-header';
    const heading = document.createElement('h2');
    heading.className = 'jp-Plumbline-title';
    heading.textContent = this._trans.__('Plumbline');
    this._subtitle.className = 'jp-Plumbline-subtitle';
    const refresh = document.createElement('button');
    refresh.className = 'jp-Plumbline-refresh jp-mod-styled';
    refresh.title = this._trans.__('Refresh runs');
    refresh.setAttribute('aria-label', this._trans.__('Refresh runs'));
    refreshIcon.element({ container: refresh });
    // A failure is reported by the sync; nothing to add here.
    refresh.addEventListener('click', () => void this._options.sync.refresh().catch(() => undefined));
    header.append(heading, refresh);

    this._summary.className = 'jp-Plumbline-summary';
    this._message.className = 'jp-Plumbline-message';
    this._table.className = 'jp-Plumbline-runs';
    this._table.setAttribute('role', 'list');
    this._table.setAttribute('aria-label', this._trans.__('Runs'));
    this.node.append(header, this._subtitle, this._summary, this._message, this._table);

    _options.sync.changed.connect(() => this.update(), this);
    this._clock = window.setInterval(() => this.isVisible && this.update(), 30000);
  }

  /** The notebook whose runs are shown. */
  set notebook(panel: NotebookPanel | null) {
    if (this._notebook === panel) {
      return;
    }
    this._notebook?.context.pathChanged.disconnect(this._onPath, this);
    this._notebook = panel;
    panel?.context.pathChanged.connect(this._onPath, this);
    this.update();
  }

  /** Why the store can't be read, shown instead of the runs. */
  set problem(message: string | null) {
    this._problem = message;
    this.update();
  }

  dispose(): void {
    window.clearInterval(this._clock);
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    void this._options.sync.refresh().catch(() => undefined);
    this.update();
  }

  protected onUpdateRequest(msg: Message): void {
    const trans = this._trans;
    const replica = this._options.sync.replica;
    const panel = this._notebook;
    this._table.replaceChildren();
    this._summary.textContent = '';
    this._subtitle.textContent = panel ? panel.context.path : '';
    this._subtitle.title = panel ? panel.context.path : '';

    if (this._problem) {
      this._showMessage(this._problem, true);
      return;
    }
    if (!panel) {
      this._showMessage(trans.__('Open a notebook to see its runs.'));
      return;
    }
    if (!replica) {
      this._showMessage(trans.__('Loading the lineage store…'));
      return;
    }
    // Right after a rename the replica may still hold the runs under the former path.
    const path = [panel.context.path, ...(this._options.formerPaths?.(panel.context.path) ?? [])];
    const runs = runsOfNotebook(replica.db, path, this._options.maxRows());
    if (runs.length === 0) {
      this._showMessage(trans.__('No runs yet. Run a cell: each execution is recorded here.'));
      return;
    }
    this._showMessage('');
    const counts = runCountsOfNotebook(replica.db, path);
    this._summary.textContent = trans._n('%1 run', '%1 runs', counts.total) +
      (counts.errors ? ' · ' + trans._n('%1 error', '%1 errors', counts.errors) : '') +
      (counts.total > runs.length ? ' · ' + trans.__('newest %1 shown', runs.length) : '');

    const drift = driftVerdictsOfRuns(replica.db, runs.map(run => run.id));
    for (const run of runs) {
      this._table.append(this._runRow(run, panel, drift.get(run.id) ?? []));
    }
  }

  private _onPath(): void {
    this.update();
  }

  private _showMessage(text: string, isError = false): void {
    this._message.textContent = text;
    this._message.classList.toggle('jp-mod-error', isError);
    this._message.hidden = text.length === 0;
  }

  /**
   * Two lines per run, so that the default 250px sidebar shows everything:
   * the cell and its status, then component, duration and time.
   */
  private _runRow(run: IRunRow, panel: NotebookPanel, drift: IDriftVerdict[]): HTMLElement {
    const trans = this._trans;
    const row = document.createElement('div');
    row.className = `jp-Plumbline-run jp-mod-${run.status}`;
    row.setAttribute('role', 'listitem');
    row.dataset.runId = run.id;
    row.dataset.status = run.status;

    const count = run.executionCount === null ? ' ' : String(run.executionCount);
    const code = span(`[${count}] ${run.codePreview}`, 'jp-Plumbline-code');
    code.title = run.codeHead || run.codePreview; // the first lines in full (the row shows one, wrapped)
    const badge = span(statusLabel(run.status, trans), `jp-Plumbline-status jp-mod-${run.status}`);
    if (run.errorName) {
      badge.title = `${run.errorName}: ${run.errorValue ?? ''}`;
    }
    const main = document.createElement('div');
    main.className = 'jp-Plumbline-runMain';
    main.append(code, badge);

    const component = span(run.componentName ?? '', 'jp-Plumbline-component');
    if (run.componentName) {
      component.title = trans.__('Component %1', run.componentName);
    }
    const duration = span(formatDuration(run.durationMs, trans), 'jp-Plumbline-duration');
    const when = span(formatWhen(run.startedAt, trans), 'jp-Plumbline-when');
    when.title = new Date(run.startedAt * 1000).toLocaleString();
    const meta = document.createElement('div');
    meta.className = 'jp-Plumbline-runMeta';
    const inspect = document.createElement('button');
    inspect.className = 'jp-Plumbline-inspect';
    inspect.textContent = trans.__('inspect');
    inspect.title = trans.__('Inputs, outputs, code diff and notes of this run');
    inspect.addEventListener('keydown', event => event.stopPropagation());
    inspect.addEventListener('click', event => {
      event.stopPropagation();
      this._options.inspectRun(run.id);
    });
    meta.append(inspect, component);
    if (run.trigger) {
      // A cell run of a pipeline task: say how that pipeline run started.
      const trigger = span(triggerLabel(run.trigger.trigger, trans), `jp-Plumbline-runTrigger jp-mod-${run.trigger.trigger}`);
      trigger.dataset.trigger = run.trigger.trigger;
      trigger.title = trans.__('Pipeline %1, task %2 (%3 run)', run.trigger.pipeline, run.trigger.task, run.trigger.trigger);
      meta.append(trigger);
    }
    const state = checksStatus(run.checks);
    if (state) {
      const checks = span(
        trans.__('checks %1/%2', run.checks.passed, run.checks.total),
        `jp-Plumbline-runChecks jp-mod-${state}`
      );
      checks.title = [run.checks.problems, run.checks.passes].filter(Boolean).join('\n') || trans.__('All checks passed');
      meta.append(checks);
    }
    const mark = driftMark(drift, trans, this._options.openDrift ?? null);
    if (mark) {
      meta.append(mark);
    }
    meta.append(duration, when);
    row.append(main, meta);

    if (run.cellId) {
      const cellId = run.cellId;
      row.classList.add('jp-mod-clickable');
      row.tabIndex = 0;
      row.title = trans.__('Go to the cell');
      const reveal = () => this._options.revealCell(panel, cellId);
      row.addEventListener('click', reveal);
      row.addEventListener('keydown', event => {
        if (event.key === 'Enter') {
          reveal();
        }
      });
    }
    return row;
  }

  private _trans: TranslationBundle;
  private _notebook: NotebookPanel | null = null;
  private _problem: string | null = null;
  private _clock: number;
  private _subtitle = document.createElement('div');
  private _summary = document.createElement('div');
  private _message = document.createElement('div');
  private _table = document.createElement('div');
}

function span(text: string, className: string): HTMLElement {
  const element = document.createElement('span');
  element.className = className;
  element.textContent = text;
  return element;
}

function statusLabel(status: string, trans: TranslationBundle): string {
  switch (status) {
    case 'ok':
      return trans.__('ok');
    case 'error':
      return trans.__('error');
    case 'running':
      return trans.__('running');
    case 'interrupted':
      return trans.__('interrupted');
    default:
      return status;
  }
}

function triggerLabel(trigger: string, trans: TranslationBundle): string {
  switch (trigger) {
    case 'schedule':
      return trans.__('scheduled');
    case 'manual':
      return trans.__('manual');
    case 'backfill':
      return trans.__('backfill');
    case 'airflow':
      return trans.__('airflow');
    default:
      return trigger;
  }
}
