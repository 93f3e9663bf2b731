/**
 * "Pipeline out of date": whether a promoted cell's code in the notebook still
 * matches the pipeline's task. The server decides (the spec pins each cell's
 * code hash; POST pipelines/<name>/diff with the notebook as the editor has it,
 * so unsaved edits count); this module asks it when the cells change (debounced)
 * or the pipeline does (the replica), marks the changed cells in their header
 * like the component badges, and tells the Pipelines panel. A pipeline whose
 * notebook is not open is checked against the saved file.
 */
import { NotebookPanel, INotebookTracker } from '@jupyterlab/notebook';
import type { TranslationBundle } from '@jupyterlab/translation';
import { ISignal, Signal } from '@lumino/signaling';

import { cellHeader } from '../components/cellHeader';
import { IPipelineRow, pipelinesOfNotebook } from '../queries/pipelines';
import { ReplicaSync } from '../replica/sync';
import { fetchDiff, IDiff } from './api';
import { cellsOnly, changedCells } from './model';

const MARK = 'jp-Plumbline-outOfDate';
const CHECK_DELAY_MS = 800;

export class PipelineFreshness {
  constructor(
    private readonly _sync: ReplicaSync,
    private readonly _notebooks: INotebookTracker,
    private readonly _trans: TranslationBundle,
    /** Show the diff of a pipeline (the mark's click). */
    private readonly _openDiff: (name: string) => void
  ) {
    _notebooks.widgetAdded.connect((_, panel) => {
      void panel.context.ready.then(() => {
        const watcher = new NotebookWatcher(panel, this);
        this._watchers.add(watcher);
        panel.disposed.connect(() => {
          this._watchers.delete(watcher);
          this._changed.emit();
        });
      });
    });
    _sync.changed.connect(() => {
      for (const watcher of this._watchers) {
        watcher.pipelinesChanged();
      }
    });
  }

  get sync(): ReplicaSync {
    return this._sync;
  }

  get trans(): TranslationBundle {
    return this._trans;
  }

  /** Emitted when what is known about any pipeline changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The latest known diff of a pipeline (null: not known yet; asks for it). */
  diffOf(pipeline: IPipelineRow): IDiff | null {
    for (const watcher of this._watchers) {
      if (watcher.path === pipeline.notebookPath) {
        return watcher.diffs.get(pipeline.name) ?? null;
      }
    }
    const key = savedKey(pipeline);
    const known = this._saved.get(pipeline.name);
    if (known && known.key === key) {
      return known.diff;
    }
    if (!this._asking.has(key)) {
      this._asking.add(key);
      void fetchDiff(pipeline.name).then(
        diff => {
          this._saved.set(pipeline.name, { key, diff });
          this._changed.emit();
        },
        () => undefined // a pipeline whose notebook is gone: the panel shows its other facts
      ).finally(() => this._asking.delete(key));
    }
    return null;
  }

  /** The open notebook of a pipeline (to send its content), if it is open. */
  notebookOf(path: string): NotebookPanel | null {
    return this._notebooks.find(panel => panel.context.path === path) ?? null;
  }

  /** Check again now (after an update). */
  recheck(name?: string): void {
    if (name) {
      this._saved.delete(name);
    } else {
      this._saved.clear();
    }
    for (const watcher of this._watchers) {
      watcher.check();
    }
    this._changed.emit();
  }

  openDiff(name: string): void {
    this._openDiff(name);
  }

  /** @internal */
  emitChanged(): void {
    this._changed.emit();
  }

  private _watchers = new Set<NotebookWatcher>();
  private _saved = new Map<string, { key: string; diff: IDiff }>();
  private _asking = new Set<string>();
  private _changed = new Signal<this, void>(this);
}

function savedKey(pipeline: IPipelineRow): string {
  return `${pipeline.name}\u0000${pipeline.specHash}\u0000${pipeline.updatedAt}`;
}

/** One open notebook: its pipelines, their diffs against the editor's cells, the marks. */
class NotebookWatcher {
  constructor(
    private readonly _panel: NotebookPanel,
    private readonly _owner: PipelineFreshness
  ) {
    _panel.content.modelContentChanged.connect(() => this.schedule(), this);
    _panel.context.pathChanged.connect(() => this.pipelinesChanged(), this);
    _panel.context.fileChanged.connect(() => this.schedule(), this);
    this.pipelinesChanged();
  }

  get path(): string {
    return this._panel.context.path;
  }

  readonly diffs = new Map<string, IDiff>();

  pipelinesChanged(): void {
    const replica = this._owner.sync.replica;
    if (!replica) {
      return;
    }
    const pipelines = pipelinesOfNotebook(replica.db, this.path);
    const key = pipelines.map(savedKey).join('\n');
    if (key === this._key) {
      return;
    }
    this._key = key;
    this._pipelines = pipelines;
    for (const name of [...this.diffs.keys()]) {
      if (!pipelines.some(p => p.name === name)) {
        this.diffs.delete(name);
      }
    }
    this.check();
  }

  schedule(): void {
    if (!this._pipelines.length) {
      return;
    }
    window.clearTimeout(this._timer);
    this._timer = window.setTimeout(() => this.check(), CHECK_DELAY_MS);
  }

  check(): void {
    window.clearTimeout(this._timer);
    if (this._panel.isDisposed) {
      return;
    }
    if (!this._pipelines.length) {
      this._render();
      return;
    }
    const ask = ++this._asked;
    const content = cellsOnly(this._panel.context.model.toJSON());
    void Promise.all(
      this._pipelines.map(pipeline =>
        fetchDiff(pipeline.name, content).then(
          diff => [pipeline.name, diff] as const,
          () => [pipeline.name, null] as const
        )
      )
    ).then(results => {
      if (ask !== this._asked || this._panel.isDisposed) {
        return;
      }
      for (const [name, diff] of results) {
        if (diff) {
          this.diffs.set(name, diff);
        } else {
          this.diffs.delete(name);
        }
      }
      this._render();
      this._owner.emitChanged();
    });
  }

  private _render(): void {
    const trans = this._owner.trans;
    const changed = changedCells(this.diffs.values());
    for (const cell of this._panel.content.widgets) {
      const names = changed.get(cell.model.id);
      const existing = cell.node.querySelector(`:scope > .jp-CellHeader > .${MARK}`);
      if (!names) {
        existing?.remove();
        continue;
      }
      const header = cellHeader(cell, () => this._render());
      if (!header) {
        continue;
      }
      let mark = existing as HTMLButtonElement | null;
      if (!mark) {
        mark = document.createElement('button');
        mark.type = 'button';
        mark.className = `${MARK} jp-Plumbline-button`;
        mark.addEventListener('click', event => {
          event.stopPropagation();
          this._owner.openDiff(mark!.dataset.pipeline!);
        });
        header.append(mark);
      }
      mark.dataset.pipeline = names[0];
      mark.textContent = trans.__('pipeline out of date');
      mark.title = trans.__(
        'This cell differs from what pipeline %1 runs. Click to see the diff and update the pipeline.',
        names.join(', ')
      );
    }
  }

  private _pipelines: IPipelineRow[] = [];
  private _key = '';
  private _timer = 0;
  private _asked = 0;
}
