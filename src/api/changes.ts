/**
 * The payloads of the server's replication endpoints (plumbline/store/feed.py produces
 * them; the shared fixtures changes-v1.json and lineage-v1.json pin the format).
 */
import type { SqlValue } from 'sql.js';

/** One page of the server's change feed (GET /plumbline/changes). */
export interface IChanges {
  since: number;
  seq: number;
  more: boolean;
  /** The server's store is behind this replica: it was replaced; reload. */
  reset: boolean;
  /** The server store's identity and schema version (schema/store/0004). */
  store_id: string;
  schema_version: number;
  tables: {
    [table: string]: { columns: string[]; rows: SqlValue[][] };
  };
}
