/**
 * The monitor panel's DOM, shared by the inline output (MIME renderer) and the
 * main-area tab (src/monitoring/): a head (name, kind, window, status), the
 * summary facts, the per-window / cumulative toggle and the metric picker, the
 * chart (src/charts/vega.ts, JupyterLab's theme), a table of windows with their
 * alerts and warnings as text, the monitor's messages and triggers.
 *
 * Every recorded value goes in as text; the chart is a Vega-Lite spec built
 * here from numbers.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import { ChartTheme, cssVar, ThemedChart } from '../charts/vega';
import { button, el } from '../ui/dom';
import {
  estimatorLabel,
  IMonitorPalette,
  IMonitorPayload,
  IWindowRow,
  kindLabel,
  metricLabel,
  monitorSpec,
  monitorStatus,
  statusLabel,
  summaryFacts,
  ViewMode,
  windowRow
} from './monitorModel';

/** Windows the table shows before "Show all". */
const TABLE_ROWS = 200;

export interface IMonitorViewState {
  mode: ViewMode;
  metric: string;
}

export interface IMonitorViewOptions {
  trans: TranslationBundle;
  theme: ChartTheme;
  /** Where to start (the tab keeps the user's choice across refreshes). */
  state?: Partial<IMonitorViewState>;
  /** Told when the user switched the mode or the metric. */
  onStateChanged?: (state: IMonitorViewState) => void;
  /** Replaces the "updated" fact (the tab knows the store's time). */
  updated?: string;
}

/** The chart colors from JupyterLab's theme variables, read now (light or dark alike). */
export function monitorPalette(): IMonitorPalette {
  return {
    estimators: [
      cssVar('--jp-brand-color1', '#1976d2'),
      cssVar('--jp-accent-color1', '#00897b'),
      cssVar('--jp-brand-color3', '#90caf9')
    ],
    realized: cssVar('--jp-ui-font-color1', '#212121'),
    threshold: cssVar('--jp-warn-color1', '#f57c00'),
    alert: cssVar('--jp-error-color1', '#d32f2f'),
    warn: cssVar('--jp-warn-color1', '#f57c00'),
    volume: cssVar('--jp-ui-font-color3', '#9e9e9e'),
    coverage: cssVar('--jp-accent-color1', '#00897b'),
    muted: cssVar('--jp-ui-font-color3', '#9e9e9e')
  };
}

export class MonitorView {
  readonly node: HTMLElement;

  constructor(
    readonly payload: IMonitorPayload,
    private readonly _options: IMonitorViewOptions
  ) {
    const { trans } = _options;
    const metrics = payload.monitor.metrics;
    const wanted = _options.state?.metric;
    this._state = {
      mode: _options.state?.mode === 'cumulative' ? 'cumulative' : 'window',
      metric: wanted && metrics.includes(wanted) ? wanted : payload.monitor.primary_metric
    };
    this.node = el('div', 'jp-Plumbline-monitor');
    this.node.dataset.monitor = payload.monitor.name;
    this.node.dataset.status = monitorStatus(payload);
    this.node.dataset.windows = String(payload.windows.length);
    this.node.append(this._head(), this._controls());
    this._chartNode = el('div', 'jp-Plumbline-monitorChart');
    this.node.append(this._chartNode);
    this._table = el('div', 'jp-Plumbline-monitorWindows');
    this.node.append(el('div', 'jp-Plumbline-monitorSection', trans.__('Windows, newest first')), this._table);
    const notes = this._notes();
    if (notes) {
      this.node.append(notes);
    }
    this._chart = new ThemedChart(this._chartNode, _options.theme);
    this._render();
  }

  get state(): IMonitorViewState {
    return { ...this._state };
  }

  /** Switch the view (also what the toggle and the picker do). */
  setState(state: Partial<IMonitorViewState>): void {
    const next = { ...this._state, ...state };
    if (!this.payload.monitor.metrics.includes(next.metric)) {
      next.metric = this._state.metric;
    }
    if (next.mode === this._state.mode && next.metric === this._state.metric) {
      return;
    }
    this._state = next;
    this._render();
    this._options.onStateChanged?.(this.state);
  }

  dispose(): void {
    this._chart.dispose();
    this._resize?.disconnect();
    this._resize = null;
  }

  // -- head ---------------------------------------------------------------------------------------

