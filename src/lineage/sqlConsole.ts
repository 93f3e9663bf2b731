/**
 * A read-only SQL console over the browser's replica of the lineage store,
 * for power users: any SELECT over runs, run_io, components, check_results…
 *
 * Queries run in a Web Worker on a copy of the replica (src/lineage/consoleWorker.ts),
 * so a runaway query never freezes the tab: Stop terminates the worker, and
 * the next query starts a fresh one. Rows are capped by the row limit.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { ReplicaSync } from '../replica/sync';
import { button, el, table } from '../ui/dom';
import type { ConsoleReply, IConsoleRequest } from './consoleWorker';

const EXAMPLE = `-- Read-only: a copy of the browser's lineage store. Ctrl/Cmd+Enter runs.
SELECT r.component_name, count(*) AS runs, avg(r.duration_ms) AS avg_ms,
       sum(r.status = 'error') AS errors
  FROM runs r
 WHERE r.component_name IS NOT NULL
 GROUP BY r.component_name
 ORDER BY runs DESC;`;

const DEFAULT_ROWS = 1000;
const MAX_ROWS = 100000;

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
        void this.run();
      }
    });
    this._limit.type = 'number';
    this._limit.min = '1';
    this._limit.max = String(MAX_ROWS);
    this._limit.value = String(DEFAULT_ROWS);
    this._limit.className = 'jp-mod-styled jp-Plumbline-consoleLimit';
    this._limit.setAttribute('aria-label', trans.__('Row limit'));
    this._run = button(trans.__('Run'), () => void this.run(), {
      title: trans.__('Run the query (Ctrl+Enter)'),
      className: 'jp-Plumbline-consoleRun'
    });
    this._stop = button(trans.__('Stop'), () => this.stop(), {
      title: trans.__('Stop the running query'),
      className: 'jp-Plumbline-consoleStop'
    });
    this._stop.disabled = true;
    this._result.className = 'jp-Plumbline-consoleResult';
    this.node.append(
      el(
        'div',
        'jp-Plumbline-consoleBar',
        this._run,
        this._stop,
        el('label', 'jp-Plumbline-consoleLimitLabel', trans.__('Row limit '), this._limit),
        el('span', 'jp-Plumbline-hint', trans.__('Tables: runs, run_io, components, code_snapshots, check_results, flags, artifacts, kernel_sessions, kernel_bindings'))
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

  /** Whether a query is running now. */
  get running(): boolean {
    return this._pending !== null;
  }

  async run(): Promise<void> {
    const trans = this._trans;
    const replica = this._sync.replica;
    if (!replica) {
      this._show(el('p', 'jp-Plumbline-message', trans.__('The lineage store is still loading; try again in a moment.')));
      return;
    }
    if (this._pending) {
      this.stop();
    }
    const limit = Math.max(1, Math.min(MAX_ROWS, Math.floor(Number(this._limit.value) || DEFAULT_ROWS)));
    this._limit.value = String(limit);
    const version = `${replica.storeId ?? ''}:${replica.seq}`;
    const request: IConsoleRequest = {
      id: ++this._id,
      // A copy only when the replica changed since the worker's (export() copies the whole store).
      bytes: this._version === version && this._worker ? null : replica.db.export(),
      version,
      sql: this._input.value,
      maxRows: limit
    };
    this._version = version;
    this._setRunning(true);
    this._show(el('p', 'jp-Plumbline-hint jp-Plumbline-consoleRunning', trans.__('Running…')));
    const reply = await this._send(request);
    if (!reply || reply.id !== this._id) {
      return; // stopped, or another query replaced it
    }
    this._setRunning(false);
    if ('error' in reply) {
      this._show(el('pre', 'jp-Plumbline-error jp-Plumbline-consoleError', reply.error));
      return;
    }
    const summary = el(
      'p',
      'jp-Plumbline-hint jp-Plumbline-consoleSummary',
      trans._n('%1 row', '%1 rows', reply.rows.length) +
        (reply.truncated ? trans.__(' (the row limit: first %1 rows only)', limit) : '') +
        ` · ${reply.ms.toFixed(1)} ms`
    );
    this._show(
      summary,
      table(
        'jp-Plumbline-consoleTable',
        reply.columns,
        reply.rows.map(row => ({
          cells: row.map(value => (value === null ? 'NULL' : value instanceof Uint8Array ? `<${value.length} bytes>` : String(value)))
        }))
      )
    );
  }

  /** Stop the running query: its worker is terminated (a fresh one runs the next query). */
  stop(): void {
    if (!this._pending) {
      return;
    }
    this._worker?.terminate();
    this._worker = null;
    this._version = '';
    const pending = this._pending;
    this._pending = null;
    pending(null);
    this._setRunning(false);
    this._show(el('p', 'jp-Plumbline-hint jp-Plumbline-consoleStopped', this._trans.__('Stopped.')));
  }

  dispose(): void {
    this._worker?.terminate();
    this._worker = null;
    super.dispose();
  }

  private async _send(request: IConsoleRequest): Promise<ConsoleReply | null> {
    const worker = (this._worker ??= new Worker(new URL('./consoleWorker.js', import.meta.url)));
    const reply = await new Promise<ConsoleReply | null>(resolve => {
      this._pending = resolve;
      worker.onmessage = (event: MessageEvent<ConsoleReply>) => resolve(event.data);
      worker.onerror = event => resolve({ id: request.id, error: event.message || 'The query worker failed.' });
      worker.postMessage(request, request.bytes ? [request.bytes.buffer] : []);
    });
    this._pending = null;
    if (reply && 'needBytes' in reply && reply.needBytes) {
      this._version = '';
      return this._send({ ...request, bytes: this._sync.replica!.db.export() });
    }
    return reply;
  }

  private _setRunning(running: boolean): void {
    this._run.disabled = running;
    this._stop.disabled = !running;
    this.node.dataset.running = String(running);
  }

  private _show(...nodes: Node[]): void {
    this._result.replaceChildren(...nodes);
  }

  private _input = document.createElement('textarea');
  private _limit = document.createElement('input');
  private _result = document.createElement('div');
  private _run: HTMLButtonElement;
  private _stop: HTMLButtonElement;
  private _worker: Worker | null = null;
  private _pending: ((reply: ConsoleReply | null) => void) | null = null;
  private _id = 0;
  private _version = '';
}
