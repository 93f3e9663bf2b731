/**
 * What is stale, and why: the rules of docs/architecture.md ("Staleness"),
 * value by value.
 *
 * Seeds, on the latest run of each cell of a component:
 *   code    the cell's current source differs from the run's code (this
 *           notebook's cells, or another notebook's open model or saved file);
 *   input   the newest version of an input, not written by the component
 *           itself, has other content than the one read (files from any
 *           notebook, variables from this one);
 *   kernel  (this notebook, when its kernel session is known) the kernel does
 *           not hold the run's outputs: it restarted since (or the run was in
 *           another kernel), or a value was re-created by an upstream cell,
 *           deleted, or replaced while a later run had read it.
 * Then downstream, per value: an output is stale when one of the inputs its
 * own assignment read (run_io.depends_on; unknown: all) is a stale version,
 * and a component is stale ("upstream") when its latest run read a stale
 * version. Code and input staleness follow variables and files, into other
 * notebooks; kernel staleness follows variables only (a file on disk does not
 * change when a kernel restarts).
 */
import type { Database, SqlValue } from 'sql.js';

import { latestComponentRunPerCellSql, nodeKey } from './graph';
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
  /**
   * The notebook's kernel does not hold what the latest run made:
   * `restarted` it ran in another kernel session (a restart since, or another kernel);
   * `recreated` an upstream cell made `name` again (by `byRunId`), undoing this run's version;
   * `replaced` another cell rebound `name`, which a later run had read from this one;
   * `deleted` `name` was deleted (and a later run had read it);
   * `outside` `name` was rebound outside any recorded cell (a silent execute, a callback).
   */
  | {
      kind: 'kernel';
      why: 'restarted' | 'recreated' | 'replaced' | 'deleted' | 'outside';
      name?: string;
      byRunId?: string | null;
      byComponent?: string | null;
    }
  /** A component upstream (a graph node key) made a version this one read, and that version is stale. */
  | { kind: 'upstream'; component: string };

export interface ICell {
  id: string;
  source: string;
}

export interface IStalenessOptions {
  /**
   * The kernel session recording this notebook now (from the recorder's
   * activation); null: a kernel that holds nothing yet (starting or
   * restarting); undefined: not known (no kernel), the kernel rules are off.
   */
  kernelSession?: string | null;
  /**
   * The current cells of another notebook upstream of this one (its open
   * model, or its saved file); undefined: only what the store knows of it.
   */
  sourcesOf?: (notebookPath: string) => ICell[] | undefined;
}

/** A stale version and the component it is blamed on (the nearest upstream component). */
type Seed = [ioId: string, originComponentId: number, mode: 'content' | 'kernel'];

interface ILatest {
  runId: string;
  cellId: string;
  componentId: number;
  component: string;
  notebookPath: string;
  kernelSession: string;
  code: string;
}

/**
 * Stale components -> why (only stale components are present), keyed by graph
 * node key: this notebook's components by name, another notebook's as
 * `${path}::${name}`. `cells` are this notebook's current cells; a cell never
 * run is not stale. Reasons are listed code first (in cell order), then
 * inputs (by name), then kernel state, then the stale upstream components.
 */
