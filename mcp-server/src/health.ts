// Readiness facts, computed in one place: /readyz, sandbox_status and `suna-mcp doctor` show the same.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { imageExists, imageOf } from '@suna/sandbox';
import type { Runtime } from './runtime.js';

export interface Check {
  ok: boolean;
  detail: string;
}

export interface Readiness {
  ready: boolean;
  checks: { docker: Check; image: Check; store: Check };
}

export async function readiness(runtime: Runtime): Promise<Readiness> {
  const docker = runtime.sandbox.docker;
  const dockerCheck: Check = await docker.version().then(
    (v) => ({ ok: true, detail: `Docker Engine ${v.Version} (API ${v.ApiVersion})` }),
    (e: Error) => ({ ok: false, detail: `Docker is not reachable: ${e.message}` }),
  );
  const tag = imageOf(runtime.config.sandbox);
  const image: Check = !dockerCheck.ok
    ? { ok: false, detail: `${tag}: unknown (Docker unreachable)` }
    : (await imageExists(docker, tag).catch(() => false))
      ? { ok: true, detail: `${tag} present` }
      : { ok: false, detail: `${tag} missing: it is built on first use, or run \`suna-mcp build-image\`` };
  const store: Check = await storeWritable(runtime.config.dataDir).then(
    () => ({ ok: true, detail: `data directory ${runtime.config.dataDir} is writable` }),
    (e: Error) => ({ ok: false, detail: `data directory unusable (runs and sites are kept there): ${e.message}; set --data-dir` }),
  );
  return { ready: dockerCheck.ok && image.ok && store.ok, checks: { docker: dockerCheck, image, store } };
}

/** The keyv file store lives in the data directory: it must exist and take a write. */
async function storeWritable(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  const probe = join(dir, `.probe-${process.pid}`);
  await writeFile(probe, 'ok');
  await rm(probe, { force: true });
}

/** What /readyz tells a caller without the token: each check's name and whether it passed, no details. */
export function publicReadiness(r: Readiness): { ready: boolean; checks: Record<keyof Readiness['checks'], { ok: boolean }> } {
  const checks = Object.fromEntries(Object.entries(r.checks).map(([name, c]) => [name, { ok: c.ok }]));
  return { ready: r.ready, checks: checks as Record<keyof Readiness['checks'], { ok: boolean }> };
}
