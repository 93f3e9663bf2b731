/**
 * The "Plumbline Lineage" sidebar: the component graph of the active notebook
 * (data edges between components, laid out with dagre, staleness shown), and
 * the review of flagged outputs (the runs they share, most shared first).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { reviewFlagged } from '../queries/lineage';
import { ReplicaSync } from '../replica/sync';
import { formatWhen } from '../ui/format';
import { CommandIDs } from '../tokens';
import { button, el, link } from '../ui/dom';
import { basename, ComponentGraphView } from './graphView';
import { NotebookStaleness } from './staleness';

export interface ILineagePanelOptions {
  sync: ReplicaSync;
  commands: CommandRegistry;
  trans: TranslationBundle;
}

export class LineagePanel extends Widget {
  constructor(private readonly _options: ILineagePanelOptions) {
    super();
    const trans = _options.trans;
    this.id = 'plumbline-lineage';
    this.addClass('jp-Plumbline-sidebar');
    this.addClass('jp-Plumbline-lineage');
    this.title.caption = trans.__('Plumbline: component graph and review');

    const header = el(
      'div',
      'jp-Plumbline-header',
      el('h2', 'jp-Plumbline-title', trans.__('Lineage')),
      button(trans.__('Open'), () => void _options.commands.execute(CommandIDs.openGraph), {
        title: trans.__('Open the component graph in the main area'),
        className: 'jp-Plumbline-openGraph'
      }),
      button(trans.__('SQL'), () => void _options.commands.execute(CommandIDs.sqlConsole), {
        title: trans.__('Open the SQL console over the lineage store (read-only)'),
        className: 'jp-Plumbline-openConsole'
      })
    );
    this._graphView = new ComponentGraphView(_options);
    this._subtitle.className = 'jp-Plumbline-subtitle';
    this._graph = this._graphView.node;
    this._review.className = 'jp-Plumbline-review';
    this.node.append(
      header,
      this._subtitle,
      el('h3', 'jp-Plumbline-sectionTitle', trans.__('Components')),
      this._graph,
      el('h3', 'jp-Plumbline-sectionTitle', trans.__('Review: flagged outputs')),
      this._review
    );
    _options.sync.changed.connect(() => this.update(), this);
  }

  /** The active notebook's staleness (it also says which notebook to draw). */
  set staleness(value: NotebookStaleness | null) {
    if (this._staleness === value) {
      return;
    }
    this._staleness?.changed.disconnect(this._onStale, this);
    this._staleness = value;
    value?.changed.connect(this._onStale, this);
    this.update();
  }

  protected onAfterShow(msg: Message): void {
    this._staleness?.compute();
    this.update();
  }

  protected onUpdateRequest(msg: Message): void {
    if (!this.isVisible) {
      return;
    }
    const { trans, sync } = this._options;
    const replica = sync.replica;
    const panel = this._staleness?.panel ?? null;
    this._subtitle.textContent = panel ? panel.context.path : '';
    if (!replica) {
      this._graphView.message(trans.__('Loading the lineage store…'));
      this._review.replaceChildren();
      return;
    }
    if (!panel) {
      this._graphView.message(trans.__('Open a notebook to see its components.'));
    } else {
      this._renderGraph(panel.context.path);
    }
    this._renderReview();
  }

  private _onStale(): void {
    this.update();
  }

  private _renderGraph(notebookPath: string): void {
    this._graphView.render(notebookPath, this._staleness);
  }

  private _renderReview(): void {
    const { trans, commands, sync } = this._options;
    const { flagged, ranking } = reviewFlagged(sync.replica!.db);
    if (!flagged.length) {
      this._review.replaceChildren(
        el('p', 'jp-Plumbline-hint', trans.__('No output is flagged. Flag wrong outputs in a run\'s inspector: review then ranks the runs they share.'))
      );
      return;
    }
    const flaggedList = el('ul', 'jp-Plumbline-flagged');
    for (const io of flagged) {
      const item = el(
        'li',
        '',
        link(`${io.name}`, () => void commands.execute(CommandIDs.trace, { ioId: io.id, direction: 'upstream' })),
        el('span', 'jp-Plumbline-hint', [io.runComponent ?? io.runNotebook ?? '', io.flagNote ?? ''].filter(Boolean).map(t => ` · ${t}`).join(''))
      );
      item.dataset.ioId = io.id;
      flaggedList.append(item);
    }
    const rankingList = el('ol', 'jp-Plumbline-ranking');
    for (const row of ranking) {
      const item = el(
        'li',
        '',
        link(row.componentName ?? trans.__('run %1', row.runId.slice(0, 8)), () => void commands.execute(CommandIDs.inspectRun, { runId: row.runId }), 'jp-Plumbline-rankRun'),
        el('span', 'jp-Plumbline-rankShared', trans.__(' shared by %1 of %2', row.sharedBy, flagged.length)),
        el('span', 'jp-Plumbline-hint', ` · ${basename(row.notebookPath)} · ${formatWhen(row.startedAt, trans)}`)
      );
      item.dataset.runId = row.runId;
      item.dataset.sharedBy = String(row.sharedBy);
      rankingList.append(item);
    }
    this._review.replaceChildren(
      flaggedList,
      el('h4', 'jp-Plumbline-sectionSubtitle', trans.__('Upstream runs, most shared first')),
      rankingList
    );
  }

  private _staleness: NotebookStaleness | null = null;
  private _graphView: ComponentGraphView;
  private _subtitle = document.createElement('div');
  private _graph: HTMLElement;
  private _review = document.createElement('div');
}
