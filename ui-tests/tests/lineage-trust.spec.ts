/**
 * Issue 9, "Lineage a user can trust and read", in a real JupyterLab with real
 * kernels: staleness after a kernel restart and across notebooks, traces as
 * DAGs, views that follow a rename, charts in the dark theme, one reusable
 * tab, the graph in a narrow sidebar, the rough edges of the trial.
 */
import * as nodePath from 'path';

import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { createNotebook, openRunsSidebar, runCell, runRows, SIDEBAR_ID } from './helpers';

const LINEAGE_ID = 'plumbline-lineage';

/** Tag cell `index` of the current notebook as a component (the dialog has its own tests). */
async function tagCell(
  page: IJupyterLabPageFixture,
  index: number,
  component: string,
  extra: { [key: string]: unknown } = {}
): Promise<void> {
  await page.evaluate(
    ([i, name, more]) => {
      const app = (window as any).jupyterapp;
      const isNotebook = (w: any) => !!w?.content?.model?.cells;
      const panel = isNotebook(app.shell.currentWidget)
        ? app.shell.currentWidget
        : Array.from(app.shell.widgets('main') as Iterable<any>).filter(isNotebook).pop();
      panel.content.model.cells.get(i).setMetadata('plumbline', { component: name, part: 'only', ...more });
    },
    [index, component, extra] as [number, string, { [key: string]: unknown }]
  );
}

function graphNode(page: IJupyterLabPageFixture, key: string) {
  return page.locator(`#${LINEAGE_ID} .jp-Plumbline-graphNode[data-key="${key}"]`);
}

async function notebookCall(page: IJupyterLabPageFixture, path: string, code: string): Promise<unknown> {
  return page.evaluate(
    async ([p, body]) => {
      const app = (window as any).jupyterapp;
      const panel = Array.from(app.shell.widgets('main') as Iterable<any>).find(w => w.context?.path === p);
      const AsyncFunction = Object.getPrototypeOf(async () => undefined).constructor;
      return await new AsyncFunction('panel', 'app', body)(panel, app);
    },
    [path, code]
  );
}

async function activate(page: IJupyterLabPageFixture, path: string): Promise<void> {
  await notebookCall(page, path, 'app.shell.activateById(panel.id);');
}

const PIPELINE: [string, string][] = [
  ['load', "import pandas as pd\nflights = pd.DataFrame({'delay': [1.0, None, 30.0, 5.0], 'hour': [1, 2, 3, 4]})"],
  ['clean', 'flights.dropna(inplace=True)'],
  ['featurize', "FEATURES = ['hour']\nX = flights[FEATURES]\ny = flights['delay'] > 15"]
];

