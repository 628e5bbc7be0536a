// `suna-mcp doctor`: checks what the server needs and prints one line per check, with the fix when it fails.
import { access, constants } from 'node:fs/promises';
import type Docker from 'dockerode';
import { imageExists, imageOf } from '@suna/sandbox';
import type { ServerConfig } from '../config.js';
import { CAPABILITY_KEYS } from '../environment.js';
import { readiness } from '../health.js';
import type { Runtime } from '../runtime.js';

export interface DoctorLine {
  ok: boolean | 'warn';
  what: string;
  detail: string;
}

/** Run a throwaway container of the sandbox image with tiny limits and read them back from inside. */
async function limitsEnforced(docker: Docker, image: string): Promise<DoctorLine> {
  const container = await docker.createContainer({
    Image: image,
    Cmd: ['sh', '-c', 'cat /sys/fs/cgroup/memory.max /sys/fs/cgroup/memory/memory.limit_in_bytes /sys/fs/cgroup/pids.max /sys/fs/cgroup/pids/pids.max 2>/dev/null; /usr/lib/chromium/chromium --version 2>/dev/null || echo no-chromium'],
    HostConfig: { Memory: 64 * 1024 * 1024, PidsLimit: 64, CapDrop: ['ALL'], SecurityOpt: ['no-new-privileges'], NetworkMode: 'none', AutoRemove: false },
    Labels: { 'dev.suna-mcp.managed': 'true', 'dev.suna-mcp.doctor': 'true' },
  });
  try {
    await container.start();
    await container.wait();
    const logs = (await container.logs({ stdout: true, stderr: true })).toString('latin1');
    const memOk = /\b67108864\b/.test(logs);
    const pidsOk = /(^|\D)64(\D|$)/m.test(logs);
    const chromium = /Chromium \d+/.exec(logs)?.[0];
    return {
      ok: memOk && pidsOk ? (chromium ? true : 'warn') : false,
      what: 'limits & browser',
      detail: `${memOk ? 'memory limit enforced' : 'memory limit NOT enforced (cgroup memory controller missing?)'}, ${pidsOk ? 'pids limit enforced' : 'pids limit NOT enforced'}; ${chromium ? `${chromium} in the image` : 'no Chromium in the image: the browser tools will fail (rebuild the image)'}`,
    };
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

/**
 * Whether the base the image would be built on can be had. A local base is certain; otherwise the first build
 * pulls it from a registry, which doctor does not try (no network traffic from a check): it says how to go without.
 */
async function baseImageLine(runtime: Runtime, base: string): Promise<DoctorLine> {
  if (await imageExists(runtime.sandbox.docker, base)) return { ok: true, what: 'base image', detail: `${base} present: the sandbox image builds offline` };
  return {
    ok: 'warn',
    what: 'base image',
    detail: `${base} is not here: the first build pulls it from a registry. Without registry access, build it offline with sandbox/image/build-base.sh <tag> (needs debootstrap) and pass --base-image <tag>`,
  };
}

export async function doctor(config: ServerConfig, runtime: Runtime, env: NodeJS.ProcessEnv = process.env): Promise<DoctorLine[]> {
  const lines: DoctorLine[] = [];
  const major = Number(process.versions.node.split('.')[0]);
  lines.push({ ok: major >= 22, what: 'node', detail: major >= 22 ? `Node ${process.version}` : `Node ${process.version} is too old: install Node 22 or newer` });
  const health = await readiness(runtime);
  lines.push({ ok: health.checks.docker.ok, what: 'docker', detail: health.checks.docker.ok ? health.checks.docker.detail : `${health.checks.docker.detail} — start Docker Desktop or dockerd; set DOCKER_HOST for a remote engine` });
  const tag = imageOf(config.sandbox);
  if (health.checks.docker.ok) {
    const present = await imageExists(runtime.sandbox.docker, tag);
    lines.push({
      ok: present ? true : 'warn',
      what: 'image',
      detail: present ? `${tag} present` : `${tag} missing: it is built on the first tool call (1–5 min with a registry; run \`suna-mcp build-image\` now to avoid the wait)`,
    });
    if (!present) lines.push(await baseImageLine(runtime, config.sandbox.baseImage));
    if (present) lines.push(await limitsEnforced(runtime.sandbox.docker, tag).catch((e: Error) => ({ ok: false, what: 'limits & browser', detail: `could not run a test container: ${e.message}` })));
  }
  for (const { name, enables: use } of CAPABILITY_KEYS) lines.push({ ok: env[name] ? true : 'warn', what: name, detail: env[name] ? `set (for ${use})` : `not set: needed for ${use}` });
  const dataOk = await access(config.dataDir, constants.W_OK).then(() => true, () => false);
  lines.push({ ok: health.checks.store.ok || dataOk, what: 'data dir', detail: health.checks.store.detail });
  return lines;
}

export function formatDoctor(lines: DoctorLine[]): string {
  const mark = (ok: DoctorLine['ok']) => (ok === true ? 'ok  ' : ok === 'warn' ? 'warn' : 'FAIL');
  return lines.map((l) => `${mark(l.ok)}  ${l.what.padEnd(18)} ${l.detail}`).join('\n');
}
