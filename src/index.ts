/**
 * The core plugin: the browser replica of the store (snapshot, change feed, the
 * poll), the server's configuration, the settings, and loading the recorder into
 * every Python kernel a notebook starts. Feature plugins build on IPlumbline:
 * runs/ (the runs sidebar), components/, lineage/, pipelines/.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookActions, NotebookPanel } from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { PromiseDelegate } from '@lumino/coreutils';
import { Poll } from '@lumino/polling';
import { Signal } from '@lumino/signaling';

import { fetchConfig, IServerConfig } from './api/client';
import { componentsPlugin } from './components/plugin';
import { watchNotebook } from './kernel/autoload';
import { lineagePlugin } from './lineage/plugin';
import { pipelinesPlugin } from './pipelines/plugin';
import { IndexedDBSnapshotCache } from './replica/cache';
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
    const sync = new ReplicaSync({
      loadSql: loadSqlJs,
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
        }
      });
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
}

export default [plugin, runsPlugin, componentsPlugin, lineagePlugin, pipelinesPlugin];
