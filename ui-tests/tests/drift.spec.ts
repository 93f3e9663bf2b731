/**
 * Issue 11's front end in a real JupyterLab with real kernels: a component run
 * on shifted data gets a drift badge, one click opens its drift panel with the
 * drifted column first (overlay and history drawn); `plumbline.drift(a, b)`
 * renders inline, again after a save and reload, and in the dark theme.
 */
import * as nodePath from 'path';

import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { createNotebook, openRunsSidebar, runCell, SIDEBAR_ID } from './helpers';

/** Tag cell `index` of the current notebook as a component (the dialog has its own tests). */
async function tagCell(page: IJupyterLabPageFixture, index: number, component: string): Promise<void> {
  await page.evaluate(
    ([i, name]) => {
      const app = (window as any).jupyterapp;
      const panel = app.shell.currentWidget;
      panel.content.model.cells.get(i).setMetadata('plumbline', { component: name, part: 'only' });
    },
    [index, component] as [number, string]
  );
}

/** Sets cell `index`'s code through the model (typing long code is slow on a busy machine). */
async function setSource(page: IJupyterLabPageFixture, index: number, source: string): Promise<void> {
  await page.evaluate(
    ([i, code]) => (window as any).jupyterapp.shell.currentWidget.content.model.cells.get(i).sharedModel.setSource(code),
    [index, source] as [number, string]
  );
}

/** The drift panel charts' background: not white in the dark theme. */
async function chartBackground(chart: ReturnType<IJupyterLabPageFixture['locator']>): Promise<string> {
  return chart.locator('svg').first().evaluate(svg => {
    const rect = svg.querySelector('rect.background') as SVGRectElement | null;
    return rect ? getComputedStyle(rect).fill : getComputedStyle(svg).backgroundColor;
  });
}

const SETUP = (shift: number) =>
  `import numpy as np\nimport pandas as pd\nrng = np.random.default_rng(${Math.round(shift * 10)})\nshift = ${shift}`;
const LOAD =
  "flights = pd.DataFrame({'delay': rng.normal(10 + 30 * shift, 30, 3000).round(1),\n" +
  "                        'origin': rng.choice(['SEA', 'SFO', 'ORD'], 3000, p=[0.5, 0.3, 0.2]),\n" +
  "                        'distance': rng.integers(50, 3000, 3000)})";

