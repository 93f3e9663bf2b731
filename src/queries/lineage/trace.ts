/**
 * End-to-end traces of a value: upstream (what it was made from) and
 * downstream (what was made from it), as trees in depth-first pre-order.
 *
 * The walk is one recursive CTE whose queue is ordered by the node's path, so
 * SQLite itself produces depth-first pre-order and stops after maxNodes rows:
 * a diamond in the lineage repeats its shared part, and the repetition is
 * bounded instead of exponential.
 */
import type { Database, SqlValue } from 'sql.js';

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
  /** Unique in the tree: the root is '0', its children '0.0', '0.1', ... */
  key: string;
  parentKey: string | null;
  depth: number;
  io: IValueRow;
  /** The run that wrote `io` (for an input row: the run that read it). */
  run: IRunRef;
  /** The value came from outside the store (io is the input row that read it). */
  external: boolean;
  /** The children listed under this node are incomplete (maxDepth or maxNodes). */
  truncated?: boolean;
}

export interface ITraceOptions {
  /** Levels below the root; default 50. */
  maxDepth?: number;
  /** Nodes in the tree; default 500. */
  maxNodes?: number;
}

const DEFAULT_DEPTH = 50;
const DEFAULT_NODES = 500;

/** Where a trace starts, resolved from any input or output id. */
interface IRoot {
  io: IValueRow;
  /** 1: an output (expand it); 0: an input row (leaf / expand its run). */
  isOutput: number;
  external: boolean;
}

function resolveRoot(db: Database, ioId: string): IRoot | null {
  const io = ioById(db, ioId);
  if (!io) {
    return null;
  }
  if (io.direction === 'output') {
    return { io, isOutput: 1, external: false };
  }
  const source = io.sourceIoId ? ioById(db, io.sourceIoId) : null;
  return source
    ? { io: source, isOutput: 1, external: false }
    : { io, isOutput: 0, external: true };
}

/**
 * Rows of (path, parent path, depth, external, cut, value..., run...) in
 * pre-order -> nodes with keys, the last row dropped and its parent marked
 * when the walk hit maxNodes.
 */
function toNodes(rows: SqlValue[][], maxNodes: number): ITraceNode[] {
  const keys = new Map<string, string>();
  const childCount = new Map<string, number>();
  const nodes: ITraceNode[] = [];
  const cutAt = rows.length > maxNodes ? rows[maxNodes] : null;
  for (const row of rows.slice(0, maxNodes)) {
    const path = String(row[0]);
    const parentPath = row[1] === null ? null : String(row[1]);
    let key = '0';
    let parentKey: string | null = null;
    if (parentPath !== null) {
      parentKey = keys.get(parentPath) ?? null;
      if (parentKey === null) {
        continue; // cannot happen in pre-order; keep the tree well formed anyway
      }
      const index = childCount.get(parentPath) ?? 0;
      childCount.set(parentPath, index + 1);
      key = `${parentKey}.${index}`;
    }
    keys.set(path, key);
    const node: ITraceNode = {
      key,
      parentKey,
      depth: row[2] as number,
      external: row[3] === 1,
      io: toValue(row, 5),
      run: toRunRef(row, 5 + VALUE_COLUMN_COUNT)
    };
    if (row[4] === 1) {
      node.truncated = true;
    }
    nodes.push(node);
  }
  if (cutAt) {
    const parentKey = keys.get(String(cutAt[1]));
    const parent = nodes.find(node => node.key === parentKey);
    if (parent) {
      parent.truncated = true;
    }
  }
  return nodes;
}

function limits(opts: ITraceOptions | undefined): { maxDepth: number; maxNodes: number } {
  return {
    maxDepth: Math.max(0, Math.floor(opts?.maxDepth ?? DEFAULT_DEPTH)),
    maxNodes: Math.max(1, Math.floor(opts?.maxNodes ?? DEFAULT_NODES))
  };
}

const NODE_SELECT = (cut: string): string => `
  SELECT t.path, t.parent, t.depth, t.external, ${cut},
         ${VALUE_COLUMNS}, ${RUN_REF_COLUMNS}
    FROM t
    JOIN run_io io ON io.id = t.io_id
    ${VALUE_JOINS}
    JOIN runs r ON r.id = io.run_id
    LEFT JOIN code_snapshots cs ON cs.hash = r.code_hash
   ORDER BY t.path`;

