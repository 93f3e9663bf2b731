/** The component graph of the active notebook in a main-area tab (the sidebar's, with room). */
import { Widget } from '@lumino/widgets';

import { ComponentGraphView, IGraphViewOptions } from './graphView';
import { NotebookStaleness } from './staleness';

export class GraphMain extends Widget {
  constructor(private readonly _options: IGraphViewOptions) {
    super();
    this.addClass('jp-Plumbline-graphMain');
    this.title.label = _options.trans.__('Component graph');
    this.title.closable = true;
    this._view = new ComponentGraphView(_options);
    this._subtitle.className = 'jp-Plumbline-subtitle';
    this.node.append(this._subtitle, this._view.node);
    _options.sync.changed.connect(this.update, this);
  }

  /** The active notebook's staleness (it also says which notebook to draw). */
  setStaleness(value: NotebookStaleness | null): void {
    this._staleness?.changed.disconnect(this.update, this);
    this._staleness = value;
    value?.changed.connect(this.update, this);
    this.update();
  }

  dispose(): void {
    this._options.sync.changed.disconnect(this.update, this);
    this._staleness?.changed.disconnect(this.update, this);
    super.dispose();
  }

  protected onUpdateRequest(): void {
    const { trans, sync } = this._options;
    const panel = this._staleness?.panel ?? null;
    this._subtitle.textContent = panel ? panel.context.path : '';
    if (!sync.replica) {
      this._view.message(trans.__('Loading the lineage store…'));
    } else if (!panel) {
      this._view.message(trans.__('Open a notebook to see its components.'));
    } else {
      this.title.label = trans.__('Graph of %1', panel.context.path.split('/').pop() ?? '');
      this._view.render(panel.context.path, this._staleness);
    }
  }

  private _view: ComponentGraphView;
  private _staleness: NotebookStaleness | null = null;
  private _subtitle = document.createElement('div');
}
