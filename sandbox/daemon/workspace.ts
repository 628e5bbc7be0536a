// Workspace containment, the daemon's half of the path policy (the host normalises first): a path is used only
// when it, with every symlink of its deepest existing ancestor resolved, stays inside the workspace.
import * as path from 'node:path';
import { DaemonErrorCodes as E } from './protocol.js';
import { DaemonError } from './errors.js';

export type Realpath = (p: string) => Promise<string>;

export class Workspace {
  /** `real`: the workspace folder with its own symlinks resolved (set once at start-up). */
  constructor(readonly root: string, readonly real: string, private readonly realpath: Realpath) {}

  isInside(p: string): boolean {
    return p === this.real || p.startsWith(this.real + '/');
  }

  /** The resolved path; with followLast false, a final symlink is the thing itself (for write, remove, move). */
  async confine(p: unknown, { followLast = true } = {}): Promise<string> {
    if (typeof p !== 'string' || !path.isAbsolute(p) || p.includes('\0')) throw new DaemonError(E.badRequest, 'bad path');
    const normal = path.normalize(p);
    if (!this.isInside(normal) && normal !== this.root && !normal.startsWith(this.root + '/')) throw new DaemonError(E.outside, 'path is outside the workspace');
    let probe = followLast ? normal : path.dirname(normal);
    const rest: string[] = followLast ? [] : [path.basename(normal)];
    for (;;) {
      try {
        const real = await this.realpath(probe);
        const full = rest.length ? path.join(real, ...rest) : real;
        if (!this.isInside(full)) throw new DaemonError(E.outside, 'path resolves (through a symlink) outside the workspace');
        return full;
      } catch (err) {
        if (err instanceof DaemonError) throw err;
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || probe === '/') throw err;
        rest.unshift(path.basename(probe));
        probe = path.dirname(probe);
      }
    }
  }
}
