/**
 * The run inspector: one run's inputs and outputs (with the run that produced
 * each input), its code against the previous run of the same cell or any
 * other run, git commit, duration, status, error, checks and notes.
 */
import { InputDialog, Notification } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Extension } from '@codemirror/state';
import { CommandRegistry } from '@lumino/commands';
import { Panel, Widget } from '@lumino/widgets';

import { saveFlag, saveRunNote } from '../api/client';
import { fileIcon } from '@jupyterlab/ui-components';

import { checksOfRun } from '../queries/checks';
import {
  codeOfRun,
  componentOfRun,
  ioOfRun,
  IValueRow,
  previousRun,
  runRefs
} from '../queries/lineage';
import { IRunRow, runById } from '../queries/runs';
import { ReplicaSync } from '../replica/sync';
import { formatBytes, formatDuration, formatShape, shortType } from '../ui/format';
import { CommandIDs } from '../tokens';
import { CodeDiff } from './codeDiff';
import { button, el, link, table } from '../ui/dom';

export interface IInspectorOptions {
  sync: ReplicaSync;
  commands: CommandRegistry;
  trans: TranslationBundle;
  runId: string;
  /** Python highlighting for the code diff (null: plain text). */
  language: Promise<Extension | null>;
}

export class RunInspector extends Panel {
  constructor(private readonly _options: IInspectorOptions) {
    super();
    this._diff = new CodeDiff(_options.language);
    this.addClass('jp-Plumbline-inspector');
    this.title.label = _options.trans.__('Run %1', _options.runId.slice(0, 8));
    this.title.closable = true;
    this.node.dataset.runId = _options.runId;

    this._summary.addClass('jp-Plumbline-inspectorSummary');
    this._io.addClass('jp-Plumbline-inspectorIO');
    this._codeHeader.addClass('jp-Plumbline-inspectorCodeHeader');
    this._notes.addClass('jp-Plumbline-inspectorNotes');
    for (const widget of [this._summary, this._io, this._codeHeader, this._diff, this._notes]) {
      this.addWidget(widget);
    }
    this._buildNotes();
    _options.sync.changed.connect(this._render, this);
    this._render();
  }

  get runId(): string {
    return this._options.runId;
  }

  /** Compare this run's code with another run's (null: the previous run of the same cell). */
  compareWith(runId: string | null): void {
    this._compareWith = runId;
    this._renderCode(true);
  }

  dispose(): void {
    this._options.sync.changed.disconnect(this._render, this);
    super.dispose();
  }

  private _render(): void {
    const replica = this._options.sync.replica;
    const trans = this._options.trans;
    if (!replica) {
      this._summary.node.replaceChildren(el('p', 'jp-Plumbline-message', trans.__('Loading the lineage store…')));
      return;
    }
    const run = runById(replica.db, this._options.runId);
    if (!run) {
      this._summary.node.replaceChildren(
        el('p', 'jp-Plumbline-message jp-mod-error', trans.__('No run %1 in the lineage store.', this._options.runId))
      );
      return;
    }
    this._run = run;
    this._renderSummary(run);
    this._renderIO();
    this._renderCode(false);
    if (document.activeElement !== this._noteInput && !this._noteDirty) {
      this._noteInput.value = run.notes ?? '';
    }
  }

