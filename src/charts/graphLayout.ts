/**
 * Layout of the component graph with dagre (layered DAG layout): top to
 * bottom, so a pipeline reads downwards in the narrow sidebar.
 */
import { graphlib, layout } from '@dagrejs/dagre';

export interface ILayoutNode {
  key: string;
  width: number;
  height: number;
}

export interface ILayoutEdge {
  from: string;
  to: string;
}

export interface IPlacedNode extends ILayoutNode {
  /** Center. */
  x: number;
  y: number;
}

export interface IPlacedEdge extends ILayoutEdge {
  points: { x: number; y: number }[];
}

export interface IGraphLayout {
  width: number;
  height: number;
  nodes: IPlacedNode[];
  edges: IPlacedEdge[];
}

export function layoutGraph(nodes: ILayoutNode[], edges: ILayoutEdge[]): IGraphLayout {
  const graph = new graphlib.Graph({ multigraph: false });
  graph.setGraph({ rankdir: 'TB', nodesep: 16, ranksep: 28, marginx: 8, marginy: 8 });
  graph.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) {
    graph.setNode(node.key, { width: node.width, height: node.height });
  }
  for (const edge of edges) {
    if (graph.hasNode(edge.from) && graph.hasNode(edge.to) && edge.from !== edge.to) {
      graph.setEdge(edge.from, edge.to);
    }
  }
  layout(graph);
  const label = graph.graph() as { width?: number; height?: number };
  return {
    width: Math.ceil(label.width ?? 0),
    height: Math.ceil(label.height ?? 0),
    nodes: nodes.map(node => {
      const placed = graph.node(node.key) as unknown as { x: number; y: number };
      return { ...node, x: placed.x, y: placed.y };
    }),
    edges: graph.edges().map(e => ({
      from: e.v,
      to: e.w,
      points: ((graph.edge(e) as unknown as { points?: { x: number; y: number }[] }).points ?? []).map(p => ({ x: p.x, y: p.y }))
    }))
  };
}
