// A WorkspaceWriter on Node's fs, for tests and benches (the extension writes through VS Code instead).
// Every byte it writes came out of the sandbox, so it writes only through the shared safe writer: no
// symlink in the path is ever followed (an agent-made `ext/x` never lands where `ext → /outside` points).
import { safeRemove, safeWriteFile } from '@suna/shared/boundary/safe-write';
import type { WorkspaceWriter } from './sync-engine.js';

export class FsWorkspaceWriter implements WorkspaceWriter {
  readonly unsaved = new Set<string>();

  constructor(private readonly root: string) {}

  async write(path: string, data: Uint8Array, opts: { mode?: number }): Promise<void> {
    await safeWriteFile(this.root, path, data, { executable: opts.mode !== undefined && (opts.mode & 0o111) !== 0, durable: true });
  }

  async remove(path: string): Promise<void> {
    await safeRemove(this.root, path);
  }

  hasUnsavedChanges(path: string): boolean {
    return this.unsaved.has(path);
  }
}
