/**
 * The schedule fields of the promote and edit-schedule dialogs: presets, a cron
 * expression in words while typing (cronstrue), and — from the server's
 * schedules/preview, the one home of cron semantics — whether it is valid and
 * its next five fire times in the chosen IANA timezone; catch-up policy and
 * max concurrent runs.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

import { el } from '../ui/dom';
import { IScheduleAnswer, IScheduleOptions, previewSchedule } from './api';
import { cronWords, formatLocal } from './words';

/** Presets offered before the server's own list arrives (the server sends the same). */
const PRESETS: { label: string; cron: string | null }[] = [
  { label: 'Only when asked (no schedule)', cron: null },
  { label: 'Every hour', cron: '0 * * * *' },
  { label: 'Every day at 06:00', cron: '0 6 * * *' },
  { label: 'Every Monday at 06:00', cron: '0 6 * * 1' },
  { label: 'Weekdays at 06:00', cron: '0 6 * * 1-5' },
  { label: 'First day of the month at 06:00', cron: '0 6 1 * *' }
];

function timezones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (key: string) => string[] };
  try {
    return intl.supportedValuesOf?.('timeZone') ?? [];
  } catch {
    return [];
  }
}

export class ScheduleForm {
  constructor(
    private readonly _trans: TranslationBundle,
    initial: IScheduleOptions
  ) {
    const trans = _trans;
    this.node = el('fieldset', 'jp-Plumbline-schedule');
    this.node.append(el('legend', '', trans.__('Schedule')));

    this._preset.className = 'jp-mod-styled jp-Plumbline-preset';
    this._preset.setAttribute('aria-label', trans.__('Schedule preset'));
    for (const preset of PRESETS) {
      const option = el('option', '', trans.__(preset.label));
      option.value = preset.cron ?? '';
      this._preset.append(option);
    }
    this._preset.append(Object.assign(el('option', '', trans.__('Custom cron expression')), { value: 'custom' }));

    this._cron.className = 'jp-mod-styled jp-Plumbline-cron';
    this._cron.placeholder = '0 6 * * 1';
    this._cron.spellcheck = false;
    this._cron.setAttribute('aria-label', trans.__('Cron expression'));
    this._cron.value = initial.cron ?? '';
    this._timezone.className = 'jp-mod-styled jp-Plumbline-timezone';
    this._timezone.setAttribute('aria-label', trans.__('Timezone (IANA)'));
    this._timezone.value = initial.timezone || Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
    const list = el('datalist');
    list.id = `jp-Plumbline-timezones-${Private.counter++}`;
    for (const zone of timezones()) {
      list.append(Object.assign(el('option'), { value: zone }));
    }
    this._timezone.setAttribute('list', list.id);

    this._catchup.className = 'jp-mod-styled jp-Plumbline-catchup';
    this._catchup.setAttribute('aria-label', trans.__('Catch-up policy'));
    for (const [value, label] of [
      ['none', trans.__('none: skip slots missed while nothing ran')],
      ['latest', trans.__('latest: run the most recent missed slot once')],
      ['all', trans.__('all: run every missed slot (at most the limit)')]
    ]) {
      this._catchup.append(Object.assign(el('option', '', label), { value }));
    }
    this._catchup.value = initial.catchup;
    this._limit.type = 'number';
    this._limit.min = '1';
    this._limit.max = '1000';
    this._limit.className = 'jp-mod-styled jp-Plumbline-number jp-Plumbline-catchupLimit';
    this._limit.value = String(initial.catchup_limit);
    this._limit.setAttribute('aria-label', trans.__('Catch-up limit'));
    this._active.type = 'number';
    this._active.min = '1';
    this._active.max = '100';
    this._active.className = 'jp-mod-styled jp-Plumbline-number jp-Plumbline-maxActive';
    this._active.value = String(initial.max_active_runs);
    this._active.setAttribute('aria-label', trans.__('Max concurrent runs'));

    this._words.className = 'jp-Plumbline-cronWords';
    this._status.className = 'jp-Plumbline-cronStatus';
    this._status.setAttribute('aria-live', 'polite');
    this._next.className = 'jp-Plumbline-nextFires';

    const row = (label: string, ...fields: HTMLElement[]) =>
      el('label', 'jp-Plumbline-formRow', el('span', 'jp-Plumbline-formLabel', label), ...fields);
    this._cronRow = row(trans.__('Cron'), this._cron);
    this._zoneRow = row(trans.__('Timezone'), this._timezone, list);
    this.node.append(
      row(trans.__('Runs'), this._preset),
      this._cronRow,
      this._zoneRow,
      this._words,
      this._status,
      this._next,
      row(trans.__('Catch-up'), this._catchup, this._limit),
      row(trans.__('Max concurrent runs'), this._active)
    );
    this._syncPreset();
    this._changed();

    this._preset.addEventListener('change', () => {
      if (this._preset.value !== 'custom') {
        this._cron.value = this._preset.value;
      }
      this._changed();
    });
    for (const input of [this._cron, this._timezone]) {
      input.addEventListener('input', () => {
        this._syncPreset();
        this._changed();
      });
    }
    for (const input of [this._catchup, this._limit, this._active]) {
      input.addEventListener('change', () => this._emit());
    }
  }

