// Bulk extraction of a tar the host has already validated (the workspace sync's push): one request instead
// of a round trip per folder plus a shell; the tar arrives raw, complete, as a binary frame's payload. The host checked every name, type, size and symlink target; here,
// on the real filesystem, every folder the entries pass through must resolve inside the workspace (an agent
// may have made one a symlink out), then GNU tar extracts as the user (never as root), replacing rather than
// following a file or symlink at an entry's own path. GNU tar also defers symlinks with ".." in them until
// the end, so a later entry cannot be written through one that the same archive created.
import * as path from 'node:path';
import type { Identity } from './confinement.js';
import { SYSTEM_PATH } from './confinement.js';
import { DaemonError } from './errors.js';
import { killGroup } from './groups.js';
import { DaemonErrorCodes as E, type DaemonOps } from './protocol.js';
import type { DiskQuota } from './quota.js';
import type { Workspace } from './workspace.js';

const STDERR_CAP = 4096;
const DEFAULT_TIMEOUT_MS = 300_000;

export async function extractTar(identity: Identity, workspace: Workspace, quota: DiskQuota, a: DaemonOps['extract'][0], tar: Buffer | undefined): Promise<DaemonOps['extract'][1]> {
  const root = await workspace.confine(a.root);
  if (!Array.isArray(a.folders) || !tar) throw new DaemonError(E.badRequest, 'extract needs folders and the tar as a binary frame');
  for (const f of a.folders) if (typeof f !== 'string' || f === '' || path.isAbsolute(f) || f.split('/').includes('..')) throw new DaemonError(E.badRequest, 'bad folder name');
  // confine() throws OUTSIDE_WORKSPACE for a folder that leads out through a symlink.
  await Promise.all(a.folders.map((f) => workspace.confine(path.join(root, f))));
  await quota.check(tar.length);
  const child = await identity.spawn('/usr/bin/tar', ['-x', '-f', '-', '-C', root, '--no-same-owner', '--warning=no-timestamp'], {
    cwd: root,
    env: { PATH: SYSTEM_PATH, LC_ALL: 'C' },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (c: Buffer) => {
    if (stderr.length < STDERR_CAP) stderr += c.toString('utf8', 0, STDERR_CAP - stderr.length);
  });
  child.stdin!.on('error', () => {});
  child.stdin!.end(tar);
  const timeoutMs = Number.isSafeInteger(a.timeoutMs) && a.timeoutMs! > 0 ? a.timeoutMs! : DEFAULT_TIMEOUT_MS;
  const timer = setTimeout(() => child.pid && killGroup(child.pid, 'SIGKILL'), timeoutMs);
  const exitCode = await new Promise<number>((resolve) => {
    child.on('close', (code) => resolve(code ?? -1));
    child.on('error', () => resolve(-1));
  });
  clearTimeout(timer);
  return { exitCode, stderr: stderr.slice(0, STDERR_CAP) };
}
