import { LabIcon } from '@jupyterlab/ui-components';

/** A plumb bob on its line. */
export const plumblineIcon = new LabIcon({
  name: 'jupyterlab-plumbline:plumbline',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <rect x="11" y="1" width="2" height="9"/>
    <rect x="6" y="1" width="12" height="2" rx="1"/>
    <path d="M12 9.5c-2.6 0-5 2.1-5 4.8 0 2.9 5 8.7 5 8.7s5-5.8 5-8.7c0-2.7-2.4-4.8-5-4.8z"/>
  </g>
</svg>`
});

/** A component: a box on a line. */
export const componentIcon = new LabIcon({
  name: 'jupyterlab-plumbline:component',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <rect x="11" y="1" width="2" height="5"/>
    <rect x="11" y="18" width="2" height="5"/>
    <path d="M5 6h14v12H5zM7 8v8h10V8z"/>
  </g>
</svg>`
});

/** Lineage: three nodes joined by edges. */
export const lineageIcon = new LabIcon({
  name: 'jupyterlab-plumbline:lineage',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <rect x="3" y="2" width="8" height="6" rx="1"/>
    <rect x="13" y="16" width="8" height="6" rx="1"/>
    <rect x="3" y="16" width="8" height="6" rx="1"/>
    <path d="M6 8h2v8H6zM7 11h10v5h-2v-3H7z"/>
  </g>
</svg>`
});

/** Zoom in: a magnifier with a plus. */
export const zoomInIcon = new LabIcon({
  name: 'jupyterlab-plumbline:zoom-in',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M10 3a7 7 0 0 1 5.6 11.2l5.1 5.1-1.4 1.4-5.1-5.1A7 7 0 1 1 10 3zm0 2a5 5 0 1 0 0 10 5 5 0 0 0 0-10z"/>
    <rect x="9" y="7" width="2" height="6"/><rect x="7" y="9" width="6" height="2"/>
  </g>
</svg>`
});

/** Zoom out: a magnifier with a minus. */
export const zoomOutIcon = new LabIcon({
  name: 'jupyterlab-plumbline:zoom-out',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M10 3a7 7 0 0 1 5.6 11.2l5.1 5.1-1.4 1.4-5.1-5.1A7 7 0 1 1 10 3zm0 2a5 5 0 1 0 0 10 5 5 0 0 0 0-10z"/>
    <rect x="7" y="9" width="6" height="2"/>
  </g>
</svg>`
});

/** Fit: four corners. */
export const fitIcon = new LabIcon({
  name: 'jupyterlab-plumbline:fit',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M3 3h7v2H5v5H3zM14 3h7v7h-2V5h-5zM3 14h2v5h5v2H3zM19 14h2v7h-7v-2h5z"/>
  </g>
</svg>`
});

/** Pin: keep this tab. */
export const pinIcon = new LabIcon({
  name: 'jupyterlab-plumbline:pin',
  svgstr: `<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">
  <g class="jp-icon3" fill="#616161">
    <path d="M14.5 2 22 9.5l-1.4 1.4-1.1-1.1-4.2 4.2.4 4.6-1.4 1.4-3.9-3.9L5 21.5 2.5 19l5.4-5.4L4 9.7l1.4-1.4 4.6.4 4.2-4.2-1.1-1.1z"/>
  </g>
</svg>`
});
