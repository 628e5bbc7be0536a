// Static site deploys: `local` (served by this server on 127.0.0.1, survives the sandbox stopping) or
// `netlify` (through its API from the host; the token stays on the host).
import { posix } from 'node:path';
import { sandboxPathProblem } from '@suna/shared';
import { displayPath, resolveWorkspacePath } from '@suna/sandbox';
import { z } from 'zod';
import { deployToNetlify, NetlifyError, netlifySettings } from '../deploy/netlify.js';
import { SITE_NAME, type SiteFile } from '../deploy/static-host.js';
import { defineTool, ToolError, type ToolContext } from '../tool.js';

const MAX_SITE_FILES = 5000;
const MAX_SITE_BYTES = 100 * 1024 * 1024;
const nameArg = z.string().regex(SITE_NAME, 'lowercase letters, digits and "-", starting with a letter or digit').describe('e.g. "my-report"');

/**
 * Copy a directory out of the sandbox: regular files only (symlinks are skipped), within size caps. The
 * file list is the daemon's answer, so every entry is checked on the host before it is used: a name that
 * is not a plain relative path ("../x", "/etc/x", "a\\b", NUL, "C:x") is refused and reported, and the
 * caps count the bytes actually received, not the sizes the list claims.
 */
export async function collectSite(ctx: Pick<ToolContext, 'fs'>, absDir: string): Promise<{ files: SiteFile[]; skipped: string[] }> {
  const st = await ctx.fs.stat(absDir);
  if (!st || st.type !== 'dir') throw new ToolError(`${displayPath(absDir)} is not a directory in the workspace`);
  const m = await ctx.fs.manifest(absDir, { maxEntries: MAX_SITE_FILES + 1, respectIgnore: false, exclude: ['.git'], maxFileBytes: MAX_SITE_BYTES });
  const listed = Array.isArray(m?.entries) ? m.entries : [];
  if (m?.truncated === true || listed.length > MAX_SITE_FILES) throw new ToolError(`${displayPath(absDir)} has more than ${MAX_SITE_FILES} files; deploy the build output directory only`);
  const total = listed.reduce((n, e) => n + (Number.isSafeInteger(e?.size) && e.size > 0 ? e.size : 0), 0);
  if (total > MAX_SITE_BYTES) throw new ToolError(`${displayPath(absDir)} holds ${(total / 1048576).toFixed(1)} MB; the limit is ${MAX_SITE_BYTES / 1048576} MB`);
  const files: SiteFile[] = [];
  const skipped = (Array.isArray(m?.skipped) ? m.skipped : []).filter((p) => sandboxPathProblem(p) === null);
  let received = 0;
  for (const e of listed) {
    const problem = sandboxPathProblem(e?.path);
    if (problem) {
      skipped.push(`${JSON.stringify(String(e?.path).slice(0, 80))} (refused: ${problem})`);
      continue;
    }
    if (e.type !== 'file') {
      skipped.push(e.path);
      continue;
    }
    const { data } = await ctx.fs.read(`${absDir}/${e.path}`, { maxBytes: MAX_SITE_BYTES });
    received += data.length;
    if (received > MAX_SITE_BYTES) throw new ToolError(`${displayPath(absDir)} holds more than ${MAX_SITE_BYTES / 1048576} MB; deploy the build output directory only`);
    files.push({ path: e.path, data });
  }
  if (!files.some((f) => f.path === 'index.html')) throw new ToolError(`${displayPath(absDir)} has no index.html at its top level`);
  return { files, skipped };
}

export const siteDeploy = defineTool({
  name: 'site_deploy',
  title: 'Deploy a static site',
  kind: 'publish',
  description:
    'Publish a workspace directory with an index.html: "local" (default) serves it on 127.0.0.1, also after the sandbox stops; ' +
    '"netlify" uploads it (needs NETLIFY_AUTH_TOKEN). The same name replaces it.',
  input: z.object({
    directory: z.string().max(4096).describe('e.g. "dist"'),
    name: nameArg,
    provider: z.enum(['local', 'netlify']).optional(),
  }),
  async handle({ directory, name, provider }, ctx) {
    const abs = resolveWorkspacePath(directory);
    const { files, skipped } = await collectSite(ctx, abs);
    const note = skipped.length ? ` (skipped ${skipped.length} symlinks, oversize files or refused names: ${skipped.slice(0, 5).join(', ')})` : '';
    if ((provider ?? 'local') === 'local') {
      const { refused, ...r } = await ctx.runtime.sites.deploy(name, files);
      const refusedNote = refused.length ? `; not copied: ${refused.slice(0, 5).map((f) => f.reason).join('; ')}` : '';
      ctx.reply.text(`deployed ${r.files} files of ${displayPath(abs)} as "${name}": ${r.url}${note}${refusedNote}`);
      ctx.reply.resourceLink(posix.join(displayPath(abs), 'index.html'), { description: `the page served at ${r.url}` });
      ctx.reply.structuredContent({ ...r, ...(refused.length ? { refused: refused.map((f) => f.path) } : {}) });
      return;
    }
    const settings = netlifySettings();
    if (!settings.token) throw new ToolError('deploying to Netlify needs NETLIFY_AUTH_TOKEN in the server environment (a Netlify personal access token)');
    try {
      const d = await deployToNetlify(name, files, { token: settings.token, apiUrl: settings.apiUrl }, ctx.signal);
      const record = { name, provider: 'netlify' as const, url: d.url, siteId: d.siteId, files: files.length, bytes: files.reduce((n, f) => n + f.data.length, 0), deployedAt: new Date().toISOString() };
      await ctx.runtime.sites.save(record);
      ctx.reply.text(`deployed ${files.length} files of ${displayPath(abs)} to Netlify as "${name}": ${d.url} (deploy ${d.deployId}, ${d.state})${note}`);
      ctx.reply.resourceLink(posix.join(displayPath(abs), 'index.html'), { description: `the page served at ${d.url}` });
      ctx.reply.structuredContent({ ...record, deployId: d.deployId, state: d.state });
    } catch (err) {
      if (err instanceof NetlifyError) throw new ToolError(err.message);
      throw err;
    }
  },
});

export const siteList = defineTool({
  name: 'site_list',
  title: 'Deployed sites',
  kind: 'read',
  description: 'Deployed sites: name, provider, URL, size, time.',
  input: z.object({}),
  async handle(_args, ctx) {
    const sites = await ctx.runtime.sites.list();
    ctx.reply.text(sites.length ? sites.map((s) => `${s.name}  ${s.provider}  ${s.url}  ${s.files} files  ${s.deployedAt}`).join('\n') : 'no sites deployed');
    ctx.reply.structuredContent({ sites });
  },
});

export const siteRemove = defineTool({
  name: 'site_remove',
  title: 'Remove a deployed site',
  kind: 'destructive',
  description: 'Stop serving a local site and delete its copy (for Netlify, only the record here goes).',
  input: z.object({ name: nameArg }),
  async handle({ name }, ctx) {
    const existing = await ctx.runtime.sites.get(name);
    if (!existing) throw new ToolError(`no site "${name}"; site_list shows the deployed ones`);
    await ctx.runtime.sites.remove(name);
    ctx.reply.text(`removed site "${name}"${existing.provider === 'netlify' ? ' from the list (it is still on Netlify)' : ''}`);
  },
});

export const deployTools = [siteDeploy, siteList, siteRemove];
