/**
 * End-to-end trace of one value: its upstream tree back to the sources
 * (across cells, notebooks and files), or everything downstream that used it.
 */
import { TranslationBundle } from '@jupyterlab/translation';
import { CommandRegistry } from '@lumino/commands';
import { Widget } from '@lumino/widgets';

import { ioById, ITraceNode, traceDownstream, traceUpstream } from '../queries/lineage';
import { ReplicaSync } from '../replica/sync';
import { formatShape, formatWhen, shortType } from '../ui/format';
import { CommandIDs } from '../tokens';
import { button, el, link } from '../ui/dom';

export type TraceDirection = 'upstream' | 'downstream';

export interface ITraceOptions {
  sync: ReplicaSync;
  commands: CommandRegistry;
  trans: TranslationBundle;
  ioId: string;
  direction: TraceDirection;
}

export class TraceView extends Widget {
  constructor(private readonly _options: ITraceOptions) {
    super();
    this.addClass('jp-Plumbline-trace');
    this.title.closable = true;
    this._direction = _options.direction;
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
    const { trans, sync, commands } = this._options;
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
    const nodes = upstream ? traceUpstream(replica.db, root.id) : traceDownstream(replica.db, root.id);

    const head = el(
      'div',
      'jp-Plumbline-traceHead',
      el('h2', '', upstream ? trans.__('Where %1 came from', root.name) : trans.__('What used %1', root.name)),
      button(upstream ? trans.__('Show downstream') : trans.__('Show upstream'), () => {
        this.direction = upstream ? 'downstream' : 'upstream';
      }, { className: 'jp-Plumbline-traceToggle' })
    );
    const list = el('ul', 'jp-Plumbline-traceTree');
    list.setAttribute('role', 'tree');
    for (const node of nodes) {
      list.append(this._item(node, commands, trans));
    }
    const children: Node[] = [head, list];
    if (nodes.length <= 1) {
      children.push(
        el('p', 'jp-Plumbline-hint', upstream ? trans.__('Nothing upstream was recorded: this value came from outside.') : trans.__('No recorded run used this value yet.'))
      );
    }
    if (nodes.some(node => node.truncated)) {
      children.push(el('p', 'jp-Plumbline-hint', trans.__('The trace is long: it was cut at the node limit.')));
    }
    this.node.replaceChildren(...children);
  }

  private _item(node: ITraceNode, commands: CommandRegistry, trans: TranslationBundle): HTMLElement {
    const { io, run } = node;
    const item = el('li', `jp-Plumbline-traceNode${node.external ? ' jp-mod-external' : ''}`);
    item.setAttribute('role', 'treeitem');
    item.setAttribute('aria-level', String(node.depth + 1));
    item.style.paddingLeft = `${node.depth * 18 + 6}px`;
    item.dataset.name = io.name;
    item.dataset.runId = run.id;
    item.dataset.depth = String(node.depth);
    item.dataset.external = String(node.external);

    const name = el('span', `jp-Plumbline-ioName jp-mod-${io.kind}`, io.name);
    const detail = [shortType(io.type), formatShape(io.shape)].filter(Boolean).join(' ');
    const where = node.external
      ? trans.__('from outside, read by %1', run.componentName ?? trans.__('a cell'))
      : run.componentName ?? trans.__('cell [%1]', run.executionCount ?? ' ');
    const runLink = link(where, () => void commands.execute(CommandIDs.inspectRun, { runId: run.id }), 'jp-Plumbline-traceRun');
    runLink.title = `${run.notebookPath ?? ''}\n${run.codePreview}`;
    item.append(
      name,
      detail ? el('span', 'jp-Plumbline-hint', ` ${detail} `) : ' ',
      el('span', 'jp-Plumbline-traceArrow', node.external ? '⇠ ' : '← '),
      runLink,
      el('span', 'jp-Plumbline-hint', ` · ${run.notebookPath ?? ''} · ${formatWhen(run.startedAt, trans)}`)
    );
    if (io.flagged) {
      item.append(el('span', 'jp-Plumbline-flagMark', trans.__('flagged')));
    }
    return item;
  }

  private _direction: TraceDirection;
}