  private _head(): HTMLElement {
    const { trans } = this._options;
    const p = this.payload;
    const m = p.monitor;
    const status = monitorStatus(p);
    const head = el('div', 'jp-Plumbline-monitorHead');
    head.append(
      el(
        'div',
        'jp-Plumbline-monitorTitle',
        el('span', 'jp-Plumbline-monitorName', m.name),
        ' ',
        el('span', `jp-Plumbline-monitorStatus jp-mod-${status.replace(/[\s_]+/g, '-')}`, statusLabel(status, trans))
      ),
      el(
        'div',
        'jp-Plumbline-monitorMeta',
        [
          kindLabel(m.kind, trans),
          m.window ? trans.__('window %1', m.window) : '',
          m.estimators.length ? trans.__('estimators: %1', m.estimators.map(e => estimatorLabel(e, trans)).join(', ')) : '',
          this._options.updated ?? (m.updated_at ? trans.__('updated %1', formatIso(m.updated_at)) : '')
        ]
          .filter(Boolean)
          .join(' · ')
      )
    );
    const facts = el('dl', 'jp-Plumbline-monitorFacts');
    for (const fact of summaryFacts(p, trans)) {
      const dt = el('dt', '', fact.label);
      const dd = el('dd', fact.alert ? 'jp-mod-alert' : '', fact.value);
      dd.dataset.fact = fact.key;
      if (fact.title) {
        dd.title = fact.title;
      }
      facts.append(dt, dd);
    }
    head.append(facts);
    return head;
  }

  private _controls(): HTMLElement {
    const { trans } = this._options;
    const controls = el('div', 'jp-Plumbline-monitorControls');
    const toggle = el('div', 'jp-Plumbline-monitorToggle');
    toggle.setAttribute('role', 'group');
    toggle.setAttribute('aria-label', trans.__('Per window or cumulative'));
    for (const [mode, label, title] of [
      ['window', trans.__('Per window'), trans.__('Each window on its own: shows the drops of a single window')],
      ['cumulative', trans.__('Cumulative'), trans.__('Every window up to this one together: smooth, hides a single window\'s drop')]
    ] as [ViewMode, string, string][]) {
      const b = el('button', 'jp-Button jp-mod-styled jp-mod-small jp-Plumbline-monitorMode', label);
      b.type = 'button';
      b.dataset.mode = mode;
      b.title = title;
      b.addEventListener('click', () => this.setState({ mode }));
      this._modeButtons.push(b);
      toggle.append(b);
    }
    controls.append(toggle);
    const metrics = this.payload.monitor.metrics;
    if (metrics.length) {
      const select = el('select', 'jp-mod-styled jp-Plumbline-monitorMetric');
      select.setAttribute('aria-label', trans.__('Metric'));
      for (const metric of metrics) {
        const option = el('option', '', metricLabel(metric, trans));
        option.value = metric;
        select.append(option);
      }
      select.value = this._state.metric;
      select.addEventListener('change', () => this.setState({ metric: select.value }));
      this._select = select;
      controls.append(el('label', 'jp-Plumbline-monitorMetricLabel', trans.__('Metric '), select));
    }
    return controls;
  }

  // -- chart and table ----------------------------------------------------------------------------

  private _render(): void {
    const { trans } = this._options;
    const { mode, metric } = this._state;
    this.node.dataset.mode = mode;
    this.node.dataset.metric = metric;
    for (const b of this._modeButtons) {
      const on = b.dataset.mode === mode;
      b.setAttribute('aria-pressed', String(on));
      b.classList.toggle('jp-mod-active', on);
    }
    if (this._select && this._select.value !== metric) {
      this._select.value = metric;
    }
    const make = () =>
      monitorSpec(this.payload, {
        palette: monitorPalette(),
        trans,
        metric,
        mode,
        width: this._width()
      });
    if (make()) {
      this._chartNode.hidden = false;
      void this._chart.draw(() => make() ?? {}).catch(error => {
        this._chartNode.replaceChildren(el('span', 'jp-Plumbline-hint', trans.__('chart not drawn: %1', String(error?.message ?? error))));
      });
      this._watchWidth();
    } else {
      this._chartNode.replaceChildren(el('div', 'jp-Plumbline-hint', trans.__('No predictions logged yet: call log_predictions on the monitor.')));
    }
    this._table.replaceChildren(this._windowsTable());
  }

  private _windowsTable(): HTMLElement {
    const { trans } = this._options;
    const { mode, metric } = this._state;
    const p = this.payload;
    if (!p.windows.length) {
      return el('div', 'jp-Plumbline-hint', trans.__('No window yet.'));
    }
    const table = el('table', 'jp-Plumbline-table jp-Plumbline-monitorTable');
    const head = el('tr');
    const headers = [
      trans.__('Window'),
      mode === 'cumulative' ? trans.__('Predictions (total)') : trans.__('Predictions'),
      trans.__('Labels'),
      trans.__('Coverage'),
      ...p.monitor.estimators.map(e => estimatorLabel(e, trans)),
      trans.__('Realized'),
      trans.__('Threshold'),
      trans.__('Alerts and warnings')
    ];
    for (const title of headers) {
      head.append(el('th', '', title));
    }
    table.append(el('thead', '', head));
    const body = el('tbody');
    const newest = [...p.windows].reverse();
    const shown = this._allRows ? newest : newest.slice(0, TABLE_ROWS);
    for (const window of shown) {
      body.append(this._row(windowRow(p, window, metric, mode, trans)));
    }
    table.append(body);
    if (shown.length === newest.length) {
      return table;
    }
    // A long-running monitor has thousands of windows: the newest first, the rest on demand.
    const more = button(trans.__('Show all %1 windows', newest.length.toLocaleString()), () => {
      this._allRows = true;
      this._table.replaceChildren(this._windowsTable());
    }, { className: 'jp-Plumbline-monitorMore' });
    return el('div', '', table, more);
  }

