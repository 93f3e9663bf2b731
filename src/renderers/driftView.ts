/**
 * The drift panel's DOM: the dataset summary, then one row per column in the
 * payload's order (measure, threshold, verdict, change of the missing share, a
 * small overlay of reference vs current, a sparkline of the measure's
 * history); a click on a row opens its full-size comparison below it.
 *
 * Lazy: rows are plain text (cheap), charts are drawn only once their row
 * comes near the screen (IntersectionObserver), so a 500-column panel opens at
 * once. Every recorded value goes in as text; charts are Vega-Lite specs built
 * here from numbers, drawn by src/charts/vega.ts in JupyterLab's theme.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import { ChartTheme, cssVar, ThemedChart } from '../charts/vega';
import { el } from '../ui/dom';
import {
  chunksSpec,
  columnRow,
  ecdfSpec,
  formatShare,
  historySpec,
  IColumn,
  IDriftPayload,
  IPalette,
  ISpecOptions,
  measureRows,
  overlaySpec,
  statusLabel,
  summaryFacts
} from './driftModel';

export interface IDriftViewOptions {
  trans: TranslationBundle;
  theme: ChartTheme;
  /** Where the panel scrolls, for the lazy charts (null: the viewport). */
  scrollRoot?: Element | null;
}

/** The chart colors from JupyterLab's theme variables, read now (light or dark alike). */
export function themePalette(): IPalette {
  return {
    reference: cssVar('--jp-ui-font-color2', '#757575'),
    current: cssVar('--jp-brand-color1', '#1976d2'),
    drift: cssVar('--jp-error-color1', '#d32f2f'),
    ok: cssVar('--jp-success-color1', '#388e3c'),
    schema: cssVar('--jp-warn-color1', '#f57c00'),
    muted: cssVar('--jp-ui-font-color3', '#9e9e9e')
  };
}

export class DriftView {
  readonly node: HTMLElement;

  constructor(
    readonly payload: IDriftPayload,
    private readonly _options: IDriftViewOptions
  ) {
    const { trans } = _options;
    this.node = el('div', 'jp-Plumbline-drift');
    this.node.dataset.status = payload.summary.status;
    this.node.append(this._head());
    const chunks = payload.chunks ?? [];
    if (chunks.length) {
      const chart = el('div', 'jp-Plumbline-driftChunks');
      this.node.append(el('div', 'jp-Plumbline-driftSection', trans.__('Drifted columns per chunk')), chart);
      this._lazy(chart, () => this._chart(chart, () => chunksSpec(chunks, this._specOptions('full'))));
    }
    this.node.append(this._table());
  }

  dispose(): void {
    this._observer?.disconnect();
    this._observer = null;
    for (const chart of this._charts) {
      chart.dispose();
    }
    this._charts = [];
  }

  // -- summary ----------------------------------------------------------------------------------

  private _head(): HTMLElement {
    const { trans } = this._options;
    const p = this.payload;
    const head = el('div', 'jp-Plumbline-driftHead');
    head.append(el('div', 'jp-Plumbline-driftTitle', p.title || trans.__('Drift')));
    const side = (label: string, rows: number, run: string | null) =>
      el(
        'span',
        'jp-Plumbline-driftSide',
        label,
        run && !label.includes(run.slice(0, 8)) ? el('span', 'jp-Plumbline-hint', ` ${run.slice(0, 8)}`) : null,
        el('span', 'jp-Plumbline-hint', ` (${trans._n('%1 row', '%1 rows', rows)})`)
      );
    head.append(
      el(
        'div',
        'jp-Plumbline-driftSides',
        trans.__('Reference: '),
        side(p.reference.label, p.reference.rows, p.reference.run_id),
        ' → ',
        trans.__('Current: '),
        side(p.current.label, p.current.rows, p.current.run_id)
      )
    );
    const status = el('div', `jp-Plumbline-driftStatus jp-mod-${cssName(p.summary.status)}`,
      el('span', 'jp-Plumbline-driftVerdict', statusLabel(p.summary.status, trans)),
      ' ',
      p.summary.message
    );
    head.append(status);
    const facts = el('dl', 'jp-Plumbline-driftFacts');
    for (const fact of summaryFacts(p, trans)) {
      const dt = el('dt', '', fact.label);
      const dd = el('dd', fact.alert ? 'jp-mod-alert' : '', fact.value);
      dd.dataset.fact = fact.key;
      if (fact.title) {
        dd.title = fact.title;
        dt.title = fact.title;
      }
      facts.append(dt, dd);
    }
    head.append(facts);
    for (const note of p.notes ?? []) {
      head.append(el('div', 'jp-Plumbline-hint jp-Plumbline-driftNote', note));
    }
    return head;
  }

