import { Token } from '@lumino/coreutils';

import type { ReplicaSync } from './replica/sync';

/** Command ids, one place. */
export namespace CommandIDs {
  export const openRuns = 'plumbline:open-runs';
  export const refresh = 'plumbline:refresh';
}

/** Other plugins (lineage, components, pipelines) read the store through this. */
export interface IPlumbline {
  readonly sync: ReplicaSync;
}

export const IPlumbline = new Token<IPlumbline>(
  'jupyterlab-plumbline:IPlumbline',
  'The browser replica of the Plumbline lineage store.'
);