  private _row(row: IWindowRow): HTMLElement {
    const tr = el('tr', 'jp-Plumbline-monitorWindow');
    tr.dataset.index = String(row.index);
    tr.dataset.alert = String(row.alert);
    tr.dataset.conceptDrift = String(row.conceptDrift);
    if (row.alert || row.conceptDrift) {
      tr.classList.add('jp-mod-alert');
    }
    const label = el('td', 'jp-Plumbline-monitorLabel', row.label);
    label.title = row.span;
    tr.append(
      label,
      el('td', 'jp-Plumbline-num', row.predictions),
      el('td', 'jp-Plumbline-num', row.labels),
      el('td', 'jp-Plumbline-num', row.coverage)
    );
    for (const e of row.estimates) {
      const td = el('td', `jp-Plumbline-num jp-Plumbline-monitorEstimate${e.unreliable ? ' jp-mod-unreliable' : ''}`, e.text);
      td.dataset.estimator = e.estimator;
      td.title = e.title;
      tr.append(td);
    }
    const realized = el('td', 'jp-Plumbline-num jp-Plumbline-monitorRealized', row.realized);
    realized.title = row.realizedTitle;
    if (row.conceptDrift) {
      realized.classList.add('jp-mod-alert');
    }
    tr.append(realized, el('td', 'jp-Plumbline-num', row.threshold));
    const notices = el('td', 'jp-Plumbline-monitorNotices');
    for (const n of row.notices) {
      const line = el('div', `jp-Plumbline-monitorNotice jp-mod-${n.level}`, n.message);
      line.dataset.kind = n.kind;
      notices.append(line);
    }
    tr.append(notices);
    return tr;
  }

  private _notes(): HTMLElement | null {
    const { trans } = this._options;
    const p = this.payload;
    if (!p.messages.length && !p.triggers.length) {
      return null;
    }
    const box = el('div', 'jp-Plumbline-monitorNotes');
    for (const message of p.messages) {
      const line = el('div', `jp-Plumbline-monitorMessage jp-mod-${message.level.replace(/\W+/g, '')}`, message.message);
      line.dataset.level = message.level;
      box.append(line);
    }
    for (const t of p.triggers) {
      const words = [
        t.on === 'labels' && t.labels !== null
          ? trans.__('Every %1 new labels, run pipeline %2', t.labels.toLocaleString(), t.pipeline)
          : trans.__('On %1, run pipeline %2', t.on, t.pipeline),
        t.cooldown ? trans.__('at most once per %1', t.cooldown) : '',
        t.approval ? trans.__('after approval in the Pipelines panel') : trans.__('without approval'),
        t.state ? trans.__('now %1', t.state) : '',
        t.last_fired ? trans.__('last fired %1', formatIso(t.last_fired)) : trans.__('never fired')
      ]
        .filter(Boolean)
        .join(', ');
      const line = el('div', 'jp-Plumbline-monitorTrigger', words);
      line.dataset.pipeline = t.pipeline;
      box.append(line);
    }
    return box;
  }

  /** The chart's width: the panel's, so a wide tab gets a wide chart. */
  private _width(): number {
    const width = this.node.clientWidth || this.node.parentElement?.clientWidth || 0;
    return width ? Math.max(240, width - 110) : 640;
  }

  /** Redraw once the panel's width settles at another size (a tab resized, a sidebar opened). */
  private _watchWidth(): void {
    if (this._resize || typeof ResizeObserver === 'undefined') {
      return;
    }
    let drawnAt = this._width();
    let timer = 0;
    this._resize = new ResizeObserver(() => {
      window.clearTimeout(timer);
      timer = window.setTimeout(() => {
        const width = this._width();
        if (Math.abs(width - drawnAt) > 24) {
          drawnAt = width;
          this._render();
        }
      }, 150);
    });
    this._resize.observe(this.node);
  }

  private _state: IMonitorViewState;
  private _chart: ThemedChart;
  private _chartNode: HTMLElement;
  private _table: HTMLElement;
  private _modeButtons: HTMLButtonElement[] = [];
  private _select: HTMLSelectElement | null = null;
  private _allRows = false;
  private _resize: ResizeObserver | null = null;
}

/** An ISO time as the browser's locale writes it ('2026-12-02T10:00:00Z' → local date and time). */
export function formatIso(iso: string): string {
  const t = Date.parse(iso);
  return Number.isFinite(t) ? new Date(t).toLocaleString() : iso;
}
