/**
 * The rendermime extension of the package (package.json: jupyterlab.mimeExtension):
 * JupyterLab registers its renderers in every notebook, console and output view,
 * so drift and monitor panels render inline and again after a save and reload.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';

import { DRIFT_MIME } from './driftModel';
import { driftRendererFactory } from './driftRenderer';
import { MONITOR_MIME } from './monitorModel';
import { monitorRendererFactory } from './monitorRenderer';

const extension: IRenderMime.IExtension = {
  id: 'jupyterlab-plumbline:drift-renderer',
  description: 'Renders Plumbline drift panels (application/vnd.plumbline.drift+json).',
  rendererFactory: driftRendererFactory,
  rank: 40,
  dataType: 'json',
  fileTypes: [],
  documentWidgetFactoryOptions: undefined
};

const monitorExtension: IRenderMime.IExtension = {
  id: 'jupyterlab-plumbline:monitor-renderer',
  description: 'Renders Plumbline monitor panels (application/vnd.plumbline.monitor+json).',
  rendererFactory: monitorRendererFactory,
  rank: 40,
  dataType: 'json',
  fileTypes: [],
  documentWidgetFactoryOptions: undefined
};

export { DRIFT_MIME, MONITOR_MIME };
export default [extension, monitorExtension];
