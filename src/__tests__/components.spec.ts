import {
  componentOf,
  isComponentName,
  groups,
  ICellLike,
  nameProblem,
  normalize,
  rename,
  suggestName,
  tag,
  untag
} from '../components/model';
import { sharedFixture } from './storeFixture';

/** A cell with real metadata storage (the subset of ICellModel the model uses). */
class Cell implements ICellLike {
  constructor(
    private _source: string,
    readonly type = 'code'
  ) {}
  metadata: { [key: string]: unknown } = {};
  writes = 0;
  getMetadata(key: string) {
    return this.metadata[key];
  }
  setMetadata(key: string, value: unknown) {
    this.writes++;
    this.metadata[key] = JSON.parse(JSON.stringify(value));
  }
  deleteMetadata(key: string) {
    const old = this.metadata[key];
    delete this.metadata[key];
    return old;
  }
  get sharedModel() {
    return { getSource: () => this._source };
  }
}

const notebook = (...sources: string[]) => sources.map(s => new Cell(s));
const parts = (cells: Cell[]) => cells.map(c => componentOf(c)?.part ?? '-');

describe('component model', () => {
  it('tags consecutive cells as one component with parts', () => {
    const cells = notebook('a = 1', 'b = 2', 'c = 3', 'd = 4');
    tag(cells, [1, 2, 3], { component: 'clean', owner: ' ana ', tags: ['x', ' '], checks: [] });
    expect(groups(cells)).toEqual([{ name: 'clean', cells: [1, 2, 3] }]);
    expect(parts(cells)).toEqual(['-', 'first', 'middle', 'last']);
    expect(componentOf(cells[2])).toEqual({ component: 'clean', owner: 'ana', tags: ['x'], part: 'middle' });
  });

  it('validates names: identifier, not a keyword, unique in the notebook', () => {
    const cells = notebook('a = 1', 'b = 2', 'c = 3');
    tag(cells, [0], { component: 'load' });
    expect(nameProblem('', cells, [2])).toMatch(/Give the component a name/);
    expect(nameProblem('2fast', cells, [2])).toMatch(/not a valid name/);
    expect(nameProblem('has space', cells, [2])).toMatch(/not a valid name/);
    expect(nameProblem('lambda', cells, [2])).toMatch(/keyword/);
    expect(nameProblem('load', cells, [2])).toMatch(/already named "load" \(cell 1\)/);
    expect(nameProblem('load', cells, [0])).toBeNull(); // editing the component itself
    expect(nameProblem('load', cells, [0, 1])).toBeNull(); // extending it
    expect(() => tag(cells, [2], { component: 'load' })).toThrow(/already named/);
  });

  it('suggests a free name from the code', () => {
    expect(suggestName(['import x\ndef Train_Model(df):\n  pass'], new Set())).toBe('train_model');
    expect(suggestName(['features = df.assign(a=1)'], new Set())).toBe('features');
    expect(suggestName(["df['x'] = 1"], new Set())).toBe('df');
    expect(suggestName(['features = 1'], new Set(['features', 'features_2']))).toBe('features_3');
    expect(suggestName(['print(1)'], new Set())).toBe('component');
  });

  it('renames every cell of a group and keeps its definition', () => {
    const cells = notebook('a = 1', 'b = 2');
    tag(cells, [0, 1], { component: 'old', owner: 'bo', checks: [{ id: 'nulls-1', check: 'nulls', when: 'before', args: ['a'], params: {}, on_fail: 'warn' }] });
    rename(cells, 'old', 'new_name');
    expect(cells.map(c => componentOf(c)?.component)).toEqual(['new_name', 'new_name']);
    expect(componentOf(cells[1])?.checks?.[0].id).toBe('nulls-1');
    expect(componentOf(cells[1])?.owner).toBe('bo');
  });

  it('untagging a middle cell keeps one component with one first and one last cell', () => {
    const cells = notebook('a', 'b', 'c');
    tag(cells, [0, 1, 2], { component: 'g' });
    untag(cells, [1]);
    expect(groups(cells)).toEqual([{ name: 'g', cells: [0, 2] }]);
    expect(parts(cells)).toEqual(['first', '-', 'last']);
  });

  it('a cell inserted inside a component does not split it', () => {
    const cells = notebook('a', 'b');
    tag(cells, [0, 1], { component: 'g' });
    const withInsert = [cells[0], new Cell('new'), cells[1]];
    normalize(withInsert);
    expect(parts(withInsert)).toEqual(['first', '-', 'last']);
    expect(nameProblem('g', withInsert, [0, 2])).toBeNull(); // editing it stays possible
  });

  it('does not rewrite metadata whose keys only differ in order (as saved by nbformat)', () => {
    const cells = notebook('a');
    tag(cells, [0], { component: 'g', owner: 'ana' });
    cells[0].metadata.plumbline = { part: 'only', owner: 'ana', component: 'g' };
    const writes = cells[0].writes;
    normalize(cells);
    expect(cells[0].writes).toBe(writes);
  });

  it('normalize repairs parts after a move and writes only what changed', () => {
    const cells = notebook('a', 'b', 'c');
    tag(cells, [0, 1], { component: 'g' });
    const moved = [cells[1], cells[2], cells[0]]; // first cell moved to the end
    const before = moved.map(c => c.writes);
    normalize(moved);
    expect(parts(moved)).toEqual(['first', '-', 'last']);
    normalize(moved);
    const after = moved.map(c => c.writes);
    expect(after[1]).toBe(before[1]); // the untagged cell was never written
  });

  it('merging two groups gives all cells one definition', () => {
    const cells = notebook('a', 'b', 'c');
    tag(cells, [0], { component: 'one' });
    tag(cells, [1, 2], { component: 'two' });
    tag(cells, [0, 1, 2], { component: 'merged', description: 'both' });
    expect(groups(cells)).toEqual([{ name: 'merged', cells: [0, 1, 2] }]);
    expect(componentOf(cells[2])?.description).toBe('both');
  });

  it('skips markdown cells and ignores malformed metadata', () => {
    const cells = [new Cell('# title', 'markdown'), new Cell('x = 1')];
    tag(cells, [0, 1], { component: 'c' });
    expect(componentOf(cells[0])).toBeNull();
    cells[1].metadata.plumbline = { component: 42 };
    expect(componentOf(cells[1])).toBeNull();
  });
});

describe('the component metadata fixture shared with the kernel', () => {
  const fixture = sharedFixture('component-metadata-v1.json');

  it('accepts and refuses the same names as the kernel', () => {
    for (const name of fixture.names.valid) {
      expect([name, isComponentName(name), nameProblem(name, [], [])]).toEqual([name, true, null]);
    }
    for (const name of fixture.names.invalid) {
      expect([name, isComponentName(name)]).toEqual([name, false]);
      expect(nameProblem(name, [], [])).not.toBeNull();
    }
  });

  it('sees a component in the same cells as the kernel', () => {
    for (const { metadata, component } of fixture.cells) {
      const cell = new Cell('x = 1');
      cell.metadata = JSON.parse(JSON.stringify(metadata));
      expect([metadata, componentOf(cell)?.component ?? null]).toEqual([metadata, component?.name ?? null]);
    }
  });
});
