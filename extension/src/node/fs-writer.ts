// A WorkspaceWriter on Node's fs, for tests and benches (the extension writes through VS Code instead).
import { promises as fsp } from 'node:fs';
import { dirname, join } from 'node:path';
import { writeFileAtomic } from './atomic-file.ts';
import type { WorkspaceWriter } from './sync-engine.ts';

export class FsWorkspaceWriter implements WorkspaceWriter {
  readonly unsaved = new Set<string>();

  constructor(private readonly root: string) {}

  async write(path: string, data: Uint8Array, opts: { mode?: number; symlink?: boolean }): Promise<void> {
    const full = join(this.root, path);
    if (opts.symlink) {
      await fsp.mkdir(dirname(full), { recursive: true });
      await fsp.rm(full, { force: true });
      await fsp.symlink(Buffer.from(data).toString(), full);
      return;
    }
    await writeFileAtomic(full, data);
    await fsp.chmod(full, opts.mode && opts.mode & 0o111 ? 0o755 : 0o644);
  }

  async remove(path: string): Promise<void> {
    await fsp.rm(join(this.root, path), { force: true });
  }

  hasUnsavedChanges(path: string): boolean {
    return this.unsaved.has(path);
  }
}
