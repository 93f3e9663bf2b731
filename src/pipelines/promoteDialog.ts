/**
 * "Promote to Pipeline…": the dialog that shows, before anything is written,
 * what the selected cells become (the server's promote/preview, re-asked as
 * the user changes the name, the range or the schedule): the DAG, the prelude
 * and folded cells (offered as components), each edge's variables with type
 * and format, the problems each with its fix, the parameters and the data
 * interval, the schedule with its next fire times, retries and timeouts.
 * Confirm creates the pipeline; a refusal (a name taken meanwhile, an invalid
 * schedule) is said in place and the dialog stays open.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { button, el, table } from '../ui/dom';
import {
  createPipeline,
  IPreview,
  IProbeAnswer,
  IPromotion,
  ISummary,
  ITaskOptions,
  previewPromotion,
  problemsOf
} from './api';
import { dagSvg } from './dagView';
import { dialogModel, FixAction, IDialogModel, probeRequest } from './model';
import { ScheduleForm } from './scheduleForm';
import { ISubmitBody, SubmitDialog } from './submitDialog';

export interface IPromoteContext {
  trans: TranslationBundle;
  notebookPath: string;
  /** The notebook's cell ids of the range to promote (null: the whole notebook). */
  cellIds: string[] | null;
  suggestedName: string;
  /** The notebook as the editor has it now (tagging a cell from the dialog changes it). */
  content: () => unknown;
  /** The cell id at a 1-based notebook position. */
  cellIdAt: (position: number) => string | null;
  /** Ask the live kernel (null: the notebook has none). */
  probe: ((names: string[], imports: string[]) => Promise<{ answer: IProbeAnswer | null; problem: string | null }>) | null;
  /** Make the cells at these positions components of their own (cell metadata). */
  makeComponents: (positions: number[]) => string[];
  revealCell: (position: number) => void;
}

const DEFAULT_OPTIONS: ITaskOptions = {
  retries: 1,
  retry_delay_seconds: 60,
  timeout_seconds: 3600,
  parallelism: 2,
  reuse: false
};

/** Opens the dialog; resolves with the created pipeline, or null when cancelled. */
export async function promote(context: IPromoteContext): Promise<ISummary | null> {
  const trans = context.trans;
  const body = new PromoteBody(context);
  const dialog = new SubmitDialog(body, {
    title: trans.__('Promote to Pipeline'),
    cancel: trans.__('Cancel'),
    accept: trans.__('Create Pipeline'),
    className: 'jp-Plumbline-promoteDialog',
    focus: '.jp-Plumbline-pipelineName'
  });
  return (await dialog.run()) ? body.created : null;
}

class PromoteBody extends Widget implements ISubmitBody {
  constructor(private readonly _context: IPromoteContext) {
    super();
    const trans = _context.trans;
    this.addClass('jp-Plumbline-promote');
    this._cellIds = _context.cellIds;

    this._name.className = 'jp-mod-styled jp-Plumbline-pipelineName';
    this._name.value = _context.suggestedName;
    this._name.spellcheck = false;
    this._name.setAttribute('aria-label', trans.__('Pipeline name'));
    this._name.addEventListener('input', () => this._schedulePreview());
    this._nameProblem.className = 'jp-Plumbline-fieldProblem jp-Plumbline-nameProblem';
    this._nameProblem.setAttribute('aria-live', 'polite');

    this._schedule = new ScheduleForm(trans, {
      cron: '0 6 * * 1',
      timezone: Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC',
      catchup: 'latest',
      catchup_limit: 10,
      max_active_runs: 1
    });
    this._schedule.changed.connect(() => {
      // The form also signals when the server has checked it: the preview asked
      // with these fields stands, and asking again would disable Create meanwhile.
      if (JSON.stringify(this._schedule.value) !== this._scheduleAsked) {
        this._schedulePreview();
      }
      this._updateBlocked();
    });

    this._status.className = 'jp-Plumbline-previewStatus';
    this._status.setAttribute('aria-live', 'polite');
    this._kernelStatus.className = 'jp-Plumbline-kernelStatus';
    this._graph.className = 'jp-Plumbline-promoteGraph';
    this._edges.className = 'jp-Plumbline-promoteEdges';
    this._reading.className = 'jp-Plumbline-promoteReading';
    this._problems.className = 'jp-Plumbline-promoteProblems';
    this._parameters.className = 'jp-Plumbline-promoteParameters';
    this._environment.className = 'jp-Plumbline-promoteEnvironment';

    const left = el(
      'div',
      'jp-Plumbline-promoteColumn',
      el(
        'label',
        'jp-Plumbline-formRow',
        el('span', 'jp-Plumbline-formLabel', trans.__('Name')),
        this._name
      ),
      this._nameProblem,
      el('div', 'jp-Plumbline-formHint', trans.__('Notebook: %1', _context.notebookPath)),
      this._status,
      section(trans.__('Graph'), this._graph, this._edges),
      section(trans.__('Problems'), this._problems),
      section(trans.__('How the cells become tasks'), this._reading)
    );
    const right = el(
      'div',
      'jp-Plumbline-promoteColumn',
      section(trans.__('Parameters and data interval'), this._parameters),
      this._schedule.node,
      this._taskOptions(),
      section(trans.__('Environment'), this._kernelStatus, this._environment)
    );
    this.node.append(left, right);
    void this._preview();
  }

