/**
 * Builds sql.js databases from the one DDL in schema/store, the way the
 * server's snapshot would look, for the tests of the replica and queries.
 */
import * as fs from 'fs';
import * as path from 'path';
import initSqlJs, { SqlJsStatic } from 'sql.js';

import type { IChanges } from '../api/changes';
import { Replica } from '../replica/replica';

const ROOT = path.resolve(__dirname, '..', '..');

export function loadSql(): Promise<SqlJsStatic> {
  return initSqlJs();
}

/** Bytes of an empty store at the latest schema version (triggers included). */
export function emptyStoreBytes(sql: SqlJsStatic): Uint8Array {
  const db = new sql.Database();
  const dir = path.join(ROOT, 'schema', 'store');
  const files = fs.readdirSync(dir).filter(f => /^\d{4}_.*\.sql$/.test(f)).sort();
  files.forEach((file, index) => {
    db.exec(fs.readFileSync(path.join(dir, file), 'utf-8'));
    db.exec(`PRAGMA user_version = ${index + 1}`);
  });
  const bytes = db.export();
  db.close();
  return bytes;
}

/** A payload pinned in plumbline/tests/fixtures: pytest checks Python produces or reads it alike. */
export function sharedFixture<T = any>(file: string): T {
  return JSON.parse(fs.readFileSync(path.join(ROOT, 'plumbline', 'tests', 'fixtures', file), 'utf-8'));
}

/** A change page the Python store produces (tested on both sides). */
function changePage(file: string): IChanges {
  return sharedFixture<IChanges>(file);
}

/** A replica opened from an empty store with `changes` applied. */
function replicaOf(sql: SqlJsStatic, changes: IChanges): Replica {
  const replica = Replica.fromSnapshot(sql, emptyStoreBytes(sql), 0);
  replica.apply(changes);
  return replica;
}

/** The runs and checks page (plumbline/tests/fixture_store.py). */
export function fixtureChanges(): IChanges {
  return changePage('changes-v1.json');
}

export function fixtureReplica(sql: SqlJsStatic): Replica {
  return replicaOf(sql, fixtureChanges());
}

/** The lineage page (plumbline/tests/fixture_lineage.py). */
export function lineageChanges(): IChanges {
  return changePage('lineage-v1.json');
}

/**
 * A replica of the lineage story: load -> clean -> featurize -> split -> train
 * -> predict in pipeline.ipynb, report.ipynb reading featurize's file, clean
 * re-run with new code, flags on predictions and summary.
 */
export function lineageReplica(sql: SqlJsStatic): Replica {
  return replicaOf(sql, lineageChanges());
}

/** The pipeline tables' page (plumbline/tests/fixture_pipelines_store.py). */
export function pipelinesChanges(): IChanges {
  return changePage('pipelines-v1.json');
}

/**
 * A replica of the pipelines story: weekly_flights with a backfill, a failed scheduled
 * run (pandas differs), an Airflow run and a running manual one; nightly paused; retired
 * deleted (its run kept); the cell run of a task with a check.
 */
export function pipelinesReplica(sql: SqlJsStatic): Replica {
  return replicaOf(sql, pipelinesChanges());
}

/** The id the store gives an input or output (plumbline.store.io_id). */
export function ioId(
  runId: string,
  direction: 'input' | 'output',
  kind: 'variable' | 'file',
  name: string
): string {
  return `${runId}/${direction === 'input' ? 'in' : 'out'}/${kind === 'file' ? 'file' : 'var'}/${name}`;
}

export interface ISyntheticRun {
  id: string;
  notebook?: string | null;
  cell?: string | null;
  component?: string | null;
  code?: string;
  startedAt: number;
  status?: string;
  /** source: the output id read; null or absent: from outside. */
  inputs?: { kind?: 'variable' | 'file'; name: string; hash?: string | null; source?: string | null }[];
  outputs?: {
    kind?: 'variable' | 'file';
    name: string;
    how?: string;
    hash?: string | null;
    rows?: number | null;
    /** The names of this run's inputs the value was made from (files as 'file:<path>'); absent: not known. */
    dependsOn?: string[];
  }[];
  checks?: ('pass' | 'fail' | 'error')[];
  /** The kernel session; default 'session'. */
  session?: string;
}

/**
 * Writes synthetic lineage rows straight into a replica (no triggers, no
 * Python), for tests of shapes the shared fixture lacks and for benchmarks.
 */
export class LineageBuilder {
  readonly replica: Replica;
  private _components = new Map<string, number>();
  private _sessions = new Set<string>();
  private _codes = new Set<string>();
  private _statements: { [name: string]: import('sql.js').Statement } = {};

