// Tenants on the HTTP transport (--tenants FILE): each bearer token (stored as its SHA-256, compared in constant
// time) names a tenant with its own limits, and each tenant gets a runtime of its own — its own sandbox (so its
// own processes, files, browser), runs, sites, exposed ports and exchange folder. Nothing is shared between
// tenants but the process, the image and the run store (where runs carry their tenant's scope). A tenant with no
// request in flight and no running agent run for --tenant-idle-timeout is released: its runtime is stopped as at
// exit (the sandbox follows --on-exit), its sessions closed, and its next request makes it again.
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { parseAllowList } from '@suna/sandbox';
import { registerSecret } from '@suna/shared';
import { ConfigError, type ServerConfig } from './config.js';
import { RateLimiter } from './limits.js';
import { stopRuntime } from './runtime-stop.js';
import { createRuntime } from './server.js';
import type { Runtime } from './tool.js';
import { toolsFor } from './tools/index.js';

export const TENANT_NAME_PATTERN = /^[a-z0-9][a-z0-9_-]{0,31}$/;
const SHA256_HEX = /^[0-9a-f]{64}$/;
const MAX_FILE_BYTES = 1024 * 1024;

const TenantSchema = z
  .object({
    token_sha256: z.string().regex(SHA256_HEX, 'token_sha256: the SHA-256 of the token, 64 lowercase hex digits (printf %s "$TOKEN" | sha256sum)'),
    memory_mb: z.number().int().min(128).optional(),
    cpus: z.number().positive().max(256).optional(),
    disk_quota_mb: z.number().int().min(0).optional(),
    rate_limit: z.number().int().min(0).optional(),
    tools: z.array(z.string()).optional(),
    egress: z.enum(['public', 'allowlist', 'none']).optional(),
    egress_allow: z.array(z.string()).optional(),
  })
  .strict();

const FileSchema = z.object({ tenants: z.record(z.string(), TenantSchema) }).strict();

export interface Tenant {
  name: string;
  tokenHash: Buffer;
  limits: z.infer<typeof TenantSchema>;
}

export function sha256(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

/** The tenants file, validated whole: a mistake stops the server with the tenant and field to fix. */
export function parseTenants(text: string, source: string): Tenant[] {
  if (text.length > MAX_FILE_BYTES) throw new ConfigError(`--tenants ${source}: larger than 1 MiB`);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`--tenants ${source}: not valid JSON (${(e as Error).message})`);
  }
  const parsed = FileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new ConfigError(`--tenants ${source}: ${issue.path.join('.') || 'file'}: ${issue.message}; expected {"tenants": {"<name>": {"token_sha256": "…", "memory_mb"?, "cpus"?, "disk_quota_mb"?, "rate_limit"?, "tools"?, "egress"?, "egress_allow"?}}}`);
  }
  const badName = Object.keys(parsed.data.tenants).find((n) => !TENANT_NAME_PATTERN.test(n));
  if (badName !== undefined) throw new ConfigError(`--tenants ${source}: tenant names are lowercase letters, digits, "-" and "_", at most 32 (got ${JSON.stringify(badName.slice(0, 40))})`);
  const tenants = Object.entries(parsed.data.tenants).map(([name, t]) => ({ name, tokenHash: Buffer.from(t.token_sha256, 'hex'), limits: t }));
  if (!tenants.length) throw new ConfigError(`--tenants ${source}: no tenants`);
  const hashes = new Set(tenants.map((t) => t.tokenHash.toString('hex')));
  if (hashes.size !== tenants.length) throw new ConfigError(`--tenants ${source}: two tenants share a token`);
  for (const t of tenants) {
    try {
      parseAllowList(t.limits.egress_allow ?? []);
    } catch (e) {
      throw new ConfigError(`--tenants ${source}: ${t.name}.egress_allow: ${(e as Error).message}`);
    }
    if (t.limits.egress === 'allowlist' && !t.limits.egress_allow?.length) throw new ConfigError(`--tenants ${source}: ${t.name}: egress allowlist needs egress_allow`);
  }
  return tenants;
}