/**
 * What a value was made from. Root: the output (for an input, the output it
 * read; an input from outside is a lone external leaf). Children of an
 * output: the inputs of its run, each shown as the output it read, or as the
 * input row itself (external) when it came from outside.
 */
export function traceUpstream(db: Database, ioId: string, opts?: ITraceOptions): ITraceNode[] {
  const root = resolveRoot(db, ioId);
  if (!root) {
    return [];
  }
  const { maxDepth, maxNodes } = limits(opts);
  const rows = selectAll(
    db,
    `WITH RECURSIVE t(path, parent, depth, io_id, external) AS (
       SELECT '', NULL, 0, :root, :external
       UNION ALL
       SELECT t.path || char(1) || i.kind || ':' || i.name, t.path, t.depth + 1,
              coalesce(s.id, i.id), s.id IS NULL
         FROM t
         JOIN run_io o ON o.id = t.io_id
         JOIN run_io i ON i.run_id = o.run_id AND i.direction = 'input'
         LEFT JOIN run_io s ON s.id = i.source_io_id
        WHERE t.external = 0 AND t.depth < :maxDepth
        ORDER BY 1
        LIMIT :limit)
     ${NODE_SELECT(`(t.depth = :maxDepth AND t.external = 0 AND EXISTS (
          SELECT 1 FROM run_io x WHERE x.run_id = io.run_id AND x.direction = 'input'))`)}`,
    {
      ':root': root.io.id,
      ':external': root.external ? 1 : 0,
      ':maxDepth': maxDepth,
      ':limit': maxNodes + 1
    },
    row => row
  );
  return toNodes(rows, maxNodes);
}

/**
 * What was made from a value. Root: the output (for an input, the output it
 * read; for an input from outside, the input row, whose children are the
 * outputs of its run). Children of an output: the outputs of every run that
 * read it, in run order; a reading run without outputs appears once, as its
 * input row (a leaf), so that peeks such as `predictions[:5]` are visible.
 */
export function traceDownstream(db: Database, ioId: string, opts?: ITraceOptions): ITraceNode[] {
  const root = resolveRoot(db, ioId);
  if (!root) {
    return [];
  }
  const { maxDepth, maxNodes } = limits(opts);
  const rows = selectAll(
    db,
    `WITH RECURSIVE t(path, parent, depth, io_id, is_output, external) AS (
       SELECT '', NULL, 0, :root, :isOutput, :external
       UNION ALL
       SELECT char(1) || o.id, '', 1, o.id, 1, 0
         FROM run_io o
        WHERE :isOutput = 0 AND :maxDepth > 0
          AND o.run_id = :rootRun AND o.direction = 'output'
       UNION ALL
       SELECT t.path || char(1) || printf('%017.6f', rr.started_at) || '|' || i.id
                || '|' || coalesce(o.id, ''),
              t.path, t.depth + 1, coalesce(o.id, i.id), o.id IS NOT NULL, 0
         FROM t
         JOIN run_io i ON i.source_io_id = t.io_id
         JOIN runs rr ON rr.id = i.run_id
         LEFT JOIN run_io o ON o.run_id = i.run_id AND o.direction = 'output'
        WHERE t.is_output = 1 AND t.depth < :maxDepth AND i.direction = 'input'
        ORDER BY 1
        LIMIT :limit)
     ${NODE_SELECT(`(t.depth = :maxDepth AND (CASE WHEN t.is_output = 1
          THEN EXISTS (SELECT 1 FROM run_io x WHERE x.source_io_id = io.id)
          ELSE t.depth = 0 AND EXISTS (SELECT 1 FROM run_io x
                 WHERE x.run_id = io.run_id AND x.direction = 'output') END))`)}`,
    {
      ':root': root.io.id,
      ':rootRun': root.io.runId,
      ':isOutput': root.isOutput,
      ':external': root.external ? 1 : 0,
      ':maxDepth': maxDepth,
      ':limit': maxNodes + 1
    },
    row => row
  );
  return toNodes(rows, maxNodes);
}