export function staleness(
  db: Database,
  notebookPath: string,
  cells: ICell[],
  options: IStalenessOptions = {}
): Map<string, StaleReason[]> {
  const reasons = new Map<string, StaleReason[]>();
  const add = (key: string, reason: StaleReason): void => {
    const list = reasons.get(key);
    if (list) {
      list.push(reason);
    } else {
      reasons.set(key, [reason]);
    }
  };
  const seeds: Seed[] = [];
  const latestByRun = new Map<string, ILatest>();
  const keyOf = (latest: { notebookPath: string; component: string }) =>
    nodeKey(notebookPath, latest.notebookPath, latest.component);

  const feeders = upstreamComponents(db, notebookPath);
  const notebooks = [notebookPath, ...new Set(feeders.map(([path]) => path))];
  for (const path of notebooks) {
    const latest = latestRuns(db, path);
    for (const run of latest) {
      latestByRun.set(run.runId, run);
    }
    const current = path === notebookPath ? cells : options.sourcesOf?.(path);
    // code: every output of the run may change
    if (current?.length) {
      const byCell = new Map(latest.map(run => [run.cellId, run]));
      for (const cell of current) {
        const run = byCell.get(cell.id);
        if (run && run.code !== cell.source) {
          add(keyOf(run), { kind: 'code', cellId: cell.id });
          for (const io of outputsOf(db, run.runId, null)) {
            seeds.push([io, run.componentId, 'content']);
          }
        }
      }
    }
    // input: the outputs made from the input that has a newer version
    for (const [runId, reason] of newerInputs(db, path)) {
      const run = latestByRun.get(runId)!;
      add(keyOf(run), reason);
      for (const io of outputsOf(db, runId, `${runId}/in/${reason.valueKind === 'file' ? 'file' : 'var'}/${reason.name}`)) {
        seeds.push([io, run.componentId, 'content']);
      }
    }
  }
  if (options.kernelSession !== undefined) {
    const own = [...latestByRun.values()].filter(run => run.notebookPath === notebookPath);
    for (const [run, reason, stale] of kernelState(db, own, options.kernelSession)) {
      add(keyOf(run), reason);
      for (const io of stale) {
        seeds.push([io, run.componentId, 'kernel']);
      }
    }
  }

  // upstream: latest runs that read a version made (transitively) from a stale one
  if (seeds.length) {
    const componentKeys = new Map<number, string>();
    for (const run of latestByRun.values()) {
      componentKeys.set(run.componentId, keyOf(run));
    }
    const upstream = new Map<string, Set<number>>();
    // Seeds are blamed on their component; a version made by an untagged run on the nearest
    // component upstream of it on the stale path (found below, rarely needed).
    const seedOrigin = new Map(seeds.map(([io, origin]) => [io, origin]));
    const untagged: [string, string][] = [];
    selectAll(
      db,
      `WITH RECURSIVE
         s(io_id, mode) AS (
           SELECT json_extract(value, '$[0]'), json_extract(value, '$[2]') FROM json_each(:seeds)
           UNION
           SELECT o.id, s.mode
             FROM s
             JOIN run_io i ON i.source_io_id = s.io_id AND i.direction = 'input'
             -- (without it, SQLite builds an automatic index at every step of the walk)
             JOIN run_io o INDEXED BY run_io_by_run ON o.run_id = i.run_id AND o.direction = 'output'
            WHERE (s.mode = 'content' OR (i.kind = 'variable' AND o.kind = 'variable'))
              AND (o.depends_on IS NULL
                   OR EXISTS (SELECT 1 FROM json_each(o.depends_on) d WHERE d.value = i.id)))
       SELECT DISTINCT i.run_id, s.io_id, src.component_id
         FROM s
         JOIN run_io i ON i.source_io_id = s.io_id AND i.direction = 'input'
         JOIN run_io v ON v.id = s.io_id
         JOIN runs src ON src.id = v.run_id
        WHERE (s.mode = 'content' OR i.kind = 'variable')
          AND i.run_id IN (SELECT value FROM json_each(:latest))`,
      { ':seeds': JSON.stringify(seeds), ':latest': JSON.stringify([...latestByRun.keys()]) },
      row => {
        const run = latestByRun.get(String(row[0]))!;
        const origin = (row[2] as number | null) ?? seedOrigin.get(String(row[1])) ?? null;
        if (origin === null) {
          untagged.push([run.runId, String(row[1])]);
        } else if (origin !== run.componentId) {
          (upstream.get(run.runId) ?? upstream.set(run.runId, new Set()).get(run.runId)!).add(origin);
        }
      }
    );
    for (const [runId, ioId] of untagged) {
      const origin = nearestComponent(db, ioId);
      const run = latestByRun.get(runId)!;
      if (origin !== null && origin !== run.componentId) {
        (upstream.get(runId) ?? upstream.set(runId, new Set()).get(runId)!).add(origin);
      }
    }
    const order = componentOrder(db, notebookPath);
    const added = new Set<string>();
    for (const [runId, origins] of upstream) {
      const run = latestByRun.get(runId)!;
      const key = keyOf(run);
      for (const origin of [...origins].sort((a, b) => (order.get(a) ?? 1e9) - (order.get(b) ?? 1e9) || a - b)) {
        const from = componentKeys.get(origin) ?? componentKeyOf(db, notebookPath, origin);
        if (from && from !== key && !added.has(`${key}\u0000${from}`)) {
          added.add(`${key}\u0000${from}`); // a component of several cells: once per upstream
          add(key, { kind: 'upstream', component: from });
        }
      }
    }
  }
  // Of other notebooks, only the components upstream of this one; reasons in a stable
  // order: code (cell order), input (name), kernel, upstream (graph order).
  const feederKeys = new Set<string>();
  for (const run of latestByRun.values()) {
    if (run.notebookPath !== notebookPath && feeders.some(([, id]) => id === run.componentId)) {
      feederKeys.add(keyOf(run));
    }
  }
  const rank = { code: 0, input: 1, kernel: 2, upstream: 3 };
  const order = componentOrder(db, notebookPath);
  const orderOf = new Map<string, number>();
  for (const run of latestByRun.values()) {
    orderOf.set(keyOf(run), order.get(run.componentId) ?? 1e9);
  }
  const sorted = new Map<string, StaleReason[]>();
  for (const [key, list] of [...reasons].sort(([a], [b]) => (orderOf.get(a) ?? 1e9) - (orderOf.get(b) ?? 1e9))) {
    if (!key.includes('::') || feederKeys.has(key)) {
      sorted.set(key, list.sort((a, b) => rank[a.kind] - rank[b.kind]));
    }
  }
  return sorted;
}

