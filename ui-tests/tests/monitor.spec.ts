/**
 * Issue 12's front end in a real JupyterLab with a real kernel: a monitor of a
 * small synthetic classifier (LogisticRegression on numpy data) renders inline,
 * toggles per-window / cumulative and switches metric, shows more windows after
 * more batches and realized values (and concept drift) after feedback, and the
 * Monitors sidebar lists it and opens it in a tab that follows the store.
 */
import * as fs from 'fs';
import * as nodePath from 'path';

import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { createNotebook, runCell } from './helpers';

const MONITORS_ID = 'plumbline-monitors';
const EXAMPLES = nodePath.resolve(__dirname, '..', '..', 'examples');

// Daily windows: P(y|x) changes on day 4 (seen once its labels arrive), a covariate shift from
// day 5 (rows nearer the decision boundary) lowers the estimate below its threshold before any
// label of those days exists; labels arrive late, all of days 1-4 and a third of day 5.
const DAILY = `import numpy as np
import pandas as pd
import plumbline
from sklearn.linear_model import LogisticRegression

rng = np.random.default_rng(7)
def make(n, shift=0.0, flip=0.0):
    X = rng.normal(0, 1.0, size=(n, 3))
    X[:, 0] *= 1 - shift
    p = 1 / (1 + np.exp(-(2.0 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2])))
    y = (rng.uniform(size=n) < p).astype(int)
    return X, np.where(rng.uniform(size=n) < flip, 1 - y, y)

X_train, y_train = make(4000)
X_ref, y_ref = make(8000)
clf = LogisticRegression().fit(X_train, y_train)
mon = plumbline.monitor("daily-model", model=clf, reference=(X_ref, y_ref), window="1D")
days = pd.date_range("2026-11-23", periods=8, freq="D")
batches = []
for d, (day, shift, flip) in enumerate(zip(days, [0, 0, 0.05, 0, 0.3, 0.5, 0.6, 0.65], [0, 0, 0, 0.12, 0, 0, 0, 0])):
    X, y = make(1500, shift, flip)
    ids = np.arange(d * 1500, (d + 1) * 1500)
    ts = day + pd.to_timedelta(rng.uniform(0, 86400, 1500), unit="s")
    mon.log_predictions(X, ids=ids, timestamps=ts)
    batches.append((ids, y, ts))
for ids, y, ts in batches[:4]:
    mon.log_feedback(ids, y, timestamps=ts + pd.Timedelta("2D"))
ids, y, ts = batches[4]
mon.log_feedback(ids[:500], y[:500], timestamps=ts[:500] + pd.Timedelta("2D"))
mon`;

/** Sets cell `index`'s code through the model (typing long code is slow on a busy machine). */
async function setSource(page: IJupyterLabPageFixture, index: number, source: string): Promise<void> {
  await page.evaluate(
    ([i, code]) => (window as any).jupyterapp.shell.currentWidget.content.model.cells.get(i).sharedModel.setSource(code),
    [index, source] as [number, string]
  );
}

const SETUP = `import numpy as np
import plumbline
from sklearn.linear_model import LogisticRegression

rng = np.random.default_rng(12)
def make(n, shift=0.0):
    X = rng.normal(shift, 1.0, size=(n, 3))
    p = 1 / (1 + np.exp(-(1.5 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2])))
    return X, (rng.uniform(size=n) < p).astype(int)

X_train, y_train = make(4000)
X_ref, y_ref = make(6000)
X_prod, y_prod = make(6000)
clf = LogisticRegression().fit(X_train, y_train)
mon = plumbline.monitor("galata-model", model=clf, reference=(X_ref, y_ref), window=1000)
mon.log_predictions(X_prod[:2000], ids=np.arange(2000))
mon`;

// Two more windows of predictions, no labels yet.
const MORE = `mon.log_predictions(X_prod[2000:4000], ids=np.arange(2000, 4000))
mon`;

// Labels for the first window as they are; for the second, flipped: P(y|x) changed.
const FEEDBACK = `mon.log_feedback(np.arange(0, 1000), y_prod[:1000])
mon.log_feedback(np.arange(1000, 2000), 1 - y_prod[1000:2000])
mon`;