  private _renderSummary(run: IRunRow): void {
    const { trans, commands } = this._options;
    const title = el(
      'h2',
      'jp-Plumbline-inspectorTitle',
      run.componentName ? trans.__('%1 · run %2', run.componentName, run.id.slice(0, 8)) : trans.__('Run %1', run.id.slice(0, 8))
    );
    const status = el('span', `jp-Plumbline-status jp-mod-${run.status}`, run.status);
    const component = componentOfRun(this._options.sync.replica!.db, run.id);
    const facts: [string, string][] = [
      ...(component?.owner ? [[trans.__('Owner'), component.owner] as [string, string]] : []),
      ...(component?.description ? [[trans.__('Description'), component.description] as [string, string]] : []),
      [trans.__('Notebook'), run.notebookPath ?? ''],
      [trans.__('Started'), new Date(run.startedAt * 1000).toLocaleString()],
      [trans.__('Duration'), formatDuration(run.durationMs, trans)],
      [trans.__('Execution count'), run.executionCount === null ? '' : String(run.executionCount)],
      [
        trans.__('Git commit'),
        run.gitCommit ? run.gitCommit.slice(0, 12) + (run.gitDirty ? trans.__(' (uncommitted changes)') : '') : trans.__('not a git repository')
      ],
      [trans.__('Checks'), run.checks.total ? trans.__('%1 of %2 passed', run.checks.passed, run.checks.total) : trans.__('none')]
    ];
    const list = el('dl', 'jp-Plumbline-facts');
    for (const [key, value] of facts) {
      const dd = el('dd', '', value);
      dd.dataset.fact = key;
      list.append(el('dt', '', key), dd);
    }
    const actions = el('div', 'jp-Plumbline-actions');
    if (run.cellId && run.notebookPath) {
      const { cellId, notebookPath } = run;
      actions.append(
        button(trans.__('Go to cell'), () => void commands.execute(CommandIDs.revealCell, { notebookPath, cellId }))
      );
    }
    if (run.componentName && run.notebookPath) {
      const { componentName, notebookPath } = run;
      actions.append(
        button(trans.__('Component history'), () =>
          void commands.execute(CommandIDs.componentHistory, { notebookPath, component: componentName })
        )
      );
    }
    const children: Node[] = [el('div', 'jp-Plumbline-inspectorHead', title, status), list, actions];
    if (run.errorName) {
      children.push(el('pre', 'jp-Plumbline-error', `${run.errorName}: ${run.errorValue ?? ''}`));
    }
    const checks = checksOfRun(this._options.sync.replica!.db, run.id);
    if (checks.length) {
      // Every check with its message: a passing check says what it found, too.
      const items = el('ul', 'jp-Plumbline-checkList');
      for (const check of checks) {
        const item = el(
          'li',
          `jp-Plumbline-checkItem jp-mod-${check.status}`,
          el('span', `jp-Plumbline-status jp-mod-${check.status === 'pass' ? 'ok' : 'error'}`, check.status),
          el('span', 'jp-Plumbline-checkName', ` ${check.name} (${check.when}) `),
          el('span', 'jp-Plumbline-checkMessage', check.message || (check.status === 'pass' ? trans.__('passed') : ''))
        );
        item.dataset.status = check.status;
        items.append(item);
      }
      children.push(items);
    }
    this._summary.node.replaceChildren(...children);
  }

  private _renderIO(): void {
    const replica = this._options.sync.replica!;
    const { trans } = this._options;
    const { inputs, outputs } = ioOfRun(replica.db, this._options.runId);
    const inputRows = inputs.map(io => ({
      cells: [
        this._nameCell(io),
        shortType(io.type),
        formatShape(io.shape),
        this._hashCell(io),
        io.sourceRunId ? this._runLink(io) : el('span', 'jp-Plumbline-external', trans.__('from outside')),
        this._traceButtons(io, false)
      ],
      attrs: { 'data-io-id': io.id, 'data-name': io.name }
    }));
    const outputRows = outputs.map(io => ({
      cells: [
        this._nameCell(io),
        io.how,
        shortType(io.type),
        formatShape(io.shape),
        this._hashCell(io),
        io.artifactHash ? trans.__('saved') : io.artifactNote ?? '',
        this._traceButtons(io, true)
      ],
      attrs: { 'data-io-id': io.id, 'data-name': io.name, 'data-flagged': String(io.flagged) }
    }));
    const children: Node[] = [el('h3', '', trans.__('Inputs (%1)', inputs.length))];
    children.push(
      inputs.length
        ? table('jp-Plumbline-inputs', [trans.__('Name'), trans.__('Type'), trans.__('Shape'), trans.__('Fingerprint'), trans.__('Produced by'), ''], inputRows)
        : el('p', 'jp-Plumbline-hint', trans.__('This run read no recorded value or file.'))
    );
    children.push(el('h3', '', trans.__('Outputs (%1)', outputs.length)));
    children.push(
      outputs.length
        ? table('jp-Plumbline-outputs', [trans.__('Name'), trans.__('How'), trans.__('Type'), trans.__('Shape'), trans.__('Fingerprint'), trans.__('Saved copy'), ''], outputRows)
        : el('p', 'jp-Plumbline-hint', trans.__('This run wrote no value or file.'))
    );
    this._io.node.replaceChildren(...children);
  }

