/**
 * A read-only SQL console over the browser's replica of the lineage store,
 * for power users: any SELECT over runs, run_io, components, check_results…
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { readOnlyQuery } from '../queries/lineage';
import { ReplicaSync } from '../replica/sync';
import { button, el, table } from '../ui/dom';

const EXAMPLE = `-- Read-only: the browser's copy of the lineage store. Ctrl/Cmd+Enter runs.
SELECT r.component_name, count(*) AS runs, avg(r.duration_ms) AS avg_ms,
       sum(r.status = 'error') AS errors
  FROM runs r
 WHERE r.component_name IS NOT NULL
 GROUP BY r.component_name
 ORDER BY runs DESC;`;

export class SqlConsole extends Widget {
  constructor(private readonly _sync: ReplicaSync, private readonly _trans: TranslationBundle) {
    super();
    const trans = _trans;
    this.addClass('jp-Plumbline-console');
    this.title.label = trans.__('Lineage SQL');
    this.title.closable = true;
    this._input.className = 'jp-mod-styled jp-Plumbline-consoleInput';
    this._input.value = EXAMPLE;
    this._input.spellcheck = false;
    this._input.setAttribute('aria-label', trans.__('SQL query'));
    this._input.addEventListener('keydown', event => {
      if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
        event.preventDefault();
        this.run();
      }
    });
    this._result.className = 'jp-Plumbline-consoleResult';
    this.node.append(
      el(
        'div',
        'jp-Plumbline-consoleBar',
        button(trans.__('Run'), () => this.run(), { title: trans.__('Run the query (Ctrl+Enter)'), className: 'jp-Plumbline-consoleRun' }),
        el('span', 'jp-Plumbline-hint', trans.__('Tables: runs, run_io, components, code_snapshots, check_results, flags, artifacts, kernel_sessions'))
      ),
      this._input,
      this._result
    );
  }

  /** The query text. */
  get query(): string {
    return this._input.value;
  }

  set query(value: string) {
    this._input.value = value;
  }

  run(): void {
    const trans = this._trans;
    const replica = this._sync.replica;
    if (!replica) {
      this._show(el('p', 'jp-Plumbline-message', trans.__('The lineage store is still loading; try again in a moment.')));
      return;
    }
    try {
      const started = performance.now();
      const { columns, rows, truncated } = readOnlyQuery(replica.db, this._input.value);
      const ms = performance.now() - started;
      const summary = el(
        'p',
        'jp-Plumbline-hint jp-Plumbline-consoleSummary',
        trans._n('%1 row', '%1 rows', rows.length) + (truncated ? trans.__(' (first rows only)') : '') + ` · ${ms.toFixed(1)} ms`
      );
      this._show(
        summary,
        table(
          'jp-Plumbline-consoleTable',
          columns,
          rows.map(row => ({ cells: row.map(value => (value === null ? 'NULL' : value instanceof Uint8Array ? `<${value.length} bytes>` : String(value))) }))
        )
      );
    } catch (error) {
      this._show(el('pre', 'jp-Plumbline-error jp-Plumbline-consoleError', (error as Error).message));
    }
  }

  private _show(...nodes: Node[]): void {
    this._result.replaceChildren(...nodes);
  }

  private _input = document.createElement('textarea');
  private _result = document.createElement('div');
}
