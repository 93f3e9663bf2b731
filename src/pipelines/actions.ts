/**
 * What the Pipelines panel does to a pipeline, each through the REST API with
 * the server's answer told by a notification: run now (with parameter
 * overrides), pause/resume, backfill a date range, edit the schedule, delete
 * (runs and lineage are kept), start or dismiss a monitor's request for a run.
 */
import { Dialog, Notification, showDialog } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { el } from '../ui/dom';
import type { ITriggerRequest } from '../queries/pipelines';
import {
  backfill,
  decideTriggerRequest,
  deletePipeline,
  fetchPipeline,
  IParameter,
  problemsOf,
  runNow,
  setPaused,
  setSchedule
} from './api';
import { defaultText, overrides } from './model';
import { ScheduleForm } from './scheduleForm';
import { ISubmitBody, SubmitDialog } from './submitDialog';

function failed(trans: TranslationBundle, what: string, error: unknown): void {
  const problems = problemsOf(error).filter(p => p.severity === 'error');
  Notification.error(
    trans.__('%1: %2', what, (error as Error).message) + (problems[0] ? ` ${problems[0].fix}` : ''),
    { autoClose: 10000 }
  );
}

function row(label: string, ...fields: HTMLElement[]): HTMLElement {
  return el('label', 'jp-Plumbline-formRow', el('span', 'jp-Plumbline-formLabel', label), ...fields);
}

class RunNowBody extends Widget implements ISubmitBody {
  constructor(
    private readonly _name: string,
    private readonly _parameters: IParameter[],
    private readonly _trans: TranslationBundle
  ) {
    super();
    const trans = _trans;
    this.addClass('jp-Plumbline-runNow');
    this.node.append(
      el('p', 'jp-Plumbline-hint', _parameters.length
        ? trans.__('Run %1 now. Change a parameter to override it for this run only.', _name)
        : trans.__('Run %1 now. It has no parameters (tag a cell "parameters" to have some).', _name))
    );
    for (const parameter of _parameters) {
      const input = el('input', 'jp-mod-styled jp-Plumbline-parameterInput');
      input.value = defaultText(parameter);
      input.dataset.parameter = parameter.name;
      input.setAttribute('aria-label', parameter.name);
      input.addEventListener('input', () => this._validate());
      this._inputs.set(parameter.name, input);
      this.node.append(row(`${parameter.name} (${parameter.type})`, input));
    }
    this._status.className = 'jp-Plumbline-fieldProblem';
    this.node.append(this._status);
  }

  runId: string | null = null;
  blockedChanged?: (blocked: boolean) => void;

  private _texts(): { [name: string]: string } {
    return Object.fromEntries([...this._inputs].map(([name, input]) => [name, input.value]));
  }

  private _validate(): string[] {
    const { errors } = overrides(this._parameters, this._texts(), (m, ...a) => this._trans.__(m, ...a));
    this._status.textContent = errors.join(' ');
    // Not setCustomValidity: the dialog would keep refusing to close after the fix.
    for (const [name, input] of this._inputs) {
      input.setAttribute('aria-invalid', String(errors.some(e => e.startsWith(`${name} `))));
    }
    this.blockedChanged?.(errors.length > 0);
    return errors;
  }

  async submit(): Promise<boolean> {
    if (this._validate().length) {
      return false;
    }
    const { params } = overrides(this._parameters, this._texts(), (m, ...a) => this._trans.__(m, ...a));
    try {
      this.runId = (await runNow(this._name, params)).run.id;
      return true;
    } catch (error) {
      this._status.textContent = (error as Error).message;
      return false;
    }
  }

  private _inputs = new Map<string, HTMLInputElement>();
  private _status = el('div');
}

export async function runNowDialog(name: string, trans: TranslationBundle): Promise<string | null> {
  let parameters: IParameter[] = [];
  try {
    parameters = (await fetchPipeline(name, 0)).spec?.parameters ?? [];
  } catch (error) {
    failed(trans, trans.__('Could not read pipeline %1', name), error);
    return null;
  }
  const body = new RunNowBody(name, parameters, trans);
  const ok = await new SubmitDialog(body, {
    title: trans.__('Run %1 now', name),
    cancel: trans.__('Cancel'),
    accept: trans.__('Run'),
    className: 'jp-Plumbline-runNowDialog'
  }).run();
  if (ok && body.runId) {
    Notification.success(trans.__('Pipeline %1: run %2 queued; it starts at once.', name, body.runId.slice(0, 8)), { autoClose: 4000 });
    return body.runId;
  }
  return null;
}

export async function decideRequest(
  request: ITriggerRequest,
  action: 'start' | 'dismiss',
  trans: TranslationBundle
): Promise<void> {
  try {
    await decideTriggerRequest(request.id, action);
    Notification.success(
      action === 'start'
        ? trans.__('Run of %1 started, as monitor %2 asked.', request.pipeline, request.monitor)
        : trans.__('Request of monitor %1 dismissed: %2 does not run.', request.monitor, request.pipeline),
      { autoClose: 5000 }
    );
  } catch (error) {
    failed(trans, trans.__('Could not decide the request of monitor %1', request.monitor), error);
  }
}

export async function togglePaused(name: string, paused: boolean, trans: TranslationBundle): Promise<void> {
  try {
    await setPaused(name, paused);
    Notification.success(
      paused
        ? trans.__('Pipeline %1 paused: no scheduled run starts until you resume it.', name)
        : trans.__('Pipeline %1 resumed: it runs from its next fire time (slots missed while paused are not caught up).', name),
      { autoClose: 5000 }
    );
  } catch (error) {
    failed(trans, paused ? trans.__('Could not pause %1', name) : trans.__('Could not resume %1', name), error);
  }
}

