/**
 * Lineage: the component graph and review sidebar, the run inspector, traces,
 * component history, staleness on cells and the SQL console — all reading the
 * browser replica through src/queries/lineage.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, Notification, WidgetTracker } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { IRenderMimeRegistry } from '@jupyterlab/rendermime';
import { Extension } from '@codemirror/state';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { componentOf } from '../components/model';
import { latestRunPerCell } from '../queries/cells';
import { lineageIcon } from '../icons';
import { CommandIDs, IPlumbline } from '../tokens';
import { ComponentHistory } from './historyView';
import { RunInspector } from './inspector';
import { LineagePanel } from './lineagePanel';
import { SqlConsole } from './sqlConsole';
import { NotebookStaleness } from './staleness';
import { TraceDirection, TraceView } from './traceView';

export const lineagePlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-plumbline:lineage',
  description: 'Plumbline lineage: component graph, run inspector, traces, history, staleness, review and SQL console.',
  autoStart: true,
  requires: [IPlumbline, INotebookTracker],
  optional: [ITranslator, ICommandPalette, ILayoutRestorer, IRenderMimeRegistry, IEditorLanguageRegistry],
  activate: (
    app: JupyterFrontEnd,
    plumbline: IPlumbline,
    notebooks: INotebookTracker,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    rendermime: IRenderMimeRegistry | null,
    languages: IEditorLanguageRegistry | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_plumbline');
    const { sync } = plumbline;
    const { commands, shell } = app;
    let python: Promise<Extension | null> | null = null;
    const language = () =>
      (python ??= languages
        ? languages.getLanguage('python').then(found => found?.support ?? null, () => null)
        : Promise.resolve(null));

    const panel = new LineagePanel({ sync, commands, trans });
    panel.title.icon = lineageIcon;
    shell.add(panel, 'left', { rank: 651 });
    restorer?.add(panel, 'plumbline-lineage');

    const staleness = new Map<NotebookPanel, NotebookStaleness>();
    notebooks.widgetAdded.connect((_, notebook) => {
      void notebook.context.ready.then(() => {
        const tracker = new NotebookStaleness(notebook, sync, trans);
        staleness.set(notebook, tracker);
        notebook.disposed.connect(() => staleness.delete(notebook));
        if (notebooks.currentWidget === notebook) {
          panel.staleness = tracker;
        }
      });
    });
    notebooks.currentChanged.connect((_, notebook) => {
      panel.staleness = notebook ? staleness.get(notebook) ?? null : null;
    });

    // Main-area views, restored across reloads by their arguments.
    const views = new WidgetTracker<MainAreaWidget<Widget>>({ namespace: 'plumbline-views' });
    const show = (content: Widget, id: string, args: { [key: string]: string }) => {
      const existing = views.find(view => view.id === id);
      if (existing) {
        shell.activateById(existing.id);
        return existing;
      }
      const view = new MainAreaWidget({ content });
      view.id = id;
      view.title.label = content.title.label;
      view.title.caption = content.title.caption;
      view.title.closable = true;
      view.title.icon = lineageIcon;
      content.title.changed.connect(() => (view.title.label = content.title.label));
      (view as any).plumblineArgs = args;
      void views.add(view);
      shell.add(view, 'main');
      shell.activateById(view.id);
      return view;
    };
    restorer?.restore(views, {
      command: 'plumbline:restore-view',
      args: view => (view as any).plumblineArgs ?? {},
      name: view => view.id
    });
    commands.addCommand('plumbline:restore-view', {
      label: trans.__('Restore a Plumbline view'),
      execute: args => {
        const kind = args.kind as string;
        if (kind === 'run') {
          return commands.execute(CommandIDs.inspectRun, args);
        }
        if (kind === 'history') {
          return commands.execute(CommandIDs.componentHistory, args);
        }
        if (kind === 'trace') {
          return commands.execute(CommandIDs.trace, args);
        }
        if (kind === 'sql') {
          return commands.execute(CommandIDs.sqlConsole);
        }
      }
    });

    // Views read the replica: make sure it exists before they render.
    const ready = () => sync.refresh().catch(() => undefined); // a failure is reported by the sync

    commands.addCommand(CommandIDs.openLineage, {
      label: trans.__('Show Plumbline Lineage'),
      caption: trans.__('Open the component graph and the review of flagged outputs'),
      icon: lineageIcon,
      execute: () => shell.activateById(panel.id)
    });
    commands.addCommand(CommandIDs.inspectRun, {
      label: trans.__('Inspect Plumbline Run'),
      execute: async args => {
        const runId = args.runId as string;
        if (!runId) {
          return;
        }
        await ready();
        return show(new RunInspector({ sync, commands, trans, runId, language: language() }), `plumbline-run-${runId}`, { kind: 'run', runId });
      }
    });
    const activeCellRun = (): string | null => {
      const notebook = notebooks.currentWidget;
      const cell = notebook?.content.activeCell;
      const replica = sync.replica;
      if (!notebook || !cell || !replica) {
        return null;
      }
      return latestRunPerCell(replica.db, notebook.context.path).get(cell.model.id)?.runId ?? null;
    };
    commands.addCommand(CommandIDs.inspectCell, {
      label: trans.__('Inspect Latest Run of This Cell'),
      caption: trans.__('Inputs, outputs, code diff and notes of the active cell\'s latest run'),
      isEnabled: () => notebooks.currentWidget !== null,
      execute: async () => {
        await ready();
        const runId = activeCellRun();
        if (!runId) {
          Notification.info(trans.__('This cell has not run since Plumbline started recording.'), { autoClose: 4000 });
          return;
        }
        return commands.execute(CommandIDs.inspectRun, { runId });
      }
    });
    commands.addCommand(CommandIDs.componentHistory, {
      label: trans.__('Show Component History'),
      caption: trans.__('Runs of the active cell\'s component over time'),
      isEnabled: args => !!args.component || notebooks.activeCell !== null,
      execute: async args => {
        let notebookPath = args.notebookPath as string | undefined;
        let component = args.component as string | undefined;
        if (!component) {
          const cell = notebooks.activeCell;
          component = cell ? componentOf(cell.model)?.component : undefined;
          notebookPath = notebooks.currentWidget?.context.path;
          if (!component || !notebookPath) {
            Notification.info(trans.__('The active cell is not part of a component.'), { autoClose: 4000 });
            return;
          }
        }
        await ready();
        return show(
          new ComponentHistory({ sync, commands, trans, rendermime, notebookPath: notebookPath!, component }),
          `plumbline-history-${notebookPath}-${component}`,
          { kind: 'history', notebookPath: notebookPath!, component }
        );
      }
    });
    commands.addCommand(CommandIDs.trace, {
      label: trans.__('Trace a Recorded Value'),
      execute: async args => {
        const ioId = args.ioId as string;
        const direction = (args.direction as TraceDirection) ?? 'upstream';
        if (!ioId) {
          return;
        }
        await ready();
        return show(
          new TraceView({ sync, commands, trans, ioId, direction }),
          `plumbline-trace-${direction}-${ioId}`,
          { kind: 'trace', ioId, direction }
        );
      }
    });
    commands.addCommand(CommandIDs.sqlConsole, {
      label: trans.__('Open Lineage SQL Console'),
      caption: trans.__('Read-only SQL over the lineage store'),
      execute: async () => {
        await ready();
        return show(new SqlConsole(sync, trans), 'plumbline-sql-console', { kind: 'sql' });
      }
    });
    for (const command of [
      CommandIDs.openLineage,
      CommandIDs.inspectCell,
      CommandIDs.componentHistory,
      CommandIDs.sqlConsole
    ]) {
      palette?.addItem({ command, category: 'Plumbline' });
    }
  }
};
