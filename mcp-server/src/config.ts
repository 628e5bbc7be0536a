// Configuration: one table of options. Each has a CLI flag and a SUNA_* environment variable that map one
// to one (`--max-output-chars` ↔ SUNA_MAX_OUTPUT_CHARS); flags win over the environment. `--help` and the
// README's table are generated from this table.
import { homedir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { DEFAULT_CHECKPOINT_RETENTION, DEFAULT_DISK_QUOTA_MB, DEFAULT_SANDBOX_CONFIG, type CheckpointRetention, SANDBOX_NAME_PATTERN, type ExitPolicy, type NetworkMode, type SandboxConfig, type SandboxProfile } from '@suna/sandbox';
import { parseAllowList, parseDnsServer, type EgressConfig, type EgressMode } from '@suna/sandbox';
import { DEFAULT_MAX_OUTPUT_CHARS, registerSecret } from '@suna/shared';

/** A client message may be this big by default: a 50 MB file_write with its JSON envelope fits. */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
const MIN_MESSAGE_BYTES = 64 * 1024;

type Kind = 'string' | 'int' | 'number' | 'bool' | 'list';

interface OptionDef<K extends Kind = Kind> {
  flag: string; // kebab-case, without "--"
  kind: K;
  description: string;
  default?: string;
  choices?: readonly string[];
  group: 'server' | 'http' | 'sandbox' | 'agent';
}

export const OPTIONS = {
  port: { flag: 'port', kind: 'int', group: 'http', description: 'Serve Streamable HTTP on this port instead of stdio' },
  host: { flag: 'host', kind: 'string', group: 'http', default: '127.0.0.1', description: 'Interface for HTTP; anything but loopback exposes the sandbox to the network' },
  token: { flag: 'token', kind: 'string', group: 'http', description: 'Bearer token HTTP clients must send (generated and printed when not set)' },
  allowedOrigins: { flag: 'allowed-origins', kind: 'list', group: 'http', description: 'Extra browser Origins allowed on HTTP (comma-separated); loopback origins are always allowed' },
  allowedHosts: { flag: 'allowed-hosts', kind: 'list', group: 'http', description: 'Extra Host header values allowed on HTTP (comma-separated)' },
  exposeHost: { flag: 'expose-host', kind: 'string', group: 'http', default: '127.0.0.1', description: 'Interface on which port_expose and local site_deploy listen' },
  maxBodyBytes: { flag: 'max-body-bytes', kind: 'int', group: 'server', default: String(DEFAULT_MAX_MESSAGE_BYTES), description: 'Largest message a client may send: an HTTP request body (413 above) or a stdio line (a JSON-RPC error above); the message is discarded and the server keeps serving' },
  maxSessions: { flag: 'max-sessions', kind: 'int', group: 'http', default: '100', description: 'HTTP sessions kept at once; above it the least recently used one is closed (its client gets 404 and initializes again)' },
  sessionIdleTimeout: { flag: 'session-idle-timeout', kind: 'int', group: 'http', default: '1800', description: 'Seconds after which an HTTP session with no request in flight expires (0 = never)' },
  maxConnections: { flag: 'max-connections', kind: 'int', group: 'http', default: '256', description: 'Open HTTP connections accepted at once; more are closed at once' },
  requestTimeout: { flag: 'request-timeout', kind: 'int', group: 'http', default: '60', description: 'Seconds a client has to send a whole HTTP request (its headers within 10 s); slower ones are cut with 408' },
  sandboxName: { flag: 'sandbox-name', kind: 'string', group: 'sandbox', default: DEFAULT_SANDBOX_CONFIG.name, description: 'Sandbox to create or re-attach (container suna-<name>)' },
  image: { flag: 'image', kind: 'string', group: 'sandbox', description: 'Sandbox image (default: the versioned suna-sandbox tag, built on first use)' },
  baseImage: { flag: 'base-image', kind: 'string', group: 'sandbox', default: DEFAULT_SANDBOX_CONFIG.baseImage, description: 'Base image the sandbox image is built on' },
  memory: { flag: 'memory', kind: 'int', group: 'sandbox', default: String(DEFAULT_SANDBOX_CONFIG.memoryMb), description: 'Memory limit of the sandbox, MiB (no swap beyond it)' },
  cpus: { flag: 'cpus', kind: 'number', group: 'sandbox', default: String(DEFAULT_SANDBOX_CONFIG.cpus), description: 'CPU limit of the sandbox' },
  pids: { flag: 'pids', kind: 'int', group: 'sandbox', default: String(DEFAULT_SANDBOX_CONFIG.pidsLimit), description: 'Process limit of the sandbox' },
  diskQuota: { flag: 'disk-quota', kind: 'int', group: 'sandbox', default: String(DEFAULT_DISK_QUOTA_MB), description: 'Disk quota of /workspace plus the home directory, MiB (0 = none); above it writers are stopped and writes fail with ENOSPC' },
  checkpointRetention: { flag: 'checkpoint-retention', kind: 'string', group: 'sandbox', default: '50,2GiB', description: 'Checkpoints kept: a count, a size cap of the store (KiB, MiB, GiB, or unlimited) or both, comma-separated, e.g. "20,500MiB"; the oldest go first, never the newest nor one a running agent_run uses' },
  tmpSize: { flag: 'tmp-size', kind: 'int', group: 'sandbox', default: String(DEFAULT_SANDBOX_CONFIG.tmpSizeMb), description: 'Size of the /tmp tmpfs, MiB' },
  network: { flag: 'network', kind: 'string', group: 'sandbox', default: 'bridge', choices: ['bridge', 'none'], description: 'none is the same as --egress none; bridge leaves outbound traffic to --egress (the container itself never joins a Docker network)' },
  egress: { flag: 'egress', kind: 'string', group: 'sandbox', default: 'public', choices: ['public', 'allowlist', 'none'], description: 'Outbound traffic of the sandbox, through its HTTP proxy: public (the internet, never the host, private networks or cloud metadata), allowlist (only --egress-allow), none' },
  egressAllow: { flag: 'egress-allow', kind: 'list', group: 'sandbox', description: 'Destinations allowed (comma-separated): example.com, *.example.com (subdomains), IP addresses and CIDRs (a CIDR also admits private addresses, in every mode)' },
  egressDns: { flag: 'egress-dns', kind: 'string', group: 'sandbox', description: 'DNS server (host:port) the egress proxy resolves names with, instead of the host\'s resolver' },
  profile: { flag: 'profile', kind: 'string', group: 'sandbox', default: 'default', choices: ['default', 'apt'], description: 'default: non-root, read-only root. apt: root inside with the capabilities apt-get needs' },
  onExit: { flag: 'on-exit', kind: 'string', group: 'sandbox', default: 'stop', choices: ['stop', 'keep', 'remove'], description: 'What happens to the sandbox when the server exits (remove also deletes the workspace)' },
  ephemeral: { flag: 'ephemeral', kind: 'bool', group: 'sandbox', default: 'false', description: 'Throwaway sandbox: removed with its workspace on exit, reaped if the server dies' },
  rateLimit: { flag: 'rate-limit', kind: 'int', group: 'http', default: '600', description: 'Requests per minute per bearer token on HTTP (429 with retry-after above it; 0 = no limit)' },
  tenantIdleTimeout: { flag: 'tenant-idle-timeout', kind: 'int', group: 'http', default: '3600', description: "With --tenants: seconds after which a tenant with no request in flight and no running agent run is released (its sandbox stopped (its background processes end), kept or removed as --on-exit says, its server memory freed; its next request starts it again); 0 = never" },
  tenants: { flag: 'tenants', kind: 'string', group: 'http', description: 'JSON file of tenants: bearer token (as its SHA-256) → name and limits; each tenant gets its own sandbox, runs, sites, ports and exchange folder (replaces --token)' },
  stateless: { flag: 'stateless', kind: 'bool', group: 'http', default: 'false', description: 'Serve HTTP without sessions (no Mcp-Session-Id; every POST stands alone), so a plain load balancer can spread requests over replicas' },
  metricsPublic: { flag: 'metrics-public', kind: 'bool', group: 'http', default: 'false', description: 'Serve /metrics without the bearer token (for a local Prometheus)' },
  maxConcurrentCalls: { flag: 'max-concurrent-calls', kind: 'int', group: 'sandbox', default: '8', description: 'Tool calls that may run at once in the sandbox; more wait their turn' },
  syncTools: { flag: 'sync-tools', kind: 'bool', group: 'server', default: 'false', description: 'Expose the workspace_sync_* tools (bulk file transfer for the VS Code extension); off for ordinary clients' },
  browserProfile: { flag: 'browser-profile', kind: 'string', group: 'sandbox', default: 'persistent', choices: ['persistent', 'ephemeral'], description: "Browser profile: persistent (in the sandbox's home volume, so logins survive restarts) or ephemeral (fresh at every browser start)" },
  tools: { flag: 'tools', kind: 'list', group: 'server', description: 'Expose only these tool sets (comma-separated): default, shell, files, browser, web, sheets, code, deploy, agent, checkpoints; sandbox_status/reset are always there. Default: all but checkpoints (listed with agent_run or --sync-tools); `default,checkpoints` adds them' },
  maxOutputChars: { flag: 'max-output-chars', kind: 'int', group: 'server', default: String(DEFAULT_MAX_OUTPUT_CHARS), description: 'Cap on one text result; longer output is cut to head + tail and saved in full' },
  exchangeDir: { flag: 'exchange-dir', kind: 'string', group: 'server', description: 'Host folder file_export copies workspace files to (default: ~/SunaFiles/<sandbox name>)' },
  importDirs: { flag: 'import-dirs', kind: 'list', group: 'server', description: 'Host folders file_import may copy from (comma-separated; default: the exchange folder); symlinks are never followed out of them' },
  dataDir: { flag: 'data-dir', kind: 'string', group: 'server', description: 'Where runs and deployments are kept (default: $XDG_DATA_HOME/suna-mcp)' },
  store: { flag: 'store', kind: 'string', group: 'server', default: 'file', description: 'Where agent runs are kept: file (in --data-dir, one server process) or redis://[user:password@]host:port[/db] (rediss:// for TLS), shared by replicas: runs, their events and cancellation reach every replica' },
  logLevel: { flag: 'log-level', kind: 'string', group: 'server', default: 'info', choices: ['debug', 'info', 'warn', 'error', 'silent'], description: 'Log level (logs go to stderr)' },
  model: { flag: 'model', kind: 'string', group: 'agent', description: 'Default model for agent_run, as provider:model (anthropic:…, openai:…, openai-compatible:…)' },
  modelBaseUrl: { flag: 'model-base-url', kind: 'string', group: 'agent', description: 'Base URL of an OpenAI-compatible endpoint (Ollama, vLLM, LM Studio, OpenRouter) for openai-compatible:… models' },
  mcpConfig: { flag: 'mcp-config', kind: 'string', group: 'agent', description: 'JSON file of external MCP servers ({"mcpServers": {name: {command, args, env} | {url, headers}}}) whose tools agent_run offers as <server>__<tool>' },
} as const satisfies Record<string, OptionDef>;

export type OptionKey = keyof typeof OPTIONS;

export function envName(key: OptionKey): string {
  return 'SUNA_' + OPTIONS[key].flag.replace(/-/g, '_').toUpperCase();
}

export interface ServerConfig {
  /** The tenant this configuration serves (--tenants; absent for the server's own). */
  tenant?: string;
  http?: {
    port: number;
    host: string;
    token?: string;
    allowedOrigins: string[];
    allowedHosts: string[];
    maxBodyBytes: number;
    rateLimit: number;
    metricsPublic: boolean;
    maxSessions: number;
    sessionIdleTimeoutMs: number;
    maxConnections: number;
    requestTimeoutMs: number;
    /** --tenants: the file of tenants (read and checked at start), instead of one token. */
    tenantsFile?: string;
    /** --tenant-idle-timeout in ms (0: tenants are never released). */
    tenantIdleTimeoutMs: number;
    stateless: boolean;
  };
  /** Largest message a client may send on either transport (bytes). */
  maxMessageBytes: number;
  sandbox: SandboxConfig;
  onExit: ExitPolicy;
  exposeHost: string;
  maxConcurrentCalls: number;
  tools?: string[];
  maxOutputChars: number;
  syncTools: boolean;
  browserProfile: 'persistent' | 'ephemeral';
  /** file_export's destination and file_import's allowed sources: absolute host folders (exchange/host-source.ts). */
  exchangeDir: string;
  importDirs: string[];
  dataDir: string;
  /** 'file', or the redis:// URL of a store shared by replicas (a secret: it may hold a password). */
  store: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  model?: string;
  modelBaseUrl?: string;
  mcpConfig?: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function parseValue(key: OptionKey, raw: string, source: string): string | number | boolean | string[] {
  const def: OptionDef = OPTIONS[key];
  const bad = (why: string) => new ConfigError(`${source}: ${why} (got "${raw}")`);
  switch (def.kind) {
    case 'int': {
      if (!/^\d+$/.test(raw.trim())) throw bad('expected a whole number');
      return Number(raw);
    }
    case 'number': {
      const n = Number(raw);
      if (!Number.isFinite(n) || n <= 0) throw bad('expected a positive number');
      return n;
    }
    case 'bool': {
      if (/^(1|true|yes|on)$/i.test(raw)) return true;
      if (/^(0|false|no|off)$/i.test(raw)) return false;
      throw bad('expected true or false');
    }
    case 'list':
      return raw.split(',').map((s) => s.trim()).filter(Boolean);
    default:
      if (def.choices && !def.choices.includes(raw)) throw bad(`expected one of ${def.choices.join(', ')}`);
      return raw;
  }
}

/** Parse flags and environment into raw values (flags win). Unknown flags are an error, not ignored. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv): Partial<Record<OptionKey, unknown>> {
  const byFlag = new Map<string, OptionKey>(Object.entries(OPTIONS).map(([k, d]) => [d.flag, k as OptionKey]));
  const out: Partial<Record<OptionKey, unknown>> = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--([a-z0-9-]+)(?:=(.*))?$/.exec(arg);
    if (!m) throw new ConfigError(`unexpected argument "${arg}"; see --help`);
    const [, flag, inline] = m;
    const negated = flag!.startsWith('no-') ? byFlag.get(flag!.slice(3)) : undefined;
    const neg = negated && OPTIONS[negated].kind === 'bool' ? negated : undefined; // --no-x only for switches
    const key = byFlag.get(flag!) ?? neg;
    if (!key) throw new ConfigError(`unknown option --${flag}; see --help`);
    if (neg && inline !== undefined) throw new ConfigError(`--${flag} takes no value`);
    if (OPTIONS[key].kind === 'bool' && inline === undefined) {
      out[key] = !neg;
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined) throw new ConfigError(`--${flag} needs a value`);
    out[key] = parseValue(key, value, `--${flag}`);
  }
  // The environment fills in what no flag set (a flag overrides even an invalid variable).
  for (const key of Object.keys(OPTIONS) as OptionKey[]) {
    const v = env[envName(key)];
    if (!(key in out) && v !== undefined && v !== '') out[key] = parseValue(key, v, envName(key));
  }
  return out;
}

export function defaultDataDir(env: NodeJS.ProcessEnv = process.env): string {
  if (process.platform === 'win32') return join(env.LOCALAPPDATA ?? join(homedir(), 'AppData', 'Local'), 'suna-mcp');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'suna-mcp');
  return join(env.XDG_DATA_HOME || join(homedir(), '.local', 'share'), 'suna-mcp');
}

/** --egress, --egress-allow, --egress-dns, validated here so a typo stops the server with what to fix. */
function egressConfig(mode: EgressMode, allow: string[], dns: string | undefined): EgressConfig {
  try {
    parseAllowList(allow);
  } catch (err) {
    throw new ConfigError((err as Error).message);
  }
  if (dns !== undefined && !parseDnsServer(dns)) throw new ConfigError(`--egress-dns: expected the host:port of a DNS server, e.g. 10.0.0.53:53 (got "${dns}")`);
  if (mode === 'allowlist' && !allow.length) throw new ConfigError('--egress allowlist needs --egress-allow (domains, *.domains or CIDRs); use --egress none to allow nothing');
  return { mode, allow, dns };
}

const SIZE_UNITS: Record<string, number> = { b: 1, kb: 1e3, kib: 1024, mb: 1e6, mib: 1024 ** 2, gb: 1e9, gib: 1024 ** 3, tb: 1e12, tib: 1024 ** 4 };

/** "50,2GiB", "20", "500MB", "100,unlimited": a count and/or a size cap of the checkpoint store. */
export function parseCheckpointRetention(value: string): CheckpointRetention {
  const r: CheckpointRetention = { ...DEFAULT_CHECKPOINT_RETENTION };
  const bad = (why: string) => new ConfigError(`--checkpoint-retention: ${why}; write a count, a size or both, e.g. "50,2GiB" (got "${value}")`);
  const parts = value.split(',').map((p) => p.trim().toLowerCase());
  if (!parts.length || parts.length > 2) throw bad('one or two parts');
  for (const part of parts) {
    const count = /^\d+$/.exec(part);
    const size = /^(\d+(?:\.\d+)?)\s*([a-z]+)$/.exec(part);
    if (count) {
      r.count = Number(part);
      if (r.count < 1 || r.count > 1000) throw bad('the count is 1 to 1000');
    } else if (part === 'unlimited') r.bytes = 0;
    else if (size && SIZE_UNITS[size[2]!]) {
      r.bytes = Math.round(Number(size[1]) * SIZE_UNITS[size[2]!]!);
      if (r.bytes < 1024 * 1024) throw bad('the size cap is at least 1MiB');
    } else throw bad(`"${part}" is neither a count nor a size with a unit (KiB, MiB, GiB)`);
  }
  return r;
}

/** `~` expanded, made absolute: the exchange folder (default ~/SunaFiles/<sandbox>) and the import roots (default: it). */
function exchangeDirs(exchange: string | undefined, imports: string[] | undefined, sandboxName: string): { exchangeDir: string; importDirs: string[] } {
  const abs = (p: string) => resolve(p === '~' ? homedir() : p.startsWith('~/') ? join(homedir(), p.slice(2)) : p);
  const exchangeDir = abs(exchange ?? join(homedir(), 'SunaFiles', sandboxName));
  // file_export with overwrite replaces files by name in this folder: never the home folder (.bashrc) or above it.
  const home = resolve(homedir());
  if (home === exchangeDir || home.startsWith(exchangeDir.endsWith(sep) ? exchangeDir : exchangeDir + sep))
    throw new ConfigError(`--exchange-dir: use a folder of its own (e.g. ~/SunaFiles), not the home folder or one above it (got "${exchange}")`);
  return { exchangeDir, importDirs: imports?.length ? imports.map(abs) : [exchangeDir] };
}

/** --store: file, or a redis:// / rediss:// URL (its password is registered as a secret, never logged). */
function storeUrl(raw: string): string {
  if (raw === 'file') return raw;
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    throw new ConfigError('--store: expected file or a URL such as redis://127.0.0.1:6379');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new ConfigError(`--store: expected file, redis://… or rediss://… (got a ${u.protocol.replace(':', '')} URL)`);
  if (u.password) registerSecret(decodeURIComponent(u.password));
  return raw;
}

export function loadConfig(argv: string[], env: NodeJS.ProcessEnv = process.env): ServerConfig {
  const o = parseOptions(argv, env);
  const get = <T>(key: OptionKey): T => {
    const dflt = (OPTIONS[key] as OptionDef).default;
    return (key in o ? o[key] : dflt !== undefined ? parseValue(key, dflt, 'default') : undefined) as T;
  };
  const name = get<string>('sandboxName');
  if (!SANDBOX_NAME_PATTERN.test(name)) throw new ConfigError(`--sandbox-name: use letters, digits, ".", "_" or "-" (got "${name}")`);
  const memoryMb = get<number>('memory');
  if (memoryMb < 128) throw new ConfigError('--memory: at least 128 MiB');
  const port = o.port as number | undefined;
  if (port !== undefined && (port < 0 || port > 65535)) throw new ConfigError('--port: 0–65535');
  return {
    http:
      port === undefined
        ? undefined
        : {
            port,
            host: get<string>('host'),
            token: o.token as string | undefined,
            allowedOrigins: (o.allowedOrigins as string[] | undefined) ?? [],
            allowedHosts: (o.allowedHosts as string[] | undefined) ?? [],
            maxBodyBytes: Math.max(MIN_MESSAGE_BYTES, get<number>('maxBodyBytes')),
            rateLimit: get<number>('rateLimit'),
            metricsPublic: get<boolean>('metricsPublic'),
            maxSessions: Math.max(1, get<number>('maxSessions')),
            sessionIdleTimeoutMs: get<number>('sessionIdleTimeout') * 1000,
            maxConnections: Math.max(1, get<number>('maxConnections')),
            requestTimeoutMs: Math.max(1, get<number>('requestTimeout')) * 1000,
            tenantsFile: o.tenants as string | undefined,
            tenantIdleTimeoutMs: get<number>('tenantIdleTimeout') * 1000,
            stateless: get<boolean>('stateless'),
          },
    maxMessageBytes: Math.max(MIN_MESSAGE_BYTES, get<number>('maxBodyBytes')),
    sandbox: {
      name,
      image: (o.image as string | undefined) ?? '',
      baseImage: get<string>('baseImage'),
      memoryMb,
      cpus: get<number>('cpus'),
      pidsLimit: get<number>('pids'),
      tmpSizeMb: get<number>('tmpSize'),
      diskQuotaMb: get<number>('diskQuota'),
      network: get<NetworkMode>('network'),
      egress: egressConfig(get<EgressMode>('egress'), (o.egressAllow as string[] | undefined) ?? [], o.egressDns as string | undefined),
      profile: get<SandboxProfile>('profile'),
      ephemeral: get<boolean>('ephemeral'),
      checkpointRetention: parseCheckpointRetention(get<string>('checkpointRetention')),
    },
    onExit: get<ExitPolicy>('onExit'),
    exposeHost: get<string>('exposeHost'),
    maxConcurrentCalls: Math.max(1, get<number>('maxConcurrentCalls')),
    tools: o.tools as string[] | undefined,
    maxOutputChars: Math.max(1000, get<number>('maxOutputChars')),
    syncTools: get<boolean>('syncTools'),
    browserProfile: get<'persistent' | 'ephemeral'>('browserProfile'),
    ...exchangeDirs(o.exchangeDir as string | undefined, o.importDirs as string[] | undefined, name),
    dataDir: (o.dataDir as string | undefined) ?? defaultDataDir(env),
    store: storeUrl(get<string>('store')),
    logLevel: get<ServerConfig['logLevel']>('logLevel'),
    model: o.model as string | undefined,
    modelBaseUrl: o.modelBaseUrl as string | undefined,
    mcpConfig: o.mcpConfig as string | undefined,
  };
}

export function helpText(version: string): string {
  const lines = [
    `suna-mcp ${version} — an MCP server whose tools act in a hardened Docker sandbox`,
    '',
    'Usage: suna-mcp [options]              serve MCP on stdio (default) or HTTP (--port)',
    '       suna-mcp build-image [options]  build the sandbox image now',
    '       suna-mcp doctor [options]       check Node, Docker, the image, limits, keys and the data directory',
    '       suna-mcp setup claude-desktop [--write]   print (or merge) the Claude Desktop config',
    '',
    'Every option can also be set with its environment variable; flags win.',
  ];
  for (const group of ['server', 'http', 'sandbox', 'agent'] as const) {
    lines.push('', `${group[0]!.toUpperCase()}${group.slice(1)}:`);
    for (const [key, d] of Object.entries(OPTIONS) as [OptionKey, OptionDef][]) {
      if (d.group !== group) continue;
      const choices = d.choices ? ` (${d.choices.join('|')})` : '';
      const dflt = d.default !== undefined ? ` [default: ${d.default}]` : '';
      lines.push(`  --${d.flag}${d.kind === 'bool' ? '' : ' <value>'}`.padEnd(30) + `${envName(key)}`, `      ${d.description}${choices}${dflt}`);
    }
  }
  return lines.join('\n');
}
