/**
 * The component dialog: name, owner, description, tags and checks of the
 * selected cells. Invalid input re-opens the dialog with the message next to
 * what is wrong, keeping everything the user typed.
 */
import { Dialog, showDialog } from '@jupyterlab/apputils';
import { TranslationBundle } from '@jupyterlab/translation';
import { Widget } from '@lumino/widgets';

import type { ICheckInfo } from '../api/client';
import { CheckWhen, ICheckSpec, IComponentDefinition, OnFail } from './model';

export interface IDialogOptions {
  title: string;
  initial: IComponentDefinition;
  catalog: ICheckInfo[];
  /** Why a name can't be used, or null. */
  validateName: (name: string) => string | null;
  trans: TranslationBundle;
}

/** Show the dialog until the input is valid or the user cancels. */
export async function editComponent(options: IDialogOptions): Promise<IComponentDefinition | null> {
  let draft: IDraft = draftOf(options.initial);
  let error: { field: string; message: string } | null = null;
  for (;;) {
    const body = new ComponentForm(draft, options, error);
    const result = await showDialog({
      title: options.title,
      body,
      buttons: [
        Dialog.cancelButton({ label: options.trans.__('Cancel') }),
        Dialog.okButton({ label: options.trans.__('Save') })
      ],
      focusNodeSelector: 'input[name="component"]'
    });
    if (!result.button.accept || result.value === null) {
      return null;
    }
    draft = result.value;
    const checked = validate(draft, options);
    if ('definition' in checked) {
      return checked.definition;
    }
    error = checked.error;
  }
}

interface ICheckDraft {
  id: string;
  check: string;
  when: CheckWhen;
  on_fail: OnFail;
  args: string;
  params: string;
}

interface IDraft {
  component: string;
  owner: string;
  description: string;
  tags: string;
  materialize: boolean;
  checks: ICheckDraft[];
}

function draftOf(definition: IComponentDefinition): IDraft {
  return {
    component: definition.component,
    owner: definition.owner ?? '',
    description: definition.description ?? '',
    tags: (definition.tags ?? []).join(', '),
    materialize: definition.materialize ?? false,
    checks: (definition.checks ?? []).map(spec => ({
      id: spec.id,
      check: spec.check,
      when: spec.when,
      on_fail: spec.on_fail,
      args: spec.args.join(', '),
      params: JSON.stringify(spec.params, null, 1)
    }))
  };
}

function validate(
  draft: IDraft,
  options: IDialogOptions
): { definition: IComponentDefinition } | { error: { field: string; message: string } } {
  const trans = options.trans;
  const name = draft.component.trim();
  const nameProblem = options.validateName(name);
  if (nameProblem) {
    return { error: { field: 'component', message: nameProblem } };
  }
  const checks: ICheckSpec[] = [];
  for (const [index, check] of draft.checks.entries()) {
    const field = `check-${index}`;
    const args = check.args.split(',').map(a => a.trim()).filter(a => a.length > 0);
    const badArg = args.find(a => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(a));
    if (badArg !== undefined) {
      return { error: { field, message: trans.__('"%1" is not a variable name. List the notebook variables the check receives, separated by commas.', badArg) } };
    }
    const info = options.catalog.find(c => c.name === check.check);
    const optional = info?.optional_args ?? [];
    if (info && (args.length < info.args.length || args.length > info.args.length + optional.length)) {
      const expected = info.args.join(', ') + (optional.length ? ` [, ${optional.join(', ')}]` : '');
      return { error: { field, message: trans.__('%1 receives the variables: %2.', check.check, expected) } };
    }
    let params: unknown;
    try {
      params = JSON.parse(check.params || '{}');
    } catch (e) {
      return { error: { field, message: trans.__('The parameters of %1 are not valid JSON: %2', check.check, (e as Error).message) } };
    }
    if (typeof params !== 'object' || params === null || Array.isArray(params)) {
      return { error: { field, message: trans.__('The parameters of %1 must be a JSON object, like {"max_fraction": 0.1}.', check.check) } };
    }
    checks.push({
      id: check.id,
      check: check.check,
      when: check.when,
      on_fail: check.on_fail,
      args,
      params: params as { [key: string]: unknown }
    });
  }
  return {
    definition: {
      component: name,
      owner: draft.owner.trim(),
      description: draft.description.trim(),
      tags: draft.tags.split(',').map(t => t.trim()).filter(t => t.length > 0),
      materialize: draft.materialize,
      checks
    }
  };
}

