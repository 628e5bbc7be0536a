// .gitignore semantics for the sync, with the `ignore` package: each folder's .gitignore applies to the
// paths below it, deeper files override shallower ones (negations included), and nothing under an ignored
// folder can be re-included (git does not descend into it). `.git/` and `.suna/` are always out.
import ignore, { type Ignore } from 'ignore';
import { syncPathProblem } from '@suna/shared/boundary/sandbox-path';

export class IgnoreRules {
  private readonly byDir = new Map<string, Ignore>();
  private readonly dirCache = new Map<string, boolean>();
  private sorted: Array<[string, Ignore]> | null = null;

  /** `extra`: more patterns in .gitignore syntax, applied at the root (the `suna.sync.exclude` setting). */
  constructor(extra: string[] = []) {
    if (extra.length) this.add('', extra.join('\n'));
  }

  /** Adds the rules of `dir`/.gitignore (dir '' is the root). */
  add(dir: string, text: string): void {
    const existing = this.byDir.get(dir);
    if (existing) existing.add(text);
    else this.byDir.set(dir, ignore({ allowRelativePaths: true }).add(text));
    this.dirCache.clear();
    this.sorted = null;
  }

  /** Drops the rules of `dir` (its .gitignore changed or went away). */
  remove(dir: string): void {
    if (!this.byDir.delete(dir)) return;
    this.dirCache.clear();
    this.sorted = null;
  }

  /** True for paths the sync leaves out: ignored by a .gitignore, below an ignored folder, or never synced. */
  isIgnored(path: string, isDir = false): boolean {
    if (syncPathProblem(path)) return true;
    const segments = path.split('/');
    for (let i = 1; i < segments.length; i++) if (this.dirIgnored(segments.slice(0, i).join('/'))) return true;
    return isDir ? this.dirIgnored(path) : this.decide(path, false);
  }

  private dirIgnored(dir: string): boolean {
    let v = this.dirCache.get(dir);
    if (v === undefined) {
      v = this.decide(dir, true);
      this.dirCache.set(dir, v);
    }
    return v;
  }

  private decide(path: string, isDir: boolean): boolean {
    let ignored = false;
    // Shallow to deep: a deeper .gitignore has the last word.
    this.sorted ??= [...this.byDir].sort((a, b) => a[0].split('/').length - b[0].split('/').length || a[0].length - b[0].length);
    for (const [dir, rules] of this.sorted) {
      if (dir !== '' && !path.startsWith(dir + '/')) continue;
      const rel = dir === '' ? path : path.slice(dir.length + 1);
      const r = rules.test(isDir ? `${rel}/` : rel);
      if (r.ignored) ignored = true;
      else if (r.unignored) ignored = false;
    }
    return ignored;
  }
}