/**
 * The other notebooks whose runs made versions that the latest runs of this
 * notebook's components read, transitively (through files): whose current
 * sources staleness would like to know.
 */
export function upstreamNotebooks(db: Database, notebookPath: string): string[] {
  return [...new Set(upstreamComponents(db, notebookPath).map(([path]) => path))];
}

/** (notebook, component id) of the other notebooks' component runs upstream of this notebook's latest runs. */
function upstreamComponents(db: Database, notebookPath: string): [string, number][] {
  return selectAll(
    db,
    `WITH RECURSIVE ${latestComponentRunPerCellSql(':nb')},
       up(io_id) AS (
         SELECT i.source_io_id FROM latest l
           JOIN run_io i ON i.run_id = l.run_id AND i.direction = 'input' AND i.source_io_id IS NOT NULL
         UNION
         SELECT i.source_io_id FROM up
           JOIN run_io o ON o.id = up.io_id
           JOIN run_io i INDEXED BY run_io_by_run ON i.run_id = o.run_id AND i.direction = 'input' AND i.source_io_id IS NOT NULL
          WHERE o.depends_on IS NULL OR EXISTS (SELECT 1 FROM json_each(o.depends_on) d WHERE d.value = i.id))
     SELECT DISTINCT r.notebook_path, r.component_id
       FROM up JOIN run_io o ON o.id = up.io_id JOIN runs r ON r.id = o.run_id
      WHERE r.notebook_path IS NOT NULL AND r.notebook_path != :nb AND r.component_id IS NOT NULL
      ORDER BY r.notebook_path`,
    { ':nb': notebookPath },
    row => [String(row[0]), row[1] as number]
  );
}

function latestRuns(db: Database, notebookPath: string): ILatest[] {
  return selectAll(
    db,
    `WITH ${latestComponentRunPerCellSql(':nb')}
     SELECT l.run_id, l.cell_id, c.id, c.name, r.kernel_session, cs.code
       FROM latest l
       JOIN components c ON c.id = l.component_id
       JOIN runs r ON r.id = l.run_id
       JOIN code_snapshots cs ON cs.hash = r.code_hash`,
    { ':nb': notebookPath },
    row => ({
      runId: String(row[0]),
      cellId: String(row[1]),
      componentId: row[2] as number,
      component: String(row[3]),
      notebookPath,
      kernelSession: String(row[4]),
      code: String(row[5])
    })
  );
}

/** The outputs of a run, or those made from input `inputId` (depends_on unknown: all). */
function outputsOf(db: Database, runId: string, inputId: string | null): string[] {
  return selectAll(
    db,
    `SELECT o.id FROM run_io o
      WHERE o.run_id = :run AND o.direction = 'output'
        AND (:input IS NULL OR o.depends_on IS NULL
             OR EXISTS (SELECT 1 FROM json_each(o.depends_on) d WHERE d.value = :input))`,
    { ':run': runId, ':input': inputId },
    row => String(row[0])
  );
}

