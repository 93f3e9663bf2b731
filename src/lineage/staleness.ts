/**
 * Staleness of a notebook's components, kept current as runs arrive and as
 * cells are edited, and shown on the cells (a marker next to the component
 * badge). The rules are the query's (src/queries/lineage staleness()), given
 * the notebook's kernel session (what its kernel holds) and the current
 * cells of the notebooks upstream of it (open, or saved).
 */
import { NotebookPanel } from '@jupyterlab/notebook';
import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

import { cellHeader } from '../components/cellHeader';
import { componentOf } from '../components/model';
import { staleness, StaleReason } from '../queries/lineage';
import { IPlumbline } from '../tokens';
import { cellsOfModel, NotebookSources, SourceKind } from './sources';

const STALE = 'jp-Plumbline-stale';
/** Edits are checked after typing pauses, not on every keystroke. */
const EDIT_DELAY_MS = 300;

export function describeReason(reason: StaleReason, trans: TranslationBundle): string {
  switch (reason.kind) {
    case 'code':
      return trans.__('its code changed since it last ran');
    case 'input':
      return reason.newerComponent
        ? trans.__('%1 has a newer version (from %2)', reason.name, reason.newerComponent)
        : trans.__('%1 has a newer version', reason.name);
    case 'upstream':
      return trans.__('upstream component %1 is stale', reason.component);
    case 'kernel':
      switch (reason.why) {
        case 'restarted':
          return trans.__('the kernel does not hold its outputs: it ran before the kernel restarted (or in another kernel)');
        case 'recreated':
          return reason.byComponent
            ? trans.__('%1 was made again by upstream %2: the kernel no longer holds its version', reason.name ?? '', reason.byComponent)
            : trans.__('%1 was made again by an upstream cell: the kernel no longer holds its version', reason.name ?? '');
        case 'replaced':
          return trans.__('%1 was replaced by another cell after a later run read it', reason.name ?? '');
        case 'deleted':
          return trans.__('%1 was deleted from the kernel after a later run read it', reason.name ?? '');
        case 'outside':
          return trans.__('%1 was changed outside any recorded cell', reason.name ?? '');
      }
  }
}

export class NotebookStaleness {
  constructor(
    private readonly _panel: NotebookPanel,
    private readonly _plumbline: IPlumbline,
    private readonly _sources: NotebookSources,
    private readonly _trans: TranslationBundle
  ) {
    const sync = _plumbline.sync;
    sync.changed.connect(this._schedule0, this);
    _panel.content.model?.contentChanged.connect(this._scheduleEdit, this);
    _panel.context.pathChanged.connect(this._schedule0, this);
    _plumbline.recorderSessionChanged.connect(this._onSession, this);
    _sources.changed.connect(this._onSource, this);
    _panel.disposed.connect(() => this.dispose());
    this._schedule(0);
  }

  /** Emitted after the stale set was recomputed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get panel(): NotebookPanel {
    return this._panel;
  }

  /** Stale components of the notebook (and of the notebooks upstream, as `path::name`) and why. */
  get reasons(): ReadonlyMap<string, StaleReason[]> {
    return this._reasons;
  }

  /** What the kernel rules saw: a live session, a kernel that holds nothing yet, or no kernel. */
  get kernel(): 'live' | 'starting' | 'none' {
    const session = this._plumbline.recorderSession(this._panel);
    return session === undefined ? 'none' : session === null ? 'starting' : 'live';
  }

  /** The notebooks upstream (through files) and where their current cells came from. */
  get upstream(): ReadonlyMap<string, SourceKind> {
    return this._upstream;
  }

  dispose(): void {
    if (this._disposed) {
      return;
    }
    this._disposed = true;
    window.clearTimeout(this._timer);
    this._plumbline.sync.changed.disconnect(this._schedule0, this);
    this._plumbline.recorderSessionChanged.disconnect(this._onSession, this);
    this._sources.changed.disconnect(this._onSource, this);
    Signal.clearData(this);
  }

  /** Recompute now. */
  compute(): void {
    const replica = this._plumbline.sync.replica;
    const model = this._panel.content.model;
    if (!replica || !model || this._disposed) {
      return;
    }
    const path = this._panel.context.path;
    const upstream = new Map<string, SourceKind>();
    this._reasons = staleness(replica.db, path, cellsOfModel(this._panel), {
      kernelSession: this._plumbline.recorderSession(this._panel),
      sourcesOf: other => {
        const cells = this._sources.cellsOf(other);
        upstream.set(other, this._sources.kindOf(other));
        return cells;
      }
    });
    this._upstream = upstream;
    this._markCells();
    this._changed.emit();
  }

  private _onSession(_: unknown, panel: NotebookPanel): void {
    if (panel === this._panel) {
      this._schedule(0);
    }
  }

  private _onSource(_: unknown, path: string): void {
    if (path !== this._panel.context.path && this._upstream.has(path)) {
      this._schedule(0);
    }
  }

  private _markCells(): void {
    for (const cell of this._panel.content.widgets) {
      const component = componentOf(cell.model);
      const reasons = component ? this._reasons.get(component.component) : undefined;
      if (!reasons || !reasons.length) {
        cell.removeClass(STALE);
        cell.node.querySelector(':scope > .jp-CellHeader > .jp-Plumbline-staleMark')?.remove();
        continue;
      }
      cell.addClass(STALE);
      const header = cellHeader(cell, () => this._markCells());
      if (!header) {
        continue;
      }
      let marker = header.querySelector(':scope > .jp-Plumbline-staleMark') as HTMLElement | null;
      if (!marker) {
        marker = document.createElement('div');
        marker.className = 'jp-Plumbline-staleMark';
        header.append(marker);
      }
      marker.textContent = this._trans.__('stale');
      marker.title = this._trans.__('Stale: %1', reasons.map(r => describeReason(r, this._trans)).join('; '));
    }
  }

  private _schedule0(): void {
    this._schedule(0);
  }

  private _scheduleEdit(): void {
    this._schedule(EDIT_DELAY_MS);
  }

  private _schedule(delay: number): void {
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => this.compute(), delay);
  }

  private _disposed = false;
  private _timer = 0;
  private _reasons: ReadonlyMap<string, StaleReason[]> = new Map();
  private _upstream: ReadonlyMap<string, SourceKind> = new Map();
  private _changed = new Signal<this, void>(this);
}
