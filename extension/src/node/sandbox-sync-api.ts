// The sync's view of the sandbox: the server's workspace_sync_* tools, over the MCP connection.
// Pushes go as plain tar archives of several MB (a few in flight), pulls loop over `remaining`. With a server
// launched here, unguarded archives go raw through its loopback upload channel (workspace_sync_channel) instead,
// over node:http with a kept-alive connection (fetch would load undici first: ≈80 ms of CPU for one sync).
import { Agent, request } from 'node:http';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { packTar as packEntries } from '@suna/shared/sync/tar';
import { batchBySize } from '../common/sync-planner.js';
import { resultText, type ServerConnection } from './server-connection.js';

export interface RemoteFile {
  path: string;
  type: 'file' | 'symlink';
  size: number;
  sha256: string;
  mode: number;
  target?: string;
}

export interface Manifest {
  entries: Map<string, RemoteFile>;
  complete: boolean;
  /** Files over the size cap in the sandbox. */
  skipped: string[];
}

export interface PushFile {
  path: string;
  data: Uint8Array;
  mode?: number;
  /** Set for a symlink: `data` is then its target. */
  symlink?: boolean;
}

export interface PushResult {
  mismatched: string[];
  failed: Array<{ path: string; error: string }>;
}

export interface PulledFile {
  path: string;
  data?: Uint8Array;
  sha256?: string;
  mode?: number;
  missing?: boolean;
  error?: string;
}

export interface SandboxSyncApi {
  manifest(maxFileBytes: number): Promise<Manifest>;
  push(files: PushFile[], remove: string[], ifMatch?: Record<string, string | null>): Promise<PushResult>;
  /** An unguarded push of a ready tar (the initial push packs while it reads); without it, `push` is used. */
  pushArchive?(tar: Buffer): Promise<PushResult>;
  pull(paths: string[]): Promise<PulledFile[]>;
}

export class SyncToolError extends Error {
  override readonly name = 'SyncToolError';
}

/**
 * Raw archive bytes per push call: 8 MB is about 11 MB of JSON, far under the transports' 64 MB default
 * message limit, and big enough that per-call costs (a daemon round trip, one tar process) stay small next
 * to the copying. Not gzipped: on a local connection compressing costs more time than the bytes it saves
 * (the server still accepts gzip).
 */
export const PUSH_BATCH_BYTES = 8 * 1024 * 1024;
const PUSHES_IN_FLIGHT = 2;
export const MAX_FILES_PER_PUSH = 5000;

export function packTar(files: PushFile[]): Buffer {
  return packEntries(files.map((f) => (f.symlink ? { path: f.path, target: Buffer.from(f.data).toString() } : { path: f.path, data: f.data, mode: f.mode ?? 0o644 })));
}

/** The server's loopback upload channel (workspace_sync_channel): archives go there raw instead of as base64 in MCP. */
interface UploadChannel {
  url: string;
  token: string;
}

/** The server's answer is small JSON; anything past this is not read. */
const MAX_ANSWER_BYTES = 4 * 1024 * 1024;
const UPLOAD_TIMEOUT_MS = 300_000;

/** One POST of `body` to the loopback channel; the status and the JSON answer ({} when it is not JSON). */
function post(agent: Agent, channel: UploadChannel, body: Buffer): Promise<{ status: number; answer: Record<string, unknown> }> {
  return new Promise((resolve, reject) => {
    const req = request(
      channel.url,
      { method: 'POST', agent, timeout: UPLOAD_TIMEOUT_MS, headers: { authorization: `Bearer ${channel.token}`, 'content-type': 'application/x-tar', 'content-length': body.length } },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > MAX_ANSWER_BYTES) req.destroy(new Error('the upload channel answered too much'));
          else chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          let answer: Record<string, unknown> = {};
          try {
            const parsed: unknown = JSON.parse(Buffer.concat(chunks).toString('utf8'));
            if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) answer = parsed as Record<string, unknown>;
          } catch {
            /* not JSON: {} */
          }
          resolve({ status: res.statusCode ?? 0, answer });
        });
      },
    );
    req.on('socket', (socket) => socket.setNoDelay(true)); // the answer's last segment never waits for an ACK
    req.on('error', reject);
    req.on('timeout', () => req.destroy(new Error('the upload timed out')));
    req.end(body);
  });
}

export class McpSandboxSync implements SandboxSyncApi {
  /** Asked once; null when the server is not on this machine (http) or has no channel. */
  private channel: Promise<UploadChannel | null> | undefined;
  /** Keeps the loopback connection open between the batches of a sync. */
  private readonly agent = new Agent({ keepAlive: true, maxSockets: PUSHES_IN_FLIGHT });

  constructor(private readonly connection: ServerConnection) {}

