/**
 * Monitors: the "Monitors" sidebar (restored on reload), one main-area tab per
 * monitor (WidgetTracker + ILayoutRestorer, like the drift tabs), the palette
 * commands "Open Monitor…" and "Show Plumbline Monitors", and a notification
 * when a monitor enters alert or concept drift while this page is open (for
 * monitors fed by scheduled pipelines that nobody watches in a notebook).
 * The inline panel is the MIME renderer (src/renderers/monitorRenderer.ts).
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, InputDialog, IThemeManager, MainAreaWidget, Notification, WidgetTracker } from '@jupyterlab/apputils';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { ChartTheme } from '../charts/vega';
import { IMonitorRow, monitorsList } from '../queries/monitors';
import { statusLabel } from '../renderers/monitorModel';
import { CommandIDs, IPlumbline } from '../tokens';
import { monitorIcon } from './icons';
import { MonitorPanel } from './monitorPanel';
import { MonitorsPanel } from './monitorsPanel';

export const monitorsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-plumbline:monitors',
  description: 'Plumbline monitors: the Monitors sidebar and a monitor\'s panel in a main-area tab.',
  autoStart: true,
  requires: [IPlumbline],
  optional: [ITranslator, ICommandPalette, ILayoutRestorer, IThemeManager],
  activate: (
    app: JupyterFrontEnd,
    plumbline: IPlumbline,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
    themes: IThemeManager | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_plumbline');
    const { sync } = plumbline;
    const { commands, shell } = app;
    const theme = new ChartTheme(themes);
    const tracker = new WidgetTracker<MainAreaWidget<MonitorPanel>>({ namespace: 'plumbline-monitor' });
    const list = (): IMonitorRow[] => (sync.replica ? monitorsList(sync.replica.db) : []);

    const open = (key: string): MainAreaWidget<MonitorPanel> => {
      const row = list().find(m => m.id === key) ?? list().find(m => m.name === key);
      const id = `plumbline-monitor-${row?.id ?? key}`;
      const existing = tracker.find(view => view.id === id || view.content.monitorId === (row?.id ?? key));
      if (existing) {
        shell.activateById(existing.id);
        return existing;
      }
      const content = new MonitorPanel({ monitor: row?.id ?? key, sync, trans, theme });
      const view = new MainAreaWidget({ content });
      view.id = id;
      view.title.label = content.title.label;
      view.title.caption = content.title.caption;
      view.title.icon = monitorIcon;
      view.title.closable = true;
      view.addClass('jp-Plumbline-monitorTab');
      content.title.changed.connect(() => {
        view.title.label = content.title.label;
        view.title.caption = content.title.caption;
      });
      void tracker.add(view);
      shell.add(view, 'main');
      shell.activateById(id);
      return view;
    };

    const panel = new MonitorsPanel({ sync, trans, open: monitor => void open(monitor.id) });
    panel.title.icon = monitorIcon;
    shell.add(panel, 'left', { rank: 653 });
    restorer?.add(panel, 'plumbline-monitors');

    commands.addCommand(CommandIDs.openMonitor, {
      label: args => (args.name ? trans.__('Open Monitor %1', String(args.name)) : trans.__('Open Monitor…')),
      caption: trans.__('Open a model monitor\'s panel: estimated and realized performance per window'),
      icon: args => (args.icon ? monitorIcon : undefined),
      execute: async args => {
        const key = String(args.id ?? args.name ?? '');
        if (key) {
          return open(key);
        }
        await sync.refresh().catch(() => undefined);
        const monitors = list();
        if (!monitors.length) {
          Notification.info(trans.__('No monitor in the store yet. Create one with plumbline.monitor(...) in a notebook.'), { autoClose: 5000 });
          return;
        }
        const names = monitors.map(m => m.name);
        const picked = monitors.length === 1
          ? { button: { accept: true }, value: names[0] }
          : await InputDialog.getItem({ title: trans.__('Open Monitor'), items: names, current: 0, label: trans.__('Monitor') });
        if (picked.button.accept && picked.value) {
          return open(monitors.find(m => m.name === picked.value)!.id);
        }
      }
    });
    commands.addCommand(CommandIDs.openMonitors, {
      label: trans.__('Show Plumbline Monitors'),
      caption: trans.__('Open the Monitors sidebar'),
      icon: monitorIcon,
      execute: () => shell.activateById(panel.id)
    });
    for (const command of [CommandIDs.openMonitor, CommandIDs.openMonitors]) {
      palette?.addItem({ command, category: 'Plumbline' });
    }

    restorer?.restore(tracker, {
      command: CommandIDs.openMonitor,
      args: view => ({ id: view.content.monitorId }),
      name: view => view.content.monitorId
    });

    // A monitor that turns to alert or concept drift while the page is open: say so once.
    let known: Map<string, string> | null = null;
    sync.changed.connect(() => {
      const now = new Map(list().map(m => [m.id, m.status]));
      if (known) {
        for (const monitor of list()) {
          const before = known.get(monitor.id);
          if ((monitor.status === 'alert' || monitor.status === 'concept_drift') && before !== monitor.status) {
            Notification.warning(trans.__('Monitor %1: %2', monitor.name, statusLabel(monitor.status, trans)), {
              autoClose: 10000,
              actions: [{ label: trans.__('Open'), callback: () => void open(monitor.id) }]
            });
          }
        }
      }
      known = now;
    });
  }
};
