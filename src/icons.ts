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
