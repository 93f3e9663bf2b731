/**
 * Pure logic of the pipelines UI (tested in jest, no DOM): the promote dialog's
 * model from the server's preview payload, the live-kernel probe's request and
 * answer, parameter overrides typed as the parameters cell has them, which
 * notebook cells a spec pins, and environment differences in words.
 */
import type { IEnvironmentDiff } from '../queries/pipelines';
import { shortType } from '../ui/format';
import type { IDiff, INote, IParameter, IPreview, IProbeAnswer, IProblem, IScheduleAnswer, ISpec } from './api';

/** What a problem's fix button does in the dialog (null: the fix is advice only). */
export type FixAction =
  | { kind: 'include'; cell: number }
  | { kind: 'component'; cells: number[] }
  | { kind: 'reveal'; cell: number };

export interface IDialogProblem extends IProblem {
  action: FixAction | null;
}

export interface IDialogVariable {
  name: string;
  type: string;
  /** The type's last part (DataFrame), for the DAG's labels. */
  short: string;
  format: string;
  seen: string;
}

export interface IDialogTask {
  name: string;
  component: string | null;
  cells: number[];
  /** Untagged cells that run in this task (folded into the component before them). */
  folded: number[];
  outputs: string[];
  readsParameters: string[];
}

export interface IDialogModel {
  ok: boolean;
  tasks: IDialogTask[];
  edges: { from: string; to: string; variables: IDialogVariable[] }[];
  prelude: number[];
  /** Folded (and leading) untagged cells, each offered as a component of its own. */
  folded: { cells: number[]; task: string | null; message: string }[];
  /** Problems about the range (each with its fix); name and schedule problems are said in place. */
  problems: IDialogProblem[];
  nameProblem: string | null;
  scheduleProblem: string | null;
  /** How the compiler read the cells where the code alone would mislead (recorded lineage won). */
  lineageNotes: INote[];
  otherNotes: INote[];
  parameters: { name: string; type: string; default: string }[];
  interval: string[];
  schedule: IScheduleAnswer;
  errors: number;
  warnings: number;
}

const NAME_CODES = new Set(['invalid_name', 'name_exists']);
const SCHEDULE_CODES = new Set(['invalid_cron', 'invalid_timezone', 'invalid_catchup', 'invalid_option']);

/** The action that carries out a problem's fix, where the dialog can do it for the user. */
export function fixAction(problem: IProblem): FixAction | null {
  if (problem.code === 'defined_outside_range') {
    const match = /Include cell (\d+)/.exec(problem.fix);
    if (match) {
      return { kind: 'include', cell: Number(match[1]) };
    }
  }
  if (problem.cells.length) {
    return { kind: 'reveal', cell: problem.cells[0] };
  }
  return null;
}

/** A parameter's default as the notebook writes it. */
export function literal(value: unknown): string {
  if (value === null || value === undefined) {
    return 'None';
  }
  if (typeof value === 'boolean') {
    return value ? 'True' : 'False';
  }
  if (typeof value === 'string') {
    return JSON.stringify(value);
  }
  return JSON.stringify(value);
}

export function dialogModel(preview: IPreview): IDialogModel {
  const foldedNotes = preview.notes.filter(note => note.code === 'folded' || note.code === 'leading');
  const tasks: IDialogTask[] = preview.dag.tasks.map(task => {
    const folded = foldedNotes.filter(note => note.task === task.name).flatMap(note => note.cells);
    return {
      name: task.name,
      component: task.component,
      cells: task.cells,
      folded,
      outputs: task.outputs,
      readsParameters: task.reads_parameters
    };
  });
  const problems = preview.problems
    .filter(problem => !NAME_CODES.has(problem.code) && !SCHEDULE_CODES.has(problem.code))
    .map(problem => ({ ...problem, action: fixAction(problem) }))
    // Errors first: they are what stops the promotion.
    .sort((a, b) => Number(b.severity === 'error') - Number(a.severity === 'error'));
  const inPlace = (codes: Set<string>) =>
    preview.problems
      .filter(problem => codes.has(problem.code))
      .map(problem => problem.message)
      .join(' ') || null;
  const scheduleProblem = inPlace(SCHEDULE_CODES) ?? (preview.schedule.valid ? null : preview.schedule.error);
  return {
    ok: preview.ok,
    tasks,
    edges: preview.dag.edges.map(edge => ({
      from: edge.from,
      to: edge.to,
      variables: edge.variables.map(v => ({
        name: v.name,
        type: v.type ?? '?',
        short: shortType(v.type) || '?',
        format: v.format,
        seen: v.seen
      }))
    })),
    prelude: preview.dag.prelude,
    folded: foldedNotes.map(note => ({ cells: note.cells, task: note.task, message: note.message })),
    problems,
    nameProblem: inPlace(NAME_CODES),
    scheduleProblem,
    lineageNotes: preview.notes.filter(note => note.code === 'lineage'),
    otherNotes: preview.notes.filter(note => !['folded', 'leading', 'lineage', 'prelude'].includes(note.code)),
    parameters: preview.parameters.map(p => ({ name: p.name, type: p.type, default: literal(p.default) })),
    interval: preview.interval,
    schedule: preview.schedule,
    errors: preview.problems.filter(problem => problem.severity === 'error').length,
    warnings: preview.problems.filter(problem => problem.severity === 'warning').length
  };
}

