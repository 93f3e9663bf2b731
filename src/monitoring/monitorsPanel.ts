/**
 * The "Monitors" sidebar: every model monitor in the store (replica), with its
 * status, predictions, labels and when it was last updated, the most recently
 * updated first; a click opens the monitor's panel in a main-area tab. Monitors
 * fed by scheduled pipelines show up here without anyone watching a notebook.
 * Recorded values go in as text.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { refreshIcon } from '@jupyterlab/ui-components';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { IMonitorRow, monitorsList } from '../queries/monitors';
import { formatCount, kindLabel, metricLabel, statusLabel } from '../renderers/monitorModel';
import { ReplicaSync } from '../replica/sync';
import { el } from '../ui/dom';
import { formatWhen } from '../ui/format';

export const MONITORS_SIDEBAR_ID = 'plumbline-monitors';

export interface IMonitorsPanelOptions {
  sync: ReplicaSync;
  trans: TranslationBundle;
  open: (monitor: IMonitorRow) => void;
}

export class MonitorsPanel extends Widget {
  constructor(private readonly _options: IMonitorsPanelOptions) {
    super();
    const { trans } = _options;
    this.id = MONITORS_SIDEBAR_ID;
    this.addClass('jp-Plumbline-sidebar');
    this.addClass('jp-Plumbline-monitors');
    this.title.caption = trans.__('Plumbline: model monitors, estimated and realized performance');
    const refresh = el('button', 'jp-Plumbline-refresh jp-mod-styled');
    refresh.title = trans.__('Refresh monitors');
    refresh.setAttribute('aria-label', trans.__('Refresh monitors'));
    refreshIcon.element({ container: refresh });
    refresh.addEventListener('click', () => void _options.sync.refresh().catch(() => undefined));
    this._list.className = 'jp-Plumbline-monitorList';
    this._list.setAttribute('role', 'list');
    this._list.setAttribute('aria-label', trans.__('Monitors'));
    this.node.append(el('div', 'jp-Plumbline-header', el('h2', 'jp-Plumbline-title', trans.__('Monitors')), refresh), this._list);
    _options.sync.changed.connect(() => this.update(), this);
    this._clock = window.setInterval(() => this.isVisible && this.update(), 30000);
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
    if (!this.isVisible) {
      return;
    }
    const { trans, sync } = this._options;
    const replica = sync.replica;
    if (!replica) {
      this._list.replaceChildren(el('p', 'jp-Plumbline-message', trans.__('Loading the lineage store…')));
      return;
    }
    const monitors = monitorsList(replica.db);
    if (!monitors.length) {
      this._list.replaceChildren(
        el(
          'p',
          'jp-Plumbline-message',
          trans.__('No monitor yet. In a notebook: mon = plumbline.monitor("name", model=clf, reference=(X, y), window="1D"), then mon.log_predictions(X, ids=...).')
        )
      );
      return;
    }
    this._list.replaceChildren(...monitors.map(monitor => this._item(monitor)));
  }

  private _item(monitor: IMonitorRow): HTMLElement {
    const { trans } = this._options;
    const item = el('div', 'jp-Plumbline-monitorItem');
    item.setAttribute('role', 'listitem');
    item.tabIndex = 0;
    item.dataset.monitor = monitor.name;
    item.dataset.status = monitor.status;
    const status = el('span', `jp-Plumbline-monitorStatus jp-mod-${monitor.status.replace(/[\s_]+/g, '-')}`, statusLabel(monitor.status, trans));
    if (monitor.alerts) {
      status.title = trans._n('%1 window with an alert', '%1 windows with an alert', monitor.alerts);
    }
    item.append(el('div', 'jp-Plumbline-monitorItemHead', el('span', 'jp-Plumbline-monitorName', monitor.name), status));
    const coverage = monitor.predictions ? monitor.labels / monitor.predictions : null;
    const counts = el(
      'div',
      'jp-Plumbline-monitorCounts',
      trans.__('%1 predictions · %2 labels', formatCount(monitor.predictions), formatCount(monitor.labels)),
      coverage !== null && monitor.labels ? el('span', 'jp-Plumbline-hint', ` (${(coverage * 100).toFixed(coverage < 0.1 ? 1 : 0)}%)`) : null
    );
    counts.dataset.predictions = String(monitor.predictions);
    counts.dataset.labels = String(monitor.labels);
    item.append(counts);
    const meta = [
      kindLabel(monitor.kind, trans),
      monitor.window ? trans.__('window %1', monitor.window) : '',
      monitor.primaryMetric ? metricLabel(monitor.primaryMetric, trans) : '',
      monitor.updatedAt !== null ? trans.__('updated %1', formatWhen(monitor.updatedAt, trans)) : ''
    ].filter(Boolean);
    const line = el('div', 'jp-Plumbline-monitorItemMeta jp-Plumbline-hint', meta.join(' · '));
    if (monitor.updatedAt !== null) {
      line.title = new Date(monitor.updatedAt * 1000).toLocaleString();
    }
    item.append(line);
    if (monitor.notebook) {
      item.append(el('div', 'jp-Plumbline-monitorNotebook jp-Plumbline-hint', monitor.notebook));
    }
    item.title = trans.__('Open the panel of %1', monitor.name);
    item.addEventListener('click', () => this._options.open(monitor));
    item.addEventListener('keydown', event => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        this._options.open(monitor);
      }
    });
    return item;
  }

  private _list = el('div');
  private _clock: number;
}
