/**
 * ReplicaSync's choices between the snapshot kept in the browser and the
 * server's, on real sql.js stores built from schema/store. The two REST calls
 * are served from those stores in-process (the real endpoints are covered by
 * pytest, the real IndexedDB by the Galata reload test).
 */
import { SqlJsStatic } from 'sql.js';

import { ICachedSnapshot, ISnapshotCache } from '../replica/cache';
import type { IChanges } from '../api/changes';
import { Replica } from '../replica/replica';
import { ReplicaSync } from '../replica/sync';
import { emptyStoreBytes, fixtureChanges, loadSql } from './storeFixture';

let sql: SqlJsStatic;

beforeAll(async () => {
  sql = await loadSql();
});

class MemoryCache implements ISnapshotCache {
  kept: ICachedSnapshot | null = null;
  saves = 0;
  failLoad = false;
  async load(): Promise<ICachedSnapshot | null> {
    if (this.failLoad) {
      throw new Error('quota exceeded');
    }
    return this.kept;
  }
  async save(snapshot: ICachedSnapshot): Promise<void> {
    this.saves++;
    this.kept = snapshot;
  }
  async clear(): Promise<void> {
    this.kept = null;
  }
}

/** A server holding one store: its snapshot, and the fixture runs as changes after seq 0. */
function server(bytes: Uint8Array, options: { pages?: number; legacy?: boolean } = {}) {
  const probe = Replica.fromSnapshot(sql, bytes, 0);
  // A server from before store ids names no store in its pages.
  const store = options.legacy
    ? ({} as { store_id: string; schema_version: number })
    : { store_id: probe.storeId!, schema_version: probe.schemaVersion };
  probe.close();
  const fixture = fixtureChanges();
  const pages = options.pages ?? 1;
  const calls = { snapshot: 0, changes: [] as number[], down: false };
  return {
    calls,
    store,
    // The server's snapshot is taken after all changes: the fixture's seq.
    fetchSnapshot: async () => {
      calls.snapshot++;
      const replica = Replica.fromSnapshot(sql, bytes, 0);
      replica.apply({ ...fixture, ...store });
      const data = replica.db.export();
      replica.close();
      return { bytes: data, seq: fixture.seq };
    },
    // The fixture page first, then empty pages up to `pages`, then nothing new.
    fetchChanges: async (since: number): Promise<IChanges> => {
      calls.changes.push(since);
      if (calls.down) {
        throw new Error('503: the lineage store is not available');
      }
      const base = { reset: false, ...store, tables: {} };
      if (since === 0) {
        return { ...fixture, ...store, more: pages > 1 };
      }
      const page = since - fixture.seq + 1; // pages served so far
      if (page < pages) {
        return { ...base, since, seq: since + 1, more: page + 1 < pages };
      }
      return { ...base, since, seq: since, more: false };
    }
  };
}

const runs = (sync: ReplicaSync) => sync.replica!.db.exec('SELECT count(*) FROM runs')[0].values[0][0];

