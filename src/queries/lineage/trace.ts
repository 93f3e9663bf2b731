/**
 * End-to-end traces of a value: upstream (what it was made from) and
 * downstream (what was made from it), as a DAG of runs.
 *
 * Each run appears once, holding the values of it the trace passes through;
 * a value read from outside the store is a node of its own. Shared ancestors
 * (a frame read by three cells) are one node, with `joins` counting the paths
 * that meet there. Per value: an output's upstream is only the inputs its own
 * assignment read (run_io.depends_on; unknown: all the run's inputs), and a
 * run that read a value but made nothing from it appears as a leaf holding
 * that input row (a peek such as `predictions[:5]`).
 *
 * The walk is one recursive CTE over value ids, deduplicated, so its work is
 * bounded by the number of distinct versions (maxNodes), not by the number of
 * paths, which grows exponentially in a diamond lattice.
 */
import type { Database } from 'sql.js';

import {
  ioById,
  IRunRef,
  IValueRow,
  RUN_REF_COLUMNS,
  toRunRef,
  toValue,
  VALUE_COLUMN_COUNT,
  VALUE_COLUMNS,
  VALUE_JOINS
} from './values';
import { selectAll } from '../sql';

export interface ITraceNode {
  /** The run's id, or the input row's id for a value from outside. */
  key: string;
  /** The run (for a value from outside: the run that read it). */
  run: IRunRef;
  /** The values of this run the trace passes through, by kind then name. */
  values: IValueRow[];
  /** A value from outside the store (values[0] is the input row that read it). */
  external: boolean;
  /** Hops from the root's run, along the shortest path. */
  depth: number;
  /** Paths that meet at this node: upstream, how many nodes read from it; downstream, how many it read from. */
  joins: number;
  /** The root's node. */
  root: boolean;
  /** What lies beyond this node was cut (maxDepth or maxNodes). */
  truncated?: boolean;
}

/** Data flows `from` (producer) `to` (consumer), carrying values named `names`. */
export interface ITraceEdge {
  from: string;
  to: string;
  names: string[];
}

export interface ITrace {
  /** The value the trace starts at (for an input, the version it read). */
  root: IValueRow | null;
  nodes: ITraceNode[];
  edges: ITraceEdge[];
  /** Some of the trace was cut at maxNodes or maxDepth. */
  truncated: boolean;
}

export interface ITraceOptions {
  /** Hops from the root; default 50. */
  maxDepth?: number;
  /** Distinct values in the walk; default 500. */
  maxNodes?: number;
}

const DEFAULT_DEPTH = 50;
const DEFAULT_NODES = 500;
const EMPTY: ITrace = { root: null, nodes: [], edges: [], truncated: false };

/** An input with a recorded source starts at that source; an input from outside stays itself. */
function resolveRoot(db: Database, ioId: string): IValueRow | null {
  const io = ioById(db, ioId);
  if (!io || io.direction === 'output' || !io.sourceIoId) {
    return io;
  }
  return ioById(db, io.sourceIoId) ?? io;
}

function limits(opts: ITraceOptions | undefined): { maxDepth: number; maxNodes: number } {
  return {
    maxDepth: Math.max(0, Math.floor(opts?.maxDepth ?? DEFAULT_DEPTH)),
    maxNodes: Math.max(1, Math.floor(opts?.maxNodes ?? DEFAULT_NODES))
  };
}

/** `o` (an output row) was made from input `i`: its dependencies name it, or are not known. */
const MADE_FROM = (o: string, i: string) =>
  `(${o}.depends_on IS NULL OR EXISTS (SELECT 1 FROM json_each(${o}.depends_on) d WHERE d.value = ${i}.id))`;

/** What a value was made from, back to the values that came from outside. */
export function traceUpstream(db: Database, ioId: string, opts?: ITraceOptions): ITrace {
  const root = resolveRoot(db, ioId);
  if (!root) {
    return EMPTY;
  }
  const { maxDepth, maxNodes } = limits(opts);
  const ids = selectAll(
    db,
    `WITH RECURSIVE v(io_id) AS (
       SELECT :root
       UNION
       SELECT coalesce(s.id, i.id)
         FROM v
         JOIN run_io o ON o.id = v.io_id AND o.direction = 'output'
         JOIN run_io i INDEXED BY run_io_by_run ON i.run_id = o.run_id AND i.direction = 'input' AND ${MADE_FROM('o', 'i')}
         LEFT JOIN run_io s ON s.id = i.source_io_id
        LIMIT :limit)
     SELECT io_id FROM v`,
    { ':root': root.id, ':limit': maxNodes + 1 },
    row => String(row[0])
  );
  return build(db, root, ids, maxNodes, maxDepth, 'upstream');
}

/** What was made from a value, down to the runs that made nothing more from it. */
export function traceDownstream(db: Database, ioId: string, opts?: ITraceOptions): ITrace {
  const root = resolveRoot(db, ioId);
  if (!root) {
    return EMPTY;
  }
  const { maxDepth, maxNodes } = limits(opts);
  const ids = selectAll(
    db,
    `WITH RECURSIVE v(io_id) AS (
       SELECT :root
       UNION
       -- the outputs made from it, or the reading run's input row when it made nothing from it
       SELECT coalesce(o.id, i.id)
         FROM v
         JOIN run_io i ON i.source_io_id = v.io_id AND i.direction = 'input'
         LEFT JOIN run_io o INDEXED BY run_io_by_run ON o.run_id = i.run_id AND o.direction = 'output' AND ${MADE_FROM('o', 'i')}
       UNION
       -- a value from outside: what its run made from it
       SELECT o.id
         FROM v
         JOIN run_io i ON i.id = v.io_id AND i.direction = 'input' AND i.source_io_id IS NULL
         JOIN run_io o INDEXED BY run_io_by_run ON o.run_id = i.run_id AND o.direction = 'output' AND ${MADE_FROM('o', 'i')}
        LIMIT :limit)
     SELECT io_id FROM v`,
    { ':root': root.id, ':limit': maxNodes + 1 },
    row => String(row[0])
  );
  return build(db, root, ids, maxNodes, maxDepth, 'downstream');
}

