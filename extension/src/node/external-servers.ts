// External MCP servers from the `suna.mcpServers` setting, the plain part (no VS Code API): reading the
// setting per server, `${secret:NAME}` placeholders filled from secret storage, and how external tools meet
// the approval policy. Settings sync and get shared, so secrets stay in SecretStorage and only their names
// sit in the setting.
import { registerSecret } from '@suna/shared';
import type { ToolHost, ToolResult, ToolSpec } from '@suna/shared/agent/index';
import { combineToolHosts, McpConfigError, parseMcpConfig, type ExternalServerConfig, type McpHubConfig, type RoutingToolHost } from '@suna/shared/mcp-hub/index';
import { approvalReason, type ToolHints } from '../common/approvals.js';
import type { CallObserver } from './mcp-tool-host.js';

/** SecretStorage keys of MCP server secrets: `suna.mcp.<NAME>`, apart from the API keys. */
export const MCP_SECRET_PREFIX = 'suna.mcp.';
export const SECRET_NAME_PATTERN = /^[A-Za-z_][A-Za-z0-9_.-]{0,63}$/;
const PLACEHOLDER = /\$\{secret:([^}]*)\}/g;
export const SET_SECRET_COMMAND = 'Suna: Set MCP Server Secret';

export class McpSecretError extends Error {
  override readonly name = 'McpSecretError';
}

export type SecretGetter = (name: string) => Promise<string | undefined>;

export function secretStorageKey(name: string): string {
  return MCP_SECRET_PREFIX + name;
}

/** Fill `${secret:NAME}` in one value; an unknown or unset NAME is refused, never left in or sent empty. */
export async function resolveSecretPlaceholders(value: string, where: string, getSecret: SecretGetter): Promise<string> {
  const names = [...value.matchAll(PLACEHOLDER)].map((m) => m[1]!);
  if (!names.length) return value;
  const values = new Map<string, string>();
  for (const name of names) {
    if (!SECRET_NAME_PATTERN.test(name)) throw new McpSecretError(`${where}: "\${secret:${name}}" is not a valid secret name (letters, digits, "_", "." and "-")`);
    const v = values.has(name) ? values.get(name) : await getSecret(name);
    if (v === undefined || v === '')
      throw new McpSecretError(`${where}: the secret "${name}" is not set; run "${SET_SECRET_COMMAND}" and store it under the name ${name}`);
    values.set(name, v);
  }
  // The values reach logs and error messages only redacted.
  for (const v of values.values()) registerSecret(v);
  return value.replace(PLACEHOLDER, (_m, name: string) => values.get(name)!);
}

/**
 * Secrets are read only in env and header values: arguments, commands and URLs show up in process lists,
 * logs and the approvals' identity of a server.
 */
export async function resolveServerSecrets(name: string, cfg: ExternalServerConfig, getSecret: SecretGetter): Promise<ExternalServerConfig> {
  const where = `suna.mcpServers.${name}`;
  const elsewhere = cfg.type === 'stdio' ? [['command', cfg.command], ...cfg.args.map((a, i) => [`args.${i}`, a]), ['cwd', cfg.cwd ?? '']] : [['url', cfg.url]];
  for (const [field, value] of elsewhere)
    if (/\$\{secret:/.test(value!)) throw new McpSecretError(`${where}.${field}: \${secret:…} is only read in "env" and "headers" values, where it does not show up in process lists or logs`);
  const fill = async (rec: Record<string, string>, field: string) => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(rec)) out[k] = await resolveSecretPlaceholders(v, `${where}.${field}.${k}`, getSecret);
    return out;
  };
  return cfg.type === 'stdio' ? { ...cfg, env: await fill(cfg.env, 'env') } : { ...cfg, headers: await fill(cfg.headers, 'headers') };
}

export interface LoadedServers {
  config: McpHubConfig;
  /** Servers left out, with why (bad entry, missing secret): one broken entry does not cost the others. */
  problems: Record<string, string>;
}