// -- the live-kernel probe ----------------------------------------------------------------------

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PACKAGE = /^[A-Za-z_][A-Za-z0-9_.]*$/;
/** Marks the probe's answer in the kernel's stdout (a silent execute prints nothing else). */
export const PROBE_MARK = '\u001ePLUMBLINE-PROBE ';

/** The variables that cross between tasks and the packages the tasks import: what to ask the kernel. */
export function probeRequest(preview: IPreview): { names: string[]; imports: string[] } {
  const names = new Set<string>();
  for (const edge of preview.dag.edges) {
    for (const variable of edge.variables) {
      names.add(variable.name);
    }
  }
  const imports = new Set(preview.dag.tasks.flatMap(task => task.imports));
  return {
    names: [...names].filter(name => IDENTIFIER.test(name)).sort(),
    imports: [...imports].filter(name => PACKAGE.test(name)).sort()
  };
}

/**
 * Python code for a silent execute: probe.crossing() of those names, printed as one
 * JSON line after PROBE_MARK. The names are JSON string literals (valid Python) of
 * identifiers only, so nothing the user typed reaches the code unescaped.
 */
export function probeCode(names: string[], imports: string[]): string {
  const safe = (items: string[], pattern: RegExp) => JSON.stringify(items.filter(item => pattern.test(item)));
  return (
    `print(${JSON.stringify(PROBE_MARK)} + __import__('json').dumps(` +
    `__import__('plumbline.pipelines.probe', fromlist=['crossing']).crossing(` +
    `${safe(names, IDENTIFIER)}, ${safe(imports, PACKAGE)}), default=str))`
  );
}

/** The probe's answer in the stdout of its execute, or null if there is none. */
export function parseProbe(stdout: string): IProbeAnswer | null {
  const at = stdout.lastIndexOf(PROBE_MARK);
  if (at < 0) {
    return null;
  }
  const line = stdout.slice(at + PROBE_MARK.length).split('\n')[0];
  try {
    const answer = JSON.parse(line);
    return answer && typeof answer === 'object' && typeof answer.variables === 'object' ? answer : null;
  } catch {
    return null;
  }
}

// -- run now: parameter overrides ---------------------------------------------------------------

/** The translator's `__` (JupyterLab's TranslationBundle has it); the default only fills in %1, %2, … */
export type Translate = (message: string, ...args: (string | number)[]) => string;
const untranslated: Translate = (message, ...args) =>
  message.replace(/%(\d+)/g, (match, n) => (args[Number(n) - 1] === undefined ? match : String(args[Number(n) - 1])));

/** A parameter override typed from the text field, or the reason it is not one. */
export function parseOverride(
  parameter: IParameter,
  text: string,
  __: Translate = untranslated
): { value: unknown } | { error: string } {
  const trimmed = text.trim();
  const wrong = () => ({ error: __('%1 is %2; %3 is not.', parameter.name, parameter.type, JSON.stringify(text.slice(0, 40))) });
  switch (parameter.type) {
    case 'str':
      return { value: text };
    case 'int':
      return /^[+-]?\d+$/.test(trimmed) ? { value: Number(trimmed) } : wrong();
    case 'float': {
      const value = Number(trimmed);
      return trimmed !== '' && Number.isFinite(value) ? { value } : wrong();
    }
    case 'bool': {
      const lower = trimmed.toLowerCase();
      return lower === 'true' ? { value: true } : lower === 'false' ? { value: false } : wrong();
    }
    case 'list':
    case 'dict':
    case 'none':
    default:
      try {
        const value = JSON.parse(trimmed);
        if (parameter.type === 'list' && !Array.isArray(value)) {
          return wrong();
        }
        if (parameter.type === 'dict' && (value === null || typeof value !== 'object' || Array.isArray(value))) {
          return wrong();
        }
        return { value };
      } catch {
        return wrong();
      }
  }
}

