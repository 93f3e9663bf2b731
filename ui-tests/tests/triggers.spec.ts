/**
 * A monitor's trigger in the browser: 500 new labels ask for a run of a promoted
 * retraining pipeline; the request waits on the pipeline's card in the Pipelines
 * panel until someone starts it; Start run queues it, the real scheduler runs
 * its task, and the request leaves the card. A real kernel, server and task process.
 */
import { expect, IJupyterLabPageFixture, test } from '@jupyterlab/galata';

import { createNotebook, runCell } from './helpers';

const PANEL = '#plumbline-pipelines';

const SETUP = `import os, subprocess, sys
import nbformat
import numpy as np
import plumbline
from sklearn.linear_model import LogisticRegression

nb = nbformat.v4.new_notebook(metadata={"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}})
nb.cells = [nbformat.v4.new_code_cell("retrained = True", metadata={"plumbline": {"component": "retrain"}})]
nbformat.write(nb, "retrain.ipynb")
created = subprocess.run([sys.executable, "-m", "plumbline", "pipelines", "create", "galata_retrain",
                          "--notebook", os.path.abspath("retrain.ipynb")], capture_output=True, text=True)
assert created.returncode == 0, created.stderr

rng = np.random.default_rng(3)
def make(n):
    X = rng.normal(size=(n, 3))
    return X, (rng.uniform(size=n) < 1 / (1 + np.exp(-X[:, 0]))).astype(int)

X_ref, y_ref = make(4000)
clf = LogisticRegression().fit(*make(3000))
mon = plumbline.monitor("trigger-model", model=clf, reference=(X_ref, y_ref), window=1000)
mon.trigger("galata_retrain", on="labels", labels=500)
X, y = make(1000)
ids = mon.log_predictions(X)
mon.log_feedback(ids[:600], y[:600])
print(mon.payload()["triggers"][0]["state"])`;

async function setSource(page: IJupyterLabPageFixture, index: number, source: string): Promise<void> {
  await page.evaluate(
    ([i, code]) => (window as any).jupyterapp.shell.currentWidget.content.model.cells.get(i).sharedModel.setSource(code),
    [index, source] as [number, string]
  );
}

test.describe('Monitor triggers', () => {
  test('a request waits on the pipeline card until Start run, then the run goes through', async ({ page, tmpPath }) => {
    await createNotebook(page, tmpPath, ['1']);
    await setSource(page, 0, SETUP);
    await runCell(page, 0);
    await expect(page.locator('.jp-OutputArea-output').first()).toContainText('awaiting approval', { timeout: 60_000 });

    await page.sidebar.openTab('plumbline-pipelines');
    const card = page.locator(`${PANEL} .jp-Plumbline-pipeline[data-pipeline="galata_retrain"]`);
    const request = card.locator('.jp-Plumbline-triggerRequest');
    await expect(request).toHaveCount(1, { timeout: 60_000 });
    await expect(request).toContainText('trigger-model');
    await expect(request.locator('.jp-Plumbline-triggerRequestReason')).toContainText('600 new labelled rows');
    await expect(card.locator('.jp-Plumbline-gridRun')).toHaveCount(0); // nothing runs before someone says so

    await request.locator('.jp-Plumbline-approveRequest').click();
    await expect(page.locator('.Toastify__toast').filter({ hasText: 'as monitor trigger-model asked' })).toBeVisible();
    await expect(request).toHaveCount(0, { timeout: 60_000 });
    await expect(card.locator('.jp-Plumbline-gridRun[data-trigger="manual"]')).toHaveCount(1, { timeout: 60_000 });
    await expect(card.locator('.jp-Plumbline-gridSquare[data-status="ok"]')).toHaveCount(1, { timeout: 150_000 });
  });
});
