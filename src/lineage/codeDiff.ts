/**
 * A read-only side-by-side diff of two runs' code: CodeMirror's merge view
 * with JupyterLab's editor theme, so it follows the light and dark themes.
 */
import { MergeView } from '@codemirror/merge';
import { EditorState, Extension } from '@codemirror/state';
import { EditorView, lineNumbers } from '@codemirror/view';
import { jupyterHighlightStyle, jupyterTheme } from '@jupyterlab/codemirror';
import { syntaxHighlighting } from '@codemirror/language';
import { Widget } from '@lumino/widgets';

function readOnly(language: Extension | null): Extension[] {
  return [
    lineNumbers(),
    language ?? [],
    syntaxHighlighting(jupyterHighlightStyle),
    jupyterTheme,
    EditorView.editable.of(false),
    EditorState.readOnly.of(true),
    EditorView.lineWrapping
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

  /** Show `before` (left) against `after` (right). */
  async setCode(before: string, after: string): Promise<void> {
    const language = await this._language;
    if (this.isDisposed) {
      return;
    }
    this._view?.destroy();
    this.node.replaceChildren();
    this._view = new MergeView({
      a: { doc: before, extensions: readOnly(language) },
      b: { doc: after, extensions: readOnly(language) },
      parent: this.node,
      collapseUnchanged: { margin: 3, minSize: 6 },
      gutter: true
    });
    this.node.dataset.changed = before === after ? 'false' : 'true';
  }

  dispose(): void {
    this._view?.destroy();
    this._view = null;
    super.dispose();
  }

  private _view: MergeView | null = null;
}
