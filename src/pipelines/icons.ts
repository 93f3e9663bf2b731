import { LabIcon } from '@jupyterlab/ui-components';

/** A pipeline: three tasks in a row joined by a line, with a clock hand on the last. */
export const pipelineIcon = new LabIcon({
  name: 'jupyterlab-plumbline:pipeline',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <rect x="1" y="9" width="6" height="6" rx="1"/>
    <rect x="9" y="9" width="6" height="6" rx="1"/>
    <path d="M7 11.2h2v1.6H7zM15 11.2h2v1.6h-2z"/>
    <path d="M20 7.5a4.5 4.5 0 1 0 0 9 4.5 4.5 0 0 0 0-9zm0 1.6a2.9 2.9 0 1 1 0 5.8 2.9 2.9 0 0 1 0-5.8zM19.3 10v2.4l1.9 1.1.6-1-1.3-.8V10z"/>
  </g>
</svg>`
});
