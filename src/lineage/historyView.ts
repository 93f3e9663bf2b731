/**
 * A component's history: who owns it and what it does, its runs over time as
 * a Vega-Lite chart (in JupyterLab's theme, switching live) and as a table,
 * newest first.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Panel, Widget } from '@lumino/widgets';

import { ChartTheme, ThemedChart } from '../charts/vega';
import { componentHistory, componentInfo, IHistoryRow } from '../queries/lineage';
import { ReplicaSync } from '../replica/sync';
import { formatDuration } from '../ui/format';
import { CommandIDs } from '../tokens';
import { el, link, table } from '../ui/dom';
import { historySpec } from './specs';

/** The chart and table stay readable; older runs are a period choice away. */
const MAX_RUNS = 500;

export interface IHistoryOptions {
  sync: ReplicaSync;
  commands: CommandRegistry;
  trans: TranslationBundle;
  theme: ChartTheme;
  notebookPath: string;
  component: string;
}

export class ComponentHistory extends Panel {
  constructor(private readonly _options: IHistoryOptions) {
    super();
    this.addClass('jp-Plumbline-history');
    this.title.label = _options.trans.__('History of %1', _options.component);
    this.title.caption = `${_options.notebookPath}: ${_options.component}`;
    this.title.closable = true;
    this.node.dataset.component = _options.component;
    this.node.dataset.notebook = _options.notebookPath;
    this._head.addClass('jp-Plumbline-historyHead');
    this._range = this._rangeSelect();
    // Built once: re-rendering only changes the summary, so an open period list stays open.
    this._head.node.append(
      el('h2', '', _options.trans.__('Component %1', _options.component)),
      this._about,
      el('div', 'jp-Plumbline-historySummary', this._summary, this._range)
    );
    this._about.className = 'jp-Plumbline-about';
    this._chart.addClass('jp-Plumbline-historyChart');
    this._chartView = new ThemedChart(this._chart.node, _options.theme);
    this._table.addClass('jp-Plumbline-historyTable');
    this.addWidget(this._head);
    this.addWidget(this._chart);
    this.addWidget(this._table);
    _options.sync.changed.connect(this._render, this);
    this._render();
  }

  dispose(): void {
    this._options.sync.changed.disconnect(this._render, this);
    this._chartView.dispose();
    super.dispose();
  }

  private _render(): void {
    const { sync, trans, notebookPath, component } = this._options;
    const replica = sync.replica;
    if (!replica) {
      this._summary.textContent = trans.__('Loading the lineage store…');
      return;
    }
    const days = Number(this._range.value);
    const since = days ? Date.now() / 1000 - days * 86400 : undefined;
    const rows = componentHistory(replica.db, notebookPath, component, { since, limit: MAX_RUNS });
    const info = componentInfo(replica.db, notebookPath, component);
    this._about.replaceChildren(
      ...(info?.owner ? [el('span', 'jp-Plumbline-owner', trans.__('Owner: %1', info.owner))] : []),
      ...(info?.description ? [el('span', 'jp-Plumbline-description', info.description)] : []),
      ...(info?.tags.length ? [el('span', 'jp-Plumbline-hint', info.tags.join(', '))] : [])
    );
    const failed = rows.filter(row => row.status === 'error').length;
    const summary =
      `${notebookPath} · ` +
      (rows.length === MAX_RUNS ? trans.__('newest %1 runs', MAX_RUNS) : trans._n('%1 run', '%1 runs', rows.length)) +
      (failed ? ' · ' + trans._n('%1 failed', '%1 failed', failed) : '');
    this._summary.textContent = summary;
    void this._renderChart(rows);
    this._renderTable(rows);
  }

  /** The period shown; a change re-renders (the select itself survives renders). */
  private _rangeSelect(): HTMLSelectElement {
    const { trans } = this._options;
    const select = document.createElement('select');
    select.className = 'jp-Plumbline-historyRange jp-mod-styled';
    select.setAttribute('aria-label', trans.__('Period'));
    const periods: [string, string][] = [
      ['0', trans.__('All time')],
      ['1', trans.__('Last 24 hours')],
      ['7', trans.__('Last 7 days')],
      ['30', trans.__('Last 30 days')],
      ['90', trans.__('Last 90 days')]
    ];
    for (const [days, label] of periods) {
      const option = document.createElement('option');
      option.value = days;
      option.textContent = label;
      select.append(option);
    }
    select.addEventListener('change', () => this._render());
    return select;
  }

  private async _renderChart(rows: IHistoryRow[]): Promise<void> {
    const { trans, component } = this._options;
    const key = JSON.stringify(rows.map(row => [row.runId, row.status, row.durationMs, row.outputRows]));
    if (key === this._chartKey) {
      return;
    }
    this._chartKey = key;
    if (!rows.length) {
      this._chart.node.replaceChildren();
      return;
    }
    try {
      await this._chartView.draw(historySpec(rows, { title: trans.__('%1 over time', component) }));
    } catch (error) {
      this._chart.node.replaceChildren(
        el('p', 'jp-Plumbline-hint', trans.__('The chart could not be drawn: %1', (error as Error).message))
      );
    }
  }

  private _renderTable(rows: IHistoryRow[]): void {
    const { trans, commands } = this._options;
    const newestFirst = [...rows].reverse();
    this._table.node.replaceChildren(
      table(
        'jp-Plumbline-historyRuns',
        [trans.__('Run'), trans.__('Started'), trans.__('Status'), trans.__('Duration'), trans.__('Output rows'), trans.__('Checks'), trans.__('Commit')],
        newestFirst.map(row => ({
          cells: [
            link(row.runId.slice(0, 8), () => void commands.execute(CommandIDs.inspectRun, { runId: row.runId }), 'jp-Plumbline-historyRun'),
            new Date(row.startedAt * 1000).toLocaleString(),
            el('span', `jp-Plumbline-status jp-mod-${row.status}`, row.status),
            formatDuration(row.durationMs, trans),
            row.outputs.filter(o => o.table && o.rows !== null).map(o => `${o.name}: ${o.rows!.toLocaleString()}`).join(', '),
            row.checksTotal ? `${row.checksPassed}/${row.checksTotal}` : '',
            row.gitCommit ? row.gitCommit.slice(0, 8) : ''
          ],
          attrs: { 'data-run-id': row.runId, 'data-status': row.status }
        }))
      )
    );
  }

  private _range: HTMLSelectElement;
  private _summary = el('span', 'jp-Plumbline-hint');
  private _chartKey = '';
  private _chartView: ThemedChart;
  private _about = document.createElement('div');
  private _head = new Widget();
  private _chart = new Widget();
  private _table = new Widget();
}
