/**
 * What a user of the wheel sees on the first page load: the Plumbline panels, no console
 * errors or "Unsatisfied version" warnings, and a run recorded when a cell runs.
 * PLUMBLINE_INSTALL_URL (with its token) and PLUMBLINE_INSTALL_NOTEBOOK come from
 * scripts/check-install.sh.
 */
import { expect, test } from '@playwright/test';

const url = process.env.PLUMBLINE_INSTALL_URL ?? '';
const notebook = process.env.PLUMBLINE_INSTALL_NOTEBOOK ?? 'check.ipynb';

test('the wheel loads cleanly and records a run', async ({ page }) => {
  expect(url, 'PLUMBLINE_INSTALL_URL must be set (run scripts/check-install.sh)').not.toBe('');
  const problems: string[] = [];
  page.on('console', message => {
    const text = message.text();
    const ours = /plumbline/i.test(text) || /Unsatisfied version/i.test(text);
    if ((message.type() === 'error' && ours) || /Unsatisfied version/i.test(text)) {
      problems.push(`${message.type()}: ${text}`);
    } else if (message.type() === 'warning' && ours) {
      problems.push(`warning: ${text}`);
    }
  });
  page.on('pageerror', error => problems.push(`uncaught: ${error.message}`));

  const [base, query] = url.split('?');
  await page.goto(`${base.replace(/\/$/, '')}/lab/tree/${notebook}?${query ?? ''}`);
  const runsTab = page.locator('.jp-SideBar .lm-TabBar-tab[data-id="plumbline-sidebar"]');
  await expect(runsTab).toBeVisible();
  await expect(page.locator('.jp-SideBar .lm-TabBar-tab[data-id="plumbline-lineage"]')).toBeVisible();

  // Run the notebook's one cell once its kernel is connected and idle (Plumbline's load queued first).
  await expect(page.locator('.jp-Notebook .jp-Cell')).toHaveCount(1);
  await expect
    .poll(async () => {
      const kernels = await (await page.request.get(`${base.replace(/\/$/, '')}/api/kernels?${query ?? ''}`)).json();
      return kernels.some((k: any) => k.connections > 0 && k.execution_state === 'idle');
    }, { timeout: 90 * 1000 })
    .toBe(true);
  await page.locator('.jp-Notebook .jp-Cell .jp-InputArea-editor').first().click();
  await page.keyboard.press('Shift+Enter');
  await expect(page.locator('.jp-Notebook .jp-Cell .jp-OutputArea-output').first()).toContainText('2');

  await runsTab.click();
  const rows = page.locator('#plumbline-sidebar .jp-Plumbline-run');
  await expect(rows).toHaveCount(1);
  await expect(rows.first()).toContainText('1 + 1');
  expect(problems).toEqual([]);
});