  private _nameCell(io: IValueRow): HTMLElement {
    const node = el('span', `jp-Plumbline-ioName jp-mod-${io.kind}`);
    if (io.kind === 'file') {
      node.append(fileIcon.element({ tag: 'span', className: 'jp-Plumbline-fileIcon', elementSize: 'small' }));
    }
    node.append(io.name);
    const columns = io.columns?.map(([name, dtype]) => `${name}: ${dtype}`).join('\n');
    node.title = [io.kind === 'file' ? this._options.trans.__('file') : '', io.type ?? '', columns ?? '', formatBytes(io.sizeBytes)]
      .filter(Boolean)
      .join('\n');
    return node;
  }

  private _hashCell(io: IValueRow): HTMLElement {
    const node = el('code', 'jp-Plumbline-hash', io.valueHash ? io.valueHash.slice(0, 10) : '—');
    node.title = `${io.valueHash ?? ''}\n${io.strategy ?? ''}`.trim();
    return node;
  }

  private _runLink(io: IValueRow): HTMLElement {
    const { trans, commands } = this._options;
    const label = io.sourceComponent
      ? trans.__('%1 (%2)', io.sourceComponent, io.sourceRunId!.slice(0, 8))
      : trans.__('run %1', io.sourceRunId!.slice(0, 8));
    const node = link(label, () => void commands.execute(CommandIDs.inspectRun, { runId: io.sourceRunId! }), 'jp-Plumbline-producer');
    if (io.sourceNotebook) {
      node.title = io.sourceNotebook;
    }
    return node;
  }

  private _traceButtons(io: IValueRow, isOutput: boolean): HTMLElement {
    const { trans, commands } = this._options;
    const cell = el('span', 'jp-Plumbline-ioActions');
    cell.append(
      button('↑', () => void commands.execute(CommandIDs.trace, { ioId: io.id, direction: 'upstream' }), {
        title: trans.__('Trace %1 back to its sources', io.name),
        className: 'jp-Plumbline-traceUp'
      })
    );
    if (isOutput) {
      cell.append(
        button('↓', () => void commands.execute(CommandIDs.trace, { ioId: io.id, direction: 'downstream' }), {
          title: trans.__('What used %1 downstream', io.name),
          className: 'jp-Plumbline-traceDown'
        }),
        button(io.flagged ? trans.__('Unflag') : trans.__('Flag'), () => void this._flag(io), {
          title: io.flagged
            ? trans.__('Clear the flag on %1', io.name)
            : trans.__('Flag %1 as wrong; Review ranks the runs that flagged outputs share', io.name),
          className: io.flagged ? 'jp-Plumbline-unflag' : 'jp-Plumbline-flag'
        })
      );
    }
    return cell;
  }

  private async _flag(io: IValueRow): Promise<void> {
    const { trans, sync } = this._options;
    let note: string | undefined;
    if (!io.flagged) {
      // The note is what review shows next to the flag: what looked wrong.
      const answer = await InputDialog.getText({
        title: trans.__('Flag %1 as wrong', io.name),
        label: trans.__('What is wrong with it? (optional)'),
        placeholder: trans.__('e.g. negative totals for March'),
        okLabel: trans.__('Flag')
      });
      if (!answer.button.accept) {
        return;
      }
      note = answer.value?.trim() || undefined;
    }
    try {
      await saveFlag(io.id, !io.flagged, note);
    } catch (error) {
      Notification.error(trans.__('Could not flag %1: %2', io.name, (error as Error).message), { autoClose: 8000 });
      return;
    }
    await sync.refresh().catch(() => undefined); // a failure is reported by the sync
  }

