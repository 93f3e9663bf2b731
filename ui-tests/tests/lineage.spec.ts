/**
 * Acceptance tests of lineage in a real JupyterLab with a real kernel: the
 * component graph, a run's inputs/outputs and code diff, the trace of an
 * output back to its source, review of flagged outputs, and staleness after
 * an upstream edit.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { createNotebook, runCell } from './helpers';

const LINEAGE_ID = 'plumbline-lineage';

/** Four components: load → clean → featurize, and clean → report. */
const CELLS: [string, string][] = [
  ['load', "import pandas as pd\nraw = pd.DataFrame({'x': [1.0, 2.0, None, 4.0], 'y': [4, 5, 6, 7]})"],
  ['clean', 'clean = raw.dropna()'],
  ['featurize', "feats = clean.assign(z=clean['x'] * 2)\ntotal = float(feats['z'].sum())"],
  ['report', 'report = clean.describe()']
];

/** Tag cell `index` as component `name` (the dialog has its own tests). */
async function tagCell(page: IJupyterLabPageFixture, index: number, name: string): Promise<void> {
  await page.evaluate(
    ([i, component]) => {
      const app = (window as any).jupyterapp;
      const panel = app.shell.currentWidget;
      panel.content.model.cells.get(i).setMetadata('plumbline', { component, part: 'only' });
    },
    [index, name] as [number, string]
  );
}

function graphNode(page: IJupyterLabPageFixture, component: string) {
  return page.locator(`#${LINEAGE_ID} .jp-Plumbline-graphNode[data-component="${component}"]`);
}

