/** Helpers shared by the UI tests. */
import { expect, IJupyterLabPageFixture } from '@jupyterlab/galata';
import type { Locator } from '@playwright/test';

export const SIDEBAR_ID = 'plumbline-sidebar';


export function runRows(page: IJupyterLabPageFixture): Locator {
  return page.locator(`#${SIDEBAR_ID} .jp-Plumbline-run`);
}

/** The run rows whose code column shows `code`. */
export function rowsOf(page: IJupyterLabPageFixture, code: string): Locator {
  return runRows(page).filter({
    has: page.locator('.jp-Plumbline-code', { hasText: code })
  });
}

/** Opens the Plumbline sidebar by clicking its tab in the left side bar. */
export async function openRunsSidebar(page: IJupyterLabPageFixture): Promise<void> {
  await page.sidebar.openTab(SIDEBAR_ID);
  await expect(page.locator(`#${SIDEBAR_ID}`)).toBeVisible();
}

/** A new notebook in the test folder holding `cells`; returns its server path. */
export async function createNotebook(
  page: IJupyterLabPageFixture,
  tmpPath: string,
  cells: string[]
): Promise<string> {
  const name = await page.notebook.createNew();
  expect(name).toBeTruthy();
  await page.notebook.setCell(0, 'code', cells[0]);
  for (const source of cells.slice(1)) {
    await page.notebook.addCell('code', source);
  }
  return `${tmpPath}/${name}`;
}

/** Runs a cell in place (no new cell below) and waits for its reply. */
export async function runCell(page: IJupyterLabPageFixture, index: number): Promise<void> {
  expect(await page.notebook.runCell(index, { inplace: true })).toBe(true);
}