  /** The pipeline once created. */
  created: ISummary | null = null;
  /** Told when Create must be disabled (errors, an unchecked or invalid schedule) or enabled again. */
  blockedChanged?: (blocked: boolean) => void;

  get blocked(): boolean {
    return !this._model || !this._model.ok || this._schedule.valid !== true || this._previewing;
  }

  /** Create the pipeline with what the dialog shows; false (said in place) when refused. */
  async submit(): Promise<boolean> {
    const trans = this._context.trans;
    await this._schedule.checked;
    if (this._schedule.valid === false) {
      this._schedule.showProblem(this._schedule.error);
      return false;
    }
    const error = this._optionsError();
    if (error) {
      this._setStatus(error, true);
      return false;
    }
    if (this._model && !this._model.ok) {
      this._setStatus(trans.__('Fix the problems marked as errors first: nothing was written.'), true);
      return false;
    }
    try {
      const result = await createPipeline(this._request());
      this.created = result.pipeline;
      return true;
    } catch (error) {
      const problems = problemsOf(error);
      if (problems.length) {
        // The server's verdict, said where it applies (the name, the schedule, the range).
        this._render(
          dialogModel({ ...(this._preview_ as IPreview), ok: false, problems })
        );
      }
      this._setStatus(trans.__('Not created: %1', (error as Error).message), true);
      return false;
    }
  }

  private _taskOptions(): HTMLElement {
    const trans = this._context.trans;
    const number = (value: number | null, min: number, max: number, label: string, className: string) => {
      const input = el('input', `jp-mod-styled jp-Plumbline-number ${className}`);
      input.type = 'number';
      input.min = String(min);
      input.max = String(max);
      input.value = value === null ? '' : String(value);
      input.setAttribute('aria-label', label);
      input.addEventListener('change', () => this._schedulePreview());
      return input;
    };
    this._retries = number(DEFAULT_OPTIONS.retries, 0, 100, trans.__('Retries'), 'jp-Plumbline-retries');
    this._delay = number(DEFAULT_OPTIONS.retry_delay_seconds, 0, 86400, trans.__('Retry delay (seconds)'), 'jp-Plumbline-retryDelay');
    this._timeout = number(DEFAULT_OPTIONS.timeout_seconds, 1, 604800, trans.__('Timeout (seconds)'), 'jp-Plumbline-timeout');
    this._parallel = number(DEFAULT_OPTIONS.parallelism, 1, 64, trans.__('Tasks at once'), 'jp-Plumbline-parallelism');
    this._reuse.type = 'checkbox';
    this._reuse.className = 'jp-Plumbline-reuse';
    this._reuse.addEventListener('change', () => this._schedulePreview());
    const row = (label: string, ...fields: HTMLElement[]) =>
      el('label', 'jp-Plumbline-formRow', el('span', 'jp-Plumbline-formLabel', label), ...fields);
    const node = el(
      'fieldset',
      'jp-Plumbline-taskOptions',
      el('legend', '', trans.__('Each task')),
      row(trans.__('Retries'), this._retries, el('span', 'jp-Plumbline-formUnit', trans.__('after')), this._delay, el('span', 'jp-Plumbline-formUnit', trans.__('s'))),
      row(trans.__('Timeout'), this._timeout, el('span', 'jp-Plumbline-formUnit', trans.__('s (empty: none; the task and every process it started are stopped)'))),
      row(trans.__('Tasks at once'), this._parallel),
      el(
        'label',
        'jp-Plumbline-formRow',
        this._reuse,
        el('span', '', trans.__('Reuse a task\'s outputs when its code, inputs and parameters are unchanged (recorded as reused)'))
      )
    );
    return node;
  }