class ComponentForm extends Widget implements Dialog.IBodyWidget<IDraft> {
  constructor(
    draft: IDraft,
    private readonly _options: IDialogOptions,
    error: { field: string; message: string } | null
  ) {
    super();
    const trans = _options.trans;
    this.addClass('jp-Plumbline-componentForm');
    this._fields = {
      component: this._input('component', trans.__('Name'), draft.component, trans.__('A Python identifier, unique in the notebook')),
      owner: this._input('owner', trans.__('Owner'), draft.owner, trans.__('Who answers for this component')),
      description: this._input('description', trans.__('Description'), draft.description, '', true),
      tags: this._input('tags', trans.__('Tags'), draft.tags, trans.__('Comma-separated, e.g. cleaning, daily'))
    };
    if (error?.field === 'component') {
      this._error(this._fields.component.parentElement!, error.message);
    }
    this._materialize.type = 'checkbox';
    this._materialize.name = 'materialize';
    this._materialize.checked = draft.materialize;
    const materialize = document.createElement('label');
    materialize.className = 'jp-Plumbline-field jp-Plumbline-materialize';
    materialize.title = trans.__('Keep a copy of every output under .plumbline/artifacts/ (Parquet, .npy, joblib), deduplicated by content, so plumbline.load(run, name) gets an old version back.');
    materialize.append(this._materialize, document.createTextNode(' ' + trans.__('Materialize outputs (keep a copy of each version)')));
    this.node.append(materialize);

    const checksTitle = document.createElement('h3');
    checksTitle.textContent = trans.__('Checks');
    const hint = document.createElement('p');
    hint.className = 'jp-Plumbline-hint';
    hint.textContent = trans.__(
      'Before-checks run on the inputs before the first cell; after-checks on the outputs after the last. A blocking before-check stops the cell. Checks receive notebook variables by name.'
    );
    this._checks.className = 'jp-Plumbline-checks';
    const add = document.createElement('div');
    add.className = 'jp-Plumbline-addCheck';
    this._picker.className = 'jp-mod-styled';
    this._picker.setAttribute('aria-label', trans.__('Check to add'));
    for (const info of _options.catalog) {
      const option = document.createElement('option');
      option.value = info.name;
      option.textContent = info.title;
      option.title = info.description;
      this._picker.append(option);
    }
    const addButton = document.createElement('button');
    addButton.className = 'jp-mod-styled jp-Plumbline-addCheckButton';
    addButton.type = 'button';
    addButton.textContent = trans.__('Add check');
    addButton.addEventListener('click', () => this._addCheck(this._newCheck(this._picker.value)));
    add.append(this._picker, addButton);
    this.node.append(checksTitle, hint, this._checks, add);

    draft.checks.forEach((check, index) => {
      const row = this._addCheck(check);
      if (error?.field === `check-${index}`) {
        this._error(row, error.message);
      }
    });
  }

  getValue(): IDraft {
    return {
      component: this._fields.component.value,
      owner: this._fields.owner.value,
      description: this._fields.description.value,
      tags: this._fields.tags.value,
      materialize: this._materialize.checked,
      checks: Array.from(this._checks.children).map(row => {
        const get = (name: string) =>
          (row.querySelector(`[name="${name}"]`) as HTMLInputElement | HTMLSelectElement).value;
        return {
          id: (row as HTMLElement).dataset.id!,
          check: (row as HTMLElement).dataset.check!,
          when: get('when') as CheckWhen,
          on_fail: get('on_fail') as OnFail,
          args: get('args'),
          params: get('params')
        };
      })
    };
  }

