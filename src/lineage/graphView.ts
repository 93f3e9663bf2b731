/**
 * The component graph of a notebook: data edges between components, laid
 * out with dagre, staleness shown (with why, in each node's tooltip, with the
 * component's owner and description), the drift of each component's last run
 * (its outputs against the component's reference: a mark, a word in the meta
 * line, the verdicts in the tooltip), fitted to the width it has (the
 * sidebar, or the main area), zoomable and pannable.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';

import { edgeElement, GraphCanvas, svg } from '../charts/graphCanvas';
import { layoutGraph } from '../charts/graphLayout';
import { driftMarkModel, IDriftMark } from '../drift/badge';
import { componentGraph, IGraphNode, StaleReason } from '../queries/lineage';
import { driftVerdictsOfRuns, needsAttention } from '../queries/monitoring';
import { ReplicaSync } from '../replica/sync';
import { CommandIDs } from '../tokens';
import { el } from '../ui/dom';
import { formatWhen } from '../ui/format';
import { describeReason, NotebookStaleness } from './staleness';

const NODE_HEIGHT = 36;
/** Longer names are cut in the node (the full name is in its tooltip). */
const MAX_NAME = 28;

export function basename(path: string | null): string {
  return path ? path.split('/').pop() ?? path : '';
}

function clip(text: string, max = MAX_NAME): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

export interface IGraphViewOptions {
  sync: ReplicaSync;
  commands: CommandRegistry;
  trans: TranslationBundle;
}

export class ComponentGraphView {
  constructor(private readonly _options: IGraphViewOptions) {
    this.node.className = 'jp-Plumbline-graph';
    this._canvas = new GraphCanvas(_options.trans, _options.trans.__('Component graph'));
  }

  readonly node = document.createElement('div');

  /** Show a message instead of a graph. */
  message(text: string): void {
    this.node.replaceChildren(el('p', 'jp-Plumbline-message', text));
  }

