/**
 * Keeps the browser replica up to date with the server's store: one snapshot
 * at first use (or the one kept from the last page load), then only the rows
 * changed since the replica's cursor.
 */
import { ISignal, Signal } from '@lumino/signaling';
import type { SqlJsStatic } from 'sql.js';

import { fetchChanges, fetchSnapshot } from '../api/client';
import { ICachedSnapshot, ISnapshotCache } from './cache';
import type { IChanges } from '../api/changes';
import { Replica } from './replica';

/** Change pages a kept snapshot may be behind before it is replaced by a fresh one. */
const STALE_CACHE_PAGES = 2;

export interface IReplicaSyncOptions {
  loadSql: () => Promise<SqlJsStatic>;
  /** Where snapshots are kept between page loads (null: nowhere), once settings say. */
  cache?: () => Promise<ISnapshotCache | null>;
  /**
   * The kept snapshot, read as early as the page starts (in parallel with the settings,
   * the wasm's fetch and compile); used only if `cache` says snapshots are kept.
   */
  prefetched?: Promise<ICachedSnapshot | null>;
  fetchSnapshot?: typeof fetchSnapshot;
  fetchChanges?: (since: number) => Promise<IChanges>;
  /**
   * Told of every refresh's outcome (an error, or null once it works again): the one
   * place that reports a store the browser cannot read, whoever asked for the refresh.
   */
  report?: (error: Error | null) => void;
}

export class ReplicaSync {
  constructor(options: IReplicaSyncOptions) {
    this._loadSql = options.loadSql;
    this._cache = options.cache ?? (async () => null);
    this._fetchSnapshot = options.fetchSnapshot ?? fetchSnapshot;
    this._fetchChanges = options.fetchChanges ?? fetchChanges;
    this._report = options.report ?? (() => undefined);
    this._prefetched = options.prefetched ?? null;
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
   * and a call made during a refresh schedules exactly one more. A failure is
   * reported (options.report) and rejects: callers that only want fresh data
   * may ignore the rejection.
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
        this._report(null);
      } catch (error) {
        this._report(error instanceof Error ? error : new Error(String(error)));
        throw error;
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
      await this._openKeptOrDownload();
      performance.mark('plumbline:replica-ready');
      return true;
    }
    const caughtUp = await this._catchUp(this._replica, false);
    if (caughtUp === null) {
      await this._loadSnapshot();
      return true;
    }
    return caughtUp.written > 0;
  }

  /**
   * Bring `replica` to the server's cursor, page by page. Null: it cannot be
   * (the store was replaced or migrated, or a page does not fit); a fresh
   * snapshot is then always right.
   */
  private async _catchUp(
    replica: Replica,
    kept: boolean,
    firstPage: Promise<IChanges> | null = null
  ): Promise<{ written: number; pages: number } | null> {
    let written = 0;
    let pages = 0;
    for (;;) {
      const early = pages === 0 ? firstPage : null;
      const changes = await (early ?? this._fetchChanges(replica.seq));
      pages++;
      if (changes.reset) {
        return null;
      }
      if (!replica.isOf(changes)) {
        // A kept snapshot must be of this very store. A downloaded one is, so a
        // mismatch right after a download (a server from before store ids) is
        // not a reason to download again and again.
        if (kept || !this._mismatchSeen) {
          this._mismatchSeen = !kept;
          return null;
        }
      } else {
        this._mismatchSeen = false;
      }
      try {
        written += replica.apply(changes);
      } catch (error) {
        // A newer Plumbline migrated the store (new columns), or the page is
        // not ours: the replica rolled back.
        console.warn('Plumbline: reloading the store snapshot:', error);
        return null;
      }
      if (!changes.more) {
        return { written, pages };
      }
    }
  }

  /**
   * The first replica of the page: the kept snapshot once it has caught up
   * with (and so proved to be of) the server's store, else a download. Views
   * see nothing until then.
   */
  private async _openKeptOrDownload(): Promise<void> {
    // The first change page is asked for as soon as the kept snapshot's cursor is known,
    // while SQLite compiles: one round trip less before the first rows.
    const bytes = this._keptBytes();
    let firstPage: Promise<IChanges> | null = null;
    const early = bytes.then(found => {
      if (found) {
        firstPage = this._fetchChanges(found.seq);
        firstPage.catch(() => undefined); // awaited below, or not needed
      }
    });
    const kept = await this._openKept(bytes);
    await early;
    if (kept) {
      let caughtUp: { pages: number } | null;
      try {
        caughtUp = await this._catchUp(kept, true, kept.seq === (await bytes)?.seq ? firstPage : null);
      } catch (error) {
        kept.close();
        throw error;
      }
      if (caughtUp) {
        this._replica = kept;
        this._source = 'cache';
        if (caughtUp.pages > STALE_CACHE_PAGES) {
          void this._keepFreshSnapshot();
        }
        return;
      }
      kept.close();
    }
    await this._loadSnapshot();
  }

  /** The kept snapshot's bytes, if snapshots are kept (read once; the prefetched read if any). */
  private _keptBytes(): Promise<ICachedSnapshot | null> {
    const prefetched = this._prefetched;
    this._prefetched = null;
    return (async () => {
      const [cache, found] = await Promise.all([
        this._cache(),
        prefetched?.catch(() => null) ?? null
      ]);
      if (!cache) {
        return null;
      }
      return prefetched ? found : cache.load();
    })().catch(error => {
      console.warn('Plumbline: not using the store kept in the browser:', error);
      return null;
    });
  }

  /** The snapshot kept by an earlier page load, opened, if any and readable. */
  private async _openKept(bytes: Promise<ICachedSnapshot | null>): Promise<Replica | null> {
    try {
      const [sql, kept] = await Promise.all([this._loadSql(), bytes]);
      return kept ? Replica.fromSnapshot(sql, kept.bytes, kept.seq) : null;
    } catch (error) {
      console.warn('Plumbline: not using the store kept in the browser:', error);
      return null;
    }
  }

  private async _loadSnapshot(): Promise<void> {
    const [sql, snapshot] = await Promise.all([this._loadSql(), this._fetchSnapshot()]);
    const replica = Replica.fromSnapshot(sql, snapshot.bytes, snapshot.seq);
    this._replica?.close();
    this._replica = replica;
    this._source = 'server';
    void this._keep(snapshot);
  }

  /** The kept snapshot is far behind: keep a fresh one for the next page load. */
  private async _keepFreshSnapshot(): Promise<void> {
    try {
      await this._keep(await this._fetchSnapshot());
    } catch (error) {
      console.warn('Plumbline: could not refresh the store kept in the browser:', error);
    }
  }

  /** Off the render path; a failure only costs the next page load a download. */
  private async _keep(snapshot: { bytes: Uint8Array; seq: number }): Promise<void> {
    try {
      await (await this._cache())?.save(snapshot);
    } catch (error) {
      console.warn('Plumbline: could not keep the store in the browser:', error);
    }
  }

  private readonly _loadSql: () => Promise<SqlJsStatic>;
  private readonly _cache: () => Promise<ISnapshotCache | null>;
  private readonly _fetchSnapshot: typeof fetchSnapshot;
  private readonly _fetchChanges: (since: number) => Promise<IChanges>;
  private readonly _report: (error: Error | null) => void;
  private _prefetched: Promise<ICachedSnapshot | null> | null;
  private _source: 'server' | 'cache' | null = null;
  /** The last change page did not name this replica's store (see _catchUp). */
  private _mismatchSeen = false;
  private _replica: Replica | null = null;
  private _running: Promise<void> | null = null;
  private _again = false;
  private _changed = new Signal<this, void>(this);
}
