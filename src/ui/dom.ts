/**
 * Small DOM builders for the lineage views. Every recorded value (names,
 * code, notes, errors) goes in as text, never as HTML.
 */

export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  className = '',
  ...children: (Node | string | null | undefined)[]
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (className) {
    node.className = className;
  }
  for (const child of children) {
    if (child !== null && child !== undefined) {
      node.append(child);
    }
  }
  return node;
}

/** A styled button that runs `onClick`; `label` is text. */
export function button(
  label: string,
  onClick: () => void,
  options: { title?: string; className?: string } = {}
): HTMLButtonElement {
  const node = el('button', `jp-Button jp-mod-styled jp-mod-small jp-Plumbline-button ${options.className ?? ''}`, label);
  node.type = 'button';
  if (options.title) {
    node.title = options.title;
    node.setAttribute('aria-label', options.title);
  }
  node.addEventListener('click', event => {
    event.stopPropagation();
    onClick();
  });
  return node;
}

/** An element that acts as a link (keyboard included) to something in the UI. */
export function link(label: string, onActivate: () => void, className = ''): HTMLElement {
  const node = el('a', `jp-Plumbline-link ${className}`, label);
  node.tabIndex = 0;
  node.setAttribute('role', 'link');
  node.addEventListener('click', event => {
    event.preventDefault();
    event.stopPropagation();
    onActivate();
  });
  node.addEventListener('keydown', event => {
    if (event.key === 'Enter') {
      onActivate();
    }
  });
  return node;
}

/** A table with a header row; cells are nodes or text. */
export function table(
  className: string,
  headers: string[],
  rows: { cells: (Node | string)[]; attrs?: { [key: string]: string } }[]
): HTMLTableElement {
  const node = el('table', `jp-Plumbline-table ${className}`);
  const head = el('tr');
  for (const header of headers) {
    head.append(el('th', '', header));
  }
  node.append(el('thead', '', head));
  const body = el('tbody');
  for (const row of rows) {
    const tr = el('tr');
    for (const [key, value] of Object.entries(row.attrs ?? {})) {
      tr.setAttribute(key, value);
    }
    for (const cell of row.cells) {
      tr.append(el('td', '', cell));
    }
    body.append(tr);
  }
  node.append(body);
  return node;
}