/** Group the values into run nodes, link them, measure depth from the root and cut at maxDepth. */
function build(
  db: Database,
  root: IValueRow,
  found: string[],
  maxNodes: number,
  maxDepth: number,
  direction: 'upstream' | 'downstream'
): ITrace {
  let truncated = found.length > maxNodes;
  const ids = found.slice(0, maxNodes);
  const idSet = new Set(ids);
  const rows = selectAll(
    db,
    `SELECT ${VALUE_COLUMNS}, ${RUN_REF_COLUMNS}
       FROM run_io io ${VALUE_JOINS}
       JOIN runs r ON r.id = io.run_id
       LEFT JOIN code_snapshots cs ON cs.hash = r.code_hash
      WHERE io.id IN (SELECT value FROM json_each(:ids))
      ORDER BY io.kind, io.name`,
    { ':ids': JSON.stringify(ids) },
    row => ({ io: toValue(row), run: toRunRef(row, VALUE_COLUMN_COUNT) })
  );
  // An input row is a node of its own when its value came from outside; else it is its run's.
  const external = (io: IValueRow) => io.direction === 'input' && !io.sourceIoId;
  const keyOf = (io: IValueRow) => (external(io) ? io.id : io.runId);
  const nodes = new Map<string, ITraceNode>();
  const valueKey = new Map<string, string>();
  for (const { io, run } of rows) {
    const key = keyOf(io);
    valueKey.set(io.id, key);
    const node = nodes.get(key);
    if (node) {
      node.values.push(io);
    } else {
      nodes.set(key, { key, run, values: [io], external: external(io), depth: 0, joins: 0, root: false });
    }
  }
  // Value-level edges (producer value -> consumer value), grouped into run edges.
  const edgeNames = new Map<string, Set<string>>();
  const link = (fromValue: string, toValue: string, name: string) => {
    const from = valueKey.get(fromValue);
    const to = valueKey.get(toValue);
    if (from && to && from !== to) {
      const key = `${from}\u0000${to}`;
      (edgeNames.get(key) ?? edgeNames.set(key, new Set()).get(key)!).add(name);
    }
  };
  selectAll(
    db,
    `SELECT coalesce(s.id, i.id), x.id, coalesce(s.name, i.name)
       FROM run_io x
       JOIN run_io i ON i.run_id = x.run_id AND i.direction = 'input'
       LEFT JOIN run_io s ON s.id = i.source_io_id
      WHERE x.id IN (SELECT value FROM json_each(:ids)) AND x.direction = 'output' AND ${MADE_FROM('x', 'i')}
     UNION ALL
     SELECT x.source_io_id, x.id, s.name
       FROM run_io x JOIN run_io s ON s.id = x.source_io_id
      WHERE x.id IN (SELECT value FROM json_each(:ids)) AND x.direction = 'input'`,
    { ':ids': JSON.stringify(ids) },
    row => {
      if (idSet.has(String(row[0])) && idSet.has(String(row[1]))) {
        link(String(row[0]), String(row[1]), String(row[2]));
      }
    }
  );
  let edges: ITraceEdge[] = [...edgeNames].map(([key, names]) => {
    const [from, to] = key.split('\u0000');
    return { from, to, names: [...names].sort() };
  });

  // Depth: hops from the root's node, walking against the data upstream and with it downstream.
  const rootKey = valueKey.get(root.id);
  if (!rootKey) {
    return EMPTY;
  }
  const next = new Map<string, string[]>();
  for (const edge of edges) {
    const [a, b] = direction === 'upstream' ? [edge.to, edge.from] : [edge.from, edge.to];
    (next.get(a) ?? next.set(a, []).get(a)!).push(b);
  }
  const depth = new Map<string, number>([[rootKey, 0]]);
  const queue = [rootKey];
  while (queue.length) {
    const key = queue.shift()!;
    for (const other of next.get(key) ?? []) {
      if (!depth.has(other)) {
        depth.set(other, depth.get(key)! + 1);
        queue.push(other);
      }
    }
  }
  const kept = new Set([...depth].filter(([, d]) => d <= maxDepth).map(([key]) => key));
  if (kept.size < nodes.size) {
    truncated = true;
  }
  edges = edges.filter(edge => kept.has(edge.from) && kept.has(edge.to));
  const result: ITraceNode[] = [];
  for (const [key, node] of nodes) {
    if (!kept.has(key)) {
      continue;
    }
    node.depth = depth.get(key)!;
    node.root = key === rootKey;
    node.joins = new Set(
      edges.filter(e => (direction === 'upstream' ? e.from === key : e.to === key)).map(e => (direction === 'upstream' ? e.to : e.from))
    ).size;
    if ((next.get(key) ?? []).some(other => !kept.has(other))) {
      node.truncated = true;
    }
    result.push(node);
  }
  // the walk stopped at maxNodes: the nodes whose next values were not reached are cut
  if (found.length > maxNodes) {
    const cut = found[maxNodes];
    const deepest = result.reduce((a, b) => (b.depth > a.depth ? b : a), result[0]);
    if (!result.some(node => node.values.some(value => value.id === cut))) {
      deepest.truncated = true;
    }
  }
  result.sort((a, b) => a.depth - b.depth || a.run.startedAt - b.run.startedAt || (a.key < b.key ? -1 : 1));
  return { root, nodes: result, edges, truncated };
}
