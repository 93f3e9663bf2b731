/**
 * Vega-Lite charts that follow JupyterLab's theme, light or dark, and switch
 * live when the user changes it (IThemeManager.themeChanged). One place for
 * every Plumbline chart (lineage history, drift and monitoring panels): the
 * colors come from JupyterLab's CSS variables, so a custom theme works too.
 *
 * vega-embed is loaded on first use (its own chunk): a page that draws no
 * chart does not pay for it.
 */
import type { IThemeManager } from '@jupyterlab/apputils';
import { ISignal, Signal } from '@lumino/signaling';

/**
 * The theme as charts need it, and when it changes. Without a theme manager (a
 * MIME renderer extension gets none) the body's theme attributes, which
 * JupyterLab's theme manager sets on every change, are watched instead.
 */
export class ChartTheme {
  constructor(private readonly _themes: IThemeManager | null) {
    // The theme's CSS is applied by now; read its variables on the next frame to be sure.
    const changed = () => requestAnimationFrame(() => this._changed.emit());
    if (_themes) {
      _themes.themeChanged.connect(changed);
    } else if (typeof MutationObserver !== 'undefined' && typeof document !== 'undefined') {
      new MutationObserver(changed).observe(document.body, {
        attributes: true,
        attributeFilter: ['data-jp-theme-light', 'data-jp-theme-name']
      });
    }
  }

  /** Emitted after JupyterLab's theme changed. */
  get changed(): ISignal<this, void> {
    return this._changed;
  }

  /** Light or dark, as JupyterLab says (the body's data attribute when there is no theme manager). */
  get isLight(): boolean {
    const theme = this._themes?.theme;
    if (theme && this._themes) {
      return this._themes.isLight(theme);
    }
    return document.body.dataset.jpThemeLight !== 'false';
  }

  private _changed = new Signal<this, void>(this);
}

/** A JupyterLab CSS variable's value now, or `fallback`. */
export function cssVar(name: string, fallback: string): string {
  const value = getComputedStyle(document.body).getPropertyValue(name).trim();
  return value || fallback;
}

/** Vega-Lite config from JupyterLab's theme variables (light or dark alike). */
export function themeConfig(isLight: boolean): Record<string, unknown> {
  const text = cssVar('--jp-ui-font-color1', isLight ? '#212121' : '#e0e0e0');
  const muted = cssVar('--jp-ui-font-color2', isLight ? '#616161' : '#bdbdbd');
  const grid = cssVar('--jp-border-color2', isLight ? '#e0e0e0' : '#424242');
  const domain = cssVar('--jp-border-color1', isLight ? '#bdbdbd' : '#616161');
  const font = cssVar('--jp-ui-font-family', 'sans-serif');
  const axis = {
    labelColor: muted,
    titleColor: text,
    domainColor: domain,
    tickColor: domain,
    gridColor: grid,
    labelFont: font,
    titleFont: font
  };
  return {
    background: cssVar('--jp-layout-color1', isLight ? '#ffffff' : '#111111'),
    font,
    title: { color: text, subtitleColor: muted, font },
    axis,
    legend: { labelColor: text, titleColor: text, labelFont: font, titleFont: font },
    header: { labelColor: text, titleColor: text },
    view: { stroke: null },
    style: { 'guide-label': { fill: muted }, 'guide-title': { fill: text } }
  };
}

/** A Vega-Lite spec, or a function of the theme (light or not) that makes one. */
export type ChartSpec = Record<string, unknown> | ((isLight: boolean) => Record<string, unknown>);

type Embed = typeof import('vega-embed').default;
let embedding: Promise<Embed> | null = null;

function loadEmbed(): Promise<Embed> {
  embedding ??= import('vega-embed').then(module => module.default);
  return embedding;
}

/**
 * A chart in `node`, drawn from `spec` in the current theme, and redrawn when the
 * theme changes until `dispose()` is called. The spec's own config wins over the theme's.
 */
export class ThemedChart {
  constructor(
    readonly node: HTMLElement,
    private readonly _theme: ChartTheme
  ) {
    node.classList.add('jp-Plumbline-chart');
    _theme.changed.connect(this._redraw, this);
  }

  /**
   * Draw `spec` (a Vega-Lite spec, or a function that makes one in the current
   * theme, called again on every theme change); resolves when it is on screen.
   */
  async draw(spec: ChartSpec): Promise<void> {
    this._spec = spec;
    const drawn = ++this._drawn;
    const embed = await loadEmbed();
    if (this._disposed || drawn !== this._drawn) {
      return;
    }
    const isLight = this._theme.isLight;
    if (typeof spec === 'function') {
      spec = spec(isLight);
    }
    const config = { ...themeConfig(isLight), ...((spec.config as Record<string, unknown>) ?? {}) };
    const target = document.createElement('div');
    const result = await embed(target, { ...spec, config } as any, { actions: false, renderer: 'svg' });
    if (this._disposed || drawn !== this._drawn) {
      result.finalize();
      return;
    }
    this._result?.finalize();
    this._result = result;
    this.node.replaceChildren(target);
    this.node.dataset.theme = isLight ? 'light' : 'dark';
  }

  dispose(): void {
    this._disposed = true;
    this._theme.changed.disconnect(this._redraw, this);
    this._result?.finalize();
    this._result = null;
  }

  private _redraw(): void {
    if (this._spec) {
      void this.draw(this._spec);
    }
  }

  private _spec: ChartSpec | null = null;
  private _drawn = 0;
  private _disposed = false;
  private _result: { finalize(): void } | null = null;
}