/** Overrides for the fields whose text differs from the default (only those are sent). */
export function overrides(
  parameters: IParameter[],
  texts: { [name: string]: string },
  __: Translate = untranslated
): { params: { [name: string]: unknown }; errors: string[] } {
  const params: { [name: string]: unknown } = {};
  const errors: string[] = [];
  for (const parameter of parameters) {
    const text = texts[parameter.name];
    if (text === undefined || text === defaultText(parameter)) {
      continue;
    }
    const parsed = parseOverride(parameter, text, __);
    if ('error' in parsed) {
      errors.push(parsed.error);
    } else {
      params[parameter.name] = parsed.value;
    }
  }
  return { params, errors };
}

/** A parameter's default as its text field shows it. */
export function defaultText(parameter: IParameter): string {
  if (parameter.type === 'str' && typeof parameter.default === 'string') {
    return parameter.default;
  }
  if (parameter.type === 'bool') {
    return parameter.default ? 'true' : 'false';
  }
  return JSON.stringify(parameter.default);
}

// -- the cells a pipeline pins ------------------------------------------------------------------

/** Notebook cell id → the task that runs it ('prelude' for the cells every task runs). */
export function promotedCells(spec: ISpec): Map<string, string> {
  const cells = new Map<string, string>();
  for (const ref of spec.prelude) {
    cells.set(ref.id, 'prelude');
  }
  for (const task of spec.tasks) {
    for (const ref of task.cells) {
      cells.set(ref.id, task.name);
    }
  }
  return cells;
}

/** "pandas 3.1.1 → 3.2.0", one per difference; [] when the run's environment matches the promotion. */
export function environmentChanges(diff: IEnvironmentDiff | null): string[] {
  if (!diff) {
    return [];
  }
  const lines: string[] = [];
  const version = (v: string | null) => v ?? '—';
  if (diff.python) {
    lines.push(`Python ${version(diff.python[0])} → ${version(diff.python[1])}`);
  }
  for (const [name, [promoted, ran]] of Object.entries(diff.packages ?? {}).sort()) {
    lines.push(`${name} ${version(promoted)} → ${version(ran)}`);
  }
  return lines;
}

/** A pipeline name suggested from the notebook's file name (a Python identifier). */
export function suggestPipelineName(notebookPath: string, taken: Set<string>): string {
  const base = (notebookPath.split('/').pop() ?? 'pipeline').replace(/\.ipynb$/i, '');
  let name = base.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '').toLowerCase() || 'pipeline';
  if (/^\d/.test(name)) {
    name = `p_${name}`;
  }
  name = name.slice(0, 56);
  if (!taken.has(name)) {
    return name;
  }
  for (let i = 2; ; i++) {
    if (!taken.has(`${name}_${i}`)) {
      return `${name}_${i}`;
    }
  }
}

// -- out of date ----------------------------------------------------------------------------------

/** The cell ids a diff says differ from the pipeline (changed, or new in its range), with the pipelines. */
export function changedCells(diffs: Iterable<IDiff>): Map<string, string[]> {
  const cells = new Map<string, string[]>();
  const add = (cellId: string, name: string) => {
    const names = cells.get(cellId) ?? [];
    if (!names.includes(name)) {
      names.push(name);
    }
    cells.set(cellId, names);
  };
  for (const diff of diffs) {
    if (!diff.out_of_date) {
      continue;
    }
    for (const task of diff.tasks) {
      for (const change of task.changes) {
        add(change.cell_id, diff.name);
      }
    }
    for (const change of [...diff.prelude, ...diff.added]) {
      add(change.cell_id, diff.name);
    }
  }
  return cells;
}

/**
 * The notebook as the server needs it to compile or compare cells: sources, metadata and ids,
 * without outputs and attachments (images would make every preview megabytes).
 */
export function cellsOnly(notebook: unknown): unknown {
  const nb = notebook as { cells?: { [key: string]: unknown }[] } | null;
  if (!nb || !Array.isArray(nb.cells)) {
    return notebook;
  }
  return {
    ...nb,
    cells: nb.cells.map(cell => {
      const { attachments, ...rest } = cell;
      void attachments;
      return cell.cell_type === 'code' ? { ...rest, outputs: [], execution_count: null } : rest;
    })
  };
}
