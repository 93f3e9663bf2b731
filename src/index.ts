import {
  ILayoutRestorer,
  JupyterFrontEnd,
  JupyterFrontEndPlugin
} from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import {
  INotebookTracker,
  NotebookActions,
  NotebookPanel
} from '@jupyterlab/notebook';
import { ServerConnection } from '@jupyterlab/services';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { PromiseDelegate } from '@lumino/coreutils';
import { Poll } from '@lumino/polling';

import { fetchConfig } from './api/client';
import { plumblineIcon } from './icons';
import { watchNotebook } from './kernel/autoload';
import { loadSqlJs } from './replica/sqljs';
import { IndexedDBSnapshotCache } from './replica/cache';
import { ReplicaSync } from './replica/sync';
import { RunsPanel } from './sidebar/runsPanel';
import { componentsPlugin } from './components/plugin';
import { lineagePlugin } from './lineage/plugin';
import { CommandIDs, IPlumbline, PLUGIN_ID } from './tokens';


interface ISettings {
  recordKernels: boolean;
  refreshInterval: number;
  maxRows: number;
  keepReplica: boolean;
}

const DEFAULTS: ISettings = {
  recordKernels: true,
  refreshInterval: 5,
  maxRows: 200,
  keepReplica: true
};

const plugin: JupyterFrontEndPlugin<IPlumbline> = {
  id: PLUGIN_ID,
  description:
    'Records every notebook cell run into the Plumbline lineage store and shows the runs in a sidebar.',
  autoStart: true,
  provides: IPlumbline,
  requires: [INotebookTracker],
  optional: [ILayoutRestorer, ISettingRegistry, ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    tracker: INotebookTracker,
    restorer: ILayoutRestorer | null,
    settingRegistry: ISettingRegistry | null,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ): IPlumbline => {
    translator = translator ?? nullTranslator;
    const trans = translator.load('jupyterlab_plumbline');
    const settings: ISettings = { ...DEFAULTS };
    // One kept snapshot per Jupyter server of this origin (JupyterHub serves many under one).
    const snapshotCache = new IndexedDBSnapshotCache(ServerConnection.makeSettings().baseUrl);
    // The kept snapshot is used only once the settings say so (they may turn it off).
    const settingsLoaded = new PromiseDelegate<void>();
    const sync = new ReplicaSync({
      loadSql: loadSqlJs,
      cache: async () => {
        await settingsLoaded.promise;
        return settings.keepReplica ? snapshotCache : null;
      }
    });

    const panel = new RunsPanel({
      sync,
      translator,
      maxRows: () => settings.maxRows,
      revealCell: (notebook, cellId) => revealCell(app, notebook, cellId),
      inspectRun: runId => void app.commands.execute(CommandIDs.inspectRun, { runId })
    });
    panel.title.icon = plumblineIcon;
    app.shell.add(panel, 'left', { rank: 650 });
    restorer?.add(panel, 'plumbline-sidebar');

    let reportedError = '';
    const refresh = async () => {
      try {
        await sync.refresh();
        reportedError = '';
      } catch (error) {
        const message = (error as Error).message || String(error);
        if (message !== reportedError) {
          reportedError = message;
          Notification.error(
            trans.__('Plumbline could not read the lineage store: %1', message),
            { autoClose: 8000 }
          );
        }
        throw error;
      }
    };

    const poll = new Poll({
      factory: refresh,
      frequency: {
        interval: settings.refreshInterval * 1000,
        backoff: true,
        max: 60 * 1000
      },
      name: 'plumbline:replica',
      standby: 'when-hidden'
    });

    const config = fetchConfig();
    void config
      .then(config => {
        if (config.problem) {
          panel.problem = config.problem;
          Notification.error(config.problem, { autoClose: false });
        }
      })
      .catch(error => {
        panel.problem = trans.__(
          'The Plumbline server extension did not answer (%1). Is it enabled? Run: jupyter server extension list',
          (error as Error).message
        );
      });

    // Refresh as soon as a cell finished (its run row is written before the
    // kernel replies), and shortly after one started, to show it running.
    NotebookActions.executed.connect(() => void refresh().catch(() => undefined));
    NotebookActions.executionScheduled.connect(() => {
      window.setTimeout(() => void refresh().catch(() => undefined), 400);
    });

    const failedPaths = new Set<string>();
    tracker.widgetAdded.connect((_, notebook: NotebookPanel) => {
      watchNotebook(notebook, {
        specs: app.serviceManager.kernelspecs,
        enabled: () => settings.recordKernels,
        onFailure: (path, message) => {
          if (failedPaths.has(path)) {
            return;
          }
          failedPaths.add(path);
          // A missing package needs an install; anything else (a corrupt or newer
          // store) carries its own instructions in the message.
          const text = message.startsWith('ModuleNotFoundError')
            ? trans.__('Plumbline is not recording %1: plumbline is not installed in its kernel\'s environment (%2). Install it there and restart the kernel.', path, message)
            : trans.__('Plumbline is not recording %1: %2', path, message);
          Notification.warning(text, { autoClose: false });
        }
      });
    });
    tracker.currentChanged.connect((_, notebook) => {
      panel.notebook = notebook;
    });
    panel.notebook = tracker.currentWidget;

    app.commands.addCommand(CommandIDs.openRuns, {
      label: trans.__('Show Plumbline Runs'),
      caption: trans.__('Open the Plumbline sidebar with the runs of this notebook'),
      icon: plumblineIcon,
      execute: () => app.shell.activateById(panel.id)
    });
    app.commands.addCommand(CommandIDs.revealCell, {
      label: trans.__('Go to the Cell of a Run'),
      execute: async args => {
        const path = args.notebookPath as string;
        const cellId = args.cellId as string;
        let notebook = tracker.find(panel => panel.context.path === path) ?? null;
        if (!notebook) {
          notebook = (await app.commands.execute('docmanager:open', { path })) as NotebookPanel;
          await notebook?.context.ready;
        }
        if (notebook) {
          revealCell(app, notebook, cellId);
        }
      }
    });
    app.commands.addCommand(CommandIDs.refresh, {
      label: trans.__('Refresh Plumbline Runs'),
      execute: () => refresh()
    });
    for (const command of [CommandIDs.openRuns, CommandIDs.refresh]) {
      palette?.addItem({ command, category: 'Plumbline' });
    }

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
            panel.update();
          };
          apply();
          loaded.changed.connect(apply);
        })
        .catch(error => console.warn('Plumbline: settings not loaded, using the defaults:', error))
        .then(() => settingsLoaded.resolve());
    } else {
      settingsLoaded.resolve();
    }

    return { sync, config };
  }
};

function revealCell(app: JupyterFrontEnd, panel: NotebookPanel, cellId: string): void {
  const notebook = panel.content;
  const index = notebook.widgets.findIndex(cell => cell.model.id === cellId);
  app.shell.activateById(panel.id);
  if (index >= 0) {
    notebook.activeCellIndex = index;
    void notebook.scrollToItem(index);
  }
}

export default [plugin, componentsPlugin, lineagePlugin];
