/**
 * One reusable main-area tab for the lineage views (a run's inspector, a
 * trace, a component's history), with back and forward like a web browser,
 * and a pin that keeps a tab as it is: what is opened next goes to the
 * unpinned tab. A short tour no longer leaves fifteen tabs behind.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';
import { Panel, Widget } from '@lumino/widgets';

export type LineageLocation =
  | { kind: 'run'; runId: string }
  | { kind: 'trace'; ioId: string; direction: 'upstream' | 'downstream' }
  | { kind: 'history'; notebookPath: string; component: string };

/** Most places a tab remembers (back and forward together). */
const MAX_HISTORY = 50;

export function sameLocation(a: LineageLocation | null, b: LineageLocation | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

export class LineageBrowser extends Panel {
  constructor(
    private readonly _make: (location: LineageLocation) => Widget,
    private readonly _trans: TranslationBundle
  ) {
    super();
    this.addClass('jp-Plumbline-browser');
  }

  /** Emitted when the location or the pin changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  get location(): LineageLocation | null {
    return this._history[this._index] ?? null;
  }

  get history(): readonly LineageLocation[] {
    return this._history;
  }

  get index(): number {
    return this._index;
  }

  get view(): Widget | null {
    return this._view;
  }

  get canGoBack(): boolean {
    return this._index > 0;
  }

  get canGoForward(): boolean {
    return this._index < this._history.length - 1;
  }

  get pinned(): boolean {
    return this._pinned;
  }

  set pinned(value: boolean) {
    if (value !== this._pinned) {
      this._pinned = value;
      this.node.dataset.pinned = String(value);
      this._changed.emit();
    }
  }

  /** Show `location`; the places after the current one are forgotten, as in a web browser. */
  open(location: LineageLocation): void {
    if (sameLocation(location, this.location)) {
      return;
    }
    this._history.splice(this._index + 1, this._history.length, location);
    if (this._history.length > MAX_HISTORY) {
      this._history.splice(0, this._history.length - MAX_HISTORY);
    }
    this._index = this._history.length - 1;
    this._show();
  }

  /** Restore a tab: its places and where it was. */
  restore(history: LineageLocation[], index: number, pinned: boolean): void {
    this._history = history.slice(-MAX_HISTORY);
    this._index = Math.max(0, Math.min(index, this._history.length - 1));
    this.pinned = pinned;
    this._show();
  }

  back(): void {
    if (this.canGoBack) {
      this._index--;
      this._show();
    }
  }

  forward(): void {
    if (this.canGoForward) {
      this._index++;
      this._show();
    }
  }

  /** A notebook (or folder) was renamed: the places under it follow. */
  renamed(from: string, to: string): void {
    let current = false;
    this._history = this._history.map((location, i) => {
      if (location.kind !== 'history') {
        return location;
      }
      const path = location.notebookPath;
      const moved = path === from ? to : path.startsWith(from + '/') ? to + path.slice(from.length) : null;
      if (moved === null) {
        return location;
      }
      current ||= i === this._index;
      return { ...location, notebookPath: moved };
    });
    if (current) {
      this._show();
    } else {
      this._changed.emit();
    }
  }

  dispose(): void {
    this._view?.dispose();
    this._view = null;
    super.dispose();
  }

  private _show(): void {
    const location = this.location;
    this._view?.dispose();
    this._view = location ? this._make(location) : null;
    if (this._view) {
      this.addWidget(this._view);
      this.title.label = this._view.title.label;
      this._view.title.changed.connect(() => {
        this.title.label = this._view?.title.label ?? '';
        this._changed.emit();
      });
    }
    this.node.dataset.kind = location?.kind ?? '';
    this.title.caption = this._pinned ? this._trans.__('Pinned: opened views go to another tab') : '';
    this._changed.emit();
  }

  private _history: LineageLocation[] = [];
  private _index = -1;
  private _view: Widget | null = null;
  private _pinned = false;
  private _changed = new Signal<this, void>(this);
}
