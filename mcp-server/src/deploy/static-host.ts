// Local static hosting: deployed sites are copied into the server's data directory and served from this
// process on 127.0.0.1, each on its own port, so they stay up when the sandbox stops. The registry of sites
// lives in keyv and survives restarts (sites are served again on the same port when it is free).
// The file list and contents come out of the sandbox (attacker-controlled): every file goes through the
// shared safe writer, so a name like "../../x" or a path through a symlink is refused, never written.
import { safeWriteFile, SandboxPathError, UnsafeWriteError } from '@suna/shared';
import { createReadStream, promises as fs } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo } from 'node:net';
import { join, normalize, sep } from 'node:path';
import type Keyv from 'keyv';
import { mimeTypeOf } from '../resource-uri.js';

export interface SiteRecord {
  name: string;
  provider: 'local' | 'netlify';
  url: string;
  files: number;
  bytes: number;
  deployedAt: string;
  port?: number; // local
  siteId?: string; // netlify
}

export interface SiteFile {
  path: string; // relative, forward slashes; from the sandbox, so validated again when written
  data: Buffer;
}

/** A file of a deploy that was not copied, and why (in words, naming only the relative path). */
export interface RefusedSiteFile {
  path: string;
  reason: string;
}

/** The HTTP content type of a served file: the one MIME table, with the charset for text. */
function contentType(file: string): string {
  const type = mimeTypeOf(file);
  return /^text\/|javascript/.test(type) ? `${type}; charset=utf-8` : type;
}

/** Serve `root` read-only. Paths are normalised and must stay under root; directories serve index.html. */
function staticServer(root: string): Server {
  return createServer(async (req, res) => {
    const send = (status: number, body: string) => res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' }).end(body);
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(405, 'method not allowed');
    let rel: string;
    try {
      rel = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    } catch {
      return send(400, 'bad request');
    }
    let file = normalize(join(root, rel));
    if (file !== root && !file.startsWith(root + sep)) return send(403, 'forbidden');
    let st = await fs.lstat(file).catch(() => null);
    if (st?.isDirectory()) {
      file = join(file, 'index.html');
      st = await fs.lstat(file).catch(() => null);
    }
    if (!st?.isFile()) return send(404, 'not found');
    res.writeHead(200, { 'content-type': contentType(file), 'content-length': st.size, 'x-content-type-options': 'nosniff' });
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
}

/** Site names become folder names in the data directory. */
export const SITE_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;

export class LocalSiteHost {
  private readonly servers = new Map<string, Server>();

  constructor(private readonly dataDir: string, private readonly store: Keyv, private readonly host = '127.0.0.1') {}

  private siteDir(name: string): string {
    if (!SITE_NAME.test(name)) throw new Error(`invalid site name ${JSON.stringify(String(name).slice(0, 80))}`);
    return join(this.dataDir, 'sites', name);
  }

  /**
   * Replace the site's files atomically (new dir, then swap) and serve it. Files the boundary refuses
   * (bad names, a file where a folder should be) are left out and returned in `refused`.
   */
  async deploy(name: string, files: SiteFile[]): Promise<SiteRecord & { refused: RefusedSiteFile[] }> {
    const dir = this.siteDir(name);
    const staging = `${dir}.staging-${process.pid}`;
    await fs.rm(staging, { recursive: true, force: true });
    await fs.mkdir(staging, { recursive: true, mode: 0o700 });
    const refused: RefusedSiteFile[] = [];
    let written = 0;
    let bytes = 0;
    for (const f of files) {
      try {
        await safeWriteFile(staging, f.path, f.data);
        written++;
        bytes += f.data.length;
      } catch (err) {
        if (!(err instanceof SandboxPathError || err instanceof UnsafeWriteError)) {
          await fs.rm(staging, { recursive: true, force: true });
          throw err;
        }
        refused.push({ path: typeof f.path === 'string' ? f.path.slice(0, 200) : String(f.path), reason: err.message });
      }
    }
    await fs.rm(dir, { recursive: true, force: true });
    await fs.mkdir(join(dir, '..'), { recursive: true });
    await fs.rename(staging, dir);
    const previous = (await this.store.get(`site:${name}`)) as SiteRecord | undefined;
    const port = await this.serve(name, previous?.port);
    const record: SiteRecord = {
      name,
      provider: 'local',
      url: `http://${this.host}:${port}/`,
      port,
      files: written,
      bytes,
      deployedAt: new Date().toISOString(),
    };
    await this.save(record);
    return { ...record, refused };
  }

  private async serve(name: string, preferredPort?: number): Promise<number> {
    const running = this.servers.get(name);
    if (running) return (running.address() as AddressInfo).port;
    const listen = (port: number) =>
      new Promise<Server>((resolve, reject) => {
        const server = staticServer(this.siteDir(name));
        server.once('error', reject);
        server.listen(port, this.host, () => resolve(server));
      });
    const server = await listen(preferredPort ?? 0).catch(() => listen(0));
    server.unref(); // hosting sites must not keep the process alive after MCP stops
    this.servers.set(name, server);
    return (server.address() as AddressInfo).port;
  }

  /**
   * Serve again every local site recorded earlier (after a restart). A recorded port that is taken is most likely
   * another server on the same data directory serving that very site: its record is left alone (rewriting it to a
   * port of ours would hand out a URL that dies with us while the other one keeps working).
   */
  async restore(): Promise<void> {
    for (const r of await this.list()) {
      if (r.provider !== 'local') continue;
      const exists = await fs.stat(this.siteDir(r.name)).catch(() => null);
      if (!exists) continue;
      if (r.port && !(await this.portFree(r.port))) continue;
      const port = await this.serve(r.name, r.port);
      if (port !== r.port) await this.save({ ...r, port, url: `http://${this.host}:${port}/` });
    }
  }

  private portFree(port: number): Promise<boolean> {
    return new Promise((resolve) => {
      const probe = createNetServer();
      probe.once('error', () => resolve(false));
      probe.listen(port, this.host, () => probe.close(() => resolve(true)));
    });
  }

  async save(record: SiteRecord): Promise<void> {
    await this.store.set(`site:${record.name}`, record);
    const names = ((await this.store.get('index')) as string[] | undefined) ?? [];
    if (!names.includes(record.name)) await this.store.set('index', [...names, record.name]);
  }

  async get(name: string): Promise<SiteRecord | undefined> {
    return (await this.store.get(`site:${name}`)) as SiteRecord | undefined;
  }

  async list(): Promise<SiteRecord[]> {
    const names = ((await this.store.get('index')) as string[] | undefined) ?? [];
    const out: SiteRecord[] = [];
    for (const n of names) {
      const r = await this.get(n);
      if (r) out.push(r);
    }
    return out;
  }

  async remove(name: string): Promise<boolean> {
    const server = this.servers.get(name);
    if (server) await new Promise<void>((r) => server.close(() => r()));
    server?.closeAllConnections();
    this.servers.delete(name);
    await fs.rm(this.siteDir(name), { recursive: true, force: true });
    const existed = await this.store.delete(`site:${name}`);
    const names = ((await this.store.get('index')) as string[] | undefined) ?? [];
    await this.store.set('index', names.filter((n) => n !== name));
    return existed;
  }

  async close(): Promise<void> {
    for (const s of this.servers.values()) {
      s.closeAllConnections();
      s.close();
    }
    this.servers.clear();
  }
}