test.describe('Plumbline staleness a user can trust', () => {
  test.use({ kernels: null });

  test('follows the live kernel: a restart, then re-running load, leaves clean stale', async ({ page, tmpPath }) => {
    const path = await createNotebook(page, tmpPath, PIPELINE.map(([, code]) => code));
    for (const [index, [name]] of PIPELINE.entries()) {
      await tagCell(page, index, name);
    }
    for (let index = 0; index < PIPELINE.length; index++) {
      await runCell(page, index);
    }
    await page.sidebar.openTab(LINEAGE_ID);
    for (const [name] of PIPELINE) {
      await expect(graphNode(page, name)).toHaveAttribute('data-stale', 'false');
    }
    await expect(page.locator(`#${LINEAGE_ID} .jp-Plumbline-kernelState`)).toHaveAttribute('data-kernel', 'live');

    // Restart: the new kernel holds nothing, so every component is stale.
    await notebookCall(page, path, 'await panel.sessionContext.session.kernel.restart();');
    for (const [name] of PIPELINE) {
      await expect(graphNode(page, name)).toHaveAttribute('data-stale', 'true');
    }
    await expect(graphNode(page, 'clean').locator('title')).toContainText('kernel restarted');

    // Re-run load: its input has the same content as before, but the kernel's flights is raw again.
    await runCell(page, 0);
    await expect(graphNode(page, 'load')).toHaveAttribute('data-stale', 'false');
    await expect(graphNode(page, 'clean')).toHaveAttribute('data-stale', 'true');
    await expect(graphNode(page, 'featurize')).toHaveAttribute('data-stale', 'true');
    await expect(page.locator('.jp-Notebook .jp-Cell').nth(1).locator('.jp-Plumbline-staleMark')).toHaveAttribute(
      'title',
      /kernel restarted/
    );

    // Re-run clean and featurize: up to date. Re-run load again: clean's in-place version is undone.
    await runCell(page, 1);
    await runCell(page, 2);
    for (const [name] of PIPELINE) {
      await expect(graphNode(page, name)).toHaveAttribute('data-stale', 'false');
    }
    await runCell(page, 0);
    await expect(graphNode(page, 'clean')).toHaveAttribute('data-stale', 'true');
    await expect(graphNode(page, 'clean').locator('title')).toContainText('made again by upstream load');
  });

  test('follows files into another notebook, with its open or saved code', async ({ page, tmpPath }) => {
    const train = await createNotebook(page, tmpPath, [
      PIPELINE[0][1],
      "flights.to_parquet('features.parquet')"
    ]);
    await tagCell(page, 0, 'load');
    await tagCell(page, 1, 'export');
    await runCell(page, 0);
    await runCell(page, 1);
    expect(await page.notebook.save()).toBe(true);

    const infer = await createNotebook(page, tmpPath, [
      "import pandas as pd\nfeatures = pd.read_parquet('features.parquet')\nlate = int((features['delay'] > 15).sum())"
    ]);
    await tagCell(page, 0, 'predict');
    await runCell(page, 0);
    await page.sidebar.openTab(LINEAGE_ID);
    const external = graphNode(page, `${train}::export`);
    await expect(external).toBeVisible();
    await expect(graphNode(page, 'predict')).toHaveAttribute('data-stale', 'false');

    // Edit train's load (not run) in its open notebook: infer's predict is stale, through the file.
    await activate(page, train);
    await page.notebook.setCell(0, 'code', PIPELINE[0][1] + '\nflights = flights.head(2)');
    await tagCell(page, 0, 'load');
    await activate(page, infer);
    await expect(graphNode(page, 'predict')).toHaveAttribute('data-stale', 'true');
    await expect(external).toHaveAttribute('data-stale', 'true');
    await expect(page.locator(`#${LINEAGE_ID} .jp-Plumbline-upstreamSource[data-path="${train}"]`)).toHaveAttribute(
      'data-source',
      'open'
    );

    // Saved and closed: its saved file says the same.
    await activate(page, train);
    expect(await page.notebook.save()).toBe(true);
    await notebookCall(page, train, 'panel.dispose();');
    await activate(page, infer);
    await expect(page.locator(`#${LINEAGE_ID} .jp-Plumbline-upstreamSource[data-path="${train}"]`)).toHaveAttribute(
      'data-source',
      'saved'
    );
    await expect(graphNode(page, 'predict')).toHaveAttribute('data-stale', 'true');
  });
});