  private _options(): ITaskOptions {
    const num = (input: HTMLInputElement, fallback: number) => (input.value.trim() === '' ? fallback : Number(input.value));
    return {
      retries: num(this._retries, 0),
      retry_delay_seconds: num(this._delay, 60),
      timeout_seconds: this._timeout.value.trim() === '' ? null : Number(this._timeout.value),
      parallelism: num(this._parallel, 2),
      reuse: this._reuse.checked
    };
  }

  private _optionsError(): string | null {
    const trans = this._context.trans;
    for (const input of [this._retries, this._delay, this._timeout, this._parallel]) {
      if (!input.checkValidity() || (input.value.trim() !== '' && !Number.isFinite(Number(input.value)))) {
        return trans.__('%1 must be a number between %2 and %3.', input.getAttribute('aria-label') ?? '', input.min, input.max);
      }
    }
    if (!Number.isInteger(Number(this._retries.value || 0)) || !Number.isInteger(Number(this._parallel.value || 1))) {
      return trans.__('Retries and tasks at once are whole numbers.');
    }
    return null;
  }

  private _request(): IPromotion {
    return {
      notebook: this._context.notebookPath,
      name: this._name.value.trim() || null,
      cell_ids: this._cellIds,
      schedule: this._schedule.value,
      options: this._options(),
      kernel: this._kernel,
      content: this._context.content()
    };
  }

  private _schedulePreview(): void {
    this._scheduleAsked = JSON.stringify(this._schedule.value);
    window.clearTimeout(this._timer);
    this._previewing = true;
    this._updateBlocked();
    this._timer = window.setTimeout(() => void this._preview(), 300);
  }

  private async _preview(): Promise<void> {
    const trans = this._context.trans;
    const ask = ++this._asked;
    this._scheduleAsked = JSON.stringify(this._schedule.value);
    this._previewing = true;
    this._updateBlocked();
    this._setStatus(trans.__('Reading the cells…'));
    if (this._optionsError()) {
      this._setStatus(this._optionsError()!, true);
      this._previewing = false;
      return;
    }
    let preview: IPreview;
    try {
      const sent = this._kernel;
      preview = await previewPromotion(this._request());
      if (ask !== this._asked) {
        return;
      }
      // The live kernel knows what static analysis and recorded runs cannot: ask it
      // about the variables that cross (once per set of names; a preview asked
      // meanwhile waits for the same answer), then compile again with it.
      const { names, imports } = probeRequest(preview);
      const key = JSON.stringify([names, imports]);
      const probe = this._context.probe;
      if (probe && names.length) {
        if (key !== this._probed || !this._probing) {
          this._probed = key;
          this._setStatus(trans.__('Asking the kernel about %1…', names.join(', ')));
          this._probing = probe(names, imports).then(({ answer, problem }) => {
            this._kernel = answer;
            this._kernelProblem = problem;
          });
        }
        await this._probing;
        if (ask !== this._asked) {
          return;
        }
        if (this._kernel && this._kernel !== sent) {
          preview = await previewPromotion(this._request());
        }
      }
    } catch (error) {
      if (ask === this._asked) {
        this._setStatus(trans.__('The cells could not be read: %1', (error as Error).message), true);
        this._previewing = false;
        this._model = null;
        this._updateBlocked();
      }
      return;
    }
    if (ask !== this._asked) {
      return;
    }
    this._preview_ = preview;
    this._previewing = false;
    this._render(dialogModel(preview));
  }

