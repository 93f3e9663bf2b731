/**
 * Components: commands to tag, merge and untag cells (cell toolbar, context
 * menu, palette and shortcut come from schema/plugin.json), and the badges.
 */
import { JupyterFrontEnd, JupyterFrontEndPlugin } from '@jupyterlab/application';
import { ICommandPalette, Notification } from '@jupyterlab/apputils';
import { INotebookTracker, NotebookPanel } from '@jupyterlab/notebook';
import { ISettingRegistry } from '@jupyterlab/settingregistry';
import { ITranslator, nullTranslator } from '@jupyterlab/translation';

import { fetchCheckCatalog, ICheckInfo } from '../api/client';
import { componentIcon } from '../icons';
import { CommandIDs, IPlumbline, PLUGIN_ID } from '../tokens';
import { CellBadges } from './badges';
import { editComponent } from './dialog';
import { componentOf, groups, IComponentDefinition, nameProblem, suggestName, tag, untag } from './model';

export const componentsPlugin: JupyterFrontEndPlugin<void> = {
  id: 'jupyterlab-plumbline:components',
  description: 'Tag notebook cells as Plumbline components, with before/after checks.',
  autoStart: true,
  requires: [IPlumbline, INotebookTracker],
  optional: [ITranslator, ICommandPalette, ISettingRegistry],
  activate: (
    app: JupyterFrontEnd,
    plumbline: IPlumbline,
    tracker: INotebookTracker,
    translator: ITranslator | null,
    palette: ICommandPalette | null,
    settingRegistry: ISettingRegistry | null
  ) => {
    const trans = (translator ?? nullTranslator).load('jupyterlab_plumbline');
    let defaultOwner = '';
    let gitUser: string | null = null;
    let catalog: Promise<ICheckInfo[]> | null = null;
    void plumbline.config.then(config => (gitUser = config.git_user_name), () => undefined);
    void settingRegistry?.load(PLUGIN_ID).then(settings => {
      const read = () => (defaultOwner = (settings.get('defaultOwner').composite as string) ?? '');
      read();
      settings.changed.connect(read);
    });
    const loadCatalog = () =>
      (catalog ??= fetchCheckCatalog().catch(error => {
        catalog = null;
        Notification.warning(trans.__('Could not load the list of built-in checks: %1', (error as Error).message));
        return [];
      }));

    tracker.widgetAdded.connect((_, panel) => {
      void panel.context.ready.then(
        () =>
          new CellBadges(panel, plumbline.sync, trans, path => plumbline.formerPaths(path), (runId, name) =>
            void app.commands.execute(CommandIDs.openDrift, { runId, name })
          )
      );
    });

    const current = (): NotebookPanel | null => tracker.currentWidget;
    const selection = (panel: NotebookPanel): number[] => {
      const notebook = panel.content;
      const selected = notebook.widgets
        .map((cell, index) => (notebook.isSelectedOrActive(cell) ? index : -1))
        .filter(index => index >= 0);
      return selected.length ? selected : [notebook.activeCellIndex];
    };
    const consecutive = (indices: number[]) =>
      indices.every((value, i) => i === 0 || value === indices[i - 1] + 1);

    const openDialog = async (merge: boolean) => {
      const panel = current();
      const model = panel?.content.model;
      if (!panel || !model) {
        return;
      }
      const cells = Array.from(model.cells);
      let target = selection(panel);
      if (!consecutive(target)) {
        Notification.warning(trans.__('A component is made of consecutive cells: select a contiguous range.'));
        return;
      }
      if (target.some(index => cells[index].type !== 'code')) {
        target = target.filter(index => cells[index].type === 'code');
        if (!target.length) {
          Notification.warning(trans.__('Only code cells can be components.'));
          return;
        }
      }
      // Editing a component whose cells are all selected (or one of its cells):
      // the dialog edits the whole group, so a rename renames all its cells.
      const touched = groups(cells).filter(g => g.cells.some(index => target.includes(index)));
      if (touched.length === 1 && target.every(index => touched[0].cells.includes(index))) {
        target = touched[0].cells;
      }
      const existing = touched.length ? componentOf(cells[touched[0].cells[0]]) : null;
      const initial: IComponentDefinition = existing
        ? { ...existing }
        : {
            component: suggestName(
              target.map(index => cells[index].sharedModel.getSource()),
              new Set(groups(cells).map(g => g.name))
            ),
            owner: defaultOwner || gitUser || '',
            description: '',
            tags: [],
            checks: []
          };
      const definition = await editComponent({
        title: merge || touched.length > 1
          ? trans.__('Merge into one component')
          : existing ? trans.__('Edit component') : trans.__('Make a component'),
        initial,
        catalog: await loadCatalog(),
        validateName: name => nameProblem(name, cells, target),
        trans
      });
      if (!definition) {
        return;
      }
      tag(Array.from(model.cells), target, definition);
      Notification.success(trans.__('Component "%1" saved in the cell metadata (%2 cell(s)).', definition.component, target.length), { autoClose: 3000 });
    };

    app.commands.addCommand(CommandIDs.tagComponent, {
      label: args => (args.toolbar ? '' : trans.__('Make or Edit Component…')),
      caption: trans.__('Make the selected cells a Plumbline component, or edit it'),
      icon: componentIcon,
      isEnabled: () => tracker.currentWidget !== null,
      execute: () => openDialog(false)
    });
    app.commands.addCommand(CommandIDs.mergeComponents, {
      label: trans.__('Merge Selected Cells Into One Component…'),
      isEnabled: () => tracker.currentWidget !== null,
      execute: () => openDialog(true)
    });
    app.commands.addCommand(CommandIDs.untagComponent, {
      label: trans.__('Remove Cells From Their Component'),
      isEnabled: () => tracker.currentWidget !== null,
      execute: () => {
        const panel = current();
        const model = panel?.content.model;
        if (panel && model) {
          untag(Array.from(model.cells), selection(panel));
        }
      }
    });
    for (const command of [CommandIDs.tagComponent, CommandIDs.mergeComponents, CommandIDs.untagComponent]) {
      palette?.addItem({ command, category: 'Plumbline' });
    }
  }
};