test.describe('Plumbline lineage views', () => {
  test.use({ kernels: null });

  test('traces are DAGs, views share one tab with back/forward and a pin, and are restored', async ({ page, tmpPath }) => {
    const cells: [string, string, { [key: string]: unknown }][] = [
      ['load', "import pandas as pd\nraw = pd.DataFrame({'x': [1.0, 2.0, None, 4.0]})", { owner: 'ana', description: 'Reads the raw <b>flights</b>.' }],
      ['clean', 'clean = raw.dropna()', {}],
      ['left', "a = clean.assign(z=clean['x'] * 2)", {}],
      ['right', "b = clean.assign(z=clean['x'] * 3)", {}],
      ['report', 'report = a.join(b, rsuffix="_b")', {}]
    ];
    const path = await createNotebook(page, tmpPath, cells.map(([, code]) => code));
    for (const [index, [name, , extra]] of cells.entries()) {
      await tagCell(page, index, name, extra);
    }
    for (let index = 0; index < cells.length; index++) {
      await runCell(page, index);
    }

    // The first run of a cell: its code, with nothing folded (nothing to compare with).
    await inspectCell(page, 0);
    const tabs = page.locator('.jp-Plumbline-browserTab');
    await expect(tabs).toHaveCount(1);
    const inspector = page.locator('.jp-Plumbline-inspector:visible');
    const diff = inspector.locator('.jp-Plumbline-diff');
    await expect(diff).toHaveAttribute('data-mode', 'code');
    await expect(diff.locator('.cm-content')).toContainText('pd.DataFrame');
    await expect(diff.locator('.cm-collapsedLines')).toHaveCount(0);
    await expect(diff.locator('.cm-mergeView')).toHaveCount(0);
    // Owner and description, as text.
    await expect(inspector.locator('dd[data-fact="Owner"]')).toHaveText('ana');
    await expect(inspector.locator('dd[data-fact="Description"]')).toHaveText('Reads the raw <b>flights</b>.');

    // Trace report upstream: each run once, clean (shared by left and right) with ×2, load once.
    await inspectCell(page, 4);
    await expect(tabs).toHaveCount(1); // the same tab
    await page.locator('.jp-Plumbline-inspector:visible .jp-Plumbline-outputs tr[data-name="report"] .jp-Plumbline-traceUp').click();
    await expect(tabs).toHaveCount(1);
    const trace = page.locator('.jp-Plumbline-trace:visible');
    await expect(trace).toHaveAttribute('data-direction', 'upstream');
    const nodes = trace.locator('.jp-Plumbline-traceNode');
    await expect(nodes).toHaveCount(5);
    const runIds = await nodes.evaluateAll(list => list.map(n => (n as SVGElement).dataset.runId));
    expect(new Set(runIds).size).toBe(5);
    await expect(trace.locator('.jp-Plumbline-traceNode[data-names="clean"]')).toHaveAttribute('data-joins', '2');
    await expect(trace.locator('.jp-Plumbline-traceNode[data-names="clean"] .jp-Plumbline-traceJoins')).toHaveText('×2');
    await expect(trace.locator('.jp-Plumbline-traceNode[data-names="raw"]')).toHaveCount(1);

    // Back to the inspector, forward to the trace.
    await page.locator('.jp-Plumbline-browserTab:visible .jp-Plumbline-back').click();
    await expect(page.locator('.jp-Plumbline-inspector:visible')).toBeVisible();
    await page.locator('.jp-Plumbline-browserTab:visible .jp-Plumbline-forward').click();
    await expect(page.locator('.jp-Plumbline-trace:visible')).toBeVisible();

    // Pin it: the next view opens in a second tab, and the pinned one keeps its trace.
    await page.locator('.jp-Plumbline-browserTab:visible .jp-Plumbline-pin').click();
    await inspectCell(page, 1);
    await expect(tabs).toHaveCount(2);
    await expect(page.locator('.jp-Plumbline-browserTab.jp-mod-pinned .jp-Plumbline-trace')).toHaveCount(1);

    // Both tabs come back after a reload, with what they showed.
    await activate(page, path);
    expect(await page.notebook.save()).toBe(true);
    await page.waitForTimeout(1500); // the workspace (which tabs, what they show) is saved debounced
    await page.reload({ waitForIsReady: false });
    await page.locator('#jupyterlab-splash').waitFor({ state: 'detached' });
    await expect(page.locator('.jp-Plumbline-browserTab')).toHaveCount(2);
    await expect(page.locator('.jp-Plumbline-browserTab.jp-mod-pinned .jp-Plumbline-trace')).toHaveCount(1);
    await expect(page.locator('.jp-Plumbline-browserTab:not(.jp-mod-pinned) .jp-Plumbline-inspector')).toHaveCount(1);
  });

  test('history follows a rename, the sidebar never looks empty meanwhile, charts follow the theme', async ({ page, tmpPath }) => {
    const path = await createNotebook(page, tmpPath, [
      "import pandas as pd\ndf = pd.DataFrame({'x': range(300)})\nmask = df['x'] > -1",
      'df = df[df.x % 5 != 0]'
    ]);
    await tagCell(page, 0, 'load', { owner: 'ana', description: 'Builds the frame.' });
    await tagCell(page, 1, 'clean');
    await runCell(page, 0);
    await runCell(page, 1);
    await runCell(page, 1);
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('plumbline:component-history', {}));
    const history = page.locator('.jp-Plumbline-history:visible');
    await expect(history.locator('.jp-Plumbline-historyRuns tbody tr')).toHaveCount(2);
    // Rows of tables only, not the 300-long boolean mask.
    await page.evaluate(p => (window as any).jupyterapp.commands.execute('plumbline:component-history', { notebookPath: p, component: 'load' }), path);
    await expect(history.locator('.jp-Plumbline-owner')).toHaveText('Owner: ana');
    await expect(history.locator('.jp-Plumbline-description')).toHaveText('Builds the frame.');
    await expect(history.locator('.jp-Plumbline-historyRuns tbody tr td').nth(4)).toHaveText('df: 300');
    // The period select is not as wide as the view.
    const select = await history.locator('.jp-Plumbline-historyRange').boundingBox();
    const view = await history.boundingBox();
    expect(select!.width).toBeLessThan(view!.width / 2);

    // Dark theme: the chart follows, live.
    const chart = history.locator('.jp-Plumbline-historyChart.jp-Plumbline-chart');
    await expect(chart).toHaveAttribute('data-theme', 'light');
    await page.theme.setDarkTheme();
    await expect(chart).toHaveAttribute('data-theme', 'dark');
    const background = await chart.locator('svg').first().evaluate(svg => {
      const rect = svg.querySelector('rect.background') as SVGRectElement | null;
      return rect ? getComputedStyle(rect).fill : getComputedStyle(svg).backgroundColor;
    });
    expect(background).not.toMatch(/rgb\(255, 255, 255\)|#fff/i);
    await page.theme.setLightTheme();
    await expect(chart).toHaveAttribute('data-theme', 'light');

    // Rename: the open history follows, and the runs sidebar never says "No runs yet".
    await openRunsSidebar(page);
    await expect(runRows(page)).toHaveCount(3);
    await page.evaluate(() => {
      const w = window as any;
      w.__plumblineEmpty = 0;
      w.__plumblineWatch = window.setInterval(() => {
        const message = document.querySelector('#plumbline-sidebar .jp-Plumbline-message') as HTMLElement | null;
        const badges = Array.from(document.querySelectorAll('.jp-Notebook .jp-Plumbline-badge'));
        if ((message && !message.hidden && /No runs yet/.test(message.textContent ?? '')) ||
            badges.some(b => (b as HTMLElement).dataset.runStatus === 'never')) {
          w.__plumblineEmpty++;
        }
      }, 20);
    });
    const renamed = `${tmpPath}/renamed-trust.ipynb`;
    expect(await page.contents.renameFile(path, renamed)).toBe(true);
    await expect(page.locator(`#${SIDEBAR_ID} .jp-Plumbline-subtitle`)).toHaveText(renamed);
    await page.waitForTimeout(4000);
    expect(await page.evaluate(() => (window as any).__plumblineEmpty)).toBe(0);
    await expect(runRows(page)).toHaveCount(3);
    await expect(history.locator('.jp-Plumbline-historyRuns tbody tr')).toHaveCount(1);
    await expect(history).toHaveAttribute('data-notebook', renamed);
  });

  test('the sidebar graph fits, zooms and opens in the main area; names wrap', async ({ page, tmpPath }) => {
    const long = 'a_component_with_a_rather_long_descriptive_name';
    await createNotebook(page, tmpPath, ['x = 1', 'y = x + 1', 'z = y * 2']);
    await tagCell(page, 0, long);
    await tagCell(page, 1, 'middle');
    await tagCell(page, 2, 'last');
    for (const index of [0, 1, 2]) {
      await runCell(page, index);
    }
    await page.sidebar.openTab(LINEAGE_ID);
    const sidebar = page.locator(`#${LINEAGE_ID}`);
    const svgBox = await sidebar.locator('.jp-Plumbline-graphSvg').boundingBox();
    const sideBox = await sidebar.boundingBox();
    expect(svgBox!.width).toBeLessThanOrEqual(sideBox!.width);
    await expect(graphNode(page, long).locator('title')).toContainText(long); // the full name on hover
    const canvas = sidebar.locator('.jp-Plumbline-graphCanvas');
    const fitted = Number(await canvas.getAttribute('data-scale'));
    await sidebar.locator('.jp-Plumbline-zoomIn').click();
    expect(Number(await canvas.getAttribute('data-scale'))).toBeGreaterThan(fitted);
    await sidebar.locator('.jp-Plumbline-fit').click();
    expect(Number(await canvas.getAttribute('data-scale'))).toBeCloseTo(fitted, 3);

    await sidebar.locator('.jp-Plumbline-openGraph').click();
    await expect(page.locator('.jp-Plumbline-graphMain .jp-Plumbline-graphNode')).toHaveCount(3);

    // The runs list wraps the code instead of cutting it to one line; the full first lines on hover.
    await openRunsSidebar(page);
    const code = runRows(page).first().locator('.jp-Plumbline-code');
    expect(await code.evaluate(node => getComputedStyle(node).whiteSpace)).toBe('normal');
    await expect(code).toHaveAttribute('title', 'z = y * 2');
  });
});