  /** The code diff; rebuilt only when the compared pair changed (it keeps its scroll). */
  private _renderCode(force: boolean): void {
    const replica = this._options.sync.replica;
    if (!replica || !this._run) {
      return;
    }
    const { trans } = this._options;
    const other = this._compareWith ?? previousRun(replica.db, this._options.runId);
    const key = `${other ?? ''}`;
    if (!force && key === this._shownPair) {
      return;
    }
    this._shownPair = key;
    const code = codeOfRun(replica.db, this._options.runId) ?? '';
    const otherCode = other ? codeOfRun(replica.db, other) ?? '' : null;

    const picker = el('select', 'jp-mod-styled jp-Plumbline-comparePicker');
    picker.setAttribute('aria-label', trans.__('Compare the code with'));
    const previous = previousRun(replica.db, this._options.runId);
    const options: [string, string][] = [['', previous ? trans.__('the previous run of this cell') : trans.__('nothing (no earlier run)')]];
    for (const ref of runRefs(replica.db, { limit: 300 })) {
      if (ref.id === this._options.runId) {
        continue;
      }
      const when = new Date(ref.startedAt * 1000).toLocaleString();
      const label = [ref.notebookPath ?? '', ref.componentName ?? '', `[${ref.executionCount ?? ' '}]`, ref.codePreview, when]
        .filter(Boolean)
        .join(' · ');
      options.push([ref.id, label.length > 110 ? label.slice(0, 109) + '…' : label]);
    }
    for (const [value, label] of options) {
      const option = el('option', '', label);
      option.value = value;
      option.selected = value === (this._compareWith ?? '');
      picker.append(option);
    }
    picker.addEventListener('change', () => this.compareWith(picker.value || null));

    const header: Node[] = [el('h3', '', trans.__('Code')), el('label', 'jp-Plumbline-compare', trans.__('compared with '), picker)];
    if (other) {
      header.push(
        el('span', 'jp-Plumbline-hint', otherCode === code ? trans.__('identical code') : trans.__('left: run %1 · right: this run', other.slice(0, 8)))
      );
    }
    this._codeHeader.node.replaceChildren(...header);
    // Nothing to compare with (a first run), or the same code: the code itself, unfolded.
    void this._diff.setCode(otherCode === null || otherCode === code ? null : otherCode, code);
    this._diff.node.dataset.compareWith = other ?? '';
  }

  private _buildNotes(): void {
    const { trans } = this._options;
    this._noteInput.className = 'jp-mod-styled jp-Plumbline-noteInput';
    this._noteInput.rows = 3;
    this._noteInput.placeholder = trans.__('Why this run matters, what was wrong with it…');
    this._noteInput.setAttribute('aria-label', trans.__('Note on this run'));
    this._noteInput.addEventListener('input', () => (this._noteDirty = true));
    const save = button(trans.__('Save note'), () => void this._saveNote(), { className: 'jp-Plumbline-saveNote' });
    this._notes.node.append(el('h3', '', trans.__('Notes')), this._noteInput, save);
  }

  private async _saveNote(): Promise<void> {
    const { trans, sync } = this._options;
    try {
      await saveRunNote(this._options.runId, this._noteInput.value);
    } catch (error) {
      Notification.error(trans.__('Could not save the note: %1', (error as Error).message), { autoClose: 8000 });
      return;
    }
    this._noteDirty = false;
    Notification.success(trans.__('Note saved.'), { autoClose: 2000 });
    await sync.refresh().catch(() => undefined); // a failure is reported by the sync
  }

  private _run: IRunRow | null = null;
  private _compareWith: string | null = null;
  private _shownPair: string | null = null;
  private _noteDirty = false;
  private _noteInput = document.createElement('textarea');
  private _summary = new Widget();
  private _io = new Widget();
  private _codeHeader = new Widget();
  private _diff: CodeDiff;
  private _notes = new Widget();
}