// A batch logged while only the tab watches (as a scheduled pipeline would).
const UNWATCHED = 'mon.log_predictions(X_prod[4000:5000], ids=np.arange(4000, 5000));';

test.describe('Plumbline monitors', () => {
  test.use({ kernels: null, viewport: { width: 1440, height: 900 } });

  test('the inline panel renders, toggles, updates after batches and feedback; the sidebar opens it in a tab', async ({
    page,
    tmpPath
  }) => {
    // Nothing about Vega or the monitor panel in the console.
    const complaints: string[] = [];
    page.on('console', message => {
      if ((message.type() === 'error' || message.type() === 'warning') && /vega|monitor|plumbline/i.test(message.text())) {
        complaints.push(message.text());
      }
    });
    await createNotebook(page, tmpPath, ['1', '2', '3', '4']);
    await setSource(page, 0, SETUP);
    await setSource(page, 1, MORE);
    await setSource(page, 2, FEEDBACK);
    await setSource(page, 3, UNWATCHED);
    await runCell(page, 0);

    // The inline panel: head, the chart, a row per window, no labels yet.
    const cell = (i: number) => page.locator('.jp-Notebook .jp-Cell').nth(i);
    const output = cell(0).locator('.jp-Plumbline-monitorOutput .jp-Plumbline-monitor');
    await expect(output).toBeVisible();
    await expect(output).toHaveAttribute('data-monitor', 'galata-model');
    await expect(output).toHaveAttribute('data-windows', '2');
    await expect(output.locator('.jp-Plumbline-monitorName')).toHaveText('galata-model');
    await expect(output.locator('.jp-Plumbline-monitorMeta')).toContainText('window 1000');
    await expect(output.locator('dd[data-fact="labels"]')).toHaveText('none yet');
    await expect(output.locator('.jp-Plumbline-monitorChart svg')).toHaveCount(1);
    // The bands (areas) and the estimates (points); a flat threshold line has no height to be 'visible'.
    await expect(output.locator('.jp-Plumbline-monitorChart svg .mark-area path').first()).toBeVisible();
    await expect(output.locator('.jp-Plumbline-monitorChart svg .mark-symbol path').first()).toBeVisible();
    const rows = output.locator('tr.jp-Plumbline-monitorWindow');
    await expect(rows).toHaveCount(2);
    await expect(rows.first().locator('.jp-Plumbline-monitorRealized')).toHaveText('no labels yet');
    await expect(rows.first().locator('td').nth(1)).toHaveText((1000).toLocaleString('en-US'));

    // Cumulative: the newest row counts every prediction so far; back to per window.
    await output.locator('button.jp-Plumbline-monitorMode[data-mode="cumulative"]').click();
    await expect(output).toHaveAttribute('data-mode', 'cumulative');
    await expect(output.locator('button[data-mode="cumulative"]')).toHaveAttribute('aria-pressed', 'true');
    await expect(rows.first().locator('td').nth(1)).toHaveText((2000).toLocaleString('en-US'));
    await expect(output.locator('.jp-Plumbline-monitorChart svg')).toHaveCount(1);
    await output.locator('button.jp-Plumbline-monitorMode[data-mode="window"]').click();
    await expect(output).toHaveAttribute('data-mode', 'window');
    await expect(rows.first().locator('td').nth(1)).toHaveText((1000).toLocaleString('en-US'));
    // Another metric.
    await output.locator('select.jp-Plumbline-monitorMetric').selectOption('f1');
    await expect(output).toHaveAttribute('data-metric', 'f1');
    await expect(output.locator('.jp-Plumbline-monitorChart svg')).toHaveCount(1);
    // The dark theme: the chart redraws in it, live.
    const chart = output.locator('.jp-Plumbline-monitorChart.jp-Plumbline-chart');
    await expect(chart).toHaveAttribute('data-theme', 'light');
    await page.theme.setDarkTheme();
    await expect(chart).toHaveAttribute('data-theme', 'dark');
    await page.theme.setLightTheme();
    await expect(chart).toHaveAttribute('data-theme', 'light');

    // More batches: two more windows.
    await runCell(page, 1);
    const second = cell(1).locator('.jp-Plumbline-monitorOutput .jp-Plumbline-monitor');
    await expect(second).toHaveAttribute('data-windows', '4');
    await expect(second.locator('tr.jp-Plumbline-monitorWindow')).toHaveCount(4);
    await expect(second.locator('dd[data-fact="predictions"]')).toContainText((4000).toLocaleString('en-US'));

    // Feedback: realized values where labels arrived, and the flipped window flagged as concept drift.
    await runCell(page, 2);
    const third = cell(2).locator('.jp-Plumbline-monitorOutput .jp-Plumbline-monitor');
    await expect(third).toHaveAttribute('data-windows', '4');
    await expect(third.locator('dd[data-fact="labels"]')).toContainText((2000).toLocaleString('en-US'));
    const labelled = third.locator('tr.jp-Plumbline-monitorWindow .jp-Plumbline-monitorRealized:not(:has-text("no labels yet"))');
    await expect(labelled).toHaveCount(2);
    await expect(labelled.first()).toHaveAttribute('title', `from ${(1000).toLocaleString('en-US')} labels`);
    const drifted = third.locator('tr.jp-Plumbline-monitorWindow[data-concept-drift="true"]');
    await expect(drifted).toHaveCount(1);
    await expect(drifted.locator('.jp-Plumbline-monitorNotice[data-kind="concept_drift"]')).toContainText('likely concept drift');
    await expect(third.locator('.jp-Plumbline-monitorChart svg .mark-symbol path').first()).toBeVisible();
    await expect(third.locator('dd[data-fact="alerts"]')).toHaveClass(/jp-mod-alert/);

    // The Monitors sidebar lists it; a click opens its tab, drawn from the replica.
    await page.sidebar.openTab(MONITORS_ID);
    const item = page.locator(`#${MONITORS_ID} .jp-Plumbline-monitorItem[data-monitor="galata-model"]`);
    await expect(item).toBeVisible();
    await expect(item.locator('.jp-Plumbline-monitorCounts')).toHaveAttribute('data-predictions', '4000');
    await expect(item.locator('.jp-Plumbline-monitorCounts')).toHaveAttribute('data-labels', '2000');
    await item.click();
    const tab = page.locator('.jp-Plumbline-monitorTab:visible .jp-Plumbline-monitorPanel');
    await expect(tab).toHaveAttribute('data-state', 'ready');
    const tabView = tab.locator('.jp-Plumbline-monitor');
    await expect(tabView).toHaveAttribute('data-windows', '4');
    await expect(tabView.locator('.jp-Plumbline-monitorChart svg')).toHaveCount(1);
    await expect(tabView.locator('tr.jp-Plumbline-monitorWindow[data-concept-drift="true"]')).toHaveCount(1);
    await tabView.locator('button.jp-Plumbline-monitorMode[data-mode="cumulative"]').click();
    await expect(tabView).toHaveAttribute('data-mode', 'cumulative');

    // A batch logged elsewhere: the tab follows the store, keeping the user's toggle.
    await page.evaluate(() => {
      const app = (window as any).jupyterapp;
      const notebook = Array.from(app.shell.widgets('main') as Iterable<any>).find((w: any) => w.content?.model?.cells);
      app.shell.activateById(notebook.id);
    });
    await runCell(page, 3);
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('plumbline:open-monitor', { name: 'galata-model' }));
    await expect(page.locator('.jp-Plumbline-monitorTab')).toHaveCount(1); // the same tab, not a second one
    await expect(tabView).toHaveAttribute('data-windows', '5');
    await expect(tabView).toHaveAttribute('data-mode', 'cumulative');
    await expect(item.locator('.jp-Plumbline-monitorCounts')).toHaveAttribute('data-predictions', '5000');
    expect(complaints).toEqual([]);
  });

  test('daily windows: an estimated drop before any label, concept drift once labels land; opened from the palette', async ({
    page,
    tmpPath
  }) => {
    await createNotebook(page, tmpPath, ['1']);
    await setSource(page, 0, DAILY);
    await runCell(page, 0);
    const output = page.locator('.jp-Notebook .jp-Cell').first().locator('.jp-Plumbline-monitorOutput .jp-Plumbline-monitor');
    await expect(output).toHaveAttribute('data-windows', '8');
    await expect(output).toHaveAttribute('data-status', 'alert'); // the latest window's estimate is below its threshold
    await expect(output.locator('.jp-Plumbline-monitorStatus')).toHaveText('alert');
    const rows = output.locator('tr.jp-Plumbline-monitorWindow');
    await expect(rows.first().locator('.jp-Plumbline-monitorLabel')).toHaveText('2026-11-30');
    await expect(rows.first()).toHaveAttribute('data-alert', 'true');
    await expect(rows.first().locator('.jp-Plumbline-monitorRealized')).toHaveText('no labels yet');
    await expect(rows.first().locator('.jp-Plumbline-monitorNotice[data-kind="performance"]')).toBeVisible();
    const drift = output.locator('tr.jp-Plumbline-monitorWindow[data-concept-drift="true"]');
    await expect(drift).toHaveCount(1);
    await expect(drift.locator('.jp-Plumbline-monitorLabel')).toHaveText('2026-11-26');
    await expect(rows.nth(3).locator('.jp-Plumbline-monitorRealized')).toHaveAttribute('title', 'from 500 labels'); // 2026-11-27
    await expect(output.locator('.jp-Plumbline-monitorChart svg .mark-area path').first()).toBeVisible();

    // The palette: "Open Monitor…" (a list to pick from when there are several).
    await page.keyboard.press('Control+Shift+C');
    await page.locator('#modal-command-palette input').fill('Open Monitor');
    await page.locator('#modal-command-palette .lm-CommandPalette-item', { hasText: 'Open Monitor' }).first().click();
    const dialog = page.locator('.jp-Dialog');
    const tab = page.locator('.jp-Plumbline-monitorTab:visible .jp-Plumbline-monitorPanel[data-monitor="daily-model"]');
    await expect(dialog.or(tab)).toBeVisible();
    if (await dialog.isVisible()) {
      await dialog.locator('select').selectOption('daily-model');
      await dialog.locator('.jp-mod-accept').click();
    }
    await expect(tab).toHaveAttribute('data-state', 'ready');
    const view = tab.locator('.jp-Plumbline-monitor');
    await expect(view).toHaveAttribute('data-windows', '8');
    await expect(view.locator('.jp-Plumbline-monitorChart svg .mark-symbol path').first()).toBeVisible();
    await page.sidebar.openTab(MONITORS_ID);
    const item = page.locator(`#${MONITORS_ID} .jp-Plumbline-monitorItem[data-monitor="daily-model"]`);
    await expect(item).toHaveAttribute('data-status', 'alert');
    // The page saw the monitor turn to alert: a notification says so, with an Open action.
    const toast = page.locator('.Toastify__toast', { hasText: 'Monitor daily-model: alert' });
    await expect(toast).toBeVisible();
    await expect(toast.locator('.jp-toast-button', { hasText: 'Open' })).toBeVisible();
    await toast.getByTitle('Hide notification').click();
    await expect(toast).toHaveCount(0);
    await view.locator('button.jp-Plumbline-monitorMode[data-mode="cumulative"]').click();
    await expect(view).toHaveAttribute('data-mode', 'cumulative');
    await expect(view.locator('tr.jp-Plumbline-monitorWindow').first().locator('td').nth(1)).toHaveText((12000).toLocaleString('en-US'));

    // Saved, then the page reloaded: the output renders from the notebook file, the tab is back.
    await page.evaluate(() => {
      const app = (window as any).jupyterapp;
      const notebook = Array.from(app.shell.widgets('main') as Iterable<any>).find((w: any) => w.content?.model?.cells);
      app.shell.activateById(notebook.id);
    });
    expect(await page.notebook.save()).toBe(true);
    await page.waitForTimeout(1500); // the workspace (which tabs are open) is saved debounced
    await page.reload({ waitForIsReady: false });
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    const again = page.locator('.jp-Notebook .jp-Cell').first().locator('.jp-Plumbline-monitorOutput .jp-Plumbline-monitor');
    await expect(again).toHaveAttribute('data-windows', '8');
    await expect(again.locator('.jp-Plumbline-monitorChart svg')).toHaveCount(1);
    await expect(page.locator('.jp-Plumbline-monitorTab')).toHaveCount(1);
    await page.evaluate(() => (window as any).jupyterapp.shell.activateById(document.querySelector('.jp-Plumbline-monitorTab')!.id));
    await expect(page.locator('.jp-Plumbline-monitorTab .jp-Plumbline-monitorPanel')).toHaveAttribute('data-state', 'ready');
    await expect(page.locator('.jp-Plumbline-monitorTab .jp-Plumbline-monitor')).toHaveAttribute('data-windows', '8');
  });
});

