/**
 * Keeps the last store snapshot in the browser (IndexedDB), so a page load
 * opens it at once and asks the server only for the changes since, instead
 * of downloading the whole store again.
 *
 * What is kept is the server's own snapshot bytes and their cursor; the
 * replica checks on its first change page that the server still has the same
 * store at the same schema, and reloads otherwise (see ReplicaSync).
 */

export interface ICachedSnapshot {
  bytes: Uint8Array;
  seq: number;
}

export interface ISnapshotCache {
  load(): Promise<ICachedSnapshot | null>;
  save(snapshot: ICachedSnapshot): Promise<void>;
  clear(): Promise<void>;
}

const DB_NAME = 'jupyterlab-plumbline';
const STORE = 'snapshots';

/** One entry per Jupyter server (base URL) of this origin. */
export class IndexedDBSnapshotCache implements ISnapshotCache {
  constructor(private readonly _key: string) {}

  async load(): Promise<ICachedSnapshot | null> {
    const value = await this._queued(() => this._request<unknown>('readonly', store => store.get(this._key)));
    const entry = value as { bytes?: unknown; seq?: unknown } | undefined;
    if (!entry || !(entry.bytes instanceof Uint8Array) || !Number.isInteger(entry.seq)) {
      return null;
    }
    return { bytes: entry.bytes, seq: entry.seq as number };
  }

  async save(snapshot: ICachedSnapshot): Promise<void> {
    await this._queued(() =>
      this._request('readwrite', store => store.put({ bytes: snapshot.bytes, seq: snapshot.seq }, this._key))
    );
  }

  async clear(): Promise<void> {
    await this._queued(() => this._request('readwrite', store => store.delete(this._key)));
  }

  /** One operation at a time, in call order: a clear is never overtaken by an earlier save. */
  private _queued<T>(operation: () => Promise<T>): Promise<T> {
    const result = this._last.then(operation, operation);
    this._last = result.then(
      () => undefined,
      () => undefined
    );
    return result;
  }

  private _last: Promise<void> = Promise.resolve();

  private async _request<T>(
    mode: IDBTransactionMode,
    action: (store: IDBObjectStore) => IDBRequest
  ): Promise<T> {
    const db = await this._open();
    try {
      return await new Promise<T>((resolve, reject) => {
        const transaction = db.transaction(STORE, mode);
        const request = action(transaction.objectStore(STORE));
        transaction.oncomplete = () => resolve(request.result as T);
        transaction.onerror = () => reject(transaction.error);
        transaction.onabort = () => reject(transaction.error ?? new Error('IndexedDB transaction aborted'));
      });
    } finally {
      db.close();
    }
  }

  private _open(): Promise<IDBDatabase> {
    return new Promise((resolve, reject) => {
      if (typeof indexedDB === 'undefined') {
        reject(new Error('This browser has no IndexedDB.'));
        return;
      }
      const request = indexedDB.open(DB_NAME, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE);
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error('IndexedDB is blocked by another tab.'));
    });
  }
}