test.describe('Plumbline drift', () => {
  test.use({ kernels: null, viewport: { width: 1440, height: 900 } });

  test('a component run on shifted data: the badge says so, one click opens the panel, the drifted column first', async ({
    page,
    tmpPath
  }) => {
    await createNotebook(page, tmpPath, ['1', '2']);
    await setSource(page, 0, SETUP(0));
    await setSource(page, 1, LOAD);
    await tagCell(page, 1, 'load');
    // Two runs on the same distribution (the first is the reference), then one shifted by one std.
    await runCell(page, 0);
    await runCell(page, 1);
    const badge = page.locator('.jp-Notebook .jp-Cell').nth(1).locator('.jp-Plumbline-badge');
    await expect(badge).toHaveAttribute('data-drift', 'reference');
    await expect(badge.locator('.jp-Plumbline-badgeDrift')).toHaveCount(0); // nothing compared yet
    await setSource(page, 0, SETUP(0.01));
    await runCell(page, 0);
    await runCell(page, 1);
    await expect(badge.locator('.jp-Plumbline-badgeDrift')).toHaveText('no drift');
    await expect(badge).toHaveAttribute('data-drift', 'ok');
    await setSource(page, 0, SETUP(1));
    await runCell(page, 0);
    await runCell(page, 1);
    const driftBadge = badge.locator('.jp-Plumbline-badgeDrift.jp-mod-drift');
    await expect(driftBadge).toHaveText('drift: flights');
    await expect(driftBadge).toHaveAttribute('title', /flights: 1 of 3 columns drifted.*worst: delay/s);

    // The runs sidebar marks the same runs: the drifted one, the one that did not drift.
    await openRunsSidebar(page);
    await expect(page.locator(`#${SIDEBAR_ID} .jp-Plumbline-run .jp-Plumbline-badgeDrift.jp-mod-drift`)).toHaveText('drift: flights');
    await expect(page.locator(`#${SIDEBAR_ID} .jp-Plumbline-run .jp-Plumbline-badgeDrift.jp-mod-ok`)).toHaveCount(1);

    // So does the component's node in the Lineage graph: a mark, the word, the verdict in its tooltip.
    await page.sidebar.openTab('plumbline-lineage');
    const node = page.locator('#plumbline-lineage .jp-Plumbline-graphNode[data-key="load"]');
    await expect(node).toHaveAttribute('data-drift', 'drift');
    await expect(node).toHaveClass(/jp-mod-drifted/);
    await expect(node.locator('.jp-Plumbline-graphDrift.jp-mod-drift')).toHaveCount(1);
    await expect(node.locator('.jp-Plumbline-graphMeta')).toContainText('drift: flights');
    await expect(node.locator('title')).toContainText('Drift of the last run: flights: 1 of 3 columns drifted');

    await driftBadge.click();
    const panel = page.locator('.jp-Plumbline-driftTab:visible .jp-Plumbline-driftPanel');
    await expect(panel).toHaveAttribute('data-state', 'ready');
    await expect(panel.locator('.jp-Plumbline-driftStatus')).toContainText('1 of 3 columns drifted');
    await expect(panel.locator('dd[data-fact="drifted"]')).toHaveText('1 of 3 judged (33%)');
    const rows = panel.locator('tr.jp-Plumbline-driftColumn');
    await expect(rows).toHaveCount(3);
    const first = rows.first();
    await expect(first).toHaveAttribute('data-column', 'delay');
    await expect(first).toHaveAttribute('data-status', 'drift');
    await expect(rows.nth(1)).toHaveAttribute('data-status', 'ok');
    // Its overlay (reference vs current on shared bins) and its history over the component's runs.
    await expect(first.locator('.jp-Plumbline-driftOverlayChart svg')).toHaveCount(1);
    await expect(first.locator('.jp-Plumbline-driftOverlayChart svg .mark-rect path').first()).toBeVisible();
    await expect(first.locator('.jp-Plumbline-driftHistory svg')).toHaveCount(1);
    await expect(first.locator('.jp-Plumbline-driftHistory svg .mark-symbol path')).toHaveCount(2); // two compared runs

    if (process.env.PLUMBLINE_SCREENSHOT === '1') {
      await page.screenshot({ path: nodePath.resolve(__dirname, '..', '..', 'docs', 'drift-panel.png') });
    }

    // Click: the full-size comparison (histogram, ECDF, history, every measure).
    await first.click();
    const detail = panel.locator('tr.jp-Plumbline-driftDetail[data-column="delay"]');
    await expect(detail).toBeVisible();
    await expect(detail.locator('.jp-Plumbline-driftFullOverlay svg')).toHaveCount(1);
    await expect(detail.locator('.jp-Plumbline-driftEcdf svg')).toHaveCount(1);
    await expect(detail.locator('.jp-Plumbline-driftFullHistory svg')).toHaveCount(1);
    await expect(detail.locator('tr.jp-mod-decides')).toHaveAttribute('data-measure', 'wasserstein');
    await expect(first).toHaveAttribute('aria-expanded', 'true');
    if (process.env.PLUMBLINE_SCREENSHOT === '1') {
      await page.screenshot({ path: nodePath.resolve(__dirname, '..', '..', 'docs', 'drift-comparison.png') });
    }
    await first.click();
    await expect(detail).toBeHidden();

    // The same badge click again: the same tab, not a second one.
    await page.evaluate(() => (window as any).jupyterapp.shell.activateById(
      Array.from((window as any).jupyterapp.shell.widgets('main') as Iterable<any>).find((w: any) => w.content?.model?.cells).id
    ));
    await driftBadge.click();
    await expect(page.locator('.jp-Plumbline-driftTab')).toHaveCount(1);

    // After a reload the tab is back, asking the server again.
    await page.evaluate(() => (window as any).jupyterapp.shell.activateById(
      Array.from((window as any).jupyterapp.shell.widgets('main') as Iterable<any>).find((w: any) => w.content?.model?.cells).id
    ));
    expect(await page.notebook.save()).toBe(true);
    await page.waitForTimeout(1500); // the workspace (which tabs are open) is saved debounced
    await page.reload({ waitForIsReady: false });
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    await expect(page.locator('.jp-Plumbline-driftTab')).toHaveCount(1);
    await page.evaluate(() => (window as any).jupyterapp.shell.activateById(document.querySelector('.jp-Plumbline-driftTab')!.id));
    await expect(page.locator('.jp-Plumbline-driftTab .jp-Plumbline-driftPanel')).toHaveAttribute('data-state', 'ready');
    await expect(page.locator('.jp-Plumbline-driftTab tr.jp-Plumbline-driftColumn').first()).toHaveAttribute('data-column', 'delay');
  });

  test('plumbline.drift(a, b) renders inline, survives a save and a reload, and follows the dark theme', async ({
    page,
    tmpPath
  }) => {
    // Nothing about Vega or the drift panel in the console (a spec of another Vega-Lite version warns).
    const complaints: string[] = [];
    page.on('console', message => {
      if ((message.type() === 'error' || message.type() === 'warning') && /vega|drift|plumbline/i.test(message.text())) {
        complaints.push(message.text());
      }
    });
    await createNotebook(page, tmpPath, ['1']);
    await setSource(page, 0,
      'import numpy as np\nimport pandas as pd\nimport plumbline\nrng = np.random.default_rng(3)\n' +
        "a = pd.DataFrame({'score': rng.uniform(0, 1, 2000), 'delay': rng.normal(10, 30, 2000), 'origin': rng.choice(['SEA', 'SFO'], 2000)})\n" +
        "b = pd.DataFrame({'score': rng.uniform(0.2, 1, 1500), 'delay': rng.normal(10, 30, 1500), 'origin': rng.choice(['SEA', 'SFO', 'PDX'], 1500)})\n" +
        "plumbline.drift(a, b, predictions=['score'])"
    );
    await runCell(page, 0);
    const output = page.locator('.jp-Notebook .jp-Cell').first().locator('.jp-Plumbline-driftOutput');
    await expect(output).toBeVisible();
    const rows = output.locator('tr.jp-Plumbline-driftColumn');
    await expect(rows).toHaveCount(3);
    await expect(rows.first()).toHaveAttribute('data-column', 'score'); // predictions first
    await expect(rows.first()).toHaveAttribute('data-status', 'drift');
    const origin = output.locator('tr.jp-Plumbline-driftColumn[data-column="origin"]');
    await expect(origin).toHaveAttribute('data-status', 'drift');
    await expect(origin.locator('.jp-Plumbline-driftUnseen')).toContainText('unseen: PDX');
    await expect(output.locator('tr[data-column="delay"]')).toHaveAttribute('data-status', 'ok');
    await expect(rows.first().locator('.jp-Plumbline-driftOverlayChart svg')).toHaveCount(1);

    // Saved, then the page reloaded: the output renders from the notebook file.
    expect(await page.notebook.save()).toBe(true);
    await page.reload({ waitForIsReady: false });
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    const again = page.locator('.jp-Notebook .jp-Cell').first().locator('.jp-Plumbline-driftOutput');
    await expect(again.locator('tr.jp-Plumbline-driftColumn')).toHaveCount(3);
    const chart = again.locator('tr.jp-Plumbline-driftColumn').first().locator('.jp-Plumbline-driftOverlayChart.jp-Plumbline-chart');
    await expect(chart.locator('svg')).toHaveCount(1);
    await expect(chart).toHaveAttribute('data-theme', 'light');

    // Dark theme: the inline charts redraw in it, live.
    await page.theme.setDarkTheme();
    await expect(chart).toHaveAttribute('data-theme', 'dark');
    expect(await chartBackground(chart)).not.toMatch(/rgb\(255, 255, 255\)|#fff/i);
    await expect(again.locator('.jp-Plumbline-driftColumn').first()).toBeVisible();
    await page.theme.setLightTheme();
    await expect(chart).toHaveAttribute('data-theme', 'light');

    // A chunked comparison: drifted columns per chunk, and each column's measure per chunk.
    await page.notebook.addCell('code', 'plumbline.drift(a, b, chunk=500)');
    await runCell(page, 1);
    const chunked = page.locator('.jp-Notebook .jp-Cell').nth(1).locator('.jp-Plumbline-driftOutput');
    await expect(chunked.locator('.jp-Plumbline-driftChunks svg')).toHaveCount(1);
    await expect(chunked.locator('.jp-Plumbline-driftChunks svg .mark-rect path')).toHaveCount(3); // 1500 rows by 500
    await expect(chunked.locator('th').last()).toHaveText('Per chunk');
    await expect(chunked.locator('tr[data-column="score"] .jp-Plumbline-driftHistory svg .mark-symbol path')).toHaveCount(3);
    expect(complaints).toEqual([]);
  });

  test('500 columns open at once: rows are text, charts drawn only for the rows on screen', async ({ page, tmpPath }) => {
    await createNotebook(page, tmpPath, ['1']);
    await setSource(page, 0,
      'import numpy as np\nimport pandas as pd\nimport plumbline\nrng = np.random.default_rng(5)\n' +
        "cols = [f'c{i:03d}' for i in range(500)]\n" +
        'a = pd.DataFrame(rng.normal(size=(200, 500)), columns=cols)\n' +
        'b = pd.DataFrame(rng.normal(size=(200, 500)), columns=cols)\n' +
        'plumbline.drift(a, b)'
    );
    await runCell(page, 0);
    const output = page.locator('.jp-Notebook .jp-Cell').first().locator('.jp-Plumbline-driftOutput');
    const rows = output.locator('tr.jp-Plumbline-driftColumn');
    await expect(rows).toHaveCount(500);
    await expect(rows.first().locator('.jp-Plumbline-driftOverlayChart svg')).toHaveCount(1);
    // Only the rows near the screen have charts; the last one has none until it is scrolled to.
    const drawn = await output.locator('.jp-Plumbline-driftOverlayChart svg').count();
    expect(drawn).toBeGreaterThan(0);
    expect(drawn).toBeLessThan(60);
    const last = rows.last();
    await expect(last.locator('.jp-Plumbline-driftOverlayChart svg')).toHaveCount(0);
    await last.scrollIntoViewIfNeeded();
    await expect(last.locator('.jp-Plumbline-driftOverlayChart svg')).toHaveCount(1);
  });
});
