/**
 * Issue 10 in the browser: select cells, promote them, see the DAG, the problems
 * and the next fire times; confirm; run now; see the run and its tasks in the
 * Pipelines panel and the runs sidebar; edit a promoted cell, see "pipeline out
 * of date", update. A real kernel, a real server with its scheduler, real task processes.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';
import * as fs from 'fs';
import * as path from 'path';

import { openRunsSidebar, runCell, SIDEBAR_ID } from './helpers';

const PANEL = '#plumbline-pipelines';
const DIALOG = '.jp-Plumbline-promoteDialog';
const DEMO_NOTEBOOK = path.resolve(__dirname, '..', '..', 'examples', 'demo.ipynb');
const DIALOG_SCREENSHOT = path.resolve(__dirname, '..', '..', 'docs', 'pipelines-dialog.png');
const PANEL_SCREENSHOT = path.resolve(__dirname, '..', '..', 'docs', 'pipelines-panel.png');

/** A parameters cell, two components and an untagged cell that folds into the second. */
function notebookJson(): string {
  const cell = (id: string, source: string, metadata: object = {}) => ({
    cell_type: 'code',
    id,
    metadata,
    source,
    outputs: [],
    execution_count: null
  });
  return JSON.stringify({
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: 'python3', display_name: 'Python 3', language: 'python' } },
    cells: [
      cell('cell-params', 'rows = 50', { tags: ['parameters'] }),
      cell('cell-load', "import pandas as pd\n\ndf = pd.DataFrame({'x': range(rows)})", { plumbline: { component: 'load' } }),
      cell('cell-total', "total = int(df['x'].sum())", { plumbline: { component: 'total' } }),
      cell('cell-summary', "summary = {'total': total, 'rows': len(df)}\nsummary")
    ]
  });
}

async function openNotebook(page: IJupyterLabPageFixture, notebookPath: string): Promise<void> {
  await page.evaluate(p => (window as any).jupyterapp.commands.execute('docmanager:open', { path: p }), notebookPath);
  const name = path.basename(notebookPath);
  expect(await page.notebook.isOpen(name)).toBe(true);
  await page.notebook.activate(name);
}

async function closeLauncher(page: IJupyterLabPageFixture): Promise<void> {
  await page.evaluate(() => {
    const shell = (window as any).jupyterapp.shell;
    for (const widget of Array.from(shell.widgets('main') as Iterable<any>)) {
      if (widget.title.label === 'Launcher') {
        widget.close();
      }
    }
  });
}

