/**
 * The MIME renderer of `application/vnd.plumbline.drift+json`: what
 * `plumbline.drift(...)` displays in a cell (and what a saved notebook keeps).
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { ChartTheme } from '../charts/vega';
import { el } from '../ui/dom';
import { DRIFT_MIME, DriftPayloadError, parseDriftPayload } from './driftModel';
import { DriftView } from './driftView';

/** One theme watcher for every rendered panel (a MIME extension gets no theme manager). */
let sharedTheme: ChartTheme | null = null;

export class DriftRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(options: IRenderMime.IRendererOptions, theme?: ChartTheme) {
    super();
    this._mimeType = options.mimeType;
    this._trans = (options.translator ?? nullTranslator).load('jupyterlab_plumbline');
    this._theme = theme ?? (sharedTheme ??= new ChartTheme(null));
    this.addClass('jp-Plumbline-driftOutput');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    this._view?.dispose();
    this._view = null;
    try {
      const payload = parseDriftPayload(model.data[this._mimeType], this._trans);
      this._view = new DriftView(payload, { trans: this._trans, theme: this._theme });
      this.node.replaceChildren(this._view.node);
    } catch (error) {
      if (!(error instanceof DriftPayloadError)) {
        throw error;
      }
      // Say what is wrong, and still show what the bundle says in words.
      const text = model.data['text/plain'];
      this.node.replaceChildren(
        el('div', 'jp-Plumbline-driftError', error.message),
        ...(typeof text === 'string' ? [el('pre', 'jp-Plumbline-driftText', text)] : [])
      );
    }
  }

  dispose(): void {
    this._view?.dispose();
    this._view = null;
    super.dispose();
  }

  private _mimeType: string;
  private _trans: TranslationBundle;
  private _theme: ChartTheme;
  private _view: DriftView | null = null;
}

export const driftRendererFactory: IRenderMime.IRendererFactory = {
  // Safe: every value is drawn as text or as data of a spec built here, never as HTML,
  // so an untrusted (e.g. just reopened) notebook shows the panel too.
  safe: true,
  mimeTypes: [DRIFT_MIME],
  defaultRank: 40, // ahead of the bundle's plain Vega-Lite view (JupyterLab's vega renderer)
  createRenderer: options => new DriftRenderer(options)
};