test.describe('Plumbline lineage', () => {
  test.use({ kernels: null });

  test('graph, inspector with code diff, trace, review and staleness', async ({ page, tmpPath }) => {
    const path = await createNotebook(page, tmpPath, CELLS.map(([, code]) => code));
    for (const [index, [name]] of CELLS.entries()) {
      await tagCell(page, index, name);
    }
    for (let index = 0; index < CELLS.length; index++) {
      await runCell(page, index);
    }

    // The component graph: nodes for every component, edges for the data between them.
    await page.sidebar.openTab(LINEAGE_ID);
    for (const [name] of CELLS) {
      await expect(graphNode(page, name)).toBeVisible();
    }
    const edges = page.locator(`#${LINEAGE_ID} .jp-Plumbline-graphEdge`);
    await expect(edges).toHaveCount(3);
    const pairs = await edges.evaluateAll(paths =>
      paths.map(p => `${(p as SVGElement).dataset.from}->${(p as SVGElement).dataset.to}`).sort()
    );
    expect(pairs).toEqual(['clean->featurize', 'clean->report', 'load->clean']);

    // Change clean's code and run it again: two runs whose code differs.
    await page.notebook.setCell(1, 'code', 'clean = raw.dropna().reset_index(drop=True)');
    await tagCell(page, 1, 'clean');
    for (const index of [1, 2, 3]) {
      await runCell(page, index); // clean changed: rerun it and what reads it
    }

    // Graph → component history (chart and table) → the newest run's inspector.
    await graphNode(page, 'clean').click();
    const history = page.locator('.jp-Plumbline-history[data-component="clean"]');
    await expect(history.locator('.jp-Plumbline-historyRuns tbody tr')).toHaveCount(2);
    await expect(history.locator('.jp-Plumbline-historyChart svg, .jp-Plumbline-historyChart canvas').first()).toBeVisible();
    await history.locator('.jp-Plumbline-historyRun').first().click();

    const inspector = page.locator('.jp-Plumbline-inspector:visible');
    const input = inspector.locator('.jp-Plumbline-inputs tr[data-name="raw"]');
    await expect(input).toBeVisible();
    await expect(input.locator('.jp-Plumbline-producer')).toContainText('load');
    await expect(inspector.locator('.jp-Plumbline-outputs tr[data-name="clean"]')).toBeVisible();
    // The code against the previous run of the same cell: the merge view marks the change.
    const diff = inspector.locator('.jp-Plumbline-diff');
    await expect(diff).toHaveAttribute('data-changed', 'true');
    await expect(diff.locator('.cm-mergeView')).toBeVisible();
    await expect(diff.locator('.cm-changedLine, .cm-changedText').first()).toBeVisible();
    await expect(diff).toContainText('reset_index');

    // Trace featurize's `total` back to its source: clean, then raw from load.
    await inspectCell(page, 2);
    const featurize = page.locator('.jp-Plumbline-inspector:visible');
    await featurize.locator('.jp-Plumbline-outputs tr[data-name="total"] .jp-Plumbline-traceUp').click();
    const trace = page.locator('.jp-Plumbline-trace:visible');
    await expect(trace).toHaveAttribute('data-direction', 'upstream');
    await expect(trace.locator('.jp-Plumbline-traceNode[data-names="clean"]').first()).toBeVisible();
    await expect(trace.locator('.jp-Plumbline-traceNode[data-names="raw"]').first()).toContainText('load');

    // Flag two outputs of two branches; review ranks what they share first.
    await inspectCell(page, 2);
    await flagOutput(page, 'total', 'totals <b>doubled</b>');
    await inspectCell(page, 3);
    await flagOutput(page, 'report', '');
    await page.sidebar.openTab(LINEAGE_ID);
    const ranking = page.locator(`#${LINEAGE_ID} .jp-Plumbline-ranking li`);
    const flagged = page.locator(`#${LINEAGE_ID} .jp-Plumbline-flagged li`);
    await expect(flagged).toHaveCount(2);
    // The note is shown as text, never as markup.
    await expect(flagged.first()).toContainText('totals <b>doubled</b>');
    await expect(ranking.first()).toHaveAttribute('data-shared-by', '2');
    await expect(ranking.first()).toContainText(/load|clean/);
    await expect(ranking.last()).toHaveAttribute('data-shared-by', '1');

    // Edit the upstream cell without running it: it and everything downstream are stale.
    await expect(graphNode(page, 'featurize')).toHaveAttribute('data-stale', 'false');
    await page.notebook.activate(path.split('/').pop()!);
    await page.notebook.setCell(0, 'code', CELLS[0][1] + "\nraw['y'] = raw['y'] * 10");
    await tagCell(page, 0, 'load');
    for (const name of ['load', 'clean', 'featurize', 'report']) {
      await expect(graphNode(page, name)).toHaveAttribute('data-stale', 'true');
    }
    await expect(page.locator('.jp-Notebook .jp-Cell.jp-Plumbline-stale')).toHaveCount(4);
    await expect(page.locator('.jp-Plumbline-staleMark').first()).toHaveAttribute('title', /code changed/);
  });
});

/** Open the inspector of the latest run of cell `index` (the inspect-cell command). */
async function inspectCell(page: IJupyterLabPageFixture, index: number): Promise<void> {
  await page.evaluate(async i => {
    const app = (window as any).jupyterapp;
    const notebook = Array.from(app.shell.widgets('main') as Iterable<any>).find(w => w.content?.model?.cells);
    notebook.content.activeCellIndex = i;
    await app.commands.execute('plumbline:inspect-cell');
  }, index);
}

/** Flag output `name` of the shown inspector, answering the note dialog. */
async function flagOutput(page: IJupyterLabPageFixture, name: string, note: string): Promise<void> {
  const row = page.locator(`.jp-Plumbline-inspector:visible .jp-Plumbline-outputs tr[data-name="${name}"]`);
  await row.locator('.jp-Plumbline-flag').click();
  const dialog = page.locator('.jp-Dialog');
  await dialog.locator('input').fill(note);
  await dialog.locator('.jp-mod-accept').click();
  await expect(row).toHaveAttribute('data-flagged', 'true');
}
