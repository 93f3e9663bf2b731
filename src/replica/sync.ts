/**
 * Keeps the browser replica up to date with the server's store: one snapshot
 * at first use, then only the rows changed since the replica's cursor.
 */
import { ISignal, Signal } from '@lumino/signaling';
import type { SqlJsStatic } from 'sql.js';

import { fetchChanges, fetchSnapshot } from '../api/client';
import { Replica } from './replica';

export class ReplicaSync {
  constructor(private readonly _loadSql: () => Promise<SqlJsStatic>) {}

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
      await this._loadSnapshot();
      return true;
    }
    let written = 0;
    for (;;) {
      const changes = await fetchChanges(this._replica.seq);
      if (changes.reset) {
        await this._loadSnapshot();
        return true;
      }
      try {
        written += this._replica.apply(changes);
      } catch (error) {
        // A newer Plumbline migrated the store (new columns), or the page is not
        // ours: the replica rolled back, and a fresh snapshot is always right.
        console.warn('Plumbline: reloading the store snapshot:', error);
        await this._loadSnapshot();
        return true;
      }
      if (!changes.more) {
        return written > 0;
      }
    }
  }

  private async _loadSnapshot(): Promise<void> {
    const [sql, snapshot] = await Promise.all([this._loadSql(), fetchSnapshot()]);
    const replica = Replica.fromSnapshot(sql, snapshot.bytes, snapshot.seq);
    this._replica?.close();
    this._replica = replica;
  }

  private _replica: Replica | null = null;
  private _running: Promise<void> | null = null;
  private _again = false;
  private _changed = new Signal<this, void>(this);
}
