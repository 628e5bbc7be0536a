// Shared helpers of the reliability suite: raw stdio and HTTP servers, Docker bookkeeping, /proc readings.
import { execFileSync, spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Docker from 'dockerode';
import { CLI, serverEnv, type RawHttp } from '../fixtures/server.ts';
// The HTTP server starter, raw HTTP requests and sandbox removal are shared with the integration tests.
export { rawHttp, removeSandbox, startHttpServer, type HttpServer, type RawHttp } from '../fixtures/server.ts';

export const docker = new Docker();
export const MANAGED = 'dev.suna-mcp.managed=true';
export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 30_000, everyMs = 50): Promise<void> {
  const t0 = Date.now();
  while (!(await check())) {
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

/** Containers and volumes carrying the managed label, by name. */
export async function managedObjects(): Promise<{ containers: string[]; volumes: string[] }> {
  const containers = (await docker.listContainers({ all: true, filters: { label: [MANAGED] } })).map((c) => c.Names[0]!.replace(/^\//, ''));
  const volumes = ((await docker.listVolumes({ filters: { label: [MANAGED] } })).Volumes ?? []).map((v) => v.Name);
  return { containers: containers.sort(), volumes: volumes.sort() };
}

/** Peak and current resident memory of a process, kB. */
export function memoryKb(pid: number): { hwm: number; rss: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return { hwm: Number(/VmHWM:\s+(\d+)/.exec(status)![1]), rss: Number(/VmRSS:\s+(\d+)/.exec(status)![1]) };
}

export function openFds(pid: number): number {
  return Number(execFileSync('sh', ['-c', `ls /proc/${pid}/fd | wc -l`]).toString().trim());
}

/** Every process below `pid` (children, grandchildren, …). */
export function descendants(pid: number): number[] {
  const rows = execFileSync('ps', ['-e', '-o', 'pid=,ppid=']).toString().trim().split('\n');
  const byParent = new Map<number, number[]>();
  for (const row of rows) {
    const [p, pp] = row.trim().split(/\s+/).map(Number) as [number, number];
    byParent.set(pp, [...(byParent.get(pp) ?? []), p]);
  }
  const out: number[] = [];
  const stack = [pid];
  while (stack.length) for (const c of byParent.get(stack.pop()!) ?? []) (out.push(c), stack.push(c));
  return out;
}

export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Host processes of the container runtime (one containerd-shim per running container). */
export function shimCount(): number {
  try {
    return Number(execFileSync('sh', ['-c', 'pgrep -c -f containerd-shim || true']).toString().trim() || 0);
  } catch {
    return 0;
  }
}

// ---------- raw stdio ----------

export interface RawStdio {
  proc: ChildProcessWithoutNullStreams;
  /** Every stdout line, as written. */
  lines: string[];
  stderr(): string;
  send(line: string | Buffer): void;
  /** The parsed response with this id. */
  response(id: number | string, timeoutMs?: number): Promise<Record<string, any>>;
  initialize(): Promise<void>;
  exit(): Promise<number | null>;
}

export function spawnRawStdio(env: Record<string, string> = {}): RawStdio {
  const proc = spawn(process.execPath, [CLI], { env: serverEnv(env), stdio: ['pipe', 'pipe', 'pipe'] });
  const lines: string[] = [];
  let buf = '';
  let err = '';
  proc.stdout.on('data', (d: Buffer) => {
    buf += d.toString('utf8');
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      lines.push(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
  proc.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-200_000)));
  const exited = new Promise<number | null>((r) => proc.once('exit', r));
  const self: RawStdio = {
    proc,
    lines,
    stderr: () => err,
    send: (line) => {
      proc.stdin.write(line);
      proc.stdin.write('\n');
    },
    async response(id, timeoutMs = 60_000) {
      let found: Record<string, any> | undefined;
      await waitFor(`response ${id}`, () => {
        for (const l of lines) {
          try {
            const m = JSON.parse(l);
            if (m.id === id && ('result' in m || 'error' in m)) return !!(found = m);
          } catch {
            /* checked elsewhere */
          }
        }
        return false;
      }, timeoutMs, 20);
      return found!;
    },
    async initialize() {
      self.send(JSON.stringify({ jsonrpc: '2.0', id: 'init', method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }));
      await self.response('init');
      self.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
    },
    async exit() {
      proc.stdin.end();
      return exited;
    },
  };
  return self;
}

/** JSON-RPC messages of a response body: plain JSON, or the `data:` lines of an SSE stream. */
export function rpcMessages(r: RawHttp): any[] {
  const type = String(r.headers['content-type'] ?? '');
  if (type.includes('text/event-stream'))
    return r.body
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => JSON.parse(l.slice(5)));
  if (!r.body.trim()) return [];
  const v = JSON.parse(r.body);
  return Array.isArray(v) ? v : [v];
}

export function textOf(r: CallToolResult): string {
  return r.content.filter((c) => c.type === 'text').map((c) => (c as { text: string }).text).join('\n');
}
