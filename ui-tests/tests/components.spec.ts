/**
 * Acceptance tests of components: tag cells through the dialog, see the badge,
 * run, see check results on the badge, a blocking before-check stops the cell,
 * invalid names are explained in the dialog, the definition is in the .ipynb.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { createNotebook, runCell } from './helpers';

const LOAD = "import pandas as pd\nraw = pd.DataFrame({'delay': [1.0, None, 3.0]})";
const CLEAN = 'cleaned = raw.dropna()\nlen(cleaned)';

function dialog(page: IJupyterLabPageFixture) {
  return page.locator('.jp-Dialog');
}

/** Start a command without waiting for it (a dialog command resolves when closed). */
async function runCommand(page: IJupyterLabPageFixture, id: string) {
  await page.evaluate(command => {
    void (window as any).jupyterapp.commands.execute(command);
  }, id);
}

async function save(page: IJupyterLabPageFixture) {
  await dialog(page).locator('.jp-Dialog-footer .jp-mod-accept').click();
}

test.describe('Plumbline components', () => {
  test('tag a cell, block it with a failing before-check, then pass', async ({
    page,
    request,
    tmpPath
  }) => {
    const path = await createNotebook(page, tmpPath, [LOAD, CLEAN]);
    await page.notebook.selectCells(1);

    // The cell toolbar button opens the dialog.
    const button = page.locator(
      '.jp-Cell.jp-mod-active .jp-cell-toolbar [data-command="plumbline:tag-component"]'
    );
    await button.click();
    await expect(dialog(page)).toBeVisible();
    const name = dialog(page).locator('input[name="component"]');
    await expect(name).toHaveValue('cleaned'); // suggested from the code

    // An invalid name is explained, and the dialog keeps what was typed.
    await name.fill('1 bad name');
    await dialog(page).locator('input[name="owner"]').fill('ana');
    await save(page);
    await expect(dialog(page).locator('.jp-Plumbline-formError')).toContainText('not a valid name');
    await expect(dialog(page).locator('input[name="owner"]')).toHaveValue('ana');

    await dialog(page).locator('input[name="component"]').fill('clean_flights');
    await dialog(page).locator('.jp-Plumbline-addCheck select').selectOption('nulls');
    await dialog(page).locator('.jp-Plumbline-addCheckButton').click();
    const check = dialog(page).locator('.jp-Plumbline-check');
    await check.locator('input[name="args"]').fill('raw');
    await check.locator('select[name="when"]').selectOption('before');
    await check.locator('select[name="on_fail"]').selectOption('block');
    await save(page);
    await expect(dialog(page)).toHaveCount(0);

    // The badge shows the component before it ever ran.
    const cell = page.locator('.jp-Notebook .jp-Cell').nth(1);
    const badge = cell.locator('.jp-Plumbline-badge');
    await expect(badge.locator('.jp-Plumbline-badgeName')).toHaveText('clean_flights');
    await expect(badge).toHaveAttribute('data-run-status', 'never');
    await expect(cell).toHaveClass(/jp-Plumbline-tagged/);

    // Nulls in `raw`: the blocking before-check stops the cell, with the reason.
    await runCell(page, 0);
    await page.notebook.runCell(1, { inplace: true });
    const output = cell.locator('.jp-Cell-outputArea');
    await expect(output).toContainText('CheckBlocked');
    await expect(output).toContainText("'delay'");
    await expect(badge).toHaveAttribute('data-run-status', 'error');
    await expect(badge).toHaveAttribute('data-checks', 'fail');
    await expect(badge.locator('.jp-Plumbline-badgeChecks')).toHaveText('checks 0/1');

    // Clean input: the check passes and the cell runs.
    await page.notebook.setCell(0, 'code', "import pandas as pd\nraw = pd.DataFrame({'delay': [1.0, 2.0, 3.0]})");
    await runCell(page, 0);
    await runCell(page, 1);
    await expect(cell.locator('.jp-Cell-outputArea')).toContainText('3');
    await expect(cell.locator('.jp-Cell-outputArea')).not.toContainText('CheckBlocked');
    await expect(badge).toHaveAttribute('data-run-status', 'ok');
    await expect(badge).toHaveAttribute('data-checks', 'pass');
    await expect(badge.locator('.jp-Plumbline-badgeChecks')).toHaveText('checks 1/1');

    // The sidebar lists the run with its checks.
    await page.sidebar.openTab('plumbline-sidebar');
    await expect(
      page.locator('#plumbline-sidebar .jp-Plumbline-run').first().locator('.jp-Plumbline-runChecks')
    ).toHaveText('checks 1/1');

    // The definition is saved in the .ipynb, on the cell.
    expect(await page.notebook.save()).toBe(true);
    const saved = await (await request.get(`/api/contents/${path}?content=1`)).json();
    const meta = saved.content.cells[1].metadata.plumbline;
    expect(meta.component).toBe('clean_flights');
    expect(meta.owner).toBe('ana');
    expect(meta.part).toBe('only');
    expect(meta.checks).toEqual([
      expect.objectContaining({ check: 'nulls', when: 'before', on_fail: 'block', args: ['raw'] })
    ]);
    expect(saved.content.cells[0].metadata.plumbline).toBeUndefined();
  });

  test('a name used by another component is refused; untag removes the badge', async ({
    page,
    tmpPath
  }) => {
    await createNotebook(page, tmpPath, ['a = 1', 'b = 2', 'c = 3']);
    for (const [index, componentName] of [[0, 'first'], [2, 'third']] as const) {
      await page.notebook.selectCells(index);
      await runCommand(page, 'plumbline:tag-component');
      await dialog(page).locator('input[name="component"]').fill(componentName);
      await save(page);
      await expect(dialog(page)).toHaveCount(0);
    }
    await page.notebook.selectCells(1);
    await runCommand(page, 'plumbline:tag-component');
    await dialog(page).locator('input[name="component"]').fill('third');
    await save(page);
    await expect(dialog(page).locator('.jp-Plumbline-formError')).toContainText('already named "third"');
    await dialog(page).locator('.jp-Dialog-footer .jp-mod-reject').click();

    const third = page.locator('.jp-Notebook .jp-Cell').nth(2);
    await expect(third.locator('.jp-Plumbline-badgeName')).toHaveText('third');
    await page.notebook.selectCells(2);
    await runCommand(page, 'plumbline:untag-component');
    await expect(third.locator('.jp-Plumbline-badge')).toHaveCount(0);
    await expect(page.locator('.jp-Notebook .jp-Cell').nth(0).locator('.jp-Plumbline-badgeName')).toHaveText('first');
  });
});
