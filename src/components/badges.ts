/**
 * Shows each tagged cell's component: a colored edge, and a badge in the
 * cell header with the component name, the cell's last run status and the
 * status of the checks that ran with it. Also keeps `part` right when cells
 * move (see model.normalize).
 */
import { Cell } from '@jupyterlab/cells';
import { NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';

import { ICellState, latestRunPerCell } from '../queries/cells';
import { driftMark } from '../drift/badge';
import { driftVerdictsOfRuns, IDriftVerdict } from '../queries/monitoring';
import { ReplicaSync } from '../replica/sync';
import { cellHeader } from './cellHeader';
import { componentOf, normalize } from './model';

const TAGGED = 'jp-Plumbline-tagged';

export class CellBadges {
  constructor(
    private readonly _panel: NotebookPanel,
    private readonly _sync: ReplicaSync,
    private readonly _trans: TranslationBundle,
    /** The paths the notebook had before a rename the replica may not have received yet. */
    private readonly _formerPaths: (path: string) => string[] = () => [],
    /** Opens the drift panel of a run's output (the drift badge's click). */
    private readonly _openDrift: ((runId: string, name: string) => void) | null = null
  ) {
    const schedule = () => this.schedule();
    // New runs: query again. Edits (every keystroke): only redraw from the cache.
    const requery = () => {
      this._states = null;
      this.schedule();
    };
    _sync.changed.connect(requery);
    _panel.context.pathChanged.connect(requery);
    _panel.content.modelContentChanged.connect(schedule);
    _panel.content.model?.cells.changed.connect(() => {
      const cells = this._cellModels();
      if (cells) {
        normalize(cells); // moved, inserted or deleted cells: recompute parts
      }
      schedule();
    });
    _panel.disposed.connect(() => {
      _sync.changed.disconnect(requery);
    });
    this.schedule();
  }

  /** Render on the next frame, once for any number of triggers. */
  schedule(): void {
    if (this._pending) {
      return;
    }
    this._pending = true;
    requestAnimationFrame(() => {
      this._pending = false;
      if (!this._panel.isDisposed) {
        this.render();
      }
    });
  }

  render(): void {
    const replica = this._sync.replica;
    if (this._states === null && replica) {
      const path = this._panel.context.path;
      this._states = latestRunPerCell(replica.db, [path, ...this._formerPaths(path)]);
      this._drift = driftVerdictsOfRuns(replica.db, [...this._states.values()].map(state => state.runId));
    }
    const states = this._states ?? new Map<string, ICellState>();
    for (const cell of this._panel.content.widgets) {
      const state = states.get(cell.model.id) ?? null;
      this._renderCell(cell, state, state ? this._drift.get(state.runId) ?? [] : []);
    }
  }

  private _renderCell(cell: Cell, state: ICellState | null, drift: IDriftVerdict[]): void {
    const component = componentOf(cell.model);
    if (!component) {
      cell.removeClass(TAGGED);
      cell.node.querySelector(':scope > .jp-CellHeader > .jp-Plumbline-badge')?.remove();
      return;
    }
    const header = cellHeader(cell, () => this.schedule());
    if (!header) {
      return;
    }
    let badge = header.querySelector(':scope > .jp-Plumbline-badge') as HTMLElement | null;
    cell.addClass(TAGGED);
    cell.node.dataset.plumblinePart = component.part;
    if (!badge) {
      badge = document.createElement('div');
      badge.className = 'jp-Plumbline-badge';
      header.append(badge);
    }
    const trans = this._trans;
    const parts: HTMLElement[] = [text('jp-Plumbline-badgeName', component.component)];
    const runStatus = state?.status ?? 'never';
    parts.push(text(`jp-Plumbline-badgeRun jp-mod-${runStatus}`, state ? state.status : trans.__('not run')));
    const checks = component.checks?.length ?? 0;
    if (state?.checks) {
      const summary = text(
        `jp-Plumbline-badgeChecks jp-mod-${state.checks}`,
        trans.__('checks %1/%2', state.checksPassed, state.checksTotal)
      );
      // Every check's message: what failed, then what passed (a passing check says what it found).
      summary.title = [state.problems, state.passes].filter(Boolean).join('\n') || trans.__('All checks passed');
      parts.push(summary);
    } else if (checks) {
      parts.push(text('jp-Plumbline-badgeChecks', trans._n('%1 check', '%1 checks', checks)));
    }
    const driftPart = state ? driftMark(drift, trans, this._openDrift) : null;
    if (driftPart) {
      parts.push(driftPart);
    }
    badge.replaceChildren(...parts);
    badge.dataset.drift = drift[0]?.status ?? 'none';
    badge.dataset.runStatus = runStatus;
    badge.dataset.checks = state?.checks ?? 'none';
    badge.title = [
      trans.__('Component %1', component.component),
      component.owner ? trans.__('Owner: %1', component.owner) : '',
      component.description ?? ''
    ].filter(Boolean).join('\n');
  }

  private _cellModels() {
    const model = this._panel.content.model;
    return model ? Array.from(model.cells) : null;
  }

  private _pending = false;
  private _states: Map<string, ICellState> | null = null;
  private _drift = new Map<string, IDriftVerdict[]>();
}

function text(className: string, content: string): HTMLElement {
  const span = document.createElement('span');
  span.className = className;
  span.textContent = content;
  return span;
}
