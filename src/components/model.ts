/**
 * Components as they live in the notebook: every cell of a component carries
 * its definition under the `plumbline` metadata key, so it travels with the
 * .ipynb and reaches the kernel with each execute request. The cells with the
 * same name form one component (normally consecutive; a markdown cell or a cell
 * inserted in between does not split it); `part` tells the kernel where a cell
 * sits (before-checks run with the first, after-checks after the last). These
 * functions are the only writers of that metadata.
 */

export const METADATA_KEY = 'plumbline';

export type CheckWhen = 'before' | 'after';
export type OnFail = 'warn' | 'block';
export type Part = 'only' | 'first' | 'middle' | 'last';

export interface ICheckSpec {
  id: string;
  check: string;
  when: CheckWhen;
  args: string[];
  params: { [key: string]: unknown };
  on_fail: OnFail;
}

export interface IComponentDefinition {
  component: string;
  owner?: string;
  description?: string;
  tags?: string[];
  checks?: ICheckSpec[];
  /** Keep a copy of every output under .plumbline/artifacts/ (plumbline.load gets it back). */
  materialize?: boolean;
}

export interface IComponentMetadata extends IComponentDefinition {
  part: Part;
}

/** The part of a cell model these functions need (ICellModel satisfies it). */
export interface ICellLike {
  readonly type: string;
  getMetadata(key: string): unknown;
  setMetadata(key: string, value: unknown): void;
  deleteMetadata(key: string): unknown;
  readonly sharedModel: { getSource(): string };
}

const PYTHON_KEYWORDS = new Set(
  ('False None True and as assert async await break class continue def del elif else ' +
    'except finally for from global if import in is lambda nonlocal not or pass raise ' +
    'return try while with yield').split(' ')
);

/**
 * The one name rule (plumbline/kernel/components.py has the same; the fixture
 * component-metadata-v1.json pins both): an ASCII Python identifier of at most
 * 64 characters, not a keyword.
 */
export function isComponentName(name: unknown): name is string {
  return typeof name === 'string' && /^[A-Za-z_][A-Za-z0-9_]{0,63}$/.test(name) && !PYTHON_KEYWORDS.has(name);
}

/** The component of a cell; a name the kernel would refuse makes it no component. */
export function componentOf(cell: ICellLike): IComponentMetadata | null {
  const meta = cell.getMetadata(METADATA_KEY) as IComponentMetadata | undefined;
  return meta && typeof meta === 'object' && isComponentName(meta.component) ? meta : null;
}

export interface IGroup {
  name: string;
  /** Indices of the cells of this component, in notebook order. */
  cells: number[];
}

/**
 * The components of a notebook, in order of their first cell. One name is one
 * component even if its cells are not adjacent, so that a split never makes
 * two components of one name (whose checks would run twice).
 */
export function groups(cells: readonly ICellLike[]): IGroup[] {
  const byName = new Map<string, IGroup>();
  cells.forEach((cell, index) => {
    const name = componentOf(cell)?.component;
    if (!name) {
      return;
    }
    const group = byName.get(name);
    if (group) {
      group.cells.push(index);
    } else {
      byName.set(name, { name, cells: [index] });
    }
  });
  return [...byName.values()];
}

/**
 * Why a name can't be used for the cells `target`, or null if it can.
 * A name is a Python identifier (it names the component's task in a
 * pipeline) and unique in the notebook: another group may not carry it.
 */
export function nameProblem(
  name: string,
  cells: readonly ICellLike[],
  target: readonly number[]
): string | null {
  if (!name) {
    return 'Give the component a name.';
  }
  if (name.length > 64) {
    return 'A component name has at most 64 characters.';
  }
  if (PYTHON_KEYWORDS.has(name)) {
    return `"${name}" is a Python keyword; choose another name.`;
  }
  if (!isComponentName(name)) {
    return `"${name}" is not a valid name: use ASCII letters, digits and underscores, not starting with a digit (e.g. clean_flights).`;
  }
  const targets = new Set(target);
  const clash = groups(cells).find(
    group => group.name === name && !group.cells.every(index => targets.has(index))
  );
  if (clash) {
    return `Another component of this notebook is already named "${name}" (cell ${clash.cells[0] + 1}). Names are unique in a notebook: choose another, or merge the cells into it.`;
  }
  return null;
}

