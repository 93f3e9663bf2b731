/**
 * The rendermime extension of the package (package.json: jupyterlab.mimeExtension):
 * JupyterLab registers its renderers in every notebook, console and output view,
 * so drift panels render inline and again after a save and reload.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';

import { DRIFT_MIME } from './driftModel';
import { driftRendererFactory } from './driftRenderer';

const extension: IRenderMime.IExtension = {
  id: 'jupyterlab-plumbline:drift-renderer',
  description: 'Renders Plumbline drift panels (application/vnd.plumbline.drift+json).',
  rendererFactory: driftRendererFactory,
  rank: 40,
  dataType: 'json',
  fileTypes: [],
  documentWidgetFactoryOptions: undefined
};

export { DRIFT_MIME };
export default [extension];