test.describe('README screenshot of the monitor', () => {
  test.use({ viewport: { width: 1440, height: 900 } });

  test('the demo notebook\'s monitor cells as they are, then nightly scoring as scoring.ipynb does it', async ({ page, tmpPath }) => {
    const demo = JSON.parse(fs.readFileSync(nodePath.join(EXAMPLES, 'demo.ipynb'), 'utf-8'));
    const scoring = JSON.parse(fs.readFileSync(nodePath.join(EXAMPLES, 'scoring.ipynb'), 'utf-8'));
    const source = (cell: any) => (Array.isArray(cell.source) ? cell.source.join('') : cell.source) as string;
    // The demo's monitoring cells: the monitor, three days scored, two days' labels.
    const start = demo.cells.findIndex((c: any) => c.cell_type === 'code' && source(c).includes('plumbline.monitor('));
    expect(start).toBeGreaterThan(0);
    const cells = demo.cells.slice(start, start + 3).map(source);
    expect(cells[1]).toContain('log_predictions');
    expect(cells[2]).toContain('log_feedback');
    // Eight nightly runs of scoring.ipynb: the next day scored, the day before labelled.
    const nightly = source(scoring.cells.find((c: any) => c.cell_type === 'code'));
    expect(nightly).toContain("plumbline.monitor('delay-model')");
    cells.push(`for night in range(8):\n${nightly.split('\n').map(line => `    ${line}`).join('\n')}\nmon.refresh()`);
    expect(await page.contents.uploadContent(fs.readFileSync(nodePath.join(EXAMPLES, 'flights_sim.py'), 'utf-8'), 'text', `${tmpPath}/flights_sim.py`)).toBe(true);
    await createNotebook(page, tmpPath, cells.map(() => ''));
    for (const [i, code] of cells.entries()) {
      await setSource(page, i, code);
    }
    for (let i = 0; i < cells.length; i++) {
      await runCell(page, i);
    }
    const last = page.locator('.jp-Notebook .jp-Cell').nth(cells.length - 1).locator('.jp-Plumbline-monitorOutput .jp-Plumbline-monitor');
    await expect(last).toHaveAttribute('data-windows', '11'); // days 10-20
    // The storm days, once labelled, are flagged as likely concept drift; the estimate did not see them.
    await expect(last.locator('tr.jp-Plumbline-monitorWindow[data-concept-drift="true"]').first()).toBeVisible();

    await page.sidebar.openTab(MONITORS_ID);
    await page.locator(`#${MONITORS_ID} .jp-Plumbline-monitorItem[data-monitor="delay-model"]`).click();
    const view = page.locator('.jp-Plumbline-monitorTab:visible .jp-Plumbline-monitorPanel .jp-Plumbline-monitor');
    await expect(view).toHaveAttribute('data-windows', '11');
    await expect(view.locator('.jp-Plumbline-monitorChart svg .mark-symbol path').first()).toBeVisible();
    // Nothing in front of the panel.
    for (const toast of await page.locator('.Toastify__toast').all()) {
      await toast.getByTitle('Hide notification').click();
    }
    if (process.env.PLUMBLINE_SCREENSHOT === '1') {
      await page.waitForTimeout(800); // the chart's redraw at the tab's width
      await page.screenshot({ path: nodePath.resolve(__dirname, '..', '..', 'docs', 'monitor-panel.png') });
    }
  });
});