  private uploadChannel(): Promise<UploadChannel | null> {
    // Only for a server we launched here: a remote server's 127.0.0.1 would be some other process on this machine.
    if (this.connection.mode !== 'stdio') return Promise.resolve(null);
    this.channel ??= this.call('workspace_sync_channel', {}).then(
      (r) => (typeof r.url === 'string' && /^http:\/\/127\.0\.0\.1:\d+\/push$/.test(r.url) && typeof r.token === 'string' ? { url: r.url, token: r.token } : null),
      () => null,
    );
    return this.channel;
  }

  /** An archive through the channel; undefined when the channel is gone (a restarted server): the caller uses MCP. */
  private async upload(tar: Buffer): Promise<Record<string, unknown> | undefined> {
    const channel = await this.uploadChannel();
    if (!channel) return undefined;
    let r: Awaited<ReturnType<typeof post>>;
    try {
      r = await post(this.agent, channel, tar);
    } catch {
      this.channel = undefined; // asked again next time
      return undefined;
    }
    if (r.status === 401) {
      this.channel = undefined;
      return undefined;
    }
    if (r.status !== 200) throw new SyncToolError(typeof r.answer.error === 'string' ? r.answer.error.slice(0, 2000) : `upload failed with HTTP ${r.status}`);
    return r.answer;
  }

  private async call(name: string, args: Record<string, unknown>): Promise<Record<string, unknown>> {
    const r: CallToolResult = await this.connection.callTool(name, args, { timeoutMs: 300_000 });
    if (r.isError) throw new SyncToolError(resultText(r));
    if (!r.structuredContent) {
      const text = resultText(r);
      throw new SyncToolError(/unknown tool|not found/i.test(text) ? 'the server has no sync tools: start it with --sync-tools' : `unexpected answer from ${name}: ${text.slice(0, 200)}`);
    }
    return r.structuredContent;
  }

  async manifest(maxFileBytes: number): Promise<Manifest> {
    void this.uploadChannel(); // asked alongside, so a push that follows has it already
    const r = await this.call('workspace_sync_manifest', { max_file_bytes: maxFileBytes, max_entries: 100_000 });
    const entries = new Map<string, RemoteFile>();
    for (const e of r.entries as RemoteFile[]) entries.set(e.path, e);
    return { entries, complete: r.truncated !== true, skipped: (r.skipped as string[]) ?? [] };
  }

  async pushArchive(tar: Buffer): Promise<PushResult> {
    const r = (await this.upload(tar)) ?? (await this.call('workspace_sync_push', { archive: tar.toString('base64') }));
    return { mismatched: (r.mismatched as string[]) ?? [], failed: (r.failed as PushResult['failed']) ?? [] };
  }

  async push(files: PushFile[], remove: string[], ifMatch?: Record<string, string | null>): Promise<PushResult> {
    const result: PushResult = { mismatched: [], failed: [] };
    const batches = batchBySize(files.map((f) => ({ ...f, size: f.data.length + 512 })), PUSH_BATCH_BYTES, MAX_FILES_PER_PUSH);
    const guardFor = (paths: string[]) => {
      if (!ifMatch) return undefined;
      const g: Record<string, string | null> = {};
      for (const p of paths) if (Object.hasOwn(ifMatch, p)) g[p] = ifMatch[p]!;
      return g;
    };
    const send = async (batch: PushFile[], del: string[]) => {
      const tar = batch.length ? packTar(batch) : null;
      const raw = tar && !del.length && !ifMatch ? await this.upload(tar) : undefined;
      const r = raw ?? (await this.call('workspace_sync_push', {
        archive: tar ? tar.toString('base64') : '',
        ...(del.length ? { delete: del } : {}),
        ...(ifMatch ? { if_match: guardFor([...batch.map((f) => f.path), ...del]) } : {}),
      }));
      result.mismatched.push(...((r.mismatched as string[]) ?? []));
      result.failed.push(...((r.failed as PushResult['failed']) ?? []));
    };
    let next = 0;
    const workers = Array.from({ length: Math.min(PUSHES_IN_FLIGHT, batches.length) }, async () => {
      while (next < batches.length) await send(batches[next++]!, []);
    });
    await Promise.all(workers);
    for (let i = 0; i < remove.length; i += MAX_FILES_PER_PUSH) await send([], remove.slice(i, i + MAX_FILES_PER_PUSH));
    return result;
  }

  async pull(paths: string[]): Promise<PulledFile[]> {
    const out: PulledFile[] = [];
    let rest = paths;
    while (rest.length) {
      const r = await this.call('workspace_sync_pull', { paths: rest.slice(0, 10_000) });
      const files = r.files as Array<Omit<PulledFile, 'data'> & { data?: string }>;
      if (!files.length) throw new SyncToolError('workspace_sync_pull returned nothing');
      for (const f of files) out.push({ ...f, data: f.data === undefined ? undefined : Buffer.from(f.data, 'base64') });
      rest = [...(r.remaining as string[]), ...rest.slice(10_000)];
    }
    return out;
  }
}
