/**
 * One click from "pipeline out of date": the code the pipeline runs against the
 * notebook's cells (the lineage views' CodeMirror merge view), and Update, which
 * recompiles the pipeline from the notebook as the editor has it.
 */
import { Extension } from '@codemirror/state';
import { Notification } from '@jupyterlab/apputils';
import type { TranslationBundle } from '@jupyterlab/translation';
import { Panel, Widget } from '@lumino/widgets';

import { CodeDiff } from '../lineage/codeDiff';
import { el } from '../ui/dom';
import { fetchDiff, ICodeChange, IDiff, problemsOf, updatePipeline } from './api';
import { ISubmitBody, SubmitDialog } from './submitDialog';

class DiffBody extends Panel implements ISubmitBody {
  constructor(
    private readonly _name: string,
    diff: IDiff,
    private readonly _content: (() => unknown) | null,
    language: Promise<Extension | null>,
    private readonly _trans: TranslationBundle
  ) {
    super();
    const trans = _trans;
    this.addClass('jp-Plumbline-pipelineDiff');
    const groups: [string, ICodeChange[]][] = [
      ...diff.tasks.map(t => [trans.__('task %1', t.task), t.changes] as [string, ICodeChange[]]),
      [trans.__('prelude (every task)'), diff.prelude],
      [trans.__('new cells in the promoted range'), diff.added]
    ];
    const intro = new Widget({
      node: el(
        'p',
        'jp-Plumbline-hint',
        diff.out_of_date
          ? trans.__('Left: what pipeline %1 runs. Right: the notebook now. Update recompiles the pipeline from the notebook and keeps its schedule and settings; its runs stay.', _name)
          : trans.__('Pipeline %1 matches the notebook.', _name)
      )
    });
    this.addWidget(intro);
    for (const [title, changes] of groups) {
      for (const change of changes) {
        const label = change.change === 'deleted'
          ? trans.__('%1 · cell %2 was deleted from the notebook', title, change.index)
          : change.change === 'added'
            ? trans.__('%1 · cell %2 is new', title, change.index)
            : trans.__('%1 · cell %2 changed', title, change.index);
        const heading = new Widget({ node: el('h3', 'jp-Plumbline-sectionTitle', label) });
        heading.node.dataset.cellId = change.cell_id;
        this.addWidget(heading);
        const view = new CodeDiff(language);
        view.addClass('jp-Plumbline-pipelineCodeDiff');
        void view.setCode(change.pipeline_code ?? '', change.notebook_code ?? '');
        this.addWidget(view);
      }
    }
    this._status.className = 'jp-Plumbline-previewStatus';
    this.addWidget(new Widget({ node: this._status }));
  }

  result: { changed_tasks: string[] } | null = null;
  blockedChanged?: (blocked: boolean) => void;

  async submit(): Promise<boolean> {
    const trans = this._trans;
    this._status.textContent = trans.__('Updating…');
    try {
      this.result = await updatePipeline(this._name, this._content?.());
      return true;
    } catch (error) {
      const problems = problemsOf(error).filter(p => p.severity === 'error');
      this._status.textContent = trans.__('Not updated: %1', (error as Error).message) +
        (problems.length ? ' ' + problems.map(p => `${p.message} ${p.fix}`).join(' ') : '');
      this._status.dataset.state = 'error';
      return false;
    }
  }

  private _status = el('div');
}

/** Show the diff of a pipeline against its notebook; true when the pipeline was updated. */
export async function showPipelineDiff(options: {
  name: string;
  /** The notebook's content as edited (null: the notebook is not open; the saved file is compared). */
  content: (() => unknown) | null;
  language: Promise<Extension | null>;
  trans: TranslationBundle;
}): Promise<boolean> {
  const { name, content, language, trans } = options;
  let diff: IDiff;
  try {
    diff = await fetchDiff(name, content ? content() : undefined);
  } catch (error) {
    Notification.error(trans.__('Could not compare pipeline %1 with its notebook: %2', name, (error as Error).message), { autoClose: 8000 });
    return false;
  }
  const body = new DiffBody(name, diff, content, language, trans);
  const dialog = new SubmitDialog(body, {
    title: trans.__('Pipeline %1 against its notebook', name),
    cancel: trans.__('Close'),
    accept: trans.__('Update Pipeline'),
    className: 'jp-Plumbline-pipelineDiffDialog'
  });
  if (!diff.out_of_date) {
    body.blockedChanged?.(true);
  }
  if (!(await dialog.run())) {
    return false;
  }
  const changed = body.result?.changed_tasks ?? [];
  Notification.success(
    changed.length
      ? trans.__('Pipeline %1 updated: %2 changed.', name, changed.join(', '))
      : trans.__('Pipeline %1 updated.', name),
    { autoClose: 5000 }
  );
  return true;
}
