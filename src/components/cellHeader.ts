/** Where Plumbline draws on a cell: its header, once the cell is rendered. */
import { Cell } from '@jupyterlab/cells';

/**
 * The cell's header element, or null while the cell is a placeholder (the
 * notebook renders cells lazily); then `rerender` runs once it is rendered.
 * Never fall back to the cell node: a mark put there would stay, below the
 * outputs, after the header appears.
 */
export function cellHeader(cell: Cell, rerender: () => void): Element | null {
  const header = cell.node.querySelector(':scope > .jp-CellHeader');
  if (!header && cell.isPlaceholder()) {
    void cell.ready.then(rerender);
  }
  return header;
}
