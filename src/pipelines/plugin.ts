/**
 * Pipelines: "Promote to Pipeline…" (cell toolbar, context menu, palette,
 * Ctrl Alt P — the toolbar, menu and shortcut entries are in schema/plugin.json),
 * the Pipelines sidebar (restored on reload), task run views, and "pipeline out
 * of date" marks with their diff and update.
 */
import { ILayoutRestorer, JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, MainAreaWidget, Notification } from '@jupyterlab/apputils';
import { IEditorLanguageRegistry } from '@jupyterlab/codemirror';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';
import { Extension } from '@codemirror/state';

import { groups, suggestName, tag } from '../components/model';
import { pipelinesList } from '../queries/pipelines';
import { CommandIDs, IPlumbline } from '../tokens';
import { backfillDialog, decideRequest, deleteDialog, runNowDialog, scheduleDialog, togglePaused } from './actions';
import { showPipelineDiff } from './diffDialog';
import { pipelineIcon } from './icons';
import { probeKernel } from './kernelProbe';
import { cellsOnly, suggestPipelineName } from './model';
import { PipelineFreshness } from './outOfDate';
import { PipelinesPanel } from './pipelinesPanel';
import { promote } from './promoteDialog';
import { TaskRunView } from './taskRunView';

export const pipelinesPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-plumbline:pipelines',
  description: 'Plumbline pipelines: promote cells to a scheduled pipeline, the Pipelines sidebar, out-of-date marks.',
  autoStart: true,
  requires: [IPlumbline, INotebookTracker],
  optional: [ITranslator, ICommandPalette, ILayoutRestorer, IEditorLanguageRegistry],
  activate: (
    app: JupyterFrontEnd,
    plumbline: IPlumbline,
    notebooks: INotebookTracker,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    restorer: ILayoutRestorer | null,
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
    const refresh = () => sync.refresh().catch(() => undefined); // a failure is reported by the sync

    const showDiff = async (name: string) => {
      const row = sync.replica ? pipelinesList(sync.replica.db).find(p => p.name === name) : undefined;
      const notebook = row ? freshness.notebookOf(row.notebookPath) : null;
      const updated = await showPipelineDiff({
        name,
        content: notebook ? () => cellsOnly(notebook.context.model.toJSON()) : null,
        language: language(),
        trans
      });
      if (updated) {
        await refresh();
        freshness.recheck(name);
      }
    };
    const freshness = new PipelineFreshness(sync, notebooks, trans, name => void showDiff(name));

    const openTaskRun = (pipeline: string, taskRunId: string) => {
      const id = `plumbline-task-run-${taskRunId}`;
      const existing = Array.from(shell.widgets('main')).find(widget => widget.id === id);
      if (existing) {
        shell.activateById(id);
        return;
      }
      const content = new TaskRunView({ sync, commands, trans, pipeline, taskRunId });
      const view = new MainAreaWidget({ content });
      view.id = id;
      view.title.label = content.title.label;
      view.title.icon = pipelineIcon;
      view.title.closable = true;
      content.title.changed.connect(() => (view.title.label = content.title.label));
      shell.add(view, 'main');
      shell.activateById(id);
    };

    const panel = new PipelinesPanel({
      sync,
      freshness,
      trans,
      openTaskRun,
      runNow: pipeline => void runNowDialog(pipeline.name, trans).then(refresh),
      setPaused: (pipeline, paused) => void togglePaused(pipeline.name, paused, trans).then(refresh),
      backfill: pipeline => void backfillDialog(pipeline.name, pipeline.timezone, trans).then(refresh),
      editSchedule: pipeline => void scheduleDialog(pipeline, trans).then(refresh),
      remove: pipeline => void deleteDialog(pipeline.name, pipeline.folder, trans).then(refresh),
      showDiff: pipeline => void showDiff(pipeline.name),
      openNotebook: path => void commands.execute('docmanager:open', { path }),
      decideRequest: (request, action) => void decideRequest(request, action, trans).then(refresh)
    });
    panel.title.icon = pipelineIcon;
    shell.add(panel, 'left', { rank: 652 });
    restorer?.add(panel, 'plumbline-pipelines');

    /** The selected code cells' ids (the active cell when one is selected), or null for the whole notebook. */
    const selection = (notebook: NotebookPanel, whole: boolean): string[] | null => {
      if (whole) {
        return null;
      }
      const content = notebook.content;
      const selected = content.widgets.filter(cell => content.isSelectedOrActive(cell));
      return selected.length > 1 ? selected.map(cell => cell.model.id) : null;
    };

    const runPromotion = async (whole: boolean) => {
      const notebook = notebooks.currentWidget;
      const model = notebook?.content.model;
      if (!notebook || !model) {
        Notification.warning(trans.__('Open a notebook and select the cells to promote.'), { autoClose: 4000 });
        return;
      }
      await notebook.context.ready;
      const cells = () => Array.from(model.cells);
      const taken = new Set(sync.replica ? pipelinesList(sync.replica.db).map(p => p.name) : []);
      const kernel = notebook.sessionContext.session?.kernel ?? null;
      const created = await promote({
        trans,
        notebookPath: notebook.context.path,
        cellIds: selection(notebook, whole),
        suggestedName: suggestPipelineName(notebook.context.path, taken),
        content: () => cellsOnly(notebook.context.model.toJSON()),
        cellIdAt: position => cells()[position - 1]?.id ?? null,
        probe: kernel ? (names, imports) => probeKernel(kernel, names, imports) : null,
        makeComponents: positions => {
          const all = cells();
          const names = new Set(groups(all).map(g => g.name));
          const made: string[] = [];
          for (const position of positions) {
            const cell = all[position - 1];
            if (!cell || cell.type !== 'code') {
              continue;
            }
            const name = suggestName([cell.sharedModel.getSource()], names);
            names.add(name);
            tag(all, [position - 1], { component: name, owner: '', description: '', tags: [], checks: [] });
            made.push(name);
          }
          if (made.length) {
            Notification.info(trans.__('Made component(s) %1 in the cell metadata; save the notebook to keep them.', made.join(', ')), { autoClose: 5000 });
          }
          return made;
        },
        revealCell: position => {
          notebook.content.activeCellIndex = position - 1;
          void notebook.content.scrollToItem(position - 1);
        }
      });
      if (!created) {
        return;
      }
      Notification.success(
        created.cron
          ? trans.__('Pipeline %1 created: %2 task(s), %3 (%4). It is in the Pipelines panel.', created.name, created.tasks.length, created.description ?? created.cron, created.timezone)
          : trans.__('Pipeline %1 created: %2 task(s), runs when asked. It is in the Pipelines panel.', created.name, created.tasks.length),
        { autoClose: 6000 }
      );
      await refresh();
      shell.activateById(panel.id);
    };

    commands.addCommand(CommandIDs.promote, {
      label: args => (args.toolbar ? '' : trans.__('Promote to Pipeline…')),
      caption: trans.__('Promote the selected cells (or the whole notebook) to a scheduled pipeline'),
      icon: args => (args.toolbar || args.icon ? pipelineIcon : undefined),
      isEnabled: () => notebooks.currentWidget !== null,
      execute: () => runPromotion(false)
    });
    commands.addCommand(CommandIDs.promoteNotebook, {
      label: trans.__('Promote Whole Notebook to Pipeline…'),
      isEnabled: () => notebooks.currentWidget !== null,
      execute: () => runPromotion(true)
    });
    commands.addCommand(CommandIDs.openPipelines, {
      label: trans.__('Show Plumbline Pipelines'),
      caption: trans.__('Open the Pipelines sidebar: schedules, runs, tasks'),
      icon: pipelineIcon,
      execute: () => shell.activateById(panel.id)
    });
    for (const command of [CommandIDs.promote, CommandIDs.promoteNotebook, CommandIDs.openPipelines]) {
      palette?.addItem({ command, category: 'Plumbline' });
    }
  }
};