  render(notebookPath: string, staleness: NotebookStaleness | null): void {
    const { trans, commands, sync } = this._options;
    const { nodes, edges } = componentGraph(sync.replica!.db, notebookPath);
    if (!nodes.length) {
      this.message(trans.__('No component has run in this notebook yet. Tag cells as components and run them: the data flowing between them draws the graph.'));
      return;
    }
    const stale = staleness?.reasons ?? new Map<string, StaleReason[]>();
    // The drift of each component's last run: a mark when an output needs attention (drift, schema, error).
    const verdicts = driftVerdictsOfRuns(sync.replica!.db, nodes.map(node => node.latestRunId ?? '').filter(Boolean));
    const drift = new Map<string, { mark: IDriftMark; attention: boolean }>();
    for (const node of nodes) {
      const of = node.latestRunId ? verdicts.get(node.latestRunId) ?? [] : [];
      const mark = driftMarkModel(of, trans);
      if (mark) {
        drift.set(node.key, { mark, attention: of.some(needsAttention) });
      }
    }
    const label = (node: IGraphNode) => (node.external ? `${basename(node.notebookPath)}: ${node.name}` : node.name);
    const meta = (node: IGraphNode, isStale: boolean) => {
      const base = isStale
        ? trans.__('stale')
        : node.lastRunAt !== null ? `${trans._n('%1 run', '%1 runs', node.runCount)} · ${formatWhen(node.lastRunAt, trans)}` : '';
      const marked = drift.get(node.key);
      return marked?.attention ? [base, clip(marked.mark.label, 24)].filter(Boolean).join(' · ') : base;
    };
    // Wide enough for the (clipped) name in the code font and the meta line (and the drift mark).
    const widthOf = (node: IGraphNode) =>
      Math.max(96, clip(label(node)).length * 7.5 + 42, meta(node, !!stale.get(node.key)?.length).length * 6 + 30);
    const placed = layoutGraph(
      nodes.map(node => ({ key: node.key, width: Math.round(widthOf(node)), height: NODE_HEIGHT })),
      edges
    );
    const byKey = new Map(nodes.map(node => [node.key, node]));
    const parts: SVGElement[] = [];
    const edgeNames = new Map(edges.map(edge => [`${edge.from}\u0000${edge.to}`, edge.names]));
    for (const edge of placed.edges) {
      parts.push(edgeElement(edge, this._canvas.arrowId, (edgeNames.get(`${edge.from}\u0000${edge.to}`) ?? []).join(', ')));
    }
    for (const placedNode of placed.nodes) {
      const node = byKey.get(placedNode.key)!;
      const reasons = stale.get(node.key);
      const isStale = !!reasons?.length;
      const marked = drift.get(node.key);
      const group = svg('g', {
        class: `jp-Plumbline-graphNode jp-mod-${node.latestStatus ?? 'never'}${isStale ? ' jp-mod-stale' : ''}${node.external ? ' jp-mod-external' : ''}${marked?.attention ? ' jp-mod-drifted' : ''}`,
        transform: `translate(${placedNode.x - placedNode.width / 2}, ${placedNode.y - placedNode.height / 2})`,
        tabindex: 0,
        role: 'button'
      });
      group.dataset.component = node.name;
      group.dataset.key = node.key;
      group.dataset.stale = String(isStale);
      group.dataset.drift = marked?.mark.status ?? 'none';
      group.append(svg('rect', { width: placedNode.width, height: placedNode.height, rx: 5 }));
      group.append(svg('circle', { cx: 11, cy: 12, r: 4, class: 'jp-Plumbline-graphStatus' }));
      if (marked?.attention) {
        // A diamond in the top right corner, colored as the badge's drift mark.
        const x = placedNode.width - 11;
        group.append(svg('path', {
          d: `M ${x} 6 L ${x + 5} 11 L ${x} 16 L ${x - 5} 11 Z`,
          class: `jp-Plumbline-graphDrift jp-mod-${marked.mark.status.replace(/\s+/g, '-')}`
        }));
      }
      const name = svg('text', { x: 20, y: 16, class: 'jp-Plumbline-graphName' });
      name.textContent = clip(label(node));
      const metaText = svg('text', { x: 20, y: 29, class: 'jp-Plumbline-graphMeta' });
      metaText.textContent = meta(node, isStale);
      group.append(name, metaText);
      const title = svg('title', {});
      const source = node.external ? staleness?.upstream.get(node.notebookPath) : undefined;
      title.textContent = [
        node.external
          ? trans.__('%1 in %2 (writes files this notebook reads)', node.name, node.notebookPath)
          : trans.__('Component %1: click for its history', node.name),
        node.owner ? trans.__('Owner: %1', node.owner) : '',
        node.description ?? '',
        node.latestStatus ? trans.__('last run: %1', node.latestStatus) : '',
        isStale ? trans.__('Stale: %1', reasons!.map(r => describeReason(r, trans)).join('; ')) : '',
        marked ? trans.__('Drift of the last run: %1', marked.mark.title) : '',
        source === 'open'
          ? trans.__('Its current code: from the notebook open in JupyterLab.')
          : source === 'saved'
            ? trans.__('Its current code: from its saved file.')
            : node.external ? trans.__('Its current code is not known (file not readable): what the store knows only.') : ''
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
      parts.push(group);
    }
    this._canvas.draw(parts, placed.width, placed.height, notebookPath);
    const staleCount = nodes.filter(node => stale.get(node.key)?.length).length;
    const hints: Node[] = [
      el('p', 'jp-Plumbline-hint jp-Plumbline-staleSummary', staleCount ? trans._n('%1 stale component', '%1 stale components', staleCount) : trans.__('All components are up to date.'))
    ];
    const kernel = staleness?.kernel ?? 'none';
    const kernelHint = el(
      'p',
      'jp-Plumbline-hint jp-Plumbline-kernelState',
      kernel === 'live'
        ? trans.__('Checked against what the notebook\'s kernel holds now.')
        : kernel === 'starting'
          ? trans.__('The kernel is starting: it holds nothing yet.')
          : trans.__('No recorded kernel: staleness from the store only (not what a kernel holds).')
    );
    kernelHint.dataset.kernel = kernel;
    hints.push(kernelHint);
    for (const [path, kind] of staleness?.upstream ?? []) {
      const hint = el(
        'p',
        'jp-Plumbline-hint jp-Plumbline-upstreamSource',
        kind === 'open'
          ? trans.__('%1: its code as open in JupyterLab', path)
          : kind === 'saved'
            ? trans.__('%1: its code as saved', path)
            : trans.__('%1: its code is not known, the store only', path)
      );
      hint.dataset.path = path;
      hint.dataset.source = kind;
      hints.push(hint);
    }
    this.node.replaceChildren(this._canvas.node, ...hints);
  }

  private _canvas: GraphCanvas;
}