class BackfillBody extends Widget implements ISubmitBody {
  constructor(
    private readonly _name: string,
    timezone: string,
    private readonly _trans: TranslationBundle
  ) {
    super();
    const trans = _trans;
    this.addClass('jp-Plumbline-backfill');
    const day = (offset: number) => new Date(Date.now() - offset * 86400000).toISOString().slice(0, 10);
    for (const [input, label, value] of [
      [this._start, trans.__('From'), day(7)],
      [this._end, trans.__('To'), day(1)]
    ] as [HTMLInputElement, string, string][]) {
      input.type = 'date';
      input.className = 'jp-mod-styled jp-Plumbline-date';
      input.value = value;
      input.setAttribute('aria-label', label);
      this.node.append(row(label, input));
    }
    this._start.classList.add('jp-Plumbline-backfillStart');
    this._end.classList.add('jp-Plumbline-backfillEnd');
    this.node.prepend(
      el('p', 'jp-Plumbline-hint', trans.__('One run for every fire slot from the start of the first day to the end of the last (in %1) that has no run yet. The scheduler runs them, oldest first, as many at once as the pipeline allows.', timezone))
    );
    this._status.className = 'jp-Plumbline-fieldProblem';
    this.node.append(this._status);
  }

  result: { slots: number; created: unknown[]; skipped: number } | null = null;

  async submit(): Promise<boolean> {
    const trans = this._trans;
    if (!this._start.value || !this._end.value) {
      this._status.textContent = trans.__('Give both dates.');
      return false;
    }
    if (this._end.value < this._start.value) {
      this._status.textContent = trans.__('The end is before the start.');
      return false;
    }
    try {
      this.result = await backfill(this._name, this._start.value, `${this._end.value}T23:59:59`);
      return true;
    } catch (error) {
      this._status.textContent = (error as Error).message;
      return false;
    }
  }

  private _start = el('input');
  private _end = el('input');
  private _status = el('div');
}

export async function backfillDialog(name: string, timezone: string, trans: TranslationBundle): Promise<void> {
  const body = new BackfillBody(name, timezone, trans);
  const ok = await new SubmitDialog(body, {
    title: trans.__('Backfill %1', name),
    cancel: trans.__('Cancel'),
    accept: trans.__('Backfill'),
    className: 'jp-Plumbline-backfillDialog'
  }).run();
  if (ok && body.result) {
    Notification.success(
      trans.__('Pipeline %1: %2 run(s) queued for %3 slot(s); %4 slot(s) had a run already.', name, body.result.created.length, body.result.slots, body.result.skipped),
      { autoClose: 6000 }
    );
  }
}

class ScheduleBody extends Widget implements ISubmitBody {
  constructor(
    private readonly _name: string,
    private readonly _form: ScheduleForm
  ) {
    super();
    this.node.append(_form.node);
    _form.changed.connect(() => this.blockedChanged?.(_form.valid !== true));
  }

  blockedChanged?: (blocked: boolean) => void;

  async submit(): Promise<boolean> {
    await this._form.checked;
    if (this._form.valid !== true) {
      this._form.showProblem(this._form.error);
      return false;
    }
    try {
      await setSchedule(this._name, this._form.value);
      return true;
    } catch (error) {
      this._form.showProblem(problemsOf(error)[0]?.message ?? (error as Error).message);
      return false;
    }
  }
}

export async function scheduleDialog(
  pipeline: { name: string; cron: string | null; timezone: string; catchup: string; catchupLimit: number; maxActiveRuns: number },
  trans: TranslationBundle
): Promise<void> {
  const form = new ScheduleForm(trans, {
    cron: pipeline.cron,
    timezone: pipeline.timezone,
    catchup: pipeline.catchup,
    catchup_limit: pipeline.catchupLimit,
    max_active_runs: pipeline.maxActiveRuns
  });
  const ok = await new SubmitDialog(new ScheduleBody(pipeline.name, form), {
    title: trans.__('Schedule of %1', pipeline.name),
    cancel: trans.__('Cancel'),
    accept: trans.__('Save Schedule'),
    className: 'jp-Plumbline-scheduleDialog'
  }).run();
  if (ok) {
    Notification.success(trans.__('Pipeline %1: schedule saved.', pipeline.name), { autoClose: 4000 });
  }
}

export async function deleteDialog(name: string, folder: string, trans: TranslationBundle): Promise<boolean> {
  const result = await showDialog({
    title: trans.__('Delete pipeline %1?', name),
    body: trans.__(
      'It stops running and its generated files (%1) are removed. Its runs, task runs and their lineage are kept in the store: the runs sidebar and the lineage views still show them, and the name can be promoted again.',
      folder
    ),
    buttons: [Dialog.cancelButton({ label: trans.__('Cancel') }), Dialog.warnButton({ label: trans.__('Delete') })]
  });
  if (!result.button.accept) {
    return false;
  }
  try {
    const answer = await deletePipeline(name);
    Notification.success(
      answer.files_removed
        ? trans.__('Pipeline %1 deleted; its runs and lineage are kept.', name)
        : trans.__('Pipeline %1 deleted; its runs and lineage are kept. Its folder holds other files, so it was left in place.', name),
      { autoClose: 5000 }
    );
    return true;
  } catch (error) {
    failed(trans, trans.__('Could not delete %1', name), error);
    return false;
  }
}
