/**
 * The MIME renderer of `application/vnd.plumbline.monitor+json`: what a
 * `plumbline.monitor(...)` object displays in a cell (and what a saved
 * notebook keeps). The same view draws the monitor's main-area tab.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';

import { ChartTheme } from '../charts/vega';
import { MONITOR_MIME, MonitorPayloadError, parseMonitorPayload } from './monitorModel';
import { MonitorView } from './monitorView';
import { PayloadRenderer } from './payloadRenderer';

export class MonitorRenderer extends PayloadRenderer<MonitorView> {
  constructor(options: IRenderMime.IRendererOptions, theme?: ChartTheme) {
    super(options, 'monitor', theme);
  }

  protected draw(data: unknown, previous: MonitorView | null): MonitorView {
    // A re-render of the same output (an update_display) keeps the user's toggle and metric.
    const payload = parseMonitorPayload(data, this.trans);
    return new MonitorView(payload, { trans: this.trans, theme: this.theme, state: previous?.state });
  }

  protected isPayloadError(error: unknown): error is MonitorPayloadError {
    return error instanceof MonitorPayloadError;
  }
}

export const monitorRendererFactory: IRenderMime.IRendererFactory = {
  // Safe: every value is drawn as text or as data of a spec built here, never as HTML,
  // so an untrusted (e.g. just reopened) notebook shows the panel too.
  safe: true,
  mimeTypes: [MONITOR_MIME],
  defaultRank: 40, // ahead of the bundle's plain Vega-Lite view (JupyterLab's vega renderer)
  createRenderer: options => new MonitorRenderer(options)
};
