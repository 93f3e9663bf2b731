/**
 * End-to-end trace of one value, drawn as a DAG of runs: upstream back to the
 * sources (across cells, notebooks and files), or downstream to everything
 * made from it. Each run is drawn once; where paths join, the node says how
 * many (×n). Data flows downwards.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { edgeElement, GraphCanvas, svg } from '../charts/graphCanvas';
import { layoutGraph } from '../charts/graphLayout';
import { ioById, ITraceNode, traceDownstream, traceUpstream } from '../queries/lineage';
import { ReplicaSync } from '../replica/sync';
import { formatWhen } from '../ui/format';
import { CommandIDs } from '../tokens';
import { button, el } from '../ui/dom';

export type TraceDirection = 'upstream' | 'downstream';

export interface ITraceOptions {
  sync: ReplicaSync;
  commands: CommandRegistry;
  trans: TranslationBundle;
  ioId: string;
  direction: TraceDirection;
}

const NODE_HEIGHT = 40;
const MAX_LABEL = 44;

function clip(text: string, max = MAX_LABEL): string {
  return text.length > max ? text.slice(0, max - 1) + '…' : text;
}

export class TraceView extends Widget {
  constructor(private readonly _options: ITraceOptions) {
    super();
    this.addClass('jp-Plumbline-trace');
    this.title.closable = true;
    this._direction = _options.direction;
    this._canvas = new GraphCanvas(_options.trans, _options.trans.__('Trace'));
    _options.sync.changed.connect(this.update, this);
    this.update();
  }

  get ioId(): string {
    return this._options.ioId;
  }

  get direction(): TraceDirection {
    return this._direction;
  }

  set direction(value: TraceDirection) {
    this._direction = value;
    this.update();
  }

  dispose(): void {
    this._options.sync.changed.disconnect(this.update, this);
    super.dispose();
  }

  protected onUpdateRequest(): void {
    const { trans, sync } = this._options;
    const replica = sync.replica;
    if (!replica) {
      this.node.replaceChildren(el('p', 'jp-Plumbline-message', trans.__('Loading the lineage store…')));
      return;
    }
    const root = ioById(replica.db, this._options.ioId);
    if (!root) {
      this.node.replaceChildren(el('p', 'jp-Plumbline-message jp-mod-error', trans.__('No recorded value %1.', this._options.ioId)));
      return;
    }
    const upstream = this._direction === 'upstream';
    this.title.label = upstream ? trans.__('Trace of %1', root.name) : trans.__('Impact of %1', root.name);
    this.node.dataset.direction = this._direction;
    const trace = upstream ? traceUpstream(replica.db, root.id) : traceDownstream(replica.db, root.id);

    const head = el(
      'div',
      'jp-Plumbline-traceHead',
      el('h2', '', upstream ? trans.__('Where %1 came from', root.name) : trans.__('What was made from %1', root.name)),
      button(upstream ? trans.__('Show downstream') : trans.__('Show upstream'), () => {
        this.direction = upstream ? 'downstream' : 'upstream';
      }, { className: 'jp-Plumbline-traceToggle' })
    );
    this._draw(trace.nodes, trace.edges);
    const children: Node[] = [head, this._canvas.node];
    if (trace.nodes.length <= 1) {
      children.push(
        el('p', 'jp-Plumbline-hint', upstream ? trans.__('Nothing upstream was recorded: this value came from outside, or from nothing its cell read.') : trans.__('Nothing recorded was made from this value yet.'))
      );
    } else {
      children.push(el('p', 'jp-Plumbline-hint', trans.__('Each run once; ×n: n paths join there. Click a run to inspect it.')));
    }
    if (trace.truncated) {
      children.push(el('p', 'jp-Plumbline-hint', trans.__('The trace is long: it was cut at the node limit.')));
    }
    this.node.replaceChildren(...children);
  }

  private _draw(nodes: ITraceNode[], edges: { from: string; to: string; names: string[] }[]): void {
    const { trans, commands } = this._options;
    const title = (node: ITraceNode) =>
      node.external
        ? trans.__('from outside')
        : node.run.componentName ?? trans.__('cell [%1]', node.run.executionCount ?? ' ');
    const names = (node: ITraceNode) => node.values.map(v => v.name).join(', ');
    const widthOf = (node: ITraceNode) =>
      Math.max(110, Math.min(MAX_LABEL, Math.max(title(node).length + 4, names(node).length)) * 7.2 + 34);
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
      const group = svg('g', {
        class: `jp-Plumbline-traceNode${node.external ? ' jp-mod-external' : ''}${node.root ? ' jp-mod-root' : ''}${node.values.some(v => v.flagged) ? ' jp-mod-flagged' : ''}`,
        transform: `translate(${placedNode.x - placedNode.width / 2}, ${placedNode.y - placedNode.height / 2})`,
        tabindex: 0,
        role: 'button'
      });
      group.dataset.runId = node.run.id;
      group.dataset.names = node.values.map(v => v.name).join(',');
      group.dataset.joins = String(node.joins);
      group.dataset.external = String(node.external);
      group.dataset.depth = String(node.depth);
      group.append(svg('rect', { width: placedNode.width, height: placedNode.height, rx: 5 }));
      const head = svg('text', { x: 8, y: 16, class: 'jp-Plumbline-graphName' });
      head.textContent = clip(title(node));
      const values = svg('text', { x: 8, y: 31, class: 'jp-Plumbline-graphMeta' });
      values.textContent = clip(names(node));
      group.append(head, values);
      if (node.joins > 1) {
        const badge = svg('text', { x: placedNode.width - 6, y: 16, class: 'jp-Plumbline-traceJoins', 'text-anchor': 'end' });
        badge.textContent = `×${node.joins}`;
        group.append(badge);
      }
      const tip = svg('title', {});
      tip.textContent = [
        node.external ? trans.__('%1, from outside, read by run %2', names(node), node.run.id.slice(0, 8)) : `${title(node)} · ${trans.__('run %1', node.run.id.slice(0, 8))}`,
        names(node),
        `${node.run.notebookPath ?? ''} · ${formatWhen(node.run.startedAt, trans)}`,
        node.run.codePreview,
        node.joins > 1 ? trans.__('%1 paths join here', node.joins) : '',
        node.values.some(v => v.flagged) ? trans.__('flagged as wrong') : ''
      ].filter(Boolean).join('\n');
      group.append(tip);
      const open = () => void commands.execute(CommandIDs.inspectRun, { runId: node.run.id });
      group.addEventListener('click', open);
      group.addEventListener('keydown', event => {
        if (event.key === 'Enter') {
          open();
        }
      });
      parts.push(group);
    }
    this._canvas.draw(parts, placed.width, placed.height, `${this._options.ioId}\u0000${this._direction}`);
  }

  private _direction: TraceDirection;
  private _canvas: GraphCanvas;
}
