/**
 * The "Plumbline Lineage" sidebar: the component graph of the active notebook
 * (data edges between components, laid out with dagre, staleness shown), and
 * the review of flagged outputs (the runs they share, most shared first).
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Message } from '@lumino/messaging';
import { Widget } from '@lumino/widgets';

import { componentGraph, IGraphNode, reviewFlagged, StaleReason } from '../queries/lineage';
import { ReplicaSync } from '../replica/sync';
import { formatWhen } from '../ui/format';
import { CommandIDs } from '../tokens';
import { button, el, link } from '../ui/dom';
import { layoutGraph } from '../charts/graphLayout';
import { describeReason, NotebookStaleness } from './staleness';

const SVG = 'http://www.w3.org/2000/svg';
const NODE_HEIGHT = 36;

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: { [key: string]: string | number }): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, String(value));
  }
  return node;
}

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
      button(trans.__('SQL'), () => void _options.commands.execute(CommandIDs.sqlConsole), {
        title: trans.__('Open the SQL console over the lineage store (read-only)'),
        className: 'jp-Plumbline-openConsole'
      })
    );
    this._subtitle.className = 'jp-Plumbline-subtitle';
    this._graph.className = 'jp-Plumbline-graph';
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
      this._graph.replaceChildren(el('p', 'jp-Plumbline-message', trans.__('Loading the lineage store…')));
      this._review.replaceChildren();
      return;
    }
    if (!panel) {
      this._graph.replaceChildren(el('p', 'jp-Plumbline-message', trans.__('Open a notebook to see its components.')));
    } else {
      this._renderGraph(panel.context.path);
    }
    this._renderReview();
  }

  private _onStale(): void {
    this.update();
  }

  private _renderGraph(notebookPath: string): void {
    const { trans, commands, sync } = this._options;
    const { nodes, edges } = componentGraph(sync.replica!.db, notebookPath);
    if (!nodes.length) {
      this._graph.replaceChildren(
        el('p', 'jp-Plumbline-message', trans.__('No component has run in this notebook yet. Tag cells as components and run them: the data flowing between them draws the graph.'))
      );
      return;
    }
    const label = (node: IGraphNode) => (node.external ? `${basename(node.notebookPath)}: ${node.name}` : node.name);
    const meta = (node: IGraphNode, isStale: boolean) =>
      isStale
        ? trans.__('stale')
        : node.lastRunAt !== null ? `${trans._n('%1 run', '%1 runs', node.runCount)} · ${formatWhen(node.lastRunAt, trans)}` : '';
    const stale = this._staleness?.reasons ?? new Map<string, StaleReason[]>();
    const staleOf = (node: IGraphNode) => (node.external ? undefined : stale.get(node.name));
    // Wide enough for the name (code font) and the meta line (smaller UI font).
    const widthOf = (node: IGraphNode) =>
      Math.max(96, label(node).length * 7.5 + 30, meta(node, !!staleOf(node)?.length).length * 6 + 30);
    const placed = layoutGraph(
      nodes.map(node => ({ key: node.key, width: Math.round(widthOf(node)), height: NODE_HEIGHT })),
      edges
    );
    const byKey = new Map(nodes.map(node => [node.key, node]));
    const root = svg('svg', {
      width: placed.width,
      height: placed.height,
      viewBox: `0 0 ${placed.width} ${placed.height}`,
      role: 'img',
      'aria-label': trans.__('Component graph of %1', notebookPath)
    });
    const defs = svg('defs', {});
    const marker = svg('marker', { id: 'jp-Plumbline-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' });
    marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'jp-Plumbline-graphArrow' }));
    defs.append(marker);
    root.append(defs);

    const edgeNames = new Map(edges.map(edge => [`${edge.from}\u0000${edge.to}`, edge.names]));
    for (const edge of placed.edges) {
      const d = edge.points.map((p, i) => `${i ? 'L' : 'M'} ${p.x} ${p.y}`).join(' ');
      const path = svg('path', { d, class: 'jp-Plumbline-graphEdge', 'marker-end': 'url(#jp-Plumbline-arrow)' });
      path.dataset.from = edge.from;
      path.dataset.to = edge.to;
      const title = svg('title', {});
      title.textContent = (edgeNames.get(`${edge.from}\u0000${edge.to}`) ?? []).join(', ');
      path.append(title);
      root.append(path);
    }
    for (const placedNode of placed.nodes) {
      const node = byKey.get(placedNode.key)!;
      const reasons = staleOf(node);
      const isStale = !!reasons?.length;
      const group = svg('g', {
        class: `jp-Plumbline-graphNode jp-mod-${node.latestStatus ?? 'never'}${isStale ? ' jp-mod-stale' : ''}${node.external ? ' jp-mod-external' : ''}`,
        transform: `translate(${placedNode.x - placedNode.width / 2}, ${placedNode.y - placedNode.height / 2})`,
        tabindex: 0,
        role: 'button'
      });
      group.dataset.component = node.name;
      group.dataset.stale = String(isStale);
      group.append(svg('rect', { width: placedNode.width, height: placedNode.height, rx: 5 }));
      group.append(svg('circle', { cx: 11, cy: 12, r: 4, class: 'jp-Plumbline-graphStatus' }));
      const name = svg('text', { x: 20, y: 16, class: 'jp-Plumbline-graphName' });
      name.textContent = label(node);
      const metaText = svg('text', { x: 20, y: 29, class: 'jp-Plumbline-graphMeta' });
      metaText.textContent = meta(node, isStale);
      group.append(name, metaText);
      const title = svg('title', {});
      title.textContent = [
        node.external ? trans.__('%1 in %2 (writes files this notebook reads)', node.name, node.notebookPath) : trans.__('Component %1: click for its history', node.name),
        node.latestStatus ? trans.__('last run: %1', node.latestStatus) : '',
        isStale ? trans.__('Stale: %1', reasons!.map((r: StaleReason) => describeReason(r, trans)).join('; ')) : ''
      ].filter(Boolean).join('\n');
      group.append(title);
      const open = () =>
        void commands.execute(CommandIDs.componentHistory, { notebookPath: node.notebookPath, component: node.name });
      group.addEventListener('click', open);
      group.addEventListener('keydown', event => {
        if (event.key === 'Enter') {
          open();
        }
      });
      root.append(group);
    }
    const staleCount = nodes.filter(node => staleOf(node)?.length).length;
    this._graph.replaceChildren(
      root,
      el('p', 'jp-Plumbline-hint', staleCount ? trans._n('%1 stale component', '%1 stale components', staleCount) : trans.__('All components are up to date.'))
    );
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
  private _subtitle = document.createElement('div');
  private _graph = document.createElement('div');
  private _review = document.createElement('div');
}

function basename(path: string | null): string {
  return path ? path.split('/').pop() ?? path : '';
}
