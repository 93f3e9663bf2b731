/**
 * Renames made in this browser, so that views can read a notebook's former
 * path until the replica has received the server's move of its history (the
 * server moves it on the contents service's rename event; the replica hears
 * of it at its next refresh). A folder rename renames every notebook in it.
 */
export class RenameLog {
  /** `from` (a notebook or folder path) was renamed to `to`. */
  add(from: string, to: string): void {
    const clean = (path: string) => path.replace(/^\/+|\/+$/g, '');
    this._renames.unshift({ from: clean(from), to: clean(to), at: Date.now() });
    this._renames.splice(MAX_KEPT);
  }

  /** The paths `path` had before, newest first (renames of the last minutes only). */
  formerPaths(path: string): string[] {
    const now = Date.now();
    const found: string[] = [];
    let current = path;
    for (const rename of this._renames) {
      if (now - rename.at > KEEP_MS) {
        break;
      }
      let before: string | null = null;
      if (current === rename.to) {
        before = rename.from;
      } else if (current.startsWith(rename.to + '/')) {
        before = rename.from + current.slice(rename.to.length);
      }
      if (before !== null && !found.includes(before) && before !== path) {
        found.push(before);
        current = before;
      }
    }
    return found;
  }

  private _renames: { from: string; to: string; at: number }[] = [];
}

/** The server moves a history within a second; a few minutes cover a slow or unreachable one. */
const KEEP_MS = 5 * 60 * 1000;
const MAX_KEPT = 50;
