// Netlify through its HTTP API, from the host: the token never enters the sandbox. Netlify is the simplest
// provider to drive correctly: one zip upload per deploy (Cloudflare Pages needs an upload-token exchange and
// a hash manifest). Token: NETLIFY_AUTH_TOKEN (the variable the Netlify CLI uses); NETLIFY_API_URL overrides
// the API base (proxies, tests).
import { redactSecrets } from '@suna/shared';
import type { SiteFile } from './static-host.js';

export interface NetlifyDeploy {
  siteId: string;
  deployId: string;
  url: string;
  state: string;
}

export class NetlifyError extends Error {
  override readonly name = 'NetlifyError';
}

export function netlifySettings(env: NodeJS.ProcessEnv = process.env): { token?: string; apiUrl: string } {
  return { token: env.NETLIFY_AUTH_TOKEN || undefined, apiUrl: (env.NETLIFY_API_URL || 'https://api.netlify.com').replace(/\/+$/, '') };
}

async function call<T>(apiUrl: string, token: string, method: string, path: string, body: BodyInit | object | undefined, signal: AbortSignal): Promise<T> {
  const isRaw = body instanceof Uint8Array;
  let res: Response;
  try {
    res = await fetch(`${apiUrl}/api/v1${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': isRaw ? 'application/zip' : 'application/json' }) },
      body: body === undefined ? undefined : isRaw ? (body as BodyInit) : JSON.stringify(body),
      signal: AbortSignal.any([signal, AbortSignal.timeout(120_000)]),
    });
  } catch (err) {
    throw new NetlifyError(`could not reach the Netlify API (${(err as Error).message})`);
  }
  const text = await res.text();
  if (res.status === 401 || res.status === 403) throw new NetlifyError('NETLIFY_AUTH_TOKEN was rejected by Netlify (401/403); create a personal access token in Netlify and set it');
  if (!res.ok) throw new NetlifyError(`Netlify answered ${res.status} to ${method} ${path}: ${redactSecrets(text).slice(0, 300)}`);
  return (text ? JSON.parse(text) : {}) as T;
}

export async function deployToNetlify(name: string, files: SiteFile[], settings: { token: string; apiUrl: string }, signal: AbortSignal): Promise<NetlifyDeploy> {
  const { token, apiUrl } = settings;
  const found = await call<{ id: string; name: string }[]>(apiUrl, token, 'GET', `/sites?name=${encodeURIComponent(name)}&filter=all`, undefined, signal);
  let site = found.find((s) => s.name === name);
  if (!site) {
    try {
      site = await call<{ id: string; name: string }>(apiUrl, token, 'POST', '/sites', { name }, signal);
    } catch (err) {
      if (/ 422 /.test((err as Error).message)) throw new NetlifyError(`the Netlify site name "${name}" is taken; choose another name`);
      throw err;
    }
  }
  const { zipSync } = await import('fflate'); // loaded on first deploy, not at start
  const zip = zipSync(Object.fromEntries(files.map((f) => [f.path, new Uint8Array(f.data)])), { level: 6 });
  const deploy = await call<{ id: string; state: string; ssl_url?: string; url?: string; deploy_ssl_url?: string }>(apiUrl, token, 'POST', `/sites/${site.id}/deploys`, zip, signal);
  return { siteId: site.id, deployId: deploy.id, state: deploy.state, url: deploy.ssl_url || deploy.url || deploy.deploy_ssl_url || '' };
}
