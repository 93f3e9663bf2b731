/**
 * The MIME renderer of `application/vnd.plumbline.monitor+json`: what a
 * `plumbline.monitor(...)` object displays in a cell (and what a saved
 * notebook keeps). The same view draws the monitor's main-area tab.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { ChartTheme } from '../charts/vega';
import { el } from '../ui/dom';
import { MONITOR_MIME, MonitorPayloadError, parseMonitorPayload } from './monitorModel';
import { IMonitorViewState, MonitorView } from './monitorView';

/** One theme watcher for every rendered panel (a MIME extension gets no theme manager). */
let sharedTheme: ChartTheme | null = null;

export class MonitorRenderer extends Widget implements IRenderMime.IRenderer {
  constructor(options: IRenderMime.IRendererOptions, theme?: ChartTheme) {
    super();
    this._mimeType = options.mimeType;
    this._trans = (options.translator ?? nullTranslator).load('jupyterlab_plumbline');
    this._theme = theme ?? (sharedTheme ??= new ChartTheme(null));
    this.addClass('jp-Plumbline-monitorOutput');
  }

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    // A re-render of the same output (an update_display) keeps the user's toggle and metric.
    const state: Partial<IMonitorViewState> | undefined = this._view?.state;
    this._view?.dispose();
    this._view = null;
    try {
      const payload = parseMonitorPayload(model.data[this._mimeType], this._trans);
      this._view = new MonitorView(payload, { trans: this._trans, theme: this._theme, state });
      this.node.replaceChildren(this._view.node);
    } catch (error) {
      if (!(error instanceof MonitorPayloadError)) {
        throw error;
      }
      // Say what is wrong, and still show what the bundle says in words.
      const text = model.data['text/plain'];
      this.node.replaceChildren(
        el('div', 'jp-Plumbline-monitorError', error.message),
        ...(typeof text === 'string' ? [el('pre', 'jp-Plumbline-monitorText', text)] : [])
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
  private _view: MonitorView | null = null;
}

export const monitorRendererFactory: IRenderMime.IRendererFactory = {
  // Safe: every value is drawn as text or as data of a spec built here, never as HTML,
  // so an untrusted (e.g. just reopened) notebook shows the panel too.
  safe: true,
  mimeTypes: [MONITOR_MIME],
  defaultRank: 40, // ahead of the bundle's plain Vega-Lite view (JupyterLab's vega renderer)
  createRenderer: options => new MonitorRenderer(options)
};