  // -- columns ----------------------------------------------------------------------------------

  private _table(): HTMLElement {
    const { trans } = this._options;
    const chunked = !!this.payload.chunks?.length;
    const table = el('table', 'jp-Plumbline-table jp-Plumbline-driftColumns');
    const head = el('tr');
    for (const title of [
      trans.__('Column'),
      trans.__('Verdict'),
      trans.__('Measure'),
      trans.__('Value'),
      trans.__('Threshold'),
      trans.__('Missing'),
      trans.__('Reference vs current'),
      chunked ? trans.__('Per chunk') : trans.__('History')
    ]) {
      head.append(el('th', '', title));
    }
    table.append(el('thead', '', head));
    const body = el('tbody');
    for (const column of this.payload.columns) {
      body.append(this._row(column));
    }
    table.append(body);
    return table;
  }

  private _row(column: IColumn): HTMLElement {
    const { trans } = this._options;
    const row = columnRow(column, trans);
    const tr = el('tr', 'jp-Plumbline-driftColumn');
    tr.dataset.column = column.name;
    tr.dataset.status = column.status;
    tr.tabIndex = 0;
    tr.setAttribute('aria-expanded', 'false');
    tr.title = row.message;
    const name = el('td', 'jp-Plumbline-driftName', el('span', 'jp-Plumbline-driftColumnName', row.name));
    if (row.prediction) {
      name.append(el('span', 'jp-Plumbline-driftRole', trans.__('prediction')));
    }
    name.append(el('span', 'jp-Plumbline-hint', ` ${row.kindLabel}`));
    const verdict = el('td', '', el('span', `jp-Plumbline-driftVerdict jp-mod-${cssName(row.status)}`, row.verdict));
    const threshold = el('td', 'jp-Plumbline-num', row.threshold);
    threshold.title = row.thresholdTitle;
    const nulls = el('td', `jp-Plumbline-num${row.nullDrift ? ' jp-mod-alert' : ''}`, row.nullChange);
    nulls.title = row.nullTitle;
    const overlay = el('td', 'jp-Plumbline-driftOverlay');
    if (row.unseen) {
      overlay.append(el('div', 'jp-Plumbline-driftUnseen', row.unseen));
    }
    const overlayChart = el('div', 'jp-Plumbline-driftOverlayChart');
    overlay.prepend(overlayChart);
    const history = el('td', 'jp-Plumbline-driftHistory');
    if (!row.hasOverlay) {
      overlayChart.append(el('span', 'jp-Plumbline-hint', column.status === 'schema' ? row.message : '–'));
    }
    tr.append(
      name,
      verdict,
      el('td', 'jp-Plumbline-driftMeasure', row.measure),
      el('td', 'jp-Plumbline-num jp-Plumbline-driftValue', row.value),
      threshold,
      nulls,
      overlay,
      history
    );
    this._lazy(tr, () => {
      if (row.hasOverlay) {
        this._chart(overlayChart, () => overlaySpec(column, this._specOptions('small')));
      }
      if (row.hasHistory) {
        this._chart(history, () => historySpec(column, this._specOptions('small')));
      }
    });
    let detail: HTMLElement | null = null;
    const toggle = () => {
      if (detail) {
        detail.hidden = !detail.hidden;
      } else {
        detail = this._detail(column);
        tr.after(detail);
      }
      tr.setAttribute('aria-expanded', String(!detail.hidden));
      tr.classList.toggle('jp-mod-expanded', !detail.hidden);
    };
    tr.addEventListener('click', toggle);
    tr.addEventListener('keydown', event => {
      if (event.key === 'Enter' || event.key === ' ') {
        event.preventDefault();
        toggle();
      }
    });
    return tr;
  }