  private _render(model: IDialogModel): void {
    const trans = this._context.trans;
    this._model = model;
    const preview = this._preview_!;
    this.node.dataset.ok = String(model.ok);

    this._nameProblem.textContent = model.nameProblem ?? '';
    this._nameProblem.hidden = !model.nameProblem;
    this._name.setAttribute('aria-invalid', String(!!model.nameProblem));
    if (model.scheduleProblem) {
      this._schedule.showProblem(model.scheduleProblem);
    }

    const cells = preview.cells;
    this._setStatus(
      model.ok
        ? trans.__('%1 cells → %2 tasks. Nothing is written until you create the pipeline.', cells.length, model.tasks.length)
        : trans._n('%1 error stops the promotion.', '%1 errors stop the promotion.', model.errors),
      !model.ok
    );

    // The DAG and what crosses each edge.
    if (model.tasks.length) {
      this._graph.replaceChildren(dagSvg(model, trans, { label: trans.__('Tasks of the pipeline') }));
    } else {
      this._graph.replaceChildren(el('p', 'jp-Plumbline-message', trans.__('No task yet.')));
    }
    const rows = model.edges.flatMap(edge =>
      edge.variables.map(v => {
        const type = el('span', 'jp-Plumbline-varType', v.short);
        type.title = v.type;
        return {
          cells: [`${edge.from} → ${edge.to}`, el('code', '', v.name), type, v.format, seenLabel(v.seen, trans)],
          attrs: { 'data-variable': v.name, 'data-format': v.format }
        };
      })
    );
    this._edges.replaceChildren(
      rows.length
        ? table('jp-Plumbline-edgeTable', [trans.__('edge'), trans.__('variable'), trans.__('type'), trans.__('stored as'), trans.__('type from')], rows)
        : el('p', 'jp-Plumbline-hint', trans.__('No variable crosses between tasks.'))
    );

    // Problems, each with its fix.
    this._problems.replaceChildren(
      ...(model.problems.length
        ? model.problems.map(problem => {
            const item = el(
              'div',
              `jp-Plumbline-problem jp-mod-severity-${problem.severity}`,
              el('span', 'jp-Plumbline-problemSeverity', problem.severity === 'error' ? trans.__('error') : trans.__('warning')),
              el('span', 'jp-Plumbline-problemMessage', problem.message),
              el('div', 'jp-Plumbline-problemFix', trans.__('Fix: %1', problem.fix))
            );
            item.dataset.code = problem.code;
            const action = this._actionButton(problem.action);
            if (action) {
              item.append(action);
            }
            return item;
          })
        : [el('p', 'jp-Plumbline-hint', trans.__('No problems found.'))])
    );

    // How the cells were read: prelude, folded cells (offered as components), recorded lineage.
    const reading: HTMLElement[] = [];
    if (model.prelude.length) {
      reading.push(
        el('p', 'jp-Plumbline-prelude', trans._n(
          'Prelude: cell %2 only imports, defines or sets constants; every task runs it first.',
          'Prelude: cells %2 only import, define or set constants; every task runs them first.',
          model.prelude.length,
          model.prelude.join(', ')
        ))
      );
    }
    for (const folded of model.folded) {
      const item = el('div', 'jp-Plumbline-folded', el('span', '', folded.message));
      item.append(
        button(
          trans._n('Make cell %2 a component', 'Make cells %2 components', folded.cells.length, folded.cells.join(', ')),
          () => this._act({ kind: 'component', cells: folded.cells }),
          { className: 'jp-Plumbline-makeComponent' }
        )
      );
      reading.push(item);
    }
    for (const note of model.lineageNotes) {
      reading.push(el('p', 'jp-Plumbline-lineageNote', trans.__('Recorded lineage wins: %1', note.message)));
    }
    for (const note of model.otherNotes) {
      reading.push(el('p', 'jp-Plumbline-note', note.message));
    }
    this._reading.replaceChildren(...(reading.length ? reading : [el('p', 'jp-Plumbline-hint', trans.__('One task per component; nothing folded.'))]));

    // Parameters and the data interval.
    const parameters = model.parameters.length
      ? table(
          'jp-Plumbline-parameterTable',
          [trans.__('parameter'), trans.__('type'), trans.__('default')],
          model.parameters.map(p => ({ cells: [el('code', '', p.name), p.type, el('code', '', p.default)], attrs: { 'data-parameter': p.name } }))
        )
      : el('p', 'jp-Plumbline-hint', trans.__('No cell is tagged "parameters". Tag one (papermill\'s convention) with literal values such as rows = 2000 to override them per run.'));
    this._parameters.replaceChildren(
      parameters,
      el(
        'p',
        'jp-Plumbline-interval',
        trans.__(
          'Every task also gets the run\'s data interval as timezone-aware datetimes: %1 (the fire slot), %2 (the slot before it) and %3 (= the logical date). "Every Monday, score last week\'s flights" reads data_interval_start to data_interval_end; no date arithmetic in the notebook.',
          model.interval[0] ?? 'logical_date',
          model.interval[1] ?? 'data_interval_start',
          model.interval[2] ?? 'data_interval_end'
        )
      )
    );

    // The environment recorded at promotion.
    const environment = preview.environment;
    this._kernelStatus.textContent = this._kernel
      ? trans.__('Types and formats checked against the live kernel.')
      : this._context.probe
        ? trans.__('The kernel was not asked (%1); types come from the recorded runs.', this._kernelProblem ?? trans.__('nothing crosses yet'))
        : trans.__('The notebook has no kernel: types come from the recorded runs. Run the cells for the best check.');
    this._kernelStatus.dataset.kernel = String(!!this._kernel);
    const packages = Object.entries(environment?.packages ?? {});
    this._environment.replaceChildren(
      ...(environment
        ? [
            el('div', '', trans.__('Python %1', environment.python ?? '?')),
            el('div', 'jp-Plumbline-packages', packages.map(([name, version]) => `${name} ${version ?? '?'}`).join(' · '))
          ]
        : [])
    );
    this._updateBlocked();
  }