  private _newCheck(name: string): ICheckDraft {
    const info = this._options.catalog.find(c => c.name === name);
    const defaults: { [key: string]: unknown } = {};
    for (const [key, schema] of Object.entries(info?.params.properties ?? {})) {
      if (schema.default !== undefined) {
        defaults[key] = schema.default;
      }
    }
    const taken = new Set(Array.from(this._checks.children).map(r => (r as HTMLElement).dataset.id));
    let n = 1;
    while (taken.has(`${name}-${n}`)) {
      n++;
    }
    return {
      id: `${name}-${n}`,
      check: name,
      when: info?.default_when ?? 'before',
      on_fail: 'warn',
      args: (info?.args ?? []).join(', '),
      params: JSON.stringify(defaults, null, 1)
    };
  }

  private _addCheck(check: ICheckDraft): HTMLElement {
    const trans = this._options.trans;
    const info = this._options.catalog.find(c => c.name === check.check);
    const row = document.createElement('fieldset');
    row.className = 'jp-Plumbline-check';
    row.dataset.id = check.id;
    row.dataset.check = check.check;
    const legend = document.createElement('legend');
    legend.textContent = info ? `${info.title} (${check.id})` : check.id;
    legend.title = info?.description ?? '';
    const when = this._select('when', trans.__('When'), check.when, [
      ['before', trans.__('before the cell')],
      ['after', trans.__('after the cell')]
    ]);
    const onFail = this._select('on_fail', trans.__('On failure'), check.on_fail, [
      ['warn', trans.__('warn')],
      ['block', trans.__('block the cell')]
    ]);
    const args = this._labelled('args', trans.__('Variables'), Object.assign(document.createElement('input'), {
      className: 'jp-mod-styled',
      value: check.args,
      placeholder: (info?.args ?? []).join(', ')
    }));
    const params = document.createElement('textarea');
    params.className = 'jp-mod-styled';
    params.rows = Math.min(8, Math.max(2, check.params.split('\n').length));
    params.value = check.params;
    params.title = Object.entries(info?.params.properties ?? {})
      .map(([key, schema]) => `${key}: ${schema.description ?? ''}`)
      .join('\n');
    const paramsLabel = this._labelled('params', trans.__('Parameters (JSON)'), params);
    const remove = document.createElement('button');
    remove.type = 'button';
    remove.className = 'jp-mod-styled jp-mod-warn jp-Plumbline-removeCheck';
    remove.textContent = trans.__('Remove');
    remove.addEventListener('click', () => row.remove());
    row.append(legend, when, onFail, args, paramsLabel, remove);
    this._checks.append(row);
    return row;
  }

  private _input(name: string, label: string, value: string, placeholder: string, multiline = false): HTMLInputElement {
    const input = multiline ? document.createElement('textarea') : document.createElement('input');
    input.className = 'jp-mod-styled';
    input.value = value;
    input.placeholder = placeholder;
    this.node.append(this._labelled(name, label, input));
    return input as HTMLInputElement;
  }

  private _select(name: string, label: string, value: string, options: [string, string][]): HTMLElement {
    const select = document.createElement('select');
    select.className = 'jp-mod-styled';
    for (const [key, text] of options) {
      const option = document.createElement('option');
      option.value = key;
      option.textContent = text;
      option.selected = key === value;
      select.append(option);
    }
    return this._labelled(name, label, select);
  }

  private _labelled(name: string, text: string, control: HTMLElement): HTMLElement {
    const label = document.createElement('label');
    label.className = 'jp-Plumbline-field';
    const caption = document.createElement('span');
    caption.textContent = text;
    control.setAttribute('name', name);
    label.append(caption, control);
    return label;
  }

  private _error(near: HTMLElement, message: string): void {
    const error = document.createElement('div');
    error.className = 'jp-Plumbline-formError';
    error.setAttribute('role', 'alert');
    error.textContent = message;
    near.append(error);
  }

  private _fields: { [key: string]: HTMLInputElement };
  private _materialize = document.createElement('input');
  private _checks = document.createElement('div');
  private _picker = document.createElement('select');
}
