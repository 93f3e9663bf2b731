/**
 * An SVG drawing that fits the width it is given (the 250 px sidebar as much
 * as the main area), with zoom (buttons, Ctrl/Cmd + wheel), pan (drag) and a
 * fit button. The drawing is never scaled up beyond its natural size when it
 * fits. Shared by the component graph and the trace DAG.
 */
import type { TranslationBundle } from '@jupyterlab/translation';
import { LabIcon } from '@jupyterlab/ui-components';

import { fitIcon, zoomInIcon, zoomOutIcon } from '../icons';

const SVG = 'http://www.w3.org/2000/svg';
const MIN_SCALE = 0.2;
const MAX_SCALE = 4;

export function svg<K extends keyof SVGElementTagNameMap>(
  tag: K,
  attrs: { [key: string]: string | number }
): SVGElementTagNameMap[K] {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, String(value));
  }
  return node;
}

/** The SVG path of a laid-out edge (its dagre points). */
export function edgePath(points: { x: number; y: number }[]): string {
  return points.map((p, i) => `${i ? 'L' : 'M'} ${p.x} ${p.y}`).join(' ');
}

/** A laid-out edge from `from` to `to` with an arrow head and a tooltip. */
export function edgeElement(
  edge: { from: string; to: string; points: { x: number; y: number }[] },
  arrowId: string,
  tooltip: string
): SVGPathElement {
  const path = svg('path', { d: edgePath(edge.points), class: 'jp-Plumbline-graphEdge', 'marker-end': `url(#${arrowId})` });
  path.dataset.from = edge.from;
  path.dataset.to = edge.to;
  const title = svg('title', {});
  title.textContent = tooltip;
  path.append(title);
  return path;
}

export class GraphCanvas {
  constructor(private readonly _trans: TranslationBundle, label: string) {
    this.node.className = 'jp-Plumbline-graphCanvas';
    this._svg.setAttribute('role', 'img');
    this._svg.setAttribute('aria-label', label);
    this._svg.classList.add('jp-Plumbline-graphSvg');
    this._svg.append(this._defs, this._viewport);
    const arrow = svg('marker', {
      id: `jp-Plumbline-arrow-${++GraphCanvas._count}`,
      viewBox: '0 0 10 10',
      refX: 9,
      refY: 5,
      markerWidth: 7,
      markerHeight: 7,
      orient: 'auto-start-reverse'
    });
    arrow.append(svg('path', { d: 'M 0 0 L 10 5 L 0 10 z', class: 'jp-Plumbline-graphArrow' }));
    this._defs.append(arrow);
    this.arrowId = arrow.id;
    const tools = document.createElement('div');
    tools.className = 'jp-Plumbline-graphTools';
    tools.append(
      this._tool(zoomInIcon, this._trans.__('Zoom in'), 'jp-Plumbline-zoomIn', () => this.zoom(1.25)),
      this._tool(zoomOutIcon, this._trans.__('Zoom out'), 'jp-Plumbline-zoomOut', () => this.zoom(0.8)),
      this._tool(fitIcon, this._trans.__('Fit to the width'), 'jp-Plumbline-fit', () => this.fit())
    );
    this.node.append(tools, this._svg);
    this._svg.addEventListener('wheel', event => {
      if (event.ctrlKey || event.metaKey) {
        event.preventDefault();
        this.zoom(event.deltaY < 0 ? 1.1 : 1 / 1.1);
      }
    }, { passive: false });
    this._svg.addEventListener('pointerdown', event => this._startPan(event));
    new ResizeObserver(() => {
      if (this._fitted) {
        this.fit();
      }
    }).observe(this.node);
  }

  readonly node = document.createElement('div');
  /** The id of the arrow marker, for `marker-end: url(#id)`. */
  readonly arrowId: string;

  /** Draw `children` (laid out in a width x height box); a new drawing is fitted. */
  draw(children: SVGElement[], width: number, height: number, key?: string): void {
    this._viewport.replaceChildren(...children);
    this._size = { width: Math.max(1, width), height: Math.max(1, height) };
    if (key === undefined || key !== this._key || this._fitted) {
      this._key = key;
      this.fit();
    } else {
      this._apply();
    }
  }

  /** The whole drawing in the available width (never scaled up). */
  fit(): void {
    const available = this.node.clientWidth || this._size.width;
    this._scale = Math.min(1, available / this._size.width);
    this._x = 0;
    this._y = 0;
    this._fitted = true;
    this._apply();
  }

  /** Scale by `factor` around the drawing's top left corner of the view. */
  zoom(factor: number): void {
    this._scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, this._scale * factor));
    this._fitted = false;
    this._apply();
  }

  get scale(): number {
    return this._scale;
  }

  private _apply(): void {
    const available = this.node.clientWidth || this._size.width;
    const shownWidth = Math.min(available, this._size.width * this._scale);
    const shownHeight = this._size.height * this._scale;
    this._svg.setAttribute('width', String(Math.max(1, Math.round(shownWidth))));
    this._svg.setAttribute('height', String(Math.max(1, Math.round(Math.min(shownHeight, 2000)))));
    const w = shownWidth / this._scale;
    const h = Math.min(shownHeight, 2000) / this._scale;
    this._svg.setAttribute('viewBox', `${this._x} ${this._y} ${w} ${h}`);
    this.node.dataset.scale = this._scale.toFixed(3);
  }

  private _startPan(event: PointerEvent): void {
    if (event.button !== 0 || (event.target as Element).closest('.jp-Plumbline-graphNode, .jp-Plumbline-traceNode')) {
      return; // a click on a node opens it
    }
    const start = { x: event.clientX, y: event.clientY, vx: this._x, vy: this._y };
    const move = (e: PointerEvent) => {
      this._x = start.vx - (e.clientX - start.x) / this._scale;
      this._y = start.vy - (e.clientY - start.y) / this._scale;
      this._fitted = false;
      this._apply();
    };
    const up = () => {
      window.removeEventListener('pointermove', move);
      window.removeEventListener('pointerup', up);
    };
    window.addEventListener('pointermove', move);
    window.addEventListener('pointerup', up);
  }

  private _tool(icon: LabIcon, title: string, className: string, onClick: () => void): HTMLButtonElement {
    const node = document.createElement('button');
    node.type = 'button';
    node.className = `jp-Button jp-mod-minimal jp-Plumbline-graphTool ${className}`;
    node.title = title;
    node.setAttribute('aria-label', title);
    icon.element({ container: node, elementSize: 'small' });
    node.addEventListener('click', event => {
      event.stopPropagation();
      onClick();
    });
    return node;
  }

  private static _count = 0;
  private _svg = svg('svg', {});
  private _defs = svg('defs', {});
  private _viewport = svg('g', { class: 'jp-Plumbline-graphViewport' });
  private _size = { width: 1, height: 1 };
  private _scale = 1;
  private _x = 0;
  private _y = 0;
  private _fitted = true;
  private _key: string | undefined;
}
