/**
 * The current cells of notebooks other than the one shown, for staleness
 * across notebooks: from the open notebook's model when it is open in
 * JupyterLab (unsaved edits included), else from its saved file (contents
 * API), else nothing (then only what the store knows counts).
 */
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { Contents } from '@jupyterlab/services';
import { ISignal, Signal } from '@lumino/signaling';

import type { ICell } from '../queries/lineage';

export type SourceKind = 'open' | 'saved' | 'store';

/** A saved file is read again after this long, when still wanted. */
const REFRESH_MS = 30 * 1000;
/** Edits of an open notebook are reported after typing pauses. */
const EDIT_DELAY_MS = 300;

export function cellsOfModel(panel: NotebookPanel): ICell[] {
  const model = panel.content.model;
  return model
    ? Array.from(model.cells)
        .filter(cell => cell.type === 'code')
        .map(cell => ({ id: cell.id, source: cell.sharedModel.getSource() }))
    : [];
}

/** The code cells of an nbformat notebook (its `content` from the contents API). */
export function cellsOfFile(content: unknown): ICell[] {
  const cells = (content as { cells?: unknown[] } | null)?.cells;
  if (!Array.isArray(cells)) {
    return [];
  }
  return cells.flatMap(cell => {
    const c = cell as { cell_type?: string; id?: string; source?: string | string[] };
    if (c.cell_type !== 'code' || typeof c.id !== 'string') {
      return [];
    }
    return [{ id: c.id, source: Array.isArray(c.source) ? c.source.join('') : String(c.source ?? '') }];
  });
}

export class NotebookSources {
  constructor(
    private readonly _notebooks: INotebookTracker,
    private readonly _contents: Contents.IManager
  ) {
    _notebooks.widgetAdded.connect((_, panel) => {
      panel.content.model?.contentChanged.connect(() => this._edited(panel.context.path));
      // Closed: its cells now come from its saved file.
      panel.disposed.connect(() => this._changed.emit(panel.context.path));
    });
    _contents.fileChanged.connect((_, change) => {
      const path = change.newValue?.path ?? change.oldValue?.path;
      if (path && this._saved.has(path)) {
        this._saved.delete(path); // saved again (or renamed, deleted): read it again when wanted
        this._changed.emit(path);
      }
    });
  }

  /** Emitted with a notebook path whose cells changed (edited, saved, read). */
  get changed(): ISignal<this, string> {
    return this._changed;
  }

  /** The notebook's current cells, if known now; asks for its saved file otherwise. */
  cellsOf(path: string): ICell[] | undefined {
    const open = this._open(path);
    if (open) {
      return cellsOfModel(open);
    }
    const saved = this._saved.get(path);
    if (!saved || Date.now() - saved.at > REFRESH_MS) {
      this._read(path);
    }
    return saved?.cells ?? undefined;
  }

  /** Where cellsOf(path) comes from. */
  kindOf(path: string): SourceKind {
    if (this._open(path)) {
      return 'open';
    }
    return this._saved.get(path)?.cells ? 'saved' : 'store';
  }

  private _open(path: string): NotebookPanel | null {
    return this._notebooks.find(panel => panel.context.path === path && !!panel.content.model) ?? null;
  }

  private _read(path: string): void {
    if (this._reading.has(path)) {
      return;
    }
    this._reading.add(path);
    this._contents
      .get(path, { content: true, type: 'notebook' })
      .then(
        model => this._saved.set(path, { cells: cellsOfFile(model.content), at: Date.now() }),
        // Gone, or not readable: only what the store knows (said so in the UI).
        () => this._saved.set(path, { cells: null, at: Date.now() })
      )
      .then(() => {
        this._reading.delete(path);
        this._changed.emit(path);
      });
  }

  private _edited(path: string): void {
    window.clearTimeout(this._timers.get(path));
    this._timers.set(path, window.setTimeout(() => this._changed.emit(path), EDIT_DELAY_MS));
  }

  private _saved = new Map<string, { cells: ICell[] | null; at: number }>();
  private _reading = new Set<string>();
  private _timers = new Map<string, number>();
  private _changed = new Signal<this, string>(this);
}