  private _actionButton(action: FixAction | null): HTMLElement | null {
    const trans = this._context.trans;
    if (!action) {
      return null;
    }
    switch (action.kind) {
      case 'include':
        return button(trans.__('Include cell %1', action.cell), () => this._act(action), { className: 'jp-Plumbline-fixAction' });
      case 'reveal':
        return button(trans.__('Go to cell %1', action.cell), () => this._act(action), { className: 'jp-Plumbline-fixAction jp-mod-reveal' });
      default:
        return null;
    }
  }

  private _act(action: FixAction): void {
    const context = this._context;
    if (action.kind === 'include') {
      const id = context.cellIdAt(action.cell);
      if (id) {
        this._cellIds = this._cellIds ? [...this._cellIds, id] : null;
      }
    } else if (action.kind === 'component') {
      context.makeComponents(action.cells);
    } else if (action.kind === 'reveal') {
      context.revealCell(action.cell);
      return;
    }
    this._probing = null; // new crossing variables, values may have changed: ask the kernel again
    this._schedulePreview();
  }

  private _setStatus(text: string, isError = false): void {
    this._status.textContent = text;
    this._status.dataset.state = isError ? 'error' : 'ok';
  }

  private _updateBlocked(): void {
    this.blockedChanged?.(this.blocked);
  }

  private _name = el('input');
  private _nameProblem = el('div');
  private _schedule: ScheduleForm;
  private _status = el('div');
  private _kernelStatus = el('div');
  private _graph = el('div');
  private _edges = el('div');
  private _reading = el('div');
  private _problems = el('div');
  private _parameters = el('div');
  private _environment = el('div');
  private _retries!: HTMLInputElement;
  private _delay!: HTMLInputElement;
  private _timeout!: HTMLInputElement;
  private _parallel!: HTMLInputElement;
  private _reuse = el('input');
  private _cellIds: string[] | null;
  private _model: IDialogModel | null = null;
  private _preview_: IPreview | null = null;
  private _kernel: IProbeAnswer | null = null;
  private _kernelProblem: string | null = null;
  private _probed = '';
  private _probing: Promise<void> | null = null;
  private _previewing = true;
  /** The schedule fields the latest preview was asked with. */
  private _scheduleAsked = '';
  private _asked = 0;
  private _timer = 0;
}

function section(title: string, ...children: HTMLElement[]): HTMLElement {
  return el('section', 'jp-Plumbline-promoteSection', el('h3', 'jp-Plumbline-sectionTitle', title), ...children);
}

function seenLabel(seen: string, trans: TranslationBundle): string {
  switch (seen) {
    case 'kernel':
      return trans.__('live kernel');
    case 'recorded':
      return trans.__('recorded run');
    default:
      return trans.__('code only');
  }
}

