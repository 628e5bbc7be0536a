// file_export / file_import: files in and out for every client (Claude Desktop has no other way to hand the
// user an xlsx the agent made, or to give the agent the user's own file). Declarations and thin handlers;
// the boundary work is in ../exchange/ (export.ts: sandbox → host; host-source.ts + import.ts: host → sandbox).
// file_export is a `publish` tool: it puts sandbox content on the host, so clients ask before it runs.
import { resolveWorkspacePath } from '@suna/sandbox';
import { z } from 'zod';
import { EXPORT_LIMITS, exportToHost } from '../exchange/export.js';
import { IMPORT_LIMITS, resolveImportSource } from '../exchange/host-source.js';
import { importIntoSandbox } from '../exchange/import.js';
import { defineTool } from '../tool.js';

const MiB = 1024 * 1024;
/** Resource links in one export result (a folder may hold thousands of files). */
const MAX_LINKS = 10;

const summary = (skipped: string[]) => (skipped.length ? `\nskipped ${skipped.length}: ${skipped.slice(0, 10).join('; ')}${skipped.length > 10 ? '; …' : ''}` : '');

export const fileExport = defineTool({
  name: 'file_export',
  title: 'Export a file to the host',
  kind: 'publish',
  description:
    "Copy a workspace file or folder to the user's computer (default ~/SunaFiles/<sandbox>); returns the host path to tell the user. " +
    `Replaces only with overwrite; skips symlinks; max ${EXPORT_LIMITS.maxFileBytes / MiB} MB a file, ${EXPORT_LIMITS.maxTotalBytes / MiB} MB in all.`,
  input: z.object({
    path: z.string().max(4096),
    overwrite: z.boolean().optional(),
  }),
  async handle({ path, overwrite }, ctx) {
    const abs = resolveWorkspacePath(path);
    const r = await exportToHost(ctx, abs, ctx.config.exchangeDir, { overwrite });
    const what = r.type === 'file' ? `${r.files[0]} (${r.bytes} bytes)` : `${r.files.length} files (${r.bytes} bytes)`;
    ctx.reply.text(`exported ${what} to ${r.hostPath}${summary(r.skipped)}`);
    for (const f of r.files.slice(0, MAX_LINKS)) ctx.reply.resourceLink(f);
    ctx.reply.structuredContent({ host_path: r.hostPath, type: r.type, files: r.files.length, bytes: r.bytes, skipped: r.skipped });
  },
});

export const fileImport = defineTool({
  name: 'file_import',
  title: 'Import a file from the host',
  kind: 'write',
  description:
    "Copy a file or folder from the user's computer into the workspace, only from allowed folders (default ~/SunaFiles/<sandbox>, base of a relative host_path). " +
    `Replaces only with overwrite; no symlinks followed; max ${IMPORT_LIMITS.maxFileBytes / MiB} MB a file, ${IMPORT_LIMITS.maxTotalBytes / MiB} MB in all.`,
  input: z.object({
    host_path: z.string().max(4096).describe('e.g. "report.xlsx"'),
    path: z.string().max(4096).optional().describe('Destination (default: its name)'),
    overwrite: z.boolean().optional(),
  }),
  async handle({ host_path, path, overwrite }, ctx) {
    const source = await resolveImportSource(host_path, ctx.config.importDirs);
    const destination = resolveWorkspacePath(path ?? source.name, { allowRoot: source.type === 'dir' || path !== undefined });
    const r = await importIntoSandbox(ctx, source, destination, { overwrite });
    const replaced = r.overwritten.length ? `, ${r.overwritten.length} replaced` : '';
    ctx.reply.text(`imported ${r.type === 'file' ? 'a file' : `${r.files.length} files`} (${r.bytes} bytes${replaced}) to ${r.path}${summary(r.skipped)}`);
    ctx.reply.structuredContent({ path: r.path, type: r.type, files: r.files.length, bytes: r.bytes, overwritten: r.overwritten, skipped: r.skipped });
  },
});

export const exchangeTools = [fileExport, fileImport];
