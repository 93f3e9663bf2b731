/**
 * Keeps the browser replica up to date with the server's store: one snapshot
 * at first use (or the one kept from the last page load), then only the rows
 * changed since the replica's cursor.
 */
import { ISignal, Signal } from '@lumino/signaling';
import type { SqlJsStatic } from 'sql.js';

import { fetchChanges, fetchSnapshot } from '../api/client';
import { ISnapshotCache } from './cache';
import { IChanges, Replica } from './replica';

/** Change pages a kept snapshot may be behind before it is replaced by a fresh one. */
const STALE_CACHE_PAGES = 2;

export interface IReplicaSyncOptions {
  loadSql: () => Promise<SqlJsStatic>;
  /** Where snapshots are kept between page loads; null: nowhere. */
  cache?: () => ISnapshotCache | null;
  fetchSnapshot?: typeof fetchSnapshot;
  fetchChanges?: (since: number) => Promise<IChanges>;
}

export class ReplicaSync {
  constructor(options: IReplicaSyncOptions) {
    this._loadSql = options.loadSql;
    this._cache = options.cache ?? (() => null);
    this._fetchSnapshot = options.fetchSnapshot ?? fetchSnapshot;
    this._fetchChanges = options.fetchChanges ?? fetchChanges;
  }

  /** Where the replica came from: the server's snapshot, or the one kept in the browser. */
  get source(): 'server' | 'cache' | null {
    return this._source;
  }

  /** Emitted after a refresh that changed the replica. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** The replica, once the first snapshot arrived. */
  get replica(): Replica | null {
    return this._replica;
  }

  /**
   * Bring the replica up to date. Concurrent calls share one round trip,
   * and a call made during a refresh schedules exactly one more.
   */
  refresh(): Promise<void> {
    if (this._running) {
      this._again = true;
      return this._running;
    }
    this._running = (async () => {
      try {
        do {
          this._again = false;
          if (await this._refreshOnce()) {
            this._changed.emit();
          }
        } while (this._again);
      } finally {
        this._running = null;
      }
    })();
    return this._running;
  }

  dispose(): void {
    this._replica?.close();
    this._replica = null;
    Signal.clearData(this);
  }

  private async _refreshOnce(): Promise<boolean> {
    if (!this._replica) {
      // For profiles and bench/sidebar.py: how long a page takes to get its replica.
      performance.mark('plumbline:replica-load');
    }
    if (!this._replica && !(await this._openCached())) {
      await this._loadSnapshot();
      performance.mark('plumbline:replica-ready');
      return true;
    }
    const fromCache = this._pages === null;
    let written = 0;
    let pages = 0;
    for (;;) {
      const changes = await this._fetchChanges(this._replica!.seq);
      pages++;
      if (changes.reset || !this._replica!.isOf(changes)) {
        // Replaced, migrated, or a kept snapshot of another store.
        await this._loadSnapshot();
        return true;
      }
      try {
        written += this._replica!.apply(changes);
      } catch (error) {
        // A newer Plumbline migrated the store (new columns), or the page is not
        // ours: the replica rolled back, and a fresh snapshot is always right.
        console.warn('Plumbline: reloading the store snapshot:', error);
        await this._loadSnapshot();
        return true;
      }
      if (!changes.more) {
        if (fromCache) {
          performance.mark('plumbline:replica-ready');
          this._pages = pages;
          if (pages > STALE_CACHE_PAGES) {
            void this._keepFreshSnapshot();
          }
          // A kept snapshot is shown even when nothing changed since.
          return true;
        }
        return written > 0;
      }
    }
  }

  /** Open the snapshot kept by an earlier page load, if any and readable. */
  private async _openCached(): Promise<boolean> {
    const cache = this._cache();
    if (!cache) {
      return false;
    }
    try {
      const [sql, kept] = await Promise.all([this._loadSql(), cache.load()]);
      if (!kept) {
        return false;
      }
      this._replica = Replica.fromSnapshot(sql, kept.bytes, kept.seq);
      this._source = 'cache';
      this._pages = null; // the first change pages tell whether it is still of this store
      return true;
    } catch (error) {
      console.warn('Plumbline: not using the store kept in the browser:', error);
      return false;
    }
  }

  private async _loadSnapshot(): Promise<void> {
    const [sql, snapshot] = await Promise.all([this._loadSql(), this._fetchSnapshot()]);
    const replica = Replica.fromSnapshot(sql, snapshot.bytes, snapshot.seq);
    this._replica?.close();
    this._replica = replica;
    this._source = 'server';
    this._pages = 0;
    this._keep(snapshot);
  }

  /** The kept snapshot is far behind: keep a fresh one for the next page load. */
  private async _keepFreshSnapshot(): Promise<void> {
    try {
      this._keep(await this._fetchSnapshot());
    } catch (error) {
      console.warn('Plumbline: could not refresh the store kept in the browser:', error);
    }
  }

  private _keep(snapshot: { bytes: Uint8Array; seq: number }): void {
    // Off the render path; a failure only costs the next page load a download.
    void this._cache()
      ?.save(snapshot)
      .catch(error => console.warn('Plumbline: could not keep the store in the browser:', error));
  }

  private readonly _loadSql: () => Promise<SqlJsStatic>;
  private readonly _cache: () => ISnapshotCache | null;
  private readonly _fetchSnapshot: typeof fetchSnapshot;
  private readonly _fetchChanges: (since: number) => Promise<IChanges>;
  private _source: 'server' | 'cache' | null = null;
  /** Change pages the kept snapshot was behind; null until the first refresh after opening it. */
  private _pages: number | null = 0;
  private _replica: Replica | null = null;
  private _running: Promise<void> | null = null;
  private _again = false;
  private _changed = new Signal<this, void>(this);
}
