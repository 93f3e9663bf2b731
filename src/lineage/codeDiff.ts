/**
 * A run's code: read-only, in JupyterLab's editor theme (light and dark). Side
 * by side against another run's code (CodeMirror's merge view, unchanged
 * stretches folded) when there is one to compare with; otherwise simply the
 * code, unfolded: a first run has nothing to compare to.
 */
import { MergeView } from '@codemirror/merge';
import { EditorState, Extension } from '@codemirror/state';
import { EditorView, lineNumbers } from '@codemirror/view';
import { jupyterHighlightStyle, jupyterTheme } from '@jupyterlab/codemirror';
import { syntaxHighlighting } from '@codemirror/language';
import { expandIcon } from '@jupyterlab/ui-components';
import { Widget } from '@lumino/widgets';

/**
 * The merge view marks folded lines with a font glyph (⦚) the default fonts
 * lack (an empty box): JupyterLab's expand icon instead (CSS hides the glyph).
 */
const foldIcons = EditorView.updateListener.of(update => {
  for (const node of Array.from(update.view.dom.querySelectorAll('.cm-collapsedLines:not([data-icon])'))) {
    const element = node as HTMLElement;
    element.dataset.icon = 'expand';
    element.prepend(expandIcon.element({ tag: 'span', className: 'jp-Plumbline-foldIcon', elementSize: 'small' }));
  }
});

function readOnly(language: Extension | null): Extension[] {
  return [
    lineNumbers(),
    language ?? [],
    syntaxHighlighting(jupyterHighlightStyle),
    jupyterTheme,
    EditorView.editable.of(false),
    EditorState.readOnly.of(true),
    EditorView.lineWrapping,
    foldIcons
  ];
}

export class CodeDiff extends Widget {
  /**
   * @param language - Python highlighting from JupyterLab's language registry
   * (shared, loaded once), or null for plain text.
   */
  constructor(private readonly _language: Promise<Extension | null>) {
    super();
    this.addClass('jp-Plumbline-diff');
  }

  /** Show `after` against `before` (left); null: nothing to compare with, the code alone. */
  async setCode(before: string | null, after: string): Promise<void> {
    const language = await this._language;
    if (this.isDisposed) {
      return;
    }
    this._destroy();
    this.node.replaceChildren();
    if (before === null) {
      this._view = new EditorView({ doc: after, extensions: readOnly(language), parent: this.node });
      this.node.dataset.mode = 'code';
      this.node.dataset.changed = 'false';
      return;
    }
    this._merge = new MergeView({
      a: { doc: before, extensions: readOnly(language) },
      b: { doc: after, extensions: readOnly(language) },
      parent: this.node,
      collapseUnchanged: { margin: 3, minSize: 6 },
      gutter: true
    });
    // The fold markers of the first render (the listener sees later updates).
    for (const view of [this._merge.a, this._merge.b]) {
      view.dispatch({});
    }
    this.node.dataset.mode = 'diff';
    this.node.dataset.changed = before === after ? 'false' : 'true';
  }

  dispose(): void {
    this._destroy();
    super.dispose();
  }

  private _destroy(): void {
    this._merge?.destroy();
    this._merge = null;
    this._view?.destroy();
    this._view = null;
  }

  private _merge: MergeView | null = null;
  private _view: EditorView | null = null;
}