  /** The full-size comparison of one column (made on its first click). */
  private _detail(column: IColumn): HTMLElement {
    const { trans } = this._options;
    const tr = el('tr', 'jp-Plumbline-driftDetail');
    tr.dataset.column = column.name;
    const td = el('td');
    td.colSpan = 8;
    tr.append(td);
    td.append(el('div', 'jp-Plumbline-driftMessage', column.message));
    const measures = measureRows(column);
    if (measures.length) {
      const table = el('table', 'jp-Plumbline-table jp-Plumbline-driftMeasures');
      const head = el('tr');
      for (const title of [trans.__('Measure'), trans.__('Value'), trans.__('Threshold'), trans.__('Error'), trans.__('p-value'), trans.__('Threshold set by')]) {
        head.append(el('th', '', title));
      }
      table.append(el('thead', '', head));
      const body = el('tbody');
      for (const m of measures) {
        const row = el('tr', m.decides ? 'jp-mod-decides' : '');
        row.dataset.measure = m.name;
        row.append(
          el('td', '', m.title, m.decides ? el('span', 'jp-Plumbline-hint', ` ${trans.__('(the verdict)')}`) : null),
          el('td', 'jp-Plumbline-num', m.value),
          el('td', 'jp-Plumbline-num', m.threshold),
          el('td', 'jp-Plumbline-num', m.error),
          el('td', 'jp-Plumbline-num', m.pValue),
          el('td', '', m.floor)
        );
        body.append(row);
      }
      table.append(body);
      td.append(table);
      td.append(el('div', 'jp-Plumbline-hint', trans.__('p-values are shown for information: they never decide a verdict.')));
    }
    const facts: string[] = [];
    const nulls = column.null_share;
    if (nulls) {
      facts.push(trans.__('Missing values: %1 in the reference, %2 now.', formatShare(nulls.reference), formatShare(nulls.current)));
    }
    if (column.dtype && column.dtype.reference !== column.dtype.current) {
      facts.push(trans.__('Type: %1 in the reference, %2 now.', column.dtype.reference ?? '–', column.dtype.current ?? '–'));
    }
    if (column.unseen?.length) {
      facts.push(trans.__('Unseen in the reference: %1.', column.unseen.map(u => `${u.value} (${formatShare(u.share)})`).join(', ')));
    }
    if (column.vanished?.length) {
      facts.push(trans.__('Gone now: %1.', column.vanished.map(u => `${u.value} (${formatShare(u.share)})`).join(', ')));
    }
    if (column.contribution !== null && column.contribution !== undefined) {
      facts.push(trans.__('Share of the multivariate error increase: %1.', formatShare(column.contribution)));
    }
    for (const fact of [...facts, ...(column.notes ?? [])]) {
      td.append(el('div', 'jp-Plumbline-driftFact', fact));
    }
    const charts = el('div', 'jp-Plumbline-driftCharts');
    td.append(charts);
    const full = this._specOptions('full');
    for (const [className, make] of [
      ['jp-Plumbline-driftFullOverlay', () => overlaySpec(column, full)],
      ['jp-Plumbline-driftEcdf', () => ecdfSpec(column, full)],
      ['jp-Plumbline-driftFullHistory', () => historySpec(column, full)]
    ] as [string, () => Record<string, unknown> | null][]) {
      if (make()) {
        const chart = el('div', className);
        charts.append(chart);
        this._chart(chart, make);
      }
    }
    return tr;
  }

  // -- charts -----------------------------------------------------------------------------------

  private _specOptions(size: 'small' | 'full'): ISpecOptions {
    return { palette: themePalette(), trans: this._options.trans, size };
  }

  /** Draws `make()` in `node`, again (with the theme's colors) whenever the theme changes. */
  private _chart(node: HTMLElement, make: () => Record<string, unknown> | null): void {
    const chart = new ThemedChart(node, this._options.theme);
    this._charts.push(chart);
    void chart.draw(() => make() ?? {}).catch(error => {
      node.replaceChildren(el('span', 'jp-Plumbline-hint', this._options.trans.__('chart not drawn: %1', String(error?.message ?? error))));
    });
  }

  /** Runs `draw` once `node` comes near the screen (at once without IntersectionObserver). */
  private _lazy(node: HTMLElement, draw: () => void): void {
    if (typeof IntersectionObserver === 'undefined') {
      draw();
      return;
    }
    this._observer ??= new IntersectionObserver(
      entries => {
        for (const entry of entries) {
          if (entry.isIntersecting) {
            this._observer?.unobserve(entry.target);
            const pending = this._pending.get(entry.target);
            this._pending.delete(entry.target);
            pending?.();
          }
        }
      },
      { root: this._options.scrollRoot ?? null, rootMargin: '300px 0px' }
    );
    this._pending.set(node, draw);
    this._observer.observe(node);
  }

  private _observer: IntersectionObserver | null = null;
  private _pending = new Map<Element, () => void>();
  private _charts: ThemedChart[] = [];
}

/** A status as a class name suffix: 'not judged' → 'not-judged'. */
function cssName(status: string): string {
  return status.replace(/\s+/g, '-');
}
