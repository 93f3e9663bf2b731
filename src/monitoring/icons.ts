import { LabIcon } from '@jupyterlab/ui-components';

/** A model monitor: a gauge's arc with its needle over a baseline. */
export const monitorIcon = new LabIcon({
  name: 'jupyterlab-plumbline:monitor',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M12 5a9 9 0 0 0-9 9h2a7 7 0 0 1 14 0h2a9 9 0 0 0-9-9z"/>
    <path d="M11 13.3l5.2-4.6 1.1 1.2-4.6 5.2a1.6 1.6 0 1 1-1.7-1.8z"/>
    <rect x="2" y="17" width="20" height="2" rx="1"/>
  </g>
</svg>`
});
