/**
 * The runs sidebar ("Plumbline"): the runs of the active notebook, newest first,
 * and the commands to open it, refresh it and go to the cell of a run.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { plumblineIcon } from '../icons';
import { CommandIDs, IPlumbline } from '../tokens';
import { RunsPanel } from './runsPanel';

export const runsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-plumbline:runs',
  description: 'Plumbline runs: the runs of the active notebook in a sidebar.',
  autoStart: true,
  requires: [IPlumbline, INotebookTracker],
  optional: [ILayoutRestorer, ITranslator, ICommandPalette],
  activate: (
    app: JupyterFrontEnd,
    plumbline: IPlumbline,
    tracker: INotebookTracker,
    restorer: ILayoutRestorer | null,
    translator: ITranslator | null,
    palette: ICommandPalette | null
  ) => {
    translator = translator ?? nullTranslator;
    const trans = translator.load('jupyterlab_plumbline');
    const { sync } = plumbline;
    const panel = new RunsPanel({
      sync,
      translator,
      maxRows: () => plumbline.settings.maxRows,
      revealCell: (notebook, cellId) => revealCell(app, notebook, cellId),
      inspectRun: runId => void app.commands.execute(CommandIDs.inspectRun, { runId }),
      formerPaths: path => plumbline.formerPaths(path),
      openDrift: (runId, name) => void app.commands.execute(CommandIDs.openDrift, { runId, name })
    });
    panel.title.icon = plumblineIcon;
    app.shell.add(panel, 'left', { rank: 650 });
    restorer?.add(panel, 'plumbline-sidebar');
    plumbline.settingsChanged.connect(() => panel.update());

    void plumbline.config.then(
      config => {
        if (config.problem) {
          panel.problem = config.problem;
        }
      },
      error => {
        panel.problem = trans.__(
          'The Plumbline server extension did not answer (%1). Is it enabled? Run: jupyter server extension list',
          (error as Error).message
        );
      }
    );

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
      execute: () => sync.refresh().catch(() => undefined) // a failure is reported by the sync
    });
    for (const command of [CommandIDs.openRuns, CommandIDs.refresh]) {
      palette?.addItem({ command, category: 'Plumbline' });
    }
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