  readonly node: HTMLFieldSetElement;

  /** Emitted when a field changed (after the server answered, for cron and timezone). */
  get changed(): ISignal<this, void> {
    return this._changedSignal;
  }

  get value(): IScheduleOptions {
    const cron = this._cron.value.trim();
    return {
      cron: cron ? cron : null,
      timezone: this._timezone.value.trim() || 'UTC',
      catchup: this._catchup.value,
      catchup_limit: Number(this._limit.value) || 10,
      max_active_runs: Number(this._active.value) || 1
    };
  }

  /** The server's word on the current cron and timezone: true valid, false refused, null not asked yet. */
  get valid(): boolean | null {
    return this._valid;
  }

  /** Why the server refuses the schedule, or null. */
  get error(): string | null {
    return this._error;
  }

  /** Resolves once the server answered for the fields as they are now. */
  get checked(): Promise<void> {
    return this._pending ?? Promise.resolve();
  }

  /** Show a refusal of the schedule that came from elsewhere (create, update). */
  showProblem(message: string | null): void {
    if (message) {
      this._status.textContent = message;
      this._status.dataset.state = 'invalid';
    }
  }

  private _syncPreset(): void {
    const cron = this._cron.value.trim();
    const preset = PRESETS.find(p => (p.cron ?? '') === cron);
    this._preset.value = preset ? preset.cron ?? '' : 'custom';
    this._cronRow.hidden = false;
    this._zoneRow.hidden = !cron;
    const words = cron ? cronWords(cron) : this._trans.__('Runs only when asked: Run now, a backfill or Airflow.');
    this._words.textContent = words;
  }

  private _changed(): void {
    window.clearTimeout(this._timer);
    this._valid = null;
    this._status.textContent = this._trans.__('Checking the schedule…');
    this._status.dataset.state = 'checking';
    this._pending = new Promise(resolve => {
      this._resolvePending = resolve;
      this._timer = window.setTimeout(() => void this._check(), 250);
    });
    this._emit();
  }

  private async _check(): Promise<void> {
    const { cron, timezone } = this.value;
    const ask = ++this._asked;
    const done = () => {
      if (ask === this._asked) {
        this._resolvePending?.();
        this._pending = null;
        this._emit();
      }
    };
    if (!cron) {
      this._valid = true;
      this._error = null;
      this._status.textContent = '';
      this._status.dataset.state = 'valid';
      this._next.replaceChildren();
      done();
      return;
    }
    let answer: IScheduleAnswer;
    try {
      answer = await previewSchedule(cron, timezone);
    } catch (error) {
      if (ask === this._asked) {
        this._valid = false;
        this._error = (error as Error).message;
        this._status.textContent = this._trans.__('The schedule could not be checked: %1', this._error);
        this._status.dataset.state = 'invalid';
      }
      done();
      return;
    }
    if (ask !== this._asked) {
      return;
    }
    this._valid = answer.valid;
    this._error = answer.valid ? null : answer.error;
    this._status.dataset.state = answer.valid ? 'valid' : 'invalid';
    if (!answer.valid) {
      this._status.textContent = answer.error ?? this._trans.__('Not a valid schedule.');
      this._next.replaceChildren();
    } else {
      // The server's words are the scheduler's own; the typed-along words may be
      // from cronstrue, which cannot read every expression croniter can.
      if (!this._words.textContent && answer.description) {
        this._words.textContent = answer.description;
      }
      this._status.textContent = answer.airflow
        ? this._trans.__('Next fire times in %1:', answer.timezone)
        : this._trans.__('Next fire times in %1 (a seconds field: this pipeline cannot be exported to Airflow):', answer.timezone);
      this._next.replaceChildren(
        ...answer.next.map(fire => {
          const item = el('li', 'jp-Plumbline-nextFire', formatLocal(fire.local));
          item.title = this._trans.__('%1 UTC', fire.at.replace('T', ' ').replace('Z', ''));
          return item;
        })
      );
    }
    done();
  }

  private _emit(): void {
    this._changedSignal.emit();
  }

  private _preset = el('select');
  private _cron = el('input');
  private _timezone = el('input');
  private _catchup = el('select');
  private _limit = el('input');
  private _active = el('input');
  private _words = el('div');
  private _status = el('div');
  private _next = el('ol');
  private _cronRow: HTMLElement;
  private _zoneRow: HTMLElement;
  private _valid: boolean | null = null;
  private _error: string | null = null;
  private _timer = 0;
  private _asked = 0;
  private _pending: Promise<void> | null = null;
  private _resolvePending: (() => void) | null = null;
  private _changedSignal = new Signal<this, void>(this);
}

namespace Private {
  export let counter = 0;
}