test.describe('Promote cells to a pipeline', () => {
  test('promote, run now, see the runs, get out of date, update', async ({ page, tmpPath }) => {
    const notebookPath = `${tmpPath}/weekly.ipynb`;
    expect(await page.contents.uploadContent(notebookJson(), 'text', notebookPath)).toBe(true);
    await openNotebook(page, notebookPath);
    for (let i = 0; i < 4; i++) {
      await runCell(page, i); // the kernel then holds the values the probe checks
    }

    // Select the two components and the folded cell, not the parameters cell.
    await page.notebook.selectCells(1, 3);
    await page.keyboard.press('Control+Alt+p');
    const dialog = page.locator(DIALOG);
    await expect(dialog).toBeVisible();

    // The problems, each with its fix: a name the range reads but only a cell outside defines.
    const problems = dialog.locator('.jp-Plumbline-problem[data-code="defined_outside_range"]');
    await expect(problems).toHaveCount(1);
    await expect(problems.first()).toContainText("reads 'rows'");
    await expect(problems.first()).toContainText('Include cell 1');
    await expect(dialog.locator('.jp-Dialog-footer .jp-mod-accept')).toBeDisabled();
    // The DAG (dagre): load -> total, and the next five fire times from the server.
    await expect(dialog.locator('.jp-Plumbline-dagNode')).toHaveCount(2);
    await expect(dialog.locator('.jp-Plumbline-nextFire')).toHaveCount(5);
    await expect(dialog.locator('.jp-Plumbline-cronWords')).toContainText('06:00');

    // The fix carried out from the dialog: include cell 1 (the range becomes cells 1-4).
    await dialog.locator('.jp-Plumbline-fixAction', { hasText: 'Include cell 1' }).click();
    await expect(dialog.locator('.jp-Plumbline-problem.jp-mod-severity-error')).toHaveCount(0);
    await expect(dialog.locator('.jp-Plumbline-prelude')).toContainText('cell 1');
    // The edge's variable with the type the live kernel reported and its storage format.
    const edge = dialog.locator('.jp-Plumbline-edgeTable tr[data-variable="df"]');
    await expect(edge).toContainText('DataFrame');
    await expect(edge).toHaveAttribute('data-format', 'parquet');
    await expect(dialog.locator('.jp-Plumbline-kernelStatus')).toHaveAttribute('data-kernel', 'true');
    await expect(dialog.locator('.jp-Plumbline-parameterTable tr[data-parameter="rows"]')).toContainText('50');

    // The folded cell offered as a component: a third task.
    await dialog.locator('.jp-Plumbline-makeComponent').click();
    await expect(dialog.locator('.jp-Plumbline-dagNode')).toHaveCount(3);
    await expect(dialog.locator('.jp-Plumbline-dagNode[data-task="summary"]')).toHaveCount(1);

    // An invalid name and an invalid cron are said in place, before anything is submitted.
    const name = dialog.locator('.jp-Plumbline-pipelineName');
    await name.fill('1 bad/name');
    await expect(dialog.locator('.jp-Plumbline-nameProblem')).toContainText('Python identifier');
    await expect(dialog.locator('.jp-Dialog-footer .jp-mod-accept')).toBeDisabled();
    await name.fill('weekly_total');
    await expect(dialog.locator('.jp-Plumbline-nameProblem')).toBeHidden();
    const cron = dialog.locator('.jp-Plumbline-cron');
    await cron.fill('61 * * * *');
    await expect(dialog.locator('.jp-Plumbline-cronStatus')).toHaveAttribute('data-state', 'invalid');
    await expect(dialog.locator('.jp-Plumbline-cronStatus')).toContainText('61');
    await expect(dialog.locator('.jp-Dialog-footer .jp-mod-accept')).toBeDisabled();
    await cron.fill('0 6 * * 1');
    await dialog.locator('.jp-Plumbline-timezone').fill('Europe/Berlin');
    await expect(dialog.locator('.jp-Plumbline-nextFire')).toHaveCount(5);
    await expect(dialog.locator('.jp-Plumbline-nextFire').first()).toContainText('06:00');
    await expect(dialog.locator('.jp-Dialog-footer .jp-mod-accept')).toBeEnabled();

    // Confirm -> created, shown in the Pipelines panel.
    await dialog.locator('.jp-Dialog-footer .jp-mod-accept').click();
    await expect(dialog).toHaveCount(0);
    const card = page.locator(`${PANEL} .jp-Plumbline-pipeline[data-pipeline="weekly_total"]`);
    await expect(card).toBeVisible();
    await expect(card.locator('.jp-Plumbline-pipelineSchedule')).toContainText('Europe/Berlin');
    await expect(card.locator('.jp-Plumbline-pipelineNext')).toContainText('Next run');

    // Run now, with a parameter override.
    await card.locator('.jp-Plumbline-runNowButton').click();
    const runDialog = page.locator('.jp-Plumbline-runNowDialog');
    await runDialog.locator('input[data-parameter="rows"]').fill('twenty');
    await expect(runDialog.locator('.jp-Dialog-footer .jp-mod-accept')).toBeDisabled();
    await runDialog.locator('input[data-parameter="rows"]').fill('20');
    await runDialog.locator('.jp-Dialog-footer .jp-mod-accept').click();
    await expect(runDialog).toHaveCount(0);

    // The run and its tasks in the grid (the real task processes run them).
    const squares = card.locator('.jp-Plumbline-gridSquare');
    await expect(squares).toHaveCount(3);
    await expect(card.locator('.jp-Plumbline-gridSquare[data-status="ok"]')).toHaveCount(3, { timeout: 150_000 });
    await expect(card.locator('.jp-Plumbline-gridRun')).toHaveAttribute('data-trigger', 'manual');
    await expect(card.locator('.jp-Plumbline-lastStatus')).toHaveClass(/jp-mod-ok/);

    // A task run: its log, its recorded cell run (with lineage in the run inspector).
    await card.locator('.jp-Plumbline-grid tr[data-task="load"] .jp-Plumbline-gridSquare').click();
    const taskRun = page.locator('.jp-Plumbline-taskRun');
    await expect(taskRun).toBeVisible();
    await expect(taskRun.locator('.jp-Plumbline-runTrigger')).toContainText('manual');
    // The prelude (the parameters cell, with the run's override) and the component's cell.
    const cellRuns = taskRun.locator('.jp-Plumbline-taskCellRuns tbody tr');
    await expect(cellRuns).toHaveCount(2);
    await expect(cellRuns.nth(1)).toContainText('cell-load');
    await expect(taskRun.locator('.jp-Plumbline-log')).toContainText('cell 2');
    await cellRuns.nth(1).locator('.jp-Plumbline-inspectCellRun').click();
    await expect(page.locator('.jp-Plumbline-inspector').last()).toBeVisible();

    // The runs sidebar shows the task processes' cell runs with their trigger.
    await openNotebook(page, notebookPath);
    await openRunsSidebar(page);
    const triggers = page.locator(`#${SIDEBAR_ID} .jp-Plumbline-runTrigger[data-trigger="manual"]`);
    await expect(triggers.first()).toBeVisible();
    const taskCellRuns = await triggers.count();
    expect(taskCellRuns).toBeGreaterThanOrEqual(3); // at least one cell run per task
    await expect(triggers.first()).toHaveAttribute('title', /Pipeline weekly_total, task /);

    // Edit a promoted cell: the cell and the pipeline say "pipeline out of date".
    await page.notebook.setCell(1, 'code', "import pandas as pd\n\ndf = pd.DataFrame({'x': range(rows * 2)})");
    const mark = page.locator('.jp-Notebook .jp-CellHeader > .jp-Plumbline-outOfDate');
    await expect(mark).toHaveCount(1);
    await page.sidebar.openTab('plumbline-pipelines');
    await expect(card).toHaveAttribute('data-out-of-date', 'true');
    await expect(card.locator('.jp-Plumbline-pipelineOutOfDate')).toBeVisible();

    // One click: the diff, then update.
    await mark.click();
    const diff = page.locator('.jp-Plumbline-pipelineDiffDialog');
    await expect(diff.locator('.jp-Plumbline-pipelineCodeDiff')).toHaveCount(1);
    await expect(diff.locator('.cm-mergeView')).toContainText('rows * 2');
    await diff.locator('.jp-Dialog-footer .jp-mod-accept').click();
    await expect(diff).toHaveCount(0);
    await expect(mark).toHaveCount(0);
    await expect(card).toHaveAttribute('data-out-of-date', 'false');

    // A second promotion under a taken name is told in place.
    await page.evaluate(() => void (window as any).jupyterapp.commands.execute('plumbline:promote-notebook'));
    const again = page.locator(DIALOG);
    await again.locator('.jp-Plumbline-pipelineName').fill('weekly_total');
    await expect(again.locator('.jp-Plumbline-nameProblem')).toContainText('exists already');
    await expect(again.locator('.jp-Dialog-footer .jp-mod-accept')).toBeDisabled();
    await again.locator('.jp-Dialog-footer .jp-mod-reject').click();
    await expect(again).toHaveCount(0);

    // Edit the schedule: the server checks it, the panel says it in words.
    await card.locator('.jp-Plumbline-scheduleButton').click();
    const scheduleDialog = page.locator('.jp-Plumbline-scheduleDialog');
    await scheduleDialog.locator('.jp-Plumbline-cron').fill('30 7 * * 1-5');
    await expect(scheduleDialog.locator('.jp-Plumbline-nextFire')).toHaveCount(5);
    await scheduleDialog.locator('.jp-Dialog-footer .jp-mod-accept').click();
    await expect(scheduleDialog).toHaveCount(0);
    await expect(card.locator('.jp-Plumbline-pipelineSchedule')).toContainText('07:30');

    // Pause and delete (runs and lineage are kept, the dialog says so).
    await card.locator('.jp-Plumbline-pauseButton').click();
    await expect(card.locator('.jp-mod-paused')).toBeVisible();
    await card.locator('.jp-Plumbline-deleteButton').click();
    await expect(page.locator('.jp-Dialog-body')).toContainText('lineage are kept');
    await page.locator('.jp-Dialog-footer .jp-mod-warn').click();
    await expect(card).toHaveCount(0);
    await openNotebook(page, notebookPath);
    await openRunsSidebar(page);
    await expect(triggers).toHaveCount(taskCellRuns);
  });

  test('the cell toolbar, the context menu and the palette open the dialog', async ({ page, tmpPath }) => {
    const notebookPath = `${tmpPath}/entry.ipynb`;
    expect(await page.contents.uploadContent(notebookJson(), 'text', notebookPath)).toBe(true);
    await openNotebook(page, notebookPath);
    const dialog = page.locator(DIALOG);
    const cancel = async () => {
      await expect(dialog.locator('.jp-Plumbline-dagNode').first()).toBeVisible();
      await dialog.locator('.jp-Dialog-footer .jp-mod-reject').click();
      await expect(dialog).toHaveCount(0);
    };

    await page.notebook.selectCells(1);
    await page.locator('.jp-Cell.jp-mod-active .jp-cell-toolbar [data-command="plumbline:promote"]').click();
    await cancel();

    await (await page.notebook.getCellLocator(2))!.click({ button: 'right' });
    // Plumbline's entries are in the cell context menu's Plumbline submenu.
    await page.locator('.lm-Menu').first().locator('.lm-Menu-item[data-type="submenu"]', { hasText: 'Plumbline' }).hover();
    await page.locator('.lm-Menu-item[data-command="plumbline:promote"]').click();
    await cancel();

    await page.keyboard.press('Control+Shift+c');
    await page.locator('.lm-CommandPalette-input').fill('Promote Whole Notebook');
    await page.locator('.lm-CommandPalette-item', { hasText: 'Promote Whole Notebook to Pipeline' }).click();
    await expect(dialog.locator('.jp-Plumbline-previewStatus')).toContainText('4 cells');
    await cancel();
  });

  test('the Pipelines panel is restored on reload', async ({ page }) => {
    // The layout restorer saves the workspace once the sidebar is open: reload after that.
    const saved = page.waitForRequest(
      r => r.method() === 'PUT' && /\/api\/workspaces/.test(r.url()) && (r.postData() ?? '').includes('"current":"plumbline-pipelines"')
    );
    await page.sidebar.openTab('plumbline-pipelines');
    await expect(page.locator(PANEL)).toBeVisible();
    await saved;
    await page.reload({ waitForIsReady: false });
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    await expect(page.locator(PANEL)).toBeVisible();
  });
});

