// External MCP servers in the common `mcpServers` JSON shape (Claude Desktop, Claude Code, Cursor; VS Code's
// `servers` key is accepted too): stdio servers (command, args, env, cwd) and Streamable HTTP servers (url,
// headers), each with `disabled` and an `allowedTools` allow-list. `${NAME}` / `${env:NAME}` in args, env,
// cwd, url and headers are read from the environment, so secrets need not sit in the file.
import { z } from 'zod';
import { isSecretName, registerSecret } from '../redact.js';

/** Server names become the `name__` prefix of their tools: letters, digits, `_` and `-`, no `__`. */
export const SERVER_NAME_PATTERN = /^[a-zA-Z0-9_-]{1,32}$/;

export interface StdioServerConfig {
  type: 'stdio';
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd?: string;
  disabled: boolean;
  /** Tool names as the server calls them (not namespaced); absent = all tools. */
  allowedTools?: string[];
}

export interface HttpServerConfig {
  type: 'http';
  url: string;
  headers: Record<string, string>;
  disabled: boolean;
  allowedTools?: string[];
}

export type ExternalServerConfig = StdioServerConfig | HttpServerConfig;

export interface McpHubConfig {
  servers: Record<string, ExternalServerConfig>;
}

export class McpConfigError extends Error {
  override readonly name = 'McpConfigError';
}

const common = {
  disabled: z.boolean().optional(),
  allowedTools: z.array(z.string().min(1)).optional(),
};

const stdioEntry = z
  .object({
    type: z.literal('stdio').optional(),
    command: z.string().min(1, 'command must not be empty'),
    args: z.array(z.string()).optional(),
    env: z.record(z.string(), z.string()).optional(),
    cwd: z.string().min(1).optional(),
    ...common,
  })
  .loose();

const httpEntry = z
  .object({
    type: z.enum(['http', 'streamable-http', 'streamableHttp']).optional(),
    url: z.string().min(1, 'url must not be empty'),
    headers: z.record(z.string(), z.string()).optional(),
    ...common,
  })
  .loose();

function describeIssues(err: z.ZodError, prefix: string): string {
  return err.issues.map((i) => `${[prefix, ...i.path.map(String)].filter(Boolean).join('.')}: ${i.message}`).join('; ');
}

const VAR = /\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)\}/g;

function expand(value: string, where: string, env: NodeJS.ProcessEnv): string {
  return value.replace(VAR, (_m, name: string) => {
    const v = env[name];
    if (v === undefined) throw new McpConfigError(`${where}: the environment variable ${name} is not set (referenced as \${${name}})`);
    return v;
  });
}

/** Header names that carry credentials whatever they are called. */
const SECRET_HEADERS = /^(authorization|proxy-authorization|cookie)$/i;

function looksSecret(name: string): boolean {
  return SECRET_HEADERS.test(name) || isSecretName(name.replace(/-/g, '_')) || /(key|token|secret|password|credential)/i.test(name);
}

function validateName(name: string): void {
  if (!SERVER_NAME_PATTERN.test(name))
    throw new McpConfigError(`mcpServers."${name}": a server name may use only letters, digits, "_" and "-" (at most 32), because it prefixes its tool names`);
  if (name.includes('__') || name.endsWith('_'))
    throw new McpConfigError(`mcpServers."${name}": a server name may not contain "__" or end with "_": tools are named <server>__<tool>`);
}