/** A name suggested from the code: the first function defined, else the first name assigned. */
export function suggestName(sources: readonly string[], taken: ReadonlySet<string>): string {
  const patterns = [/^def\s+([A-Za-z_]\w*)/m, /^([A-Za-z_]\w*)\s*(?:\[[^\]]*\])?\s*=[^=]/m];
  let base = '';
  for (const pattern of patterns) {
    for (const source of sources) {
      const match = pattern.exec(source);
      if (match && !PYTHON_KEYWORDS.has(match[1])) {
        base = match[1];
        break;
      }
    }
    if (base) {
      break;
    }
  }
  base = (base || 'component').toLowerCase();
  let name = base;
  for (let n = 2; taken.has(name); n++) {
    name = `${base}_${n}`;
  }
  return name;
}

/** Make `indices` (consecutive after sorting) one component with `definition`. */
export function tag(
  cells: readonly ICellLike[],
  indices: readonly number[],
  definition: IComponentDefinition
): void {
  const problem = nameProblem(definition.component, cells, indices);
  if (problem) {
    throw new Error(problem);
  }
  const sorted = [...indices].sort((a, b) => a - b);
  sorted.forEach((index, position) => {
    if (cells[index].type !== 'code') {
      return;
    }
    cells[index].setMetadata(METADATA_KEY, {
      ...clean(definition),
      part: partOf(position, sorted.length)
    });
  });
  normalize(cells);
}

/** Rename a whole group (all its cells) and keep the rest of its definition. */
export function rename(cells: readonly ICellLike[], from: string, to: string): void {
  const group = groups(cells).find(g => g.name === from);
  if (!group) {
    throw new Error(`No component named "${from}" in this notebook.`);
  }
  const definition = componentOf(cells[group.cells[0]])!;
  tag(cells, group.cells, { ...definition, component: to });
}

/** Remove the component from these cells (the rest of a group stays tagged). */
export function untag(cells: readonly ICellLike[], indices: readonly number[]): void {
  for (const index of indices) {
    cells[index].deleteMetadata(METADATA_KEY);
  }
  normalize(cells);
}

/**
 * Recompute `part` of every tagged cell, and give every group one definition
 * (its first cell's), after cells were moved, inserted, deleted or edited.
 * Writes only where something changed, so it is cheap to call often.
 */
export function normalize(cells: readonly ICellLike[]): void {
  for (const group of groups(cells)) {
    const definition = clean(componentOf(cells[group.cells[0]])!);
    group.cells.forEach((index, position) => {
      const wanted: IComponentMetadata = { ...definition, part: partOf(position, group.cells.length) };
      const current = cells[index].getMetadata(METADATA_KEY);
      if (stableJSON(current) !== stableJSON(wanted)) {
        cells[index].setMetadata(METADATA_KEY, wanted);
      }
    });
  }
}

function partOf(position: number, size: number): Part {
  if (size === 1) {
    return 'only';
  }
  return position === 0 ? 'first' : position === size - 1 ? 'last' : 'middle';
}

/** The definition fields only, without empty ones, in a stable key order. */
function clean(definition: IComponentDefinition): IComponentDefinition {
  const result: IComponentDefinition = { component: definition.component };
  if (definition.owner?.trim()) {
    result.owner = definition.owner.trim();
  }
  if (definition.description?.trim()) {
    result.description = definition.description.trim();
  }
  const tags = (definition.tags ?? []).map(t => t.trim()).filter(t => t.length > 0);
  if (tags.length) {
    result.tags = tags;
  }
  if (definition.checks?.length) {
    result.checks = definition.checks;
  }
  if (definition.materialize) {
    result.materialize = true;
  }
  return result;
}

/** JSON with sorted keys: nbformat sorts keys on save, which must not count as a change. */
function stableJSON(value: unknown): string {
  return JSON.stringify(value, (_, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v
  );
}