/** The setting is `{ name: entry }`; a pasted `{ "mcpServers": { … } }` document is accepted too. */
export async function loadExternalServers(raw: unknown, getSecret: SecretGetter, env: NodeJS.ProcessEnv = process.env): Promise<LoadedServers> {
  const out: LoadedServers = { config: { servers: {} }, problems: {} };
  if (raw === undefined || raw === null) return out;
  if (typeof raw !== 'object' || Array.isArray(raw)) {
    out.problems['suna.mcpServers'] = 'expected an object mapping server names to {command, args, env} or {url, headers}';
    return out;
  }
  const doc = raw as Record<string, unknown>;
  const entries = typeof doc.mcpServers === 'object' && doc.mcpServers !== null && Object.keys(doc).length === 1 ? (doc.mcpServers as Record<string, unknown>) : doc;
  for (const [name, entry] of Object.entries(entries)) {
    try {
      // `${secret:NAME}` is not `${NAME}` / `${env:NAME}`, so the parser leaves it for us; filling it after
      // parsing keeps a secret's own text from being expanded as a variable.
      const cfg = parseMcpConfig({ mcpServers: { [name]: entry } }, { env, source: 'suna.mcpServers' }).servers[name]!;
      // A disabled server needs no secrets (it may be disabled because they are not set yet).
      out.config.servers[name] = cfg.disabled ? cfg : await resolveServerSecrets(name, cfg, getSecret);
    } catch (err) {
      if (!(err instanceof McpConfigError || err instanceof McpSecretError)) throw err;
      out.problems[name] = err.message;
    }
  }
  return out;
}

/**
 * What the approval policy reads for an external tool. The hub keeps only `readOnly` of the annotations, and
 * whatever a third-party server says, its tools act outside the sandbox: open world. So in `ask` mode even
 * its read-only tools ask, in `auto-read` only read-only ones run, and nothing runs unasked for being external.
 */
export function externalToolHints(spec: ToolSpec | undefined): ToolHints {
  return { readOnlyHint: spec?.readOnly === true, openWorldHint: true };
}

export function externalApprovalReason(name: string, hints: ToolHints): string {
  const server = name.slice(0, Math.max(0, name.indexOf('__')));
  return hints.readOnlyHint ? `asks the external MCP server "${server}" (outside the sandbox)` : `runs on the external MCP server "${server}", outside the sandbox; it may change data there`;
}

/** A tool host the panel can watch: `observe` gets a call's live output where the tool streams it. */
export type HintedToolHost = ToolHost & {
  hintsOf(name: string): ToolHints | undefined;
  reasonOf?(name: string): string;
  callTool(name: string, args: Record<string, unknown>, signal: AbortSignal, observe?: CallObserver): Promise<ToolResult>;
};

/** The sandbox tools next to the external ones, with hints for both, for the approval gate. */
export function withExternalTools(sandbox: HintedToolHost, external: RoutingToolHost): Required<HintedToolHost> {
  const combined = combineToolHosts(sandbox, external);
  const specs = new Map<string, ToolSpec>();
  const isExternal = (name: string) => external.handles?.(name) === true && sandbox.hintsOf(name) === undefined;
  const hintsOf = (name: string) => (isExternal(name) ? externalToolHints(specs.get(name)) : sandbox.hintsOf(name));
  return {
    async listTools() {
      const list = await combined.listTools();
      for (const s of list) specs.set(s.name, s);
      return list;
    },
    callTool: (name: string, args: Record<string, unknown>, signal: AbortSignal, observe?: CallObserver): Promise<ToolResult> =>
      observe && external.handles?.(name) !== true ? sandbox.callTool(name, args, signal, observe) : combined.callTool(name, args, signal),
    hintsOf,
    reasonOf: (name: string) => (isExternal(name) ? externalApprovalReason(name, hintsOf(name)!) : (sandbox.reasonOf?.(name) ?? approvalReason(sandbox.hintsOf(name)))),
  };
}
