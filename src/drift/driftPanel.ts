/**
 * The drift panel of one recorded output in a main-area tab: the server builds
 * the payload from the stored profiles (GET /plumbline/drift), and the same
 * view as the MIME renderer draws it.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { request } from '../api/client';
import { ChartTheme } from '../charts/vega';
import { DriftPayloadError, parseDriftPayload } from '../renderers/driftModel';
import { DriftView } from '../renderers/driftView';
import { button, el } from '../ui/dom';

/** GET /plumbline/drift?run=&name=[&reference=]: the drift+json payload of an output. */
export async function fetchDrift(runId: string, name: string, reference?: string): Promise<unknown> {
  const query = new URLSearchParams({ run: runId, name });
  if (reference) {
    query.set('reference', reference);
  }
  return (await request(`drift?${query.toString()}`)).json();
}

export interface IDriftPanelOptions {
  runId: string;
  name: string;
  trans: TranslationBundle;
  theme: ChartTheme;
}

export class DriftPanel extends Widget {
  constructor(private readonly _options: IDriftPanelOptions) {
    super();
    const { trans, runId, name } = _options;
    this.addClass('jp-Plumbline-driftPanel');
    this.title.label = trans.__('Drift of %1', name);
    this.title.caption = trans.__('Drift of %1 in run %2', name, runId.slice(0, 8));
    this.node.dataset.run = runId;
    this.node.dataset.name = name;
    void this.load();
  }

  get runId(): string {
    return this._options.runId;
  }

  get name(): string {
    return this._options.name;
  }

  /** Asks the server again (also the Retry button's action). */
  async load(): Promise<void> {
    const { trans, runId, name, theme } = this._options;
    this.node.replaceChildren(el('div', 'jp-Plumbline-hint', trans.__('Comparing the stored profiles…')));
    this.node.dataset.state = 'loading';
    let data: unknown;
    try {
      data = await fetchDrift(runId, name);
    } catch (error) {
      this._problem(trans.__('The drift of %1 could not be read: %2', name, (error as Error).message));
      return;
    }
    if (this.isDisposed) {
      return;
    }
    try {
      const payload = parseDriftPayload(data, trans);
      this._view?.dispose();
      this._view = new DriftView(payload, { trans, theme, scrollRoot: this.node });
      this.node.replaceChildren(this._view.node);
      this.node.dataset.state = 'ready';
    } catch (error) {
      if (!(error instanceof DriftPayloadError)) {
        throw error;
      }
      this._problem(error.message);
    }
  }

  dispose(): void {
    this._view?.dispose();
    this._view = null;
    super.dispose();
  }

  private _problem(message: string): void {
    if (this.isDisposed) {
      return;
    }
    this.node.dataset.state = 'error';
    this.node.replaceChildren(
      el('div', 'jp-Plumbline-driftError', message),
      button(this._options.trans.__('Retry'), () => void this.load())
    );
  }

  private _view: DriftView | null = null;
}