function parseEntry(name: string, raw: unknown, env: NodeJS.ProcessEnv): ExternalServerConfig {
  const where = `mcpServers.${name}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new McpConfigError(`${where}: expected an object with "command" (stdio) or "url" (HTTP)`);
  const obj = raw as Record<string, unknown>;
  const type = obj.type;
  if (type === 'sse') throw new McpConfigError(`${where}: the legacy SSE transport is not supported; use the server's Streamable HTTP endpoint ("type": "http")`);
  if (type !== undefined && !['stdio', 'http', 'streamable-http', 'streamableHttp'].includes(String(type)))
    throw new McpConfigError(`${where}.type: expected "stdio" or "http" (got ${JSON.stringify(type)})`);
  const isHttp = type === undefined ? 'url' in obj && !('command' in obj) : type !== 'stdio';
  if (type === undefined && 'url' in obj && 'command' in obj) throw new McpConfigError(`${where}: give either "command" (stdio) or "url" (HTTP), not both`);
  if (type === undefined && !('url' in obj) && !('command' in obj)) throw new McpConfigError(`${where}: expected "command" (a stdio server) or "url" (a Streamable HTTP server)`);

  if (isHttp) {
    const p = httpEntry.safeParse(obj);
    if (!p.success) throw new McpConfigError(describeIssues(p.error, where));
    const url = expand(p.data.url, `${where}.url`, env);
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new McpConfigError(`${where}.url: not a valid URL`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new McpConfigError(`${where}.url: expected an http:// or https:// URL`);
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(p.data.headers ?? {})) {
      headers[k] = expand(v, `${where}.headers.${k}`, env);
      if (looksSecret(k)) registerSecret(headers[k]!.replace(/^(bearer|basic|token)\s+/i, ''));
    }
    if (parsed.password) registerSecret(decodeURIComponent(parsed.password));
    return { type: 'http', url, headers, disabled: p.data.disabled ?? false, allowedTools: p.data.allowedTools };
  }

  const p = stdioEntry.safeParse(obj);
  if (!p.success) throw new McpConfigError(describeIssues(p.error, where));
  const envOut: Record<string, string> = {};
  for (const [k, v] of Object.entries(p.data.env ?? {})) {
    envOut[k] = expand(v, `${where}.env.${k}`, env);
    if (looksSecret(k)) registerSecret(envOut[k]);
  }
  return {
    type: 'stdio',
    command: expand(p.data.command, `${where}.command`, env),
    args: (p.data.args ?? []).map((a, i) => expand(a, `${where}.args.${i}`, env)),
    env: envOut,
    ...(p.data.cwd ? { cwd: expand(p.data.cwd, `${where}.cwd`, env) } : {}),
    disabled: p.data.disabled ?? false,
    allowedTools: p.data.allowedTools,
  };
}

/**
 * Parse and validate an `{ "mcpServers": { … } }` document. Throws McpConfigError naming the entry and the
 * field at fault. Secret-looking header and env values are registered with the redactor as a side effect.
 */
export function parseMcpConfig(input: string | unknown, opts: { env?: NodeJS.ProcessEnv; source?: string } = {}): McpHubConfig {
  const env = opts.env ?? process.env;
  const src = opts.source ? `${opts.source}: ` : '';
  let doc: unknown = input;
  if (typeof input === 'string') {
    try {
      doc = JSON.parse(input);
    } catch (err) {
      throw new McpConfigError(`${src}not valid JSON (${(err as Error).message})`);
    }
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) throw new McpConfigError(`${src}expected a JSON object with an "mcpServers" object`);
  const d = doc as Record<string, unknown>;
  if ('mcpServers' in d && 'servers' in d) throw new McpConfigError(`${src}give "mcpServers" or "servers", not both`);
  const servers = d.mcpServers ?? d.servers;
  if (typeof servers !== 'object' || servers === null || Array.isArray(servers))
    throw new McpConfigError(`${src}expected an "mcpServers" object mapping server names to {command, args, env} or {url, headers}`);
  const out: McpHubConfig = { servers: {} };
  for (const [name, entry] of Object.entries(servers)) {
    try {
      validateName(name);
      out.servers[name] = parseEntry(name, entry, env);
    } catch (err) {
      if (err instanceof McpConfigError) throw new McpConfigError(src + err.message);
      throw err;
    }
  }
  return out;
}

/** What identifies a server beyond its name: approvals are kept per name + identity. Holds no secret values. */
export function serverIdentity(cfg: ExternalServerConfig): string {
  return cfg.type === 'stdio' ? JSON.stringify(['stdio', cfg.command, cfg.args, cfg.cwd ?? '']) : JSON.stringify(['http', cfg.url]);
}
