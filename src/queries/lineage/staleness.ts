/**
 * What is stale in a notebook: components whose code changed since their
 * latest run, whose inputs have newer versions, or that are downstream of a
 * stale component.
 */
import type { Database } from 'sql.js';

import { componentGraph, latestComponentRunPerCellSql } from './graph';
import { selectAll } from '../sql';

export type StaleReason =
  /** The cell's current source differs from the code of its latest run. */
  | { kind: 'code'; cellId: string }
  /** A newer version of an input exists, written by another component (or an untagged cell). */
  | {
      kind: 'input';
      name: string;
      valueKind: 'variable' | 'file';
      consumedHash: string | null;
      newerRunId: string;
      newerIoId: string;
      newerComponent: string | null;
    }
  /** A component upstream (a graph node key) is stale. */
  | { kind: 'upstream'; component: string };

/**
 * Stale components of a notebook -> why (only stale components are present).
 * `cells` are the notebook's current cells; a cell never run is not stale.
 * Reasons are listed code first (in cell order), then inputs (by name), then
 * the stale direct upstream components (in graph order).
 */
export function staleness(
  db: Database,
  notebookPath: string,
  cells: { id: string; source: string }[]
): Map<string, StaleReason[]> {
  return staleOf(db, notebookPath, cells, new Set([notebookPath]));
}

function staleOf(
  db: Database,
  notebookPath: string,
  cells: { id: string; source: string }[],
  visiting: Set<string>
): Map<string, StaleReason[]> {
  const reasons = new Map<string, StaleReason[]>();
  const add = (component: string, reason: StaleReason): void => {
    const list = reasons.get(component);
    if (list) {
      list.push(reason);
    } else {
      reasons.set(component, [reason]);
    }
  };

  // code: the latest run of each cell of this notebook, when it was a component's
  if (cells.length) {
    const latestCode = new Map<string, { component: string; code: string }>();
    selectAll(
      db,
      `WITH ${latestComponentRunPerCellSql(':nb')}
       SELECT l.cell_id, c.name, cs.code
         FROM latest l
         JOIN components c ON c.id = l.component_id
         JOIN runs r ON r.id = l.run_id
         JOIN code_snapshots cs ON cs.hash = r.code_hash`,
      { ':nb': notebookPath },
      row => latestCode.set(String(row[0]), { component: String(row[1]), code: String(row[2]) })
    );
    for (const cell of cells) {
      const latest = latestCode.get(cell.id);
      if (latest && latest.code !== cell.source) {
        add(latest.component, { kind: 'code', cellId: cell.id });
      }
    }
  }

  // input: newer versions of what the latest runs read
  const seen = new Set<string>();
  selectAll(
    db,
    `WITH ${latestComponentRunPerCellSql(':nb')}
     SELECT c.name, i.kind, i.name, i.value_hash, o.run_id, o.id, ro.component_name
       FROM latest l
       JOIN components c ON c.id = l.component_id
       JOIN runs r ON r.id = l.run_id
       JOIN run_io i ON i.run_id = r.id AND i.direction = 'input'
       JOIN run_io o ON o.kind = i.kind AND o.name = i.name AND o.direction = 'output'
                    AND o.created_at > r.started_at
       JOIN runs ro ON ro.id = o.run_id
      WHERE ro.component_id IS NOT l.component_id
        AND o.value_hash IS NOT i.value_hash
        AND (i.kind = 'file' OR ro.notebook_path IS r.notebook_path)
      ORDER BY c.name, i.kind, i.name, o.created_at DESC, o.rowid DESC`,
    { ':nb': notebookPath },
    row => {
      const key = JSON.stringify([row[0], row[1], row[2]]);
      if (seen.has(key)) {
        return; // one reason per input: its newest newer version
      }
      seen.add(key);
      add(String(row[0]), {
        kind: 'input',
        name: String(row[2]),
        valueKind: row[1] as 'variable' | 'file',
        consumedHash: row[3] as string | null,
        newerRunId: String(row[4]),
        newerIoId: String(row[5]),
        newerComponent: row[6] as string | null
      });
    }
  );

  // upstream: propagate along the graph until nothing changes
  const graph = componentGraph(db, notebookPath);
  const stale = new Set(reasons.keys());
  for (const node of graph.nodes) {
    if (node.external && !visiting.has(node.notebookPath)) {
      const other = staleOf(db, node.notebookPath, [], new Set([...visiting, node.notebookPath]));
      if (other.has(node.name)) {
        stale.add(node.key);
      }
    }
  }
  const upstreamOf = new Map<string, string[]>();
  for (const edge of graph.edges) {
    upstreamOf.set(edge.to, [...(upstreamOf.get(edge.to) ?? []), edge.from]);
  }
  let changed = true;
  while (changed) {
    changed = false;
    for (const node of graph.nodes) {
      if (!stale.has(node.key) && (upstreamOf.get(node.key) ?? []).some(key => stale.has(key))) {
        stale.add(node.key);
        changed = true;
      }
    }
  }
  for (const node of graph.nodes) {
    if (node.external) {
      continue;
    }
    for (const from of upstreamOf.get(node.key) ?? []) {
      if (stale.has(from)) {
        add(node.key, { kind: 'upstream', component: from });
      }
    }
  }
  return reasons;
}