test.describe('README screenshots of pipelines', () => {
  test.use({ viewport: { width: 1440, height: 900 } });

  test('the demo notebook promotes as it is (cells 2-7), runs, and fills the panel', async ({ page, tmpPath }) => {
    test.setTimeout(600_000); // real task processes: a manual run and up to two backfilled slots
    const screenshot = process.env.PLUMBLINE_SCREENSHOT === '1';
    const demoPath = screenshot ? 'demo.ipynb' : `${tmpPath}/demo.ipynb`;
    expect(await page.contents.uploadContent(fs.readFileSync(DEMO_NOTEBOOK, 'utf-8'), 'text', demoPath)).toBe(true);
    try {
      await openNotebook(page, demoPath);
      await closeLauncher(page);
      for (const index of [1, 2, 3, 4, 5, 6]) {
        await runCell(page, index);
      }
      await page.notebook.selectCells(1, 6);
      // Not awaited in the page: the command resolves when the dialog closes.
      await page.evaluate(() => void (window as any).jupyterapp.commands.execute('plumbline:promote'));
      const dialog = page.locator(DIALOG);
      await expect(dialog.locator('.jp-Plumbline-dagNode')).toHaveCount(5);
      await expect(dialog.locator('.jp-Plumbline-kernelStatus')).toHaveAttribute('data-kernel', 'true');
      await expect(dialog.locator('.jp-Plumbline-problem.jp-mod-severity-error')).toHaveCount(0);
      await dialog.locator('.jp-Plumbline-pipelineName').fill('flight_delays');
      await dialog.locator('.jp-Plumbline-timezone').fill('Europe/Berlin');
      await expect(dialog.locator('.jp-Plumbline-nextFire')).toHaveCount(5);
      await expect(dialog.locator('.jp-Dialog-footer .jp-mod-accept')).toBeEnabled();
      if (screenshot) {
        fs.mkdirSync(path.dirname(DIALOG_SCREENSHOT), { recursive: true });
        await page.screenshot({ path: DIALOG_SCREENSHOT });
      }
      await dialog.locator('.jp-Dialog-footer .jp-mod-accept').click();
      const card = page.locator(`${PANEL} .jp-Plumbline-pipeline[data-pipeline="flight_delays"]`);
      await expect(card).toBeVisible();
      await card.locator('.jp-Plumbline-runNowButton').click();
      await page.locator('.jp-Plumbline-runNowDialog .jp-Dialog-footer .jp-mod-accept').click();
      await expect(card.locator('.jp-Plumbline-gridSquare[data-status="ok"]')).toHaveCount(5, { timeout: 150_000 });
      // Backfill the last week: a run for each of its Monday slots (one or two, by the date).
      await card.locator('.jp-Plumbline-backfillButton').click();
      await page.locator('.jp-Plumbline-backfillDialog .jp-Dialog-footer .jp-mod-accept').click();
      await expect(page.locator('.jp-Plumbline-backfillDialog')).toHaveCount(0);
      const backfills = card.locator('.jp-Plumbline-gridRun[data-trigger="backfill"]');
      await expect(backfills.first()).toBeVisible();
      const slots = await backfills.count();
      expect(slots).toBeGreaterThanOrEqual(1);
      await expect(card.locator('.jp-Plumbline-gridRun[data-trigger="backfill"][data-status="ok"]')).toHaveCount(slots, {
        timeout: 150_000 * slots
      });
      if (screenshot) {
        await page.notebook.selectCells(2);
        await page.screenshot({ path: PANEL_SCREENSHOT });
      }
      await card.locator('.jp-Plumbline-deleteButton').click();
      await page.locator('.jp-Dialog-footer .jp-mod-warn').click();
      await expect(card).toHaveCount(0);
    } finally {
      if (screenshot) {
        await page.contents.deleteFile(demoPath);
      }
    }
  });
});


