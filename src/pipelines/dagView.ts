/**
 * The DAG a range of cells becomes, as SVG laid out by dagre (src/charts/graphLayout.ts,
 * the lineage panel's layout): one node per task with its cells, one edge per pair of
 * tasks with the variables that cross it. Every name goes in as text.
 */
import type { TranslationBundle } from '@jupyterlab/translation';

import { edgePath, svg } from '../charts/graphCanvas';
import { layoutGraph } from '../charts/graphLayout';
import type { IDialogModel } from './model';

const NODE_HEIGHT = 38;

function cellsText(cells: number[], folded: number[], trans: TranslationBundle): string {
  const list = cells.map(cell => (folded.includes(cell) ? `${cell}*` : String(cell))).join(', ');
  return trans._n('cell %2', 'cells %2', cells.length, list);
}

/** The DAG as an SVG element (with a status per task when `status` is given: the panel's view). */
export function dagSvg(
  model: Pick<IDialogModel, 'tasks' | 'edges'>,
  trans: TranslationBundle,
  options: { label?: string } = {}
): SVGSVGElement {
  const meta = new Map(model.tasks.map(task => [task.name, cellsText(task.cells, task.folded, trans)]));
  const placed = layoutGraph(
    model.tasks.map(task => ({
      key: task.name,
      width: Math.round(Math.max(90, task.name.length * 7.5 + 24, (meta.get(task.name) ?? '').length * 6 + 24)),
      height: NODE_HEIGHT
    })),
    model.edges.map(edge => ({ from: edge.from, to: edge.to }))
  );
  // Room on the right for the edge labels, which sit beside the edge's middle.
  const labelWidth = Math.min(
    260,
    Math.max(0, ...model.edges.map(edge => edge.variables.map(v => v.name).join(', ').length * 6.5 + 16))
  );
  const width = placed.width + labelWidth;
  const root = svg('svg', {
    width,
    height: placed.height,
    viewBox: `0 0 ${width} ${placed.height}`,
    role: 'img',
    'aria-label': options.label ?? trans.__('Pipeline graph')
  });
  root.classList.add('jp-Plumbline-dag');
  const defs = svg('defs', {});
  const marker = svg('marker', {
    id: 'jp-Plumbline-dagArrow',
    viewBox: '0 0 10 10',
    refX: 9,
    refY: 5,
    markerWidth: 7,
    markerHeight: 7,
    orient: 'auto-start-reverse'
  });
  marker.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'jp-Plumbline-graphArrow' }));
  defs.append(marker);
  root.append(defs);

  const variables = new Map(model.edges.map(edge => [`${edge.from}\u0000${edge.to}`, edge.variables]));
  for (const edge of placed.edges) {
    const d = edgePath(edge.points);
    const group = svg('g', { class: 'jp-Plumbline-dagEdge' });
    group.dataset.from = edge.from;
    group.dataset.to = edge.to;
    group.append(svg('path', { d, class: 'jp-Plumbline-graphEdge', 'marker-end': 'url(#jp-Plumbline-dagArrow)' }));
    const crossing = variables.get(`${edge.from}\u0000${edge.to}`) ?? [];
    const title = svg('title', {});
    title.textContent = crossing.map(v => `${v.name}: ${v.type} (${v.format})`).join('\n');
    group.append(title);
    const middle = edge.points[Math.floor(edge.points.length / 2)];
    if (middle && crossing.length) {
      const label = svg('text', { x: middle.x + 6, y: middle.y + 4, class: 'jp-Plumbline-dagEdgeLabel' });
      label.textContent = crossing.map(v => v.name).join(', ');
      group.append(label);
    }
    root.append(group);
  }
  for (const node of placed.nodes) {
    const group = svg('g', {
      class: 'jp-Plumbline-graphNode jp-Plumbline-dagNode',
      transform: `translate(${node.x - node.width / 2}, ${node.y - node.height / 2})`
    });
    group.dataset.task = node.key;
    group.append(svg('rect', { width: node.width, height: node.height, rx: 5 }));
    const name = svg('text', { x: 10, y: 16, class: 'jp-Plumbline-graphName' });
    name.textContent = node.key;
    const cells = svg('text', { x: 10, y: 30, class: 'jp-Plumbline-graphMeta' });
    cells.textContent = meta.get(node.key) ?? '';
    group.append(name, cells);
    root.append(group);
  }
  return root;
}
