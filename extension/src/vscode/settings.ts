// Settings and secrets: the one place that reads `suna.*` configuration and SecretStorage. API keys live
// only in SecretStorage (never in settings, logs or the sandbox); they are handed to the provider in-process.
import * as vscode from 'vscode';
import { createProvider, DEFAULT_MODEL, parseModelSpec, type ModelProvider, type ProviderName } from '@suna/shared/agent/index';
import { parseAlwaysAllowed, parseApprovalMode, type ApprovalMode } from '../common/approvals.js';
import type { ModelChoice } from '../common/protocol.js';
import { DEFAULT_CAPS, type SyncCaps } from '../common/sync-planner.js';

export const PROVIDERS: ProviderName[] = ['anthropic', 'openai', 'openai-compatible'];
const PROVIDER_LABEL: Record<ProviderName, string> = { anthropic: 'Anthropic', openai: 'OpenAI', 'openai-compatible': 'OpenAI-compatible endpoint' };
const DEFAULT_MODEL_LIST = [DEFAULT_MODEL, 'anthropic:claude-haiku-4-5', 'openai:gpt-5.4', 'openai:gpt-5.4-nano'];

const cfg = () => vscode.workspace.getConfiguration('suna');
const secretKey = (p: ProviderName) => `suna.apiKey.${p}`;
export const SERVER_TOKEN_SECRET = 'suna.serverToken';

export function model(): string {
  return cfg().get<string>('model') || DEFAULT_MODEL;
}

export function approvalMode(): ApprovalMode {
  return parseApprovalMode(cfg().get('approvals'));
}

/** Tools the user chose "Always allow" for: a workspace setting, so it is listed (and revocable) in Settings. */
export function alwaysAllowedTools(): Set<string> {
  return parseAlwaysAllowed(cfg().get('alwaysAllowTools'));
}

export async function allowToolAlways(name: string): Promise<void> {
  const next = [...alwaysAllowedTools(), name].filter((v, i, a) => a.indexOf(v) === i).sort();
  const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
  await cfg().update('alwaysAllowTools', next, target);
}

/** The user's prices per model (`suna.modelPrices`); shared's priceOf checks each entry. */
export function modelPriceOverrides(): Record<string, unknown> {
  const v = cfg().get<unknown>('modelPrices');
  return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function maxSteps(): number {
  return Math.max(1, cfg().get<number>('maxSteps') ?? 50);
}

export function syncEnabled(): boolean {
  return cfg().get<boolean>('sync.enabled') ?? true;
}

export function syncCaps(): SyncCaps {
  const c = cfg();
  return {
    maxFileBytes: c.get<number>('sync.maxFileBytes') ?? DEFAULT_CAPS.maxFileBytes,
    maxSyncBytes: c.get<number>('sync.maxSyncBytes') ?? DEFAULT_CAPS.maxSyncBytes,
    maxFiles: c.get<number>('sync.maxFiles') ?? DEFAULT_CAPS.maxFiles,
  };
}

export function syncExcludes(): string[] {
  return cfg().get<string[]>('sync.exclude') ?? [];
}

export function server(): { url?: string; nodePath?: string; args: string[] } {
  const c = cfg();
  return { url: c.get<string>('serverUrl') || undefined, nodePath: c.get<string>('server.nodePath') || undefined, args: c.get<string[]>('server.args') ?? [] };
}

function baseUrl(provider: ProviderName): string | undefined {
  const key = provider === 'anthropic' ? 'anthropicBaseUrl' : provider === 'openai' ? 'openaiBaseUrl' : 'openaiCompatibleBaseUrl';
  return cfg().get<string>(key) || undefined;
}

export class Secrets {
  constructor(private readonly storage: vscode.SecretStorage) {}

  onDidChange = (listener: () => void) => this.storage.onDidChange(listener);

  apiKey(provider: ProviderName): Thenable<string | undefined> {
    return this.storage.get(secretKey(provider));
  }

  /** The bearer token for `suna.serverUrl`: SecretStorage first, the (discouraged) setting second. */
  async serverToken(): Promise<string | undefined> {
    return (await this.storage.get(SERVER_TOKEN_SECRET)) || cfg().get<string>('serverToken') || undefined;
  }

  async models(): Promise<ModelChoice[]> {
    const list = [...new Set([model(), ...(cfg().get<string[]>('models') ?? DEFAULT_MODEL_LIST)])];
    const out: ModelChoice[] = [];
    for (const id of list) {
      let provider: ProviderName;
      try {
        provider = parseModelSpec(id).provider;
      } catch {
        continue;
      }
      out.push({ id, hasKey: provider === 'openai-compatible' || !!(await this.apiKey(provider)) || !!envKey(provider) });
    }
    return out;
  }

  /** A provider for `spec`, with its key from SecretStorage (or the environment) and base URL from settings. */
  async provider(spec: string): Promise<ModelProvider> {
    const { provider } = parseModelSpec(spec);
    const apiKey = (await this.apiKey(provider)) || envKey(provider);
    if (!apiKey && provider !== 'openai-compatible')
      throw new Error(`No ${PROVIDER_LABEL[provider]} API key: run "Suna: Set API Key" (it is kept in VS Code's secret storage).`);
    const keyHint = `"Suna: Set API Key" (${PROVIDER_LABEL[provider]})`;
    const urlSetting = provider === 'anthropic' ? 'suna.anthropicBaseUrl' : provider === 'openai' ? 'suna.openaiBaseUrl' : 'suna.openaiCompatibleBaseUrl';
    return createProvider(spec, { apiKey, baseURL: baseUrl(provider), settingNames: { apiKey: keyHint, baseURL: urlSetting } });
  }

  /** "Suna: Set API Key": pick a provider, paste the key; an empty input removes it. */
  async promptApiKey(preset?: ProviderName): Promise<boolean> {
    const provider =
      preset ??
      (await vscode.window.showQuickPick(
        PROVIDERS.map((p) => ({ label: PROVIDER_LABEL[p], provider: p })),
        { title: 'Suna: Set API Key', placeHolder: 'Which provider is the key for?' },
      ))?.provider;
    if (!provider) return false;
    const key = await vscode.window.showInputBox({
      title: `${PROVIDER_LABEL[provider]} API key`,
      prompt: 'Stored in VS Code secret storage; never written to settings, logs or the sandbox. Leave empty to remove it.',
      password: true,
      ignoreFocusOut: true,
    });
    if (key === undefined) return false;
    if (key.trim()) await this.storage.store(secretKey(provider), key.trim());
    else await this.storage.delete(secretKey(provider));
    void vscode.window.showInformationMessage(key.trim() ? `Suna: ${PROVIDER_LABEL[provider]} API key saved.` : `Suna: ${PROVIDER_LABEL[provider]} API key removed.`);
    return true;
  }

  async promptServerToken(): Promise<void> {
    const token = await vscode.window.showInputBox({ title: 'Suna: bearer token for suna.serverUrl', password: true, ignoreFocusOut: true });
    if (token === undefined) return;
    if (token.trim()) await this.storage.store(SERVER_TOKEN_SECRET, token.trim());
    else await this.storage.delete(SERVER_TOKEN_SECRET);
  }
}

function envKey(provider: ProviderName): string | undefined {
  const name = provider === 'anthropic' ? 'ANTHROPIC_API_KEY' : provider === 'openai' ? 'OPENAI_API_KEY' : 'OPENAI_COMPATIBLE_API_KEY';
  return process.env[name] || undefined;
}
