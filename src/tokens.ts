import { Token } from '@lumino/coreutils';

import type { IServerConfig } from './api/client';
import type { ReplicaSync } from './replica/sync';

/** Command ids, one place. */
export namespace CommandIDs {
  export const openRuns = 'plumbline:open-runs';
  export const refresh = 'plumbline:refresh';
  export const tagComponent = 'plumbline:tag-component';
  export const mergeComponents = 'plumbline:merge-components';
  export const untagComponent = 'plumbline:untag-component';
  export const revealCell = 'plumbline:reveal-cell';
  export const openLineage = 'plumbline:open-lineage';
  export const inspectRun = 'plumbline:inspect-run';
  export const inspectCell = 'plumbline:inspect-cell';
  export const componentHistory = 'plumbline:component-history';
  export const trace = 'plumbline:trace';
  export const sqlConsole = 'plumbline:sql-console';
}

/** The plugin whose settings (schema/plugin.json) all of Plumbline reads. */
export const PLUGIN_ID = 'jupyterlab-plumbline:plugin';

/** Other plugins (lineage, components, pipelines) read the store through this. */
export interface IPlumbline {
  readonly sync: ReplicaSync;
  /** The server's configuration, fetched once at start-up. */
  readonly config: Promise<IServerConfig>;
}

export const IPlumbline = new Token<IPlumbline>(
  'jupyterlab-plumbline:IPlumbline',
  'The browser replica of the Plumbline lineage store.'
);
