import { Token } from '@lumino/coreutils';
import type { NotebookPanel } from '@jupyterlab/notebook';
import type { ISignal } from '@lumino/signaling';

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
  export const openGraph = 'plumbline:open-graph';
  export const navigateBack = 'plumbline:navigate-back';
  export const navigateForward = 'plumbline:navigate-forward';
  export const pinView = 'plumbline:pin-view';
  export const promote = 'plumbline:promote';
  export const promoteNotebook = 'plumbline:promote-notebook';
  export const openPipelines = 'plumbline:open-pipelines';
  export const openDrift = 'plumbline:open-drift';
  export const openMonitor = 'plumbline:open-monitor';
  export const openMonitors = 'plumbline:open-monitors';
}

/** The plugin whose settings (schema/plugin.json) all of Plumbline reads. */
export const PLUGIN_ID = 'jupyterlab-plumbline:plugin';

/** The user's settings (Settings → Plumbline), as schema/plugin.json defines them. */
export interface IPlumblineSettings {
  recordKernels: boolean;
  refreshInterval: number;
  maxRows: number;
  keepReplica: boolean;
}

/** Other plugins (runs, lineage, components, pipelines, monitoring) read the store through this. */
export interface IPlumbline {
  /**
   * The browser replica of the store. `sync.refresh()` is the one way to bring it up
   * to date: a failure is reported once to the user there, so callers may ignore it.
   */
  readonly sync: ReplicaSync;
  /** The server's configuration, fetched once at start-up. */
  readonly config: Promise<IServerConfig>;
  /** The current settings. */
  readonly settings: Readonly<IPlumblineSettings>;
  /** Emitted when the settings changed. */
  readonly settingsChanged: ISignal<IPlumbline, void>;
  /**
   * The recorder session of a notebook's kernel (whose kernel_bindings say what the
   * kernel holds): its id, null while a kernel (re)starts and holds nothing yet,
   * undefined when the notebook has no recorded kernel.
   */
  recorderSession(notebook: NotebookPanel): string | null | undefined;
  /** Emitted with the notebook whose recorder session changed. */
  readonly recorderSessionChanged: ISignal<IPlumbline, NotebookPanel>;
  /**
   * The paths a notebook had before renames made in this browser, newest first, whose
   * move the replica may not have received yet (views read them too meanwhile).
   */
  formerPaths(path: string): string[];
}

export const IPlumbline = new Token<IPlumbline>(
  'jupyterlab-plumbline:IPlumbline',
  'The browser replica of the Plumbline lineage store.'
);