describe('ReplicaSync and the snapshot kept in the browser', () => {
  it('downloads the snapshot on a first load and keeps it', async () => {
    const remote = server(emptyStoreBytes(sql));
    const cache = new MemoryCache();
    const sync = new ReplicaSync({ loadSql: async () => sql, cache: async () => cache, ...remote });
    await sync.refresh();
    expect(sync.source).toBe('server');
    expect(remote.calls.snapshot).toBe(1);
    expect(cache.kept?.seq).toBe(fixtureChanges().seq);
    expect(runs(sync)).toBe(5);
  });

  it('opens the kept snapshot and asks only for the changes since', async () => {
    const bytes = emptyStoreBytes(sql);
    const remote = server(bytes);
    const cache = new MemoryCache();
    cache.kept = { bytes, seq: 0 }; // kept before any run was recorded
    const sync = new ReplicaSync({ loadSql: async () => sql, cache: async () => cache, ...remote });
    let emitted = 0;
    sync.changed.connect(() => emitted++);
    await sync.refresh();
    expect(sync.source).toBe('cache');
    expect(remote.calls.snapshot).toBe(0);
    expect(remote.calls.changes).toEqual([0]);
    expect(runs(sync)).toBe(5);
    expect(emitted).toBe(1);
  });

  it('asks for the first change page while SQLite still loads, from the snapshot read at start', async () => {
    const bytes = emptyStoreBytes(sql);
    const remote = server(bytes);
    const cache = new MemoryCache();
    cache.failLoad = true; // the prefetched read is used, not a second one
    let releaseSql: () => void = () => undefined;
    const sqlLoaded = new Promise<void>(resolve => (releaseSql = resolve));
    const sync = new ReplicaSync({
      loadSql: async () => {
        await sqlLoaded;
        return sql;
      },
      cache: async () => cache,
      prefetched: Promise.resolve({ bytes, seq: 0 }),
      ...remote
    });
    const done = sync.refresh();
    await new Promise(resolve => setTimeout(resolve, 20));
    expect(remote.calls.changes).toEqual([0]); // before the wasm is ready
    releaseSql();
    await done;
    expect(sync.source).toBe('cache');
    expect(remote.calls.changes).toEqual([0]); // that page was used, not asked again
    expect(runs(sync)).toBe(5);
  });

  it('ignores the prefetched snapshot when the settings say none is kept', async () => {
    const bytes = emptyStoreBytes(sql);
    const remote = server(bytes);
    const sync = new ReplicaSync({
      loadSql: async () => sql,
      cache: async () => null,
      prefetched: Promise.resolve({ bytes, seq: 0 }),
      ...remote
    });
    await sync.refresh();
    expect(sync.source).toBe('server');
    expect(remote.calls.snapshot).toBe(1);
  });

  it('shows a kept snapshot that is up to date without downloading', async () => {
    const remote = server(emptyStoreBytes(sql));
    const cache = new MemoryCache();
    cache.kept = await remote.fetchSnapshot();
    remote.calls.snapshot = 0;
    const sync = new ReplicaSync({ loadSql: async () => sql, cache: async () => cache, ...remote });
    let emitted = 0;
    sync.changed.connect(() => emitted++);
    await sync.refresh();
    expect([sync.source, remote.calls.snapshot, emitted, runs(sync)]).toEqual(['cache', 0, 1, 5]);
  });

  it("replaces a kept snapshot of another store (same server, store replaced)", async () => {
    const remote = server(emptyStoreBytes(sql));
    const cache = new MemoryCache();
    const other = emptyStoreBytes(sql); // another random identity
    cache.kept = { bytes: other, seq: 0 };
    const sync = new ReplicaSync({ loadSql: async () => sql, cache: async () => cache, ...remote });
    await sync.refresh();
    expect(sync.source).toBe('server');
    expect(sync.replica!.storeId).toBe(remote.store.store_id);
    expect(remote.calls.snapshot).toBe(1);
    expect(cache.kept!.bytes).not.toBe(other);
    expect(runs(sync)).toBe(5);
  });

  it('replaces a kept snapshot of an older schema version', async () => {
    const bytes = emptyStoreBytes(sql);
    const remote = server(bytes);
    const old = new sql.Database(bytes);
    old.exec('PRAGMA user_version = 3');
    const cache = new MemoryCache();
    cache.kept = { bytes: old.export(), seq: 0 };
    old.close();
    const sync = new ReplicaSync({ loadSql: async () => sql, cache: async () => cache, ...remote });
    await sync.refresh();
    expect([sync.source, remote.calls.snapshot]).toEqual(['server', 1]);
    expect(sync.replica!.schemaVersion).toBe(remote.store.schema_version);
  });

  it('keeps a fresh snapshot for next time when the kept one was far behind', async () => {
    const bytes = emptyStoreBytes(sql);
    const remote = server(bytes, { pages: 4 });
    const cache = new MemoryCache();
    cache.kept = { bytes, seq: 0 };
    const sync = new ReplicaSync({ loadSql: async () => sql, cache: async () => cache, ...remote });
    await sync.refresh();
    expect(sync.source).toBe('cache'); // shown at once from the kept copy plus changes
    await new Promise(resolve => setTimeout(resolve, 0));
    expect(remote.calls.snapshot).toBe(1); // replaced in the background
    expect(cache.kept!.seq).toBe(fixtureChanges().seq);
    await sync.refresh();
    expect(remote.calls.snapshot).toBe(1); // once
  });

  it('downloads when the kept snapshot cannot be read, and keeps nothing when keeping is off', async () => {
    const broken = new MemoryCache();
    broken.failLoad = true;
    const remote = server(emptyStoreBytes(sql));
    const sync = new ReplicaSync({ loadSql: async () => sql, cache: async () => broken, ...remote });
    await sync.refresh();
    expect([sync.source, remote.calls.snapshot, runs(sync)]).toEqual(['server', 1, 5]);

    // The setting is read at every save: off, nothing is kept; on again, it is.
    const cache = new MemoryCache();
    let keep = false;
    const toggled = new ReplicaSync({ loadSql: async () => sql, cache: async () => (keep ? cache : null), ...server(emptyStoreBytes(sql)) });
    await toggled.refresh();
    expect(cache.saves).toBe(0);
    keep = true;
    const again = new ReplicaSync({ loadSql: async () => sql, cache: async () => (keep ? cache : null), ...server(emptyStoreBytes(sql)) });
    await again.refresh();
    expect(cache.saves).toBe(1);
  });
  it('shows nothing of a kept snapshot until the server confirms it is of its store', async () => {
    const remote = server(emptyStoreBytes(sql));
    const cache = new MemoryCache();
    cache.kept = { bytes: emptyStoreBytes(sql), seq: 0 }; // another store, say another project
    remote.calls.down = true;
    const sync = new ReplicaSync({ loadSql: async () => sql, cache: async () => cache, ...remote });
    await expect(sync.refresh()).rejects.toThrow(/503/);
    expect(sync.replica).toBeNull();
    remote.calls.down = false;
    await sync.refresh();
    expect([sync.source, sync.replica!.storeId]).toEqual(['server', remote.store.store_id]);
  });

  it('downloads once, not at every refresh, from a server that names no store', async () => {
    const remote = server(emptyStoreBytes(sql), { legacy: true });
    const cache = new MemoryCache();
    cache.kept = { bytes: emptyStoreBytes(sql), seq: 0 };
    const sync = new ReplicaSync({ loadSql: async () => sql, cache: async () => cache, ...remote });
    for (let i = 0; i < 5; i++) {
      await sync.refresh();
    }
    // The kept one cannot be proven: one download; its first page: one more; then changes only.
    expect(remote.calls.snapshot).toBe(2);
    expect(runs(sync)).toBe(5);
  });

  it('waits for the settings before it reads the kept snapshot', async () => {
    const remote = server(emptyStoreBytes(sql));
    const cache = new MemoryCache();
    cache.kept = await remote.fetchSnapshot();
    remote.calls.snapshot = 0;
    let keep = true;
    let settingsLoaded!: () => void;
    const loaded = new Promise<void>(resolve => (settingsLoaded = resolve));
    const sync = new ReplicaSync({
      loadSql: async () => sql,
      cache: async () => {
        await loaded;
        return keep ? cache : null;
      },
      ...remote
    });
    const refreshed = sync.refresh();
    keep = false; // the user's setting, known once loaded
    settingsLoaded();
    await refreshed;
    expect([sync.source, remote.calls.snapshot, cache.saves]).toEqual(['server', 1, 0]);
  });
});
