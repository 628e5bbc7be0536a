// Atomic writes: write a temp file next to the target, flush it, rename over the target. A crash leaves
// either the old or the new file, never half of one. Writes to one path are serialised.
import { randomBytes } from 'node:crypto';
import { promises as fsp } from 'node:fs';
import { dirname } from 'node:path';

const chains = new Map<string, Promise<void>>();

export function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const prev = chains.get(path) ?? Promise.resolve();
  const next = prev.catch(() => {}).then(() => write(path, data));
  chains.set(path, next);
  void next.finally(() => {
    if (chains.get(path) === next) chains.delete(path);
  }).catch(() => {});
  return next;
}

async function write(path: string, data: string | Uint8Array): Promise<void> {
  await fsp.mkdir(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  const fh = await fsp.open(tmp, 'w', 0o600);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await fsp.rename(tmp, path);
  } catch (err) {
    await fsp.rm(tmp, { force: true });
    throw err;
  }
}

export async function readJson<T>(path: string): Promise<T | undefined> {
  try {
    return JSON.parse(await fsp.readFile(path, 'utf8')) as T;
  } catch {
    return undefined;
  }
}
