/**
 * Lineage: the component graph and review sidebar, the run inspector, traces,
 * component history, staleness on cells and the SQL console — all reading the
 * browser replica through src/queries/lineage.
 *
 * Main-area views: one reusable lineage tab (inspector, trace, history) with
 * back/forward and a pin to keep one; one SQL console; one graph. All are
 * restored across reloads, and follow a notebook rename.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, IThemeManager, MainAreaWidget, Notification, ToolbarButton, WidgetTracker } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { Extension } from '@codemirror/state';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { caretLeftIcon, caretRightIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

import { ChartTheme } from '../charts/vega';
import { componentOf } from '../components/model';
import { latestRunPerCell } from '../queries/cells';
import { lineageIcon, pinIcon } from '../icons';
import { CommandIDs, IPlumbline } from '../tokens';
import { LineageBrowser, LineageLocation } from './browser';
import { GraphMain } from './graphMain';
import { ComponentHistory } from './historyView';
import { RunInspector } from './inspector';
import { LineagePanel } from './lineagePanel';
import { NotebookSources } from './sources';
import { SqlConsole } from './sqlConsole';
import { NotebookStaleness } from './staleness';
import { TraceDirection, TraceView } from './traceView';

type View = MainAreaWidget<Widget>;

export const lineagePlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-plumbline:lineage',
  description: 'Plumbline lineage: component graph, run inspector, traces, history, staleness, review and SQL console.',
  autoStart: true,
  requires: [IPlumbline, INotebookTracker],
  optional: [ITranslator, ICommandPalette, ILayoutRestorer, IEditorLanguageRegistry, IThemeManager],
  activate: (
    app: JupyterFrontEnd,
    plumbline: IPlumbline,
    notebooks: INotebookTracker,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    languages: IEditorLanguageRegistry | null,
    themes: IThemeManager | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_plumbline');
    const { sync } = plumbline;
    const { commands, shell } = app;
    let python: Promise<Extension | null> | null = null;
    const language = () =>
      (python ??= languages
        ? languages.getLanguage('python').then(found => found?.support ?? null, () => null)
        : Promise.resolve(null));
    const chartTheme = new ChartTheme(themes);

    const panel = new LineagePanel({ sync, commands, trans });
    panel.title.icon = lineageIcon;
    shell.add(panel, 'left', { rank: 651 });
    restorer?.add(panel, 'plumbline-lineage');

    const sources = new NotebookSources(notebooks, app.serviceManager.contents);
    const staleness = new Map<NotebookPanel, NotebookStaleness>();
    const currentStaleness = () => (notebooks.currentWidget ? staleness.get(notebooks.currentWidget) ?? null : null);
    notebooks.widgetAdded.connect((_, notebook) => {
      void notebook.context.ready.then(() => {
        const tracker = new NotebookStaleness(notebook, plumbline, sources, trans);
        staleness.set(notebook, tracker);
        notebook.disposed.connect(() => staleness.delete(notebook));
        if (notebooks.currentWidget === notebook) {
          panel.staleness = tracker;
          graph?.setStaleness(tracker);
        }
      });
    });
    notebooks.currentChanged.connect(() => {
      panel.staleness = currentStaleness();
      graph?.setStaleness(currentStaleness());
    });

    // -- main-area views --------------------------------------------------------------------
    const views = new WidgetTracker<View>({ namespace: 'plumbline-views' });
    const argsOf = new WeakMap<View, { [key: string]: any }>();
    let browserCount = 0;
    let graph: GraphMain | null = null;

    const makeView = (location: LineageLocation): Widget => {
      switch (location.kind) {
        case 'run':
          return new RunInspector({ sync, commands, trans, runId: location.runId, language: language() });
        case 'trace':
          return new TraceView({ sync, commands, trans, ioId: location.ioId, direction: location.direction });
        case 'history':
          return new ComponentHistory({
            sync,
            commands,
            trans,
            theme: chartTheme,
            notebookPath: location.notebookPath,
            component: location.component
          });
      }
    };

    const browsers = (): View[] => {
      const found: View[] = [];
      views.forEach(view => view.content instanceof LineageBrowser && found.push(view));
      return found;
    };

    const addView = (view: View, args: { [key: string]: any }, activate = true) => {
      view.title.closable = true;
      view.title.icon = lineageIcon;
      argsOf.set(view, args);
      void views.add(view);
      shell.add(view, 'main');
      if (activate) {
        shell.activateById(view.id);
      }
    };

    const newBrowser = (id?: string): View => {
      const browser = new LineageBrowser(makeView, trans);
      const view = new MainAreaWidget<Widget>({ content: browser });
      // A restored tab keeps its id: the restored layout puts it back where it was.
      view.id = id && !views.find(v => v.id === id) ? id : `plumbline-browser-${Date.now().toString(36)}-${browserCount++}`;
      view.addClass('jp-Plumbline-browserTab');
      const back = new ToolbarButton({
        icon: caretLeftIcon,
        tooltip: trans.__('Back'),
        className: 'jp-Plumbline-back',
        onClick: () => browser.back()
      });
      const forward = new ToolbarButton({
        icon: caretRightIcon,
        tooltip: trans.__('Forward'),
        className: 'jp-Plumbline-forward',
        onClick: () => browser.forward()
      });
      const pin = new ToolbarButton({
        icon: pinIcon,
        tooltip: trans.__('Pin this tab: keep it as it is, open the next views in another tab'),
        className: 'jp-Plumbline-pin',
        onClick: () => {
          browser.pinned = !browser.pinned;
        }
      });
      view.toolbar.addItem('back', back);
      view.toolbar.addItem('forward', forward);
      view.toolbar.addItem('pin', pin);
      const sync = () => {
        view.title.label = browser.title.label;
        view.title.caption = browser.title.caption;
        view.toggleClass('jp-mod-pinned', browser.pinned);
        back.enabled = browser.canGoBack;
        forward.enabled = browser.canGoForward;
        pin.pressed = browser.pinned;
        pin.node.dataset.pinned = String(browser.pinned);
        argsOf.set(view, {
          kind: 'browser',
          id: view.id,
          history: JSON.stringify(browser.history),
          index: browser.index,
          pinned: browser.pinned
        });
        void views.save(view);
      };
      browser.changed.connect(sync);
      addView(view, { kind: 'browser', id: view.id }, false);
      return view;
    };

    /** Open a place in the unpinned lineage tab (made if there is none). */
    const openIn = (location: LineageLocation, options: { newTab?: boolean } = {}) => {
      let view = options.newTab ? undefined : browsers().find(v => !(v.content as LineageBrowser).pinned);
      view ??= newBrowser();
      (view.content as LineageBrowser).open(location);
      shell.activateById(view.id);
      return view;
    };

    const single = (id: string, make: () => Widget, args: { [key: string]: any }) => {
      const existing = views.find(view => view.id === id);
      if (existing) {
        shell.activateById(existing.id);
        return existing;
      }
      const content = make();
      const view = new MainAreaWidget<Widget>({ content });
      view.id = id;
      view.title.label = content.title.label;
      content.title.changed.connect(() => (view.title.label = content.title.label));
      addView(view, args);
      return view;
    };

    restorer?.restore(views, {
      command: 'plumbline:restore-view',
      args: view => argsOf.get(view) ?? {},
      name: view => view.id
    });
    commands.addCommand('plumbline:restore-view', {
      label: trans.__('Restore a Plumbline view'),
      execute: async args => {
        await ready();
        switch (args.kind as string) {
          case 'browser': {
            let history: LineageLocation[] = [];
            try {
              history = JSON.parse(String(args.history ?? '[]'));
            } catch {
              history = [];
            }
            if (!history.length) {
              return;
            }
            const view = newBrowser(typeof args.id === 'string' ? args.id : undefined);
            (view.content as LineageBrowser).restore(history, Number(args.index ?? history.length - 1), !!args.pinned);
            return view;
          }
          // views saved by earlier versions (one tab each)
          case 'run':
            return openIn({ kind: 'run', runId: String(args.runId) }, { newTab: true });
          case 'history':
            return openIn({ kind: 'history', notebookPath: String(args.notebookPath), component: String(args.component) }, { newTab: true });
          case 'trace':
            return openIn({ kind: 'trace', ioId: String(args.ioId), direction: (args.direction as TraceDirection) ?? 'upstream' }, { newTab: true });
          case 'sql':
            return commands.execute(CommandIDs.sqlConsole);
          case 'graph':
            return commands.execute(CommandIDs.openGraph);
        }
      }
    });

    // Open views follow a rename of their notebook (or folder).
    app.serviceManager.contents.fileChanged.connect((_, change) => {
      if (change.type === 'rename' && change.oldValue?.path && change.newValue?.path) {
        for (const view of browsers()) {
          (view.content as LineageBrowser).renamed(change.oldValue.path, change.newValue.path);
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
    commands.addCommand(CommandIDs.openGraph, {
      label: trans.__('Open Component Graph in Main Area'),
      caption: trans.__('The active notebook\'s component graph, in a main-area tab'),
      icon: lineageIcon,
      execute: async () => {
        await ready();
        return single(
          'plumbline-graph',
          () => {
            graph = new GraphMain({ sync, commands, trans });
            graph.setStaleness(currentStaleness());
            graph.disposed.connect(() => (graph = null));
            return graph;
          },
          { kind: 'graph' }
        );
      }
    });
    commands.addCommand(CommandIDs.inspectRun, {
      label: trans.__('Inspect Plumbline Run'),
      execute: async args => {
        const runId = args.runId as string;
        if (!runId) {
          return;
        }
        await ready();
        return openIn({ kind: 'run', runId }, { newTab: !!args.newTab });
      }
    });
    const activeCellRun = (): string | null => {
      const notebook = notebooks.currentWidget;
      const cell = notebook?.content.activeCell;
      const replica = sync.replica;
      if (!notebook || !cell || !replica) {
        return null;
      }
      const path = notebook.context.path;
      return latestRunPerCell(replica.db, [path, ...plumbline.formerPaths(path)]).get(cell.model.id)?.runId ?? null;
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
        return openIn({ kind: 'history', notebookPath: notebookPath!, component });
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
        return openIn({ kind: 'trace', ioId, direction });
      }
    });
    const currentBrowser = (): LineageBrowser | null => {
      const widget = shell.currentWidget;
      return widget instanceof MainAreaWidget && widget.content instanceof LineageBrowser ? widget.content : null;
    };
    commands.addCommand(CommandIDs.navigateBack, {
      label: trans.__('Back (Plumbline View)'),
      isEnabled: () => !!currentBrowser()?.canGoBack,
      execute: () => currentBrowser()?.back()
    });
    commands.addCommand(CommandIDs.navigateForward, {
      label: trans.__('Forward (Plumbline View)'),
      isEnabled: () => !!currentBrowser()?.canGoForward,
      execute: () => currentBrowser()?.forward()
    });
    commands.addCommand(CommandIDs.pinView, {
      label: trans.__('Pin or Unpin This Plumbline View'),
      isEnabled: () => currentBrowser() !== null,
      isToggled: () => !!currentBrowser()?.pinned,
      execute: () => {
        const browser = currentBrowser();
        if (browser) {
          browser.pinned = !browser.pinned;
        }
      }
    });
    commands.addCommand(CommandIDs.sqlConsole, {
      label: trans.__('Open Lineage SQL Console'),
      caption: trans.__('Read-only SQL over the lineage store'),
      execute: async () => {
        await ready();
        return single('plumbline-sql-console', () => new SqlConsole(sync, trans), { kind: 'sql' });
      }
    });
    for (const command of [
      CommandIDs.openLineage,
      CommandIDs.openGraph,
      CommandIDs.inspectCell,
      CommandIDs.componentHistory,
      CommandIDs.navigateBack,
      CommandIDs.navigateForward,
      CommandIDs.pinView,
      CommandIDs.sqlConsole
    ]) {
      palette?.addItem({ command, category: 'Plumbline' });
    }
  }
};
