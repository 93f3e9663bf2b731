/**
 * The component graph of a notebook: which components feed which, from what
 * the latest run of each of their cells read.
 */
import type { Database } from 'sql.js';

import { selectAll } from '../sql';

export interface IGraphNode {
  /** The node's key in edges: the name, or `${notebookPath}::${name}` when external. */
  key: string;
  name: string;
  notebookPath: string;
  latestRunId: string | null;
  latestStatus: string | null;
  runCount: number;
  lastRunAt: number | null;
  /** A component of another notebook that feeds this one (through files). */
  external: boolean;
  /** As the component's definition says (the cells' metadata, recorded with its runs). */
  owner: string | null;
  description: string | null;
}

export interface IGraphEdge {
  from: string;
  to: string;
  /** Names of the values and files carried, as the upstream component wrote them; sorted. */
  names: string[];
}

/** How many untagged runs a walk crosses between two component runs, at most. */
const UNTAGGED_DEPTH = 20;

/**
 * SQL for two CTEs ending in `latest(run_id, cell_id, component_id)`: the
 * latest run of each cell of the notebook bound to `notebookParam`, when that
 * run belongs to a component (a cell's latest run says which component it is
 * part of now). One pass over the notebook's runs, no sort of whole rows; with
 * an index on runs (notebook_path, cell_id, started_at) it reads only the index.
 */
export function latestComponentRunPerCellSql(notebookParam: string): string {
  return `latest_cell AS (
      SELECT rowid AS rid, max(started_at)
        FROM runs
       WHERE notebook_path = ${notebookParam} AND cell_id IS NOT NULL
       GROUP BY cell_id),
    latest AS (
      SELECT r.id AS run_id, r.cell_id, r.component_id
        FROM latest_cell lc JOIN runs r ON r.rowid = lc.rid
       WHERE r.component_id IS NOT NULL)`;
}

export const nodeKey = (notebookOfGraph: string, notebookPath: string, name: string): string =>
  notebookPath === notebookOfGraph ? name : `${notebookPath}::${name}`;

/**
 * Nodes: the components of the notebook that have runs (in order of their
 * first run), then the components of other notebooks that feed them.
 * Edges: from the components whose outputs the latest run of each cell read
 * (when that run is a component's); through untagged runs, to the nearest component runs
 * upstream, following only the inputs each version read was made from
 * (run_io.depends_on). Self-edges are dropped.
 */
export function componentGraph(
  db: Database,
  notebookPath: string
): { nodes: IGraphNode[]; edges: IGraphEdge[] } {
  const rawEdges = selectAll(
    db,
    `WITH RECURSIVE
       ${latestComponentRunPerCellSql(':nb')},
       walk(target, io_id, run_id, name, depth) AS (
         SELECT l.component_id, o.id, o.run_id, o.name, 0
           FROM latest l
           JOIN run_io i ON i.run_id = l.run_id AND i.direction = 'input'
           JOIN run_io o ON o.id = i.source_io_id
         UNION
         SELECT w.target, o.id, o.run_id, o.name, w.depth + 1
           FROM walk w
           JOIN runs s ON s.id = w.run_id AND s.component_id IS NULL
           JOIN run_io v ON v.id = w.io_id
           JOIN run_io i ON i.run_id = s.id AND i.direction = 'input'
           JOIN run_io o ON o.id = i.source_io_id
          WHERE w.depth < :depth
            -- per value: only what the version that was read was made from
            AND (v.depends_on IS NULL
                 OR EXISTS (SELECT 1 FROM json_each(v.depends_on) d WHERE d.value = i.id)))
     SELECT w.target, r.component_id, json_group_array(DISTINCT w.name)
       FROM walk w JOIN runs r ON r.id = w.run_id
      WHERE r.component_id IS NOT NULL AND r.component_id != w.target
      GROUP BY w.target, r.component_id`,
    { ':nb': notebookPath, ':depth': UNTAGGED_DEPTH },
    row => ({
      to: row[0] as number,
      from: row[1] as number,
      names: (JSON.parse(String(row[2])) as string[]).sort()
    })
  );
  const sources = [...new Set(rawEdges.map(edge => edge.from))];
  const nodesById = new Map<number, IGraphNode & { firstRunAt: number }>();
  selectAll(
    db,
    `SELECT c.id, c.notebook_path, c.name, s.n, s.last, s.first, lr.id, lr.status, c.owner, c.description
       FROM components c
       JOIN (SELECT component_id, count(*) AS n, max(started_at) AS last, min(started_at) AS first
               FROM runs
              WHERE component_id IN (SELECT id FROM components WHERE notebook_path = :nb)
                 OR component_id IN (SELECT value FROM json_each(:ids))
              GROUP BY component_id) s ON s.component_id = c.id
       LEFT JOIN runs lr ON lr.id = (SELECT x.id FROM runs x WHERE x.component_id = c.id
                                      ORDER BY x.started_at DESC, x.rowid DESC LIMIT 1)`,
    { ':nb': notebookPath, ':ids': JSON.stringify(sources) },
    row => {
      const nb = String(row[1]);
      const name = String(row[2]);
      nodesById.set(row[0] as number, {
        key: nodeKey(notebookPath, nb, name),
        name,
        notebookPath: nb,
        runCount: row[3] as number,
        lastRunAt: row[4] as number | null,
        firstRunAt: row[5] as number,
        latestRunId: row[6] as string | null,
        latestStatus: row[7] as string | null,
        external: nb !== notebookPath,
        owner: (row[8] as string | null) || null,
        description: (row[9] as string | null) || null
      });
    }
  );
  const nodes = [...nodesById.values()]
    .sort(
      (a, b) =>
        Number(a.external) - Number(b.external) ||
        (a.external
          ? a.key.localeCompare(b.key)
          : a.firstRunAt - b.firstRunAt || a.name.localeCompare(b.name))
    )
    .map(({ firstRunAt: _first, ...node }) => node);
  const edges: IGraphEdge[] = [];
  for (const edge of rawEdges) {
    const from = nodesById.get(edge.from);
    const to = nodesById.get(edge.to);
    if (from && to) {
      edges.push({ from: from.key, to: to.key, names: edge.names });
    }
  }
  const order = new Map(nodes.map((node, index) => [node.key, index]));
  edges.sort((a, b) => order.get(a.from)! - order.get(b.from)! || order.get(a.to)! - order.get(b.to)!);
  return { nodes, edges };
}