export function readTenants(file: string): Tenant[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new ConfigError(`--tenants: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
  return parseTenants(text, file);
}

/** The server's configuration as one tenant sees it: its own sandbox, folders and limits. */
export function tenantConfig(base: ServerConfig, t: Tenant): ServerConfig {
  const l = t.limits;
  const exchangeDir = join(base.exchangeDir, t.name);
  const config: ServerConfig = {
    ...base,
    tenant: t.name,
    sandbox: {
      ...base.sandbox,
      name: `${base.sandbox.name}-${t.name}`,
      memoryMb: l.memory_mb ?? base.sandbox.memoryMb,
      cpus: l.cpus ?? base.sandbox.cpus,
      diskQuotaMb: l.disk_quota_mb ?? base.sandbox.diskQuotaMb,
      egress: l.egress ? { ...base.sandbox.egress, mode: l.egress, allow: l.egress_allow ?? [] } : base.sandbox.egress,
    },
    http: base.http && { ...base.http, rateLimit: l.rate_limit ?? base.http.rateLimit },
    tools: l.tools ?? base.tools,
    exchangeDir,
    importDirs: [exchangeDir], // a tenant never imports from the server's folders or another tenant's
    dataDir: join(base.dataDir, 'tenants', t.name),
  };
  try {
    toolsFor(config);
  } catch (e) {
    throw new ConfigError(`--tenants: ${t.name}.tools: ${(e as Error).message}`);
  }
  return config;
}

interface HeldRuntime {
  runtime: Runtime;
  lastUsed: number;
  /** Requests being served (a listening GET stream does not count: a client that only listens is idle). */
  inFlight: number;
}

export interface TenantsOptions {
  make?: (c: ServerConfig) => Runtime;
  /** How a released runtime is ended (default: as at exit, runtime-stop.ts). */
  stop?: (r: Runtime) => Promise<unknown>;
}

/** The tenants of this server, their runtimes (made on first use, released when idle) and rate limiters. */
export class Tenants {
  private readonly runtimes = new Map<string, HeldRuntime>();
  private readonly limiters = new Map<string, RateLimiter>();
  private readonly configs = new Map<string, ServerConfig>();
  private readonly make: (c: ServerConfig) => Runtime;
  private readonly stop: (r: Runtime) => Promise<unknown>;
  private readonly sweeper: NodeJS.Timeout | undefined;
  private readonly idleMs: number;
  /** Told the name of a released tenant (http.ts closes its sessions). */
  onRelease: (tenant: string) => void = () => {};

  constructor(private readonly base: ServerConfig, private readonly list: Tenant[], opts: TenantsOptions | ((c: ServerConfig) => Runtime) = {}) {
    const o = typeof opts === 'function' ? { make: opts } : opts;
    this.make = o.make ?? createRuntime;
    this.stop = o.stop ?? stopRuntime;
    for (const t of list) this.configs.set(t.name, tenantConfig(base, t)); // every tenant's limits checked at start
    this.idleMs = base.http?.tenantIdleTimeoutMs ?? 0;
    if (this.idleMs > 0) this.sweeper = setInterval(() => void this.releaseIdle(), Math.min(60_000, Math.max(250, this.idleMs / 4))).unref();
  }

  /** The tenant whose token this Authorization header carries: every hash compared, in constant time. */
  match(authorization: string | undefined): Tenant | undefined {
    const m = /^Bearer\s+(.+)$/i.exec(authorization ?? '');
    if (!m) return undefined;
    const presented = sha256(m[1]!.trim());
    let found: Tenant | undefined;
    for (const t of this.list) if (timingSafeEqual(presented, t.tokenHash)) found ??= t;
    if (found) registerSecret(m[1]!.trim()); // never echoed in a log or an error from here on
    return found;
  }

  runtime(t: Tenant): Runtime {
    return this.held(t).runtime;
  }

  private held(t: Tenant): HeldRuntime {
    let h = this.runtimes.get(t.name);
    if (!h) {
      const r = this.make(this.configs.get(t.name)!);
      r.log.info('tenant runtime created', { tenant: t.name, sandbox: r.config.sandbox.name });
      void r.sites.restore().catch((e: Error) => r.log.warn('could not serve earlier sites again', { tenant: t.name, error: e.message }));
      this.runtimes.set(t.name, (h = { runtime: r, lastUsed: Date.now(), inFlight: 0 }));
    }
    h.lastUsed = Date.now();
    return h;
  }

  /** A request of this tenant is being served: the tenant is not idle until `done` is called. */
  busy(t: Tenant): () => void {
    const h = this.held(t);
    h.inFlight++;
    let finished = false;
    return () => {
      if (finished) return;
      finished = true;
      h.inFlight--;
      h.lastUsed = Date.now();
    };
  }

  /**
   * Release every tenant idle for longer than the timeout: nothing in flight, no agent run running on this
   * replica. It leaves the map first (a request arriving meanwhile makes a fresh runtime), then is stopped.
   */
  async releaseIdle(now = Date.now()): Promise<string[]> {
    const released: string[] = [];
    for (const [name, h] of this.runtimes) {
      if (h.inFlight > 0 || now - h.lastUsed <= this.idleMs || h.runtime.runs.running > 0) continue;
      this.runtimes.delete(name);
      released.push(name);
      h.runtime.log.info('tenant runtime released (idle)', { tenant: name, idle_s: Math.round((now - h.lastUsed) / 1000), sandbox: h.runtime.config.onExit });
      this.onRelease(name);
      await this.stop(h.runtime).catch((e: Error) => h.runtime.log.warn('releasing a tenant runtime failed', { tenant: name, error: e.message }));
    }
    return released;
  }

  close(): void {
    if (this.sweeper) clearInterval(this.sweeper);
  }

  limiter(t: Tenant): { limit: number; limiter: RateLimiter } {
    const limit = this.configs.get(t.name)!.http?.rateLimit ?? 0;
    let l = this.limiters.get(t.name);
    if (!l) this.limiters.set(t.name, (l = new RateLimiter(limit)));
    return { limit, limiter: l };
  }

  get count(): number {
    return this.list.length;
  }

  /** Runtimes made so far (for shutdown). */
  active(): Runtime[] {
    return [...this.runtimes.values()].map((h) => h.runtime);
  }
}