test.describe('Plumbline rough edges', () => {
  test.use({ kernels: null });

  test('icons, the context submenu, the dialog checkbox, passing checks and the SQL console', async ({ page, tmpPath }) => {
    const path = await createNotebook(page, tmpPath, [
      "import pandas as pd\npd.DataFrame({'delay': [1.0, 2.0]}).to_parquet('in.parquet')",
      "raw = pd.read_parquet('in.parquet')",
      "raw = pd.read_parquet('in.parquet')\nn = len(raw)"
    ]);
    await tagCell(page, 1, 'load', {
      checks: [{ id: 'c1', check: 'nulls', when: 'after', on_fail: 'warn', args: ['raw'], params: {} }]
    });
    await runCell(page, 0);
    await runCell(page, 1);

    // The file input is drawn with JupyterLab's file icon; a passing check says what it found.
    await inspectCell(page, 1);
    const inspector = page.locator('.jp-Plumbline-inspector:visible');
    await expect(inspector.locator('.jp-Plumbline-inputs .jp-Plumbline-fileIcon svg')).toBeVisible();
    const passing = inspector.locator('.jp-Plumbline-checkItem[data-status="pass"] .jp-Plumbline-checkMessage');
    await expect(passing).not.toHaveText('');

    // The diff's fold markers are icons (no glyph the fonts lack).
    await activate(page, path);
    await page.notebook.setCell(1, 'code', "raw = pd.read_parquet('in.parquet')\n" + Array.from({ length: 12 }, (_, i) => `v${i} = ${i}`).join('\n'));
    await tagCell(page, 1, 'load');
    await runCell(page, 1);
    await activate(page, path);
    await page.notebook.setCell(1, 'code', "raw = pd.read_parquet('in.parquet')\n" + Array.from({ length: 12 }, (_, i) => `v${i} = ${i}`).join('\n') + '\nw = 1');
    await tagCell(page, 1, 'load');
    await runCell(page, 1);
    await inspectCell(page, 1);
    const folded = page.locator('.jp-Plumbline-inspector:visible .cm-collapsedLines').first();
    await expect(folded.locator('.jp-Plumbline-foldIcon svg')).toBeVisible();
    expect(await folded.evaluate(node => getComputedStyle(node, '::before').content)).toBe('none');

    // The cell context menu groups Plumbline's entries in a submenu.
    await activate(page, path);
    await page.notebook.selectCells(1);
    await page.locator('.jp-Notebook .jp-Cell').nth(1).click({ button: 'right' });
    const menu = page.locator('.lm-Menu').first();
    await expect(menu.locator('.lm-Menu-item[data-type="submenu"]', { hasText: 'Plumbline' })).toBeVisible();
    await expect(menu.locator('.lm-Menu-item', { hasText: 'Make or Edit Component' })).toHaveCount(0);
    await menu.locator('.lm-Menu-item[data-type="submenu"]', { hasText: 'Plumbline' }).hover();
    await expect(page.locator('.lm-Menu .lm-Menu-item', { hasText: 'Make or Edit Component' })).toBeVisible();
    await page.keyboard.press('Escape');
    await page.keyboard.press('Escape');

    // The dialog's Materialize checkbox is beside its label.
    await page.evaluate(() => void (window as any).jupyterapp.commands.execute('plumbline:tag-component'));
    const label = page.locator('.jp-Dialog .jp-Plumbline-materialize');
    const box = await label.locator('input').boundingBox();
    const labelBox = await label.boundingBox();
    expect(box!.height).toBeGreaterThan(labelBox!.height / 3); // one line: the box is the line's height
    expect(Math.abs(box!.y + box!.height / 2 - (labelBox!.y + labelBox!.height / 2))).toBeLessThan(6);
    await page.locator('.jp-Dialog .jp-mod-reject').click();

    // The SQL console: a runaway recursive CTE runs off the main thread and stops on demand.
    await page.evaluate(() => (window as any).jupyterapp.commands.execute('plumbline:sql-console'));
    const sql = page.locator('.jp-Plumbline-console:visible');
    await sql.locator('.jp-Plumbline-consoleInput').fill('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c');
    await sql.locator('.jp-Plumbline-consoleRun').click();
    await expect(sql).toHaveAttribute('data-running', 'true');
    // The tab is not frozen: the page answers while the query runs.
    const answered = await page.evaluate(() => new Promise<boolean>(resolve => setTimeout(() => resolve(true), 50)));
    expect(answered).toBe(true);
    await sql.locator('.jp-Plumbline-consoleStop').click();
    await expect(sql.locator('.jp-Plumbline-consoleStopped')).toBeVisible();
    await expect(sql).toHaveAttribute('data-running', 'false');
    // The row limit, then another query in a fresh worker.
    await sql.locator('.jp-Plumbline-consoleLimit').fill('3');
    await sql.locator('.jp-Plumbline-consoleInput').fill('WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c');
    await sql.locator('.jp-Plumbline-consoleRun').click();
    await expect(sql.locator('.jp-Plumbline-consoleTable tbody tr')).toHaveCount(3);
    await expect(sql.locator('.jp-Plumbline-consoleSummary')).toContainText('row limit');
  });

  test('a kernel shared by two notebooks records each cell under its own notebook', async ({ page, tmpPath }) => {
    const first = await createNotebook(page, tmpPath, ['shared = 41']);
    await runCell(page, 0);
    const second = await createNotebook(page, tmpPath, ['answer = shared + 1', 'print(answer)']);
    // "Use kernel from other session": the second notebook joins the first one's kernel.
    await notebookCall(
      page,
      second,
      `const id = Array.from(app.shell.widgets('main')).find(w => w.context?.path === ${JSON.stringify(first)}).sessionContext.session.kernel.id;
       await panel.sessionContext.changeKernel({ id });
       await panel.sessionContext.ready;`
    );
    await runCell(page, 0);
    await runCell(page, 1);
    await expect(page.locator('.jp-NotebookPanel:visible .jp-Cell').nth(1).locator('.jp-OutputArea-output')).toContainText('42');
    await openRunsSidebar(page);
    await expect(runRows(page)).toHaveCount(2);
    await activate(page, first);
    await expect(page.locator(`#${SIDEBAR_ID} .jp-Plumbline-subtitle`)).toHaveText(first);
    await expect(runRows(page)).toHaveCount(1);
    await runCell(page, 0);
    await expect(runRows(page)).toHaveCount(2);
    await activate(page, second);
    await expect(runRows(page)).toHaveCount(2);
  });
});

