/**
 * Drift: the command that opens the drift panel of a recorded output in a
 * main-area tab (one tab per output, restored across reloads). The badges that
 * call it live with the components (src/components/badges.ts); the inline
 * panel is the MIME renderer (src/renderers/).
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { IThemeManager, MainAreaWidget, WidgetTracker } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ChartTheme } from '../charts/vega';
import { lineageIcon } from '../icons';
import { CommandIDs } from '../tokens';
import { DriftPanel } from './driftPanel';

export const driftPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-plumbline:drift',
  description: 'Plumbline drift: the drift panel of a component output in a main-area tab.',
  autoStart: true,
  optional: [ITranslator, ILayoutRestorer, IThemeManager],
  activate: (
    app: JupyterFrontEnd,
    translator: ITranslator | null,
    restorer: ILayoutRestorer | null,
    themes: IThemeManager | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_plumbline');
    const theme = new ChartTheme(themes);
    const tracker = new WidgetTracker<MainAreaWidget<DriftPanel>>({ namespace: 'plumbline-drift' });
    const idOf = (runId: string, name: string) => `plumbline-drift-${runId}-${name}`;

    app.commands.addCommand(CommandIDs.openDrift, {
      label: args => (args.name ? trans.__('Drift of %1', String(args.name)) : trans.__('Open Drift Panel')),
      caption: trans.__('Compare a recorded output with its component\'s reference'),
      execute: args => {
        const runId = String(args.runId ?? '');
        const name = String(args.name ?? '');
        if (!runId || !name) {
          return;
        }
        const id = idOf(runId, name);
        const existing = tracker.find(view => view.id === id);
        if (existing) {
          app.shell.activateById(id);
          if (args.reload) {
            void existing.content.load();
          }
          return existing;
        }
        const content = new DriftPanel({ runId, name, trans, theme });
        const view = new MainAreaWidget({ content });
        view.id = id;
        view.title.label = content.title.label;
        view.title.caption = content.title.caption;
        view.title.icon = lineageIcon;
        view.title.closable = true;
        view.addClass('jp-Plumbline-driftTab');
        void tracker.add(view);
        app.shell.add(view, 'main');
        app.shell.activateById(id);
        return view;
      }
    });

    restorer?.restore(tracker, {
      command: CommandIDs.openDrift,
      args: view => ({ runId: view.content.runId, name: view.content.name }),
      name: view => view.id
    });
  }
};
