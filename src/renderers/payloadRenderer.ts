/**
 * What every Plumbline MIME renderer does around its view: read the payload,
 * draw it, and when the payload cannot be read (a newer or broken bundle), say
 * why and still show the bundle's text summary. The drift and monitor
 * renderers supply the parse and the view.
 */
import type { IRenderMime } from '@jupyterlab/rendermime-interfaces';
import { nullTranslator, TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import { ChartTheme } from '../charts/vega';
import { el } from '../ui/dom';

/** One theme watcher for every rendered panel (a MIME extension gets no theme manager). */
let sharedTheme: ChartTheme | null = null;

export interface IPayloadView {
  readonly node: HTMLElement;
  dispose(): void;
}

export abstract class PayloadRenderer<V extends IPayloadView> extends Widget implements IRenderMime.IRenderer {
  /** `kind` names the CSS classes: jp-Plumbline-<kind>Output, -<kind>Error, -<kind>Text. */
  constructor(options: IRenderMime.IRendererOptions, private readonly _kind: string, theme?: ChartTheme) {
    super();
    this._mimeType = options.mimeType;
    this.trans = (options.translator ?? nullTranslator).load('jupyterlab_plumbline');
    this.theme = theme ?? (sharedTheme ??= new ChartTheme(null));
    this.addClass(`jp-Plumbline-${_kind}Output`);
  }

  /** The view of `data`; throws a payload error (see `isPayloadError`) when it cannot be read. */
  protected abstract draw(data: unknown, previous: V | null): V;

  protected abstract isPayloadError(error: unknown): error is Error;

  async renderModel(model: IRenderMime.IMimeModel): Promise<void> {
    const previous = this.view;
    this.view = null;
    try {
      this.view = this.draw(model.data[this._mimeType], previous);
      this.node.replaceChildren(this.view.node);
    } catch (error) {
      if (!this.isPayloadError(error)) {
        throw error;
      }
      // Say what is wrong, and still show what the bundle says in words.
      const text = model.data['text/plain'];
      this.node.replaceChildren(
        el('div', `jp-Plumbline-${this._kind}Error`, error.message),
        ...(typeof text === 'string' ? [el('pre', `jp-Plumbline-${this._kind}Text`, text)] : [])
      );
    } finally {
      previous?.dispose();
    }
  }

  dispose(): void {
    this.view?.dispose();
    this.view = null;
    super.dispose();
  }

  protected readonly trans: TranslationBundle;
  protected readonly theme: ChartTheme;
  protected view: V | null = null;
  private _mimeType: string;
}