/** Open the inspector of the latest run of cell `index` of the current notebook. */
async function inspectCell(page: IJupyterLabPageFixture, index: number): Promise<void> {
  await page.evaluate(async i => {
    const app = (window as any).jupyterapp;
    const notebook = app.shell.currentWidget?.content?.model ? app.shell.currentWidget : Array.from(app.shell.widgets('main') as Iterable<any>).find(w => w.content?.model?.cells);
    app.shell.activateById(notebook.id);
    notebook.content.activeCellIndex = i;
    await app.commands.execute('plumbline:inspect-cell');
  }, index);
}

test.describe('Lineage screenshots', () => {
  test.use({ kernels: null, viewport: { width: 1440, height: 900 } });

  test('the graph, a stale reason, the trace DAG and the dark history chart', async ({ page, tmpPath }) => {
    // With PLUMBLINE_SCREENSHOT=1 the README's lineage pictures are written.
    const screenshot = process.env.PLUMBLINE_SCREENSHOT === '1';
    const cells: [string, string][] = [
      ['load', "import pandas as pd\nflights = pd.DataFrame({'delay': [1.0, None, 30.0, 5.0, 22.0], 'hour': [6, 7, 8, 9, 10]})"],
      ['clean', 'flights.dropna(inplace=True)'],
      ['featurize', "FEATURES = ['hour']\nX = flights[FEATURES]\ny = flights['delay'] > 15"],
      ['train', 'from sklearn.linear_model import LogisticRegression\nmodel = LogisticRegression().fit(X, y)'],
      ['report', "score = model.score(X, y)\nprint(f'accuracy {score:.2f}')"]
    ];
    const path = await createNotebook(page, tmpPath, cells.map(([, code]) => code));
    for (const [index, [name]] of cells.entries()) {
      await tagCell(page, index, name, name === 'clean' ? { owner: 'ana', description: 'Drops flights without a delay.' } : {});
    }
    for (let index = 0; index < cells.length; index++) {
      await runCell(page, index);
    }
    await runCell(page, 0); // load again: clean's in-place work is undone in the kernel
    await page.sidebar.openTab(LINEAGE_ID);
    await expect(graphNode(page, 'clean')).toHaveAttribute('data-stale', 'true');
    await expect(graphNode(page, 'report')).toHaveAttribute('data-stale', 'true');
    await inspectCell(page, 4);
    await page.locator('.jp-Plumbline-inspector:visible .jp-Plumbline-outputs tr[data-name="score"] .jp-Plumbline-traceUp').click();
    const trace = page.locator('.jp-Plumbline-trace:visible');
    await expect(trace.locator('.jp-Plumbline-traceNode')).toHaveCount(5);
    if (screenshot) {
      await page.screenshot({ path: nodePath.resolve(__dirname, '..', '..', 'docs', 'lineage-trust.png') });
    }
    await page.evaluate(p => (window as any).jupyterapp.commands.execute('plumbline:component-history', { notebookPath: p, component: 'load' }), path);
    await page.theme.setDarkTheme();
    await expect(page.locator('.jp-Plumbline-history:visible .jp-Plumbline-chart')).toHaveAttribute('data-theme', 'dark');
    if (screenshot) {
      await page.screenshot({ path: nodePath.resolve(__dirname, '..', '..', 'docs', 'lineage-dark.png') });
    }
    await page.theme.setLightTheme();
  });
});