  constructor(sql: SqlJsStatic) {
    this.replica = Replica.fromSnapshot(sql, emptyStoreBytes(sql), 0);
    const db = this.replica.db;
    db.run(
      "INSERT INTO kernel_sessions (id, hostname, pid, started_at) VALUES ('session', 'host', 1, 0)"
    );
    this._sessions.add('session');
    this._statements = {
      code: db.prepare('INSERT INTO code_snapshots (hash, code, created_at) VALUES (?, ?, 0)'),
      component: db.prepare(
        'INSERT INTO components (notebook_path, name, created_at, updated_at) VALUES (?, ?, ?, ?)'
      ),
      run: db.prepare(
        `INSERT INTO runs (id, notebook_path, cell_id, component_id, component_name, code_hash,
           execution_count, kernel_session, started_at, ended_at, duration_ms, status, git_commit)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 500, ?, 'abc123')`
      ),
      io: db.prepare(
        `INSERT INTO run_io (id, run_id, direction, kind, name, how, type, value_hash, strategy,
           shape, row_count, source_io_id, source_run_id, depends_on, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'full', ?, ?, ?, ?, ?, ?)`
      ),
      binding: db.prepare(
        `INSERT OR REPLACE INTO kernel_bindings (kernel_session, name, io_id, changed_by, deleted, updated_at)
         VALUES (?, ?, ?, ?, ?, 0)`
      ),
      check: db.prepare(
        `INSERT INTO check_results (run_id, component_id, spec_id, name, "when", status, created_at)
         VALUES (?, ?, ?, ?, 'after', ?, ?)`
      ),
      flag: db.prepare('INSERT INTO flags (io_id, note, flagged_at, cleared_at) VALUES (?, ?, ?, ?)')
    };
  }

  get db(): import('sql.js').Database {
    return this.replica.db;
  }

  /** Runs `write` in one transaction (much faster for many rows). */
  transaction(write: () => void): void {
    this.db.run('BEGIN');
    try {
      write();
      this.db.run('COMMIT');
    } catch (error) {
      this.db.run('ROLLBACK');
      throw error;
    }
  }

  run(run: ISyntheticRun): this {
    const notebook = run.notebook === undefined ? 'nb.ipynb' : run.notebook;
    const code = run.code ?? `# ${run.id}`;
    if (!this._codes.has(code)) {
      this._codes.add(code);
      this._statements.code.run([`hash:${code}`, code]);
    }
    let componentId: number | null = null;
    if (run.component) {
      const key = `${notebook}\u0000${run.component}`;
      componentId = this._components.get(key) ?? null;
      if (componentId === null) {
        this._statements.component.run([notebook, run.component, run.startedAt, run.startedAt]);
        componentId = this.db.exec('SELECT last_insert_rowid()')[0].values[0][0] as number;
        this._components.set(key, componentId);
      }
    }
    const ended = run.startedAt + 0.5;
    const session = run.session ?? 'session';
    if (!this._sessions.has(session)) {
      this._sessions.add(session);
      this.db.run('INSERT INTO kernel_sessions (id, hostname, pid, started_at) VALUES (?, ?, 1, ?)', [
        session,
        'host',
        run.startedAt
      ]);
    }
    this._statements.run.run([
      run.id,
      notebook,
      run.cell === undefined ? `cell-${run.component ?? run.id}` : run.cell,
      componentId,
      run.component ?? null,
      `hash:${code}`,
      null,
      session,
      run.startedAt,
      ended,
      run.status ?? 'ok'
    ]);
    for (const input of run.inputs ?? []) {
      const kind = input.kind ?? 'variable';
      this._statements.io.run([
        ioId(run.id, 'input', kind, input.name),
        run.id,
        'input',
        kind,
        input.name,
        'read',
        kind === 'file' ? 'file' : 'pandas.core.frame.DataFrame',
        input.hash ?? null,
        null,
        null,
        input.source ?? null,
        input.source ? input.source.split('/')[0] : null,
        null,
        run.startedAt
      ]);
    }
    for (const output of run.outputs ?? []) {
      const kind = output.kind ?? 'variable';
      const rows = output.rows ?? null;
      this._statements.io.run([
        ioId(run.id, 'output', kind, output.name),
        run.id,
        'output',
        kind,
        output.name,
        output.how ?? (kind === 'file' ? 'written' : 'assigned'),
        kind === 'file' ? 'file' : 'pandas.core.frame.DataFrame',
        output.hash ?? null,
        rows === null ? null : JSON.stringify([rows, 4]),
        rows,
        null,
        null,
        output.dependsOn === undefined
          ? null
          : JSON.stringify(
              output.dependsOn.map(name =>
                name.startsWith('file:') ? ioId(run.id, 'input', 'file', name.slice(5)) : ioId(run.id, 'input', 'variable', name)
              )
            ),
        ended
      ]);
    }
    (run.checks ?? []).forEach((status, index) => {
      this._statements.check.run([run.id, componentId, `check-${index}`, `check ${index}`, status, ended]);
    });
    return this;
  }

  /** What `name` holds in kernel `session` now (kernel_bindings): an output id, or null (deleted: true). */
  bind(session: string, name: string, io: string | null, deleted = false): this {
    this._statements.binding.run([session, name, io, io ? io.split('/')[0] : null, deleted ? 1 : 0]);
    return this;
  }

  flag(io: string, note: string | null, flaggedAt: number, clearedAt: number | null = null): this {
    this._statements.flag.run([io, note, flaggedAt, clearedAt]);
    return this;
  }

  /** Frees the prepared statements; the replica stays open. */
  done(): Replica {
    for (const statement of Object.values(this._statements)) {
      statement.free();
    }
    return this.replica;
  }
}

/** The drift verdicts' page (plumbline/tests/fixture_drift_store.py). */
export function driftChanges(): IChanges {
  return changePage('drift-verdicts-v1.json');
}

/**
 * A replica of the drift story in demo.ipynb: cleaning run three times (reference, ok,
 * drift), scoring twice (reference, then a new column), report with nothing profiled.
 */
export function driftReplica(sql: SqlJsStatic): Replica {
  return replicaOf(sql, driftChanges());
}
