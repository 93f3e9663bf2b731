/**
 * The core plugin: the browser replica of the store (snapshot, change feed, the
 * poll), the server's configuration, the settings, and loading the recorder into
 * every Python kernel a notebook starts. Feature plugins build on IPlumbline:
 * runs/ (the runs sidebar), components/, lineage/, pipelines/.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { Contents, ServerConnection } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { PromiseDelegate } from '@lumino/coreutils';
import { Poll } from '@lumino/polling';
import { Signal } from '@lumino/signaling';

import { fetchConfig, IServerConfig } from './api/client';
import { componentsPlugin } from './components/plugin';
import { driftPlugin } from './drift/plugin';
import { watchNotebook } from './kernel/autoload';
import { lineagePlugin } from './lineage/plugin';
import { monitorsPlugin } from './monitoring/plugin';
import { pipelinesPlugin } from './pipelines/plugin';
import { IndexedDBSnapshotCache } from './replica/cache';
import { RenameLog } from './replica/renames';
import { loadSqlJs } from './replica/sqljs';
import { ReplicaSync } from './replica/sync';
import { runsPlugin } from './runs/plugin';
import { IPlumbline, IPlumblineSettings, PLUGIN_ID } from './tokens';

const DEFAULTS: IPlumblineSettings = {
  recordKernels: true,
  refreshInterval: 5,
  maxRows: 200,
  keepReplica: true
};

const plugin: JupyterFrontEndPlugin<IPlumbline> = {
  id: PLUGIN_ID,
  description: 'Records every notebook cell run into the Plumbline lineage store and keeps a replica of it in the browser.',
  autoStart: true,
  provides: IPlumbline,
  requires: [INotebookTracker],
  optional: [ISettingRegistry, ITranslator],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null
  ): IPlumbline => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_plumbline');
    const settings: IPlumblineSettings = { ...DEFAULTS };
    // One kept snapshot per Jupyter server of this origin (JupyterHub serves many under one).
    const snapshotCache = new IndexedDBSnapshotCache(ServerConnection.makeSettings().baseUrl);
    // The kept snapshot is used only once the settings say so (they may turn it off).
    const settingsLoaded = new PromiseDelegate<void>();
    let reported = '';
    // Cold start: the wasm's fetch and compile and the kept snapshot's IndexedDB read start
    // now, in parallel with the settings and with JupyterLab's own start.
    performance.mark('plumbline:activate');
    void loadSqlJs().catch(() => undefined); // retried when needed
    const prefetched = snapshotCache.load();
    void app.started.then(() => performance.mark('plumbline:shell-started'));
    void app.restored.then(() => performance.mark('plumbline:shell-restored'));
    const sync = new ReplicaSync({
      loadSql: loadSqlJs,
      prefetched,
      cache: async () => {
        await settingsLoaded.promise;
        return settings.keepReplica ? snapshotCache : null;
      },
      // Whoever asked for the refresh (the poll, a panel, a command), the user hears once.
      report: error => {
        const message = error ? error.message || String(error) : '';
        if (message && message !== reported) {
          Notification.error(trans.__('Plumbline could not read the lineage store: %1', message), {
            autoClose: 8000
          });
        }
        reported = message;
      }
    });
    const plumbline = new Plumbline(sync, fetchConfig(), settings);
    plumbline.followRenames(app.serviceManager.contents);
    const config = plumbline.config;

    const poll = new Poll({
      factory: () => sync.refresh(),
      frequency: { interval: settings.refreshInterval * 1000, backoff: true, max: 60 * 1000 },
      name: 'plumbline:replica',
      standby: 'when-hidden'
    });

    void config.then(
      config => config.problem && Notification.error(config.problem, { autoClose: false }),
      () => undefined // the runs panel says so in place
    );

    // Refresh as soon as a cell finished (its run row is written before the
    // kernel replies), and shortly after one started, to show it running.
    NotebookActions.executed.connect(() => void sync.refresh().catch(() => undefined));
    NotebookActions.executionScheduled.connect(() => {
      window.setTimeout(() => void sync.refresh().catch(() => undefined), 400);
    });

    const told = new Set<string>();
    tracker.widgetAdded.connect((_, notebook: NotebookPanel) => {
      watchNotebook(notebook, {
        specs: app.serviceManager.kernelspecs,
        enabled: () => settings.recordKernels,
        onFailure: (path, message) => {
          if (told.has(path)) {
            return;
          }
          told.add(path);
          // A missing package needs an install; anything else (a corrupt or newer
          // store) carries its own instructions in the message.
          const text = message.startsWith('ModuleNotFoundError')
            ? trans.__('Plumbline is not recording %1: plumbline is not installed in its kernel\'s environment (%2). Install it there and restart the kernel.', path, message)
            : trans.__('Plumbline is not recording %1: %2', path, message);
          Notification.warning(text, { autoClose: false });
        },
        onWarning: (path, message) => {
          // Recording goes on (runs wait in memory), but the user must know why.
          Notification.warning(trans.__('Plumbline (%1): %2', path, message), { autoClose: false });
        },
        onSession: session => plumbline.setRecorderSession(notebook, session)
      });
      notebook.disposed.connect(() => plumbline.setRecorderSession(notebook, undefined));
    });

    if (settingRegistry) {
      void settingRegistry
        .load(PLUGIN_ID)
        .then(loaded => {
          const apply = () => {
            settings.recordKernels = loaded.get('recordKernels').composite as boolean;
            settings.refreshInterval = loaded.get('refreshInterval').composite as number;
            settings.maxRows = loaded.get('maxRows').composite as number;
            settings.keepReplica = loaded.get('keepReplica').composite as boolean;
            if (!settings.keepReplica) {
              void snapshotCache.clear().catch(() => undefined); // leave nothing behind
            }
            poll.frequency = { ...poll.frequency, interval: settings.refreshInterval * 1000 };
            plumbline.settingsChanged.emit();
          };
          apply();
          loaded.changed.connect(apply);
        })
        .catch(error => console.warn('Plumbline: settings not loaded, using the defaults:', error))
        .then(() => settingsLoaded.resolve());
    } else {
      settingsLoaded.resolve();
    }
    return plumbline;
  }
};

class Plumbline implements IPlumbline {
  constructor(
    readonly sync: ReplicaSync,
    readonly config: Promise<IServerConfig>,
    readonly settings: IPlumblineSettings
  ) {}

  readonly settingsChanged = new Signal<this, void>(this);
  readonly recorderSessionChanged = new Signal<this, NotebookPanel>(this);

  recorderSession(notebook: NotebookPanel): string | null | undefined {
    return this._sessions.get(notebook);
  }

  setRecorderSession(notebook: NotebookPanel, session: string | null | undefined): void {
    if (this._sessions.get(notebook) === session && (session !== undefined || !this._sessions.has(notebook))) {
      return;
    }
    if (session === undefined) {
      this._sessions.delete(notebook);
    } else {
      this._sessions.set(notebook, session);
    }
    this.recorderSessionChanged.emit(notebook);
  }

  formerPaths(path: string): string[] {
    return this._renames.formerPaths(path);
  }

  /**
   * The server moves a renamed notebook's history when the contents service says so;
   * until the replica has the move, views read the former path too, and the replica is
   * refreshed a few times so that the move arrives in a second, not at the next poll.
   */
  followRenames(contents: Contents.IManager): void {
    contents.fileChanged.connect((_, change) => {
      if (change.type !== 'rename' || !change.oldValue?.path || !change.newValue?.path) {
        return;
      }
      this._renames.add(change.oldValue.path, change.newValue.path);
      for (const delay of [100, 400, 1000, 2500, 5000]) {
        window.setTimeout(() => void this.sync.refresh().catch(() => undefined), delay);
      }
    });
  }

  private _sessions = new Map<NotebookPanel, string | null>();
  private _renames = new RenameLog();
}

export default [plugin, runsPlugin, componentsPlugin, lineagePlugin, pipelinesPlugin, driftPlugin, monitorsPlugin];