/** (latest run, its input reason) for the inputs of the notebook's latest runs that have a newer version. */
function newerInputs(db: Database, notebookPath: string): [string, StaleReason & { kind: 'input' }][] {
  const seen = new Set<string>();
  const found: [string, StaleReason & { kind: 'input' }][] = [];
  selectAll(
    db,
    `WITH ${latestComponentRunPerCellSql(':nb')}
     SELECT l.run_id, i.kind, i.name, i.value_hash, o.run_id, o.id, ro.component_name, o.value_hash
       FROM latest l
       JOIN runs r ON r.id = l.run_id
       JOIN run_io i ON i.run_id = r.id AND i.direction = 'input'
       -- the newest later version (run_io_by_name, walked from the newest end)
       JOIN run_io o ON o.id = (
              SELECT n.id FROM run_io n JOIN runs rn ON rn.id = n.run_id
               WHERE n.kind = i.kind AND n.name = i.name AND n.direction = 'output'
                 AND n.created_at > r.started_at
                 AND rn.component_id IS NOT l.component_id
                 AND (i.kind = 'file' OR rn.notebook_path IS r.notebook_path)
               ORDER BY n.created_at DESC, n.rowid DESC LIMIT 1)
       JOIN runs ro ON ro.id = o.run_id
      ORDER BY l.run_id, i.kind, i.name`,
    { ':nb': notebookPath },
    row => {
      const key = JSON.stringify([row[0], row[1], row[2]]);
      if (seen.has(key)) {
        return; // one reason per input: its newest newer version
      }
      seen.add(key);
      if (row[3] === null ? false : row[3] === row[7]) {
        return; // the newest version has the content this run read (a re-run that made the same)
      }
      found.push([
        String(row[0]),
        {
          kind: 'input',
          name: String(row[2]),
          valueKind: row[1] as 'variable' | 'file',
          consumedHash: row[3] as string | null,
          newerRunId: String(row[4]),
          newerIoId: String(row[5]),
          newerComponent: row[6] as string | null
        }
      ]);
    }
  );
  // by component, then input name (kind first), as the reasons list them
  return found.sort(
    ([, a], [, b]) => (a.valueKind < b.valueKind ? -1 : a.valueKind > b.valueKind ? 1 : a.name < b.name ? -1 : a.name > b.name ? 1 : 0)
  );
}

/**
 * The kernel rules for the notebook's latest runs: [run, reason, the stale
 * variable outputs] for each run whose outputs the kernel session does not hold.
 */
function kernelState(
  db: Database,
  latest: ILatest[],
  session: string | null
): [ILatest, StaleReason, string[]][] {
  const found: [ILatest, StaleReason, string[]][] = [];
  const variables = (runId: string) =>
    selectAll(
      db,
      `SELECT o.id, o.name, EXISTS (SELECT 1 FROM run_io c WHERE c.source_io_id = o.id)
         FROM run_io o WHERE o.run_id = ? AND o.direction = 'output' AND o.kind = 'variable' ORDER BY o.name`,
      [runId],
      row => ({ id: String(row[0]), name: String(row[1]), read: row[2] === 1 })
    );
  const held = new Map<string, { ioId: string | null; deleted: boolean }>();
  let descendsFrom = new Set<string>();
  if (session !== null) {
    selectAll(
      db,
      'SELECT name, io_id, deleted FROM kernel_bindings WHERE kernel_session = ?',
      [session],
      row => held.set(String(row[0]), { ioId: row[1] as string | null, deleted: row[2] === 1 })
    );
    // (held version, every version it was made from) in this kernel, variables only: a
    // name still holds a run's output when the version it holds now was made from it
    // (featurize mutated clean's df: df holds featurize's version, made from clean's).
    descendsFrom = new Set(
      selectAll(
        db,
        `WITH RECURSIVE anc(name, io_id) AS (
           SELECT name, io_id FROM kernel_bindings WHERE kernel_session = :s AND io_id IS NOT NULL
           UNION
           SELECT anc.name, i.source_io_id FROM anc
             JOIN run_io o ON o.id = anc.io_id
             JOIN run_io i INDEXED BY run_io_by_run ON i.run_id = o.run_id AND i.direction = 'input' AND i.kind = 'variable'
                          AND i.source_io_id IS NOT NULL
            WHERE o.depends_on IS NULL OR EXISTS (SELECT 1 FROM json_each(o.depends_on) d WHERE d.value = i.id))
         SELECT name, io_id FROM anc`,
        { ':s': session },
        row => `${row[0]}\u0000${row[1]}`
      )
    );
  }
  for (const run of latest) {
    const outputs = variables(run.runId);
    if (!outputs.length) {
      continue; // nothing of it lives in the kernel (a display, a file)
    }
    if (session === null || run.kernelSession !== session) {
      found.push([run, { kind: 'kernel', why: 'restarted' }, outputs.map(o => o.id)]);
      continue;
    }
    for (const output of outputs) {
      const binding = held.get(output.name);
      if (!binding || descendsFrom.has(`${output.name}\u0000${output.id}`)) {
        continue; // held (or what is held was made from it), or not recorded yet
      }
      let reason: StaleReason | null = null;
      if (binding.deleted || binding.ioId === null) {
        reason = output.read ? { kind: 'kernel', why: binding.deleted ? 'deleted' : 'outside', name: output.name } : null;
      } else {
        const by = runOf(db, binding.ioId);
        const recreated = by !== null && upstreamCells(db, output.id).has(`${by.notebookPath}\u0000${by.cellId}`);
        if (recreated || output.read) {
          reason = {
            kind: 'kernel',
            why: recreated ? 'recreated' : 'replaced',
            name: output.name,
            byRunId: by?.id ?? null,
            byComponent: by?.componentName ?? null
          };
        }
      }
      if (reason) {
        found.push([run, reason, [output.id]]);
      }
    }
  }
  return found;
}

