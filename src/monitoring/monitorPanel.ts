/**
 * One monitor's panel in a main-area tab: the payload is built from the
 * replica (`monitors` + `monitor_windows`, src/queries/monitors.ts) and drawn
 * by the same view as the inline output; it is drawn again whenever the
 * replica brings a change to this monitor (a batch logged, feedback joined,
 * by a notebook or a scheduled pipeline), keeping the user's toggle and metric.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { ChartTheme } from '../charts/vega';
import { findMonitor, monitorPayload } from '../queries/monitors';
import { MonitorPayloadError, parseMonitorPayload } from '../renderers/monitorModel';
import { IMonitorViewState, MonitorView } from '../renderers/monitorView';
import { ReplicaSync } from '../replica/sync';
import { button, el } from '../ui/dom';
import { formatWhen } from '../ui/format';

export interface IMonitorPanelOptions {
  /** The monitor's id (or its name, for a command given only the name). */
  monitor: string;
  sync: ReplicaSync;
  trans: TranslationBundle;
  theme: ChartTheme;
}

export class MonitorPanel extends Widget {
  constructor(private readonly _options: IMonitorPanelOptions) {
    super();
    this.addClass('jp-Plumbline-monitorPanel');
    this._key = _options.monitor;
    this.title.label = _options.trans.__('Monitor');
    this.node.dataset.state = 'loading';
    _options.sync.changed.connect(this._changed, this);
    this._clock = window.setInterval(() => this.isVisible && this._stamp(), 30000);
    this._draw();
  }

  /** The monitor's id once known (what the layout restorer keeps). */
  get monitorId(): string {
    return this._id ?? this._key;
  }

  get monitorName(): string {
    return this._name;
  }

  /** Refresh the replica, then draw again (the Retry button's action). */
  async reload(): Promise<void> {
    await this._options.sync.refresh().catch(() => undefined);
    this._version = -1;
    this._draw();
  }

  dispose(): void {
    window.clearInterval(this._clock);
    this._options.sync.changed.disconnect(this._changed, this);
    this._view?.dispose();
    this._view = null;
    super.dispose();
  }

  protected onAfterShow(msg: Message): void {
    if (this._dirty) {
      this._draw();
    }
  }

  private _changed(): void {
    if (this.isVisible) {
      this._draw();
    } else {
      this._dirty = true;
    }
  }

  private _draw(): void {
    if (this.isDisposed) {
      return;
    }
    this._dirty = false;
    const { trans, sync, theme } = this._options;
    const replica = sync.replica;
    if (!replica) {
      this.node.replaceChildren(el('div', 'jp-Plumbline-hint', trans.__('Loading the lineage store…')));
      void sync.refresh().catch(() => undefined);
      return;
    }
    const row = findMonitor(replica.db, this._id ?? this._key);
    if (!row) {
      this._problem(
        this._id
          ? trans.__('Monitor %1 is no longer in the store.', this._name || this._key)
          : trans.__('No monitor %1 in the store (yet). It appears once the monitor has been created and the store refreshed.', this._key)
      );
      return;
    }
    if (row.version === this._version && this._view) {
      return; // nothing of this monitor changed
    }
    this._id = row.id;
    this._name = row.name;
    this._updatedAt = row.updatedAt;
    this.title.label = trans.__('Monitor %1', row.name);
    this.title.caption = trans.__('Monitor %1: estimated and realized %2 per window', row.name, row.primaryMetric);
    this.node.dataset.monitor = row.name;
    let payload;
    try {
      payload = parseMonitorPayload(monitorPayload(replica.db, row.id), trans);
    } catch (error) {
      if (!(error instanceof MonitorPayloadError)) {
        throw error;
      }
      this._problem(error.message);
      return;
    }
    const state: Partial<IMonitorViewState> | undefined = this._view?.state ?? this._state;
    const scroll = this.node.scrollTop;
    this._view?.dispose();
    this._view = new MonitorView(payload, {
      trans,
      theme,
      state,
      updated: this._updatedText(),
      onStateChanged: s => (this._state = s)
    });
    this.node.replaceChildren(this._view.node);
    this.node.scrollTop = scroll;
    this._version = row.version;
    this.node.dataset.version = String(row.version);
    this.node.dataset.state = 'ready';
  }

  private _updatedText(): string {
    const { trans } = this._options;
    return this._updatedAt !== null ? trans.__('updated %1', formatWhen(this._updatedAt, trans)) : '';
  }

  /** Keep "updated 5 min ago" true without drawing the chart again. */
  private _stamp(): void {
    const meta = this._view?.node.querySelector('.jp-Plumbline-monitorMeta');
    if (meta && this._view && this._updatedAt !== null) {
      const parts = (meta.textContent ?? '').split(' · ');
      parts[parts.length - 1] = this._updatedText();
      meta.textContent = parts.join(' · ');
    }
  }

  private _problem(message: string): void {
    this._view?.dispose();
    this._view = null;
    this._version = -1;
    this.node.dataset.state = 'error';
    this.node.replaceChildren(
      el('div', 'jp-Plumbline-monitorError', message),
      button(this._options.trans.__('Retry'), () => void this.reload())
    );
  }

  private _key: string;
  private _id: string | null = null;
  private _name = '';
  private _updatedAt: number | null = null;
  private _version = -1;
  private _dirty = false;
  private _state: IMonitorViewState | undefined;
  private _view: MonitorView | null = null;
  private _clock: number;
}
