/**
 * The MIME renderer of `application/vnd.plumbline.drift+json`: what
 * `plumbline.drift(...)` displays in a cell (and what a saved notebook keeps).
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';

import { ChartTheme } from '../charts/vega';
import { DRIFT_MIME, DriftPayloadError, parseDriftPayload } from './driftModel';
import { DriftView } from './driftView';
import { PayloadRenderer } from './payloadRenderer';

export class DriftRenderer extends PayloadRenderer<DriftView> {
  constructor(options: IRenderMime.IRendererOptions, theme?: ChartTheme) {
    super(options, 'drift', theme);
  }

  protected draw(data: unknown): DriftView {
    return new DriftView(parseDriftPayload(data, this.trans), { trans: this.trans, theme: this.theme });
  }

  protected isPayloadError(error: unknown): error is DriftPayloadError {
    return error instanceof DriftPayloadError;
  }
}

export const driftRendererFactory: IRenderMime.IRendererFactory = {
  // Safe: every value is drawn as text or as data of a spec built here, never as HTML,
  // so an untrusted (e.g. just reopened) notebook shows the panel too.
  safe: true,
  mimeTypes: [DRIFT_MIME],
  defaultRank: 40, // ahead of the bundle's plain Vega-Lite view (JupyterLab's vega renderer)
  createRenderer: options => new DriftRenderer(options)
};