function runOf(db: Database, ioId: string): { id: string; notebookPath: string; cellId: string; componentName: string | null } | null {
  return (
    selectAll(
      db,
      `SELECT r.id, r.notebook_path, r.cell_id, r.component_name
         FROM runs r WHERE r.id = (SELECT run_id FROM run_io WHERE id = :io)
            OR r.id = substr(:io, 1, instr(:io, '/out/') - 1)
        LIMIT 1`,
      { ':io': ioId },
      (row: SqlValue[]) => ({
        id: String(row[0]),
        notebookPath: String(row[1]),
        cellId: String(row[2]),
        componentName: row[3] as string | null
      })
    )[0] ?? null
  );
}

/** The cells (notebook, cell id) of the runs a version was made from, in its kernel (variables). */
function upstreamCells(db: Database, ioId: string): Set<string> {
  return new Set(
    selectAll(
      db,
      `WITH RECURSIVE up(io_id) AS (
         SELECT :io
         UNION
         SELECT i.source_io_id FROM up
           JOIN run_io o ON o.id = up.io_id
           JOIN run_io i INDEXED BY run_io_by_run ON i.run_id = o.run_id AND i.direction = 'input' AND i.kind = 'variable'
                        AND i.source_io_id IS NOT NULL
          WHERE o.depends_on IS NULL OR EXISTS (SELECT 1 FROM json_each(o.depends_on) d WHERE d.value = i.id))
       SELECT DISTINCT r.notebook_path, r.cell_id
         FROM up JOIN run_io x ON x.id = up.io_id JOIN runs r ON r.id = x.run_id
        WHERE x.id != :io`,
      { ':io': ioId },
      row => `${row[0]}\u0000${row[1]}`
    )
  );
}

/** Components in graph order: this notebook's by first run, then the others' by key. */
function componentOrder(db: Database, notebookPath: string): Map<number, number> {
  const rows = selectAll(
    db,
    `SELECT c.id, c.notebook_path = :nb, c.notebook_path || '::' || c.name,
            (SELECT min(started_at) FROM runs r WHERE r.component_id = c.id)
       FROM components c`,
    { ':nb': notebookPath },
    row => ({ id: row[0] as number, own: row[1] === 1, key: String(row[2]), first: (row[3] as number | null) ?? 0 })
  );
  rows.sort((a, b) => Number(b.own) - Number(a.own) || (a.own ? a.first - b.first : a.key < b.key ? -1 : 1));
  return new Map(rows.map((row, index) => [row.id, index]));
}

function componentKeyOf(db: Database, notebookPath: string, componentId: number): string | null {
  return (
    selectAll(
      db,
      'SELECT notebook_path, name FROM components WHERE id = ?',
      [componentId],
      row => nodeKey(notebookPath, String(row[0]), String(row[1]))
    )[0] ?? null
  );
}

/** The component of the nearest component run upstream of a version made by an untagged run. */
function nearestComponent(db: Database, ioId: string): number | null {
  return (
    selectAll(
      db,
      `WITH RECURSIVE up(io_id, depth) AS (
         SELECT :io, 0
         UNION
         SELECT i.source_io_id, up.depth + 1 FROM up
           JOIN run_io o ON o.id = up.io_id
           JOIN runs r ON r.id = o.run_id AND r.component_id IS NULL
           JOIN run_io i INDEXED BY run_io_by_run ON i.run_id = o.run_id AND i.direction = 'input' AND i.source_io_id IS NOT NULL
          WHERE up.depth < 20)
       SELECT r.component_id FROM up JOIN run_io x ON x.id = up.io_id JOIN runs r ON r.id = x.run_id
        WHERE r.component_id IS NOT NULL ORDER BY up.depth LIMIT 1`,
      { ':io': ioId },
      row => row[0] as number
    )[0] ?? null
  );
}
