// File tools. Every path goes through the path policy (resolveWorkspacePath) here and is checked again
// against the real filesystem by the daemon, so symlinks cannot lead out of /workspace.
import { createTwoFilesPatch } from 'diff';
import { displayPath, resolveWorkspacePath, type FileEntry } from '@suna/sandbox';
import { z } from 'zod';
import { defineTool, ToolError, type ToolContext } from '../tool.js';

const MAX_READ_BYTES = 16 * 1024 * 1024;
const DEFAULT_LINE_LIMIT = 2000;
const MAX_LINE_CHARS = 2000;
/** Most bytes one file_read page moves out of the sandbox (lines beyond it: continue with the next offset). */
const PAGE_BYTES = 4 * 1024 * 1024;

const pathArg = z.string().max(4096); // relative to /workspace: the server's instructions say so once, not every path

async function readBytes(ctx: ToolContext, absolute: string): Promise<Buffer> {
  const r = await ctx.fs.read(absolute, { maxBytes: MAX_READ_BYTES });
  if (r.truncated)
    throw new ToolError(`${displayPath(absolute)} is ${r.size.toLocaleString('en-US')} bytes, over the ${MAX_READ_BYTES / 1024 / 1024} MB file_read limit; use shell_exec with head, tail, sed -n or rg`);
  return r.data;
}

function looksBinary(buf: Buffer): boolean {
  return buf.subarray(0, 8192).includes(0);
}

export async function readText(ctx: ToolContext, absolute: string): Promise<string> {
  const buf = await readBytes(ctx, absolute);
  if (looksBinary(buf)) throw new ToolError(`${displayPath(absolute)} is a binary file (${buf.length} bytes); use image_view for images or shell_exec (file, xxd) to inspect it`);
  return buf.toString('utf8');
}

export const fileRead = defineTool({
  name: 'file_read',
  title: 'Read a file',
  kind: 'read',
  description:
    'Read a text file by lines: up to `limit` lines from line `offset` (1-based), with the line count for paging.',
  input: z.object({
    path: pathArg,
    offset: z.number().int().min(1).optional().describe('First line, 1-based'),
    limit: z.number().int().min(1).max(100_000).optional().describe(`Lines (default ${DEFAULT_LINE_LIMIT})`),
  }),
  async handle({ path, offset, limit }, ctx) {
    const abs = resolveWorkspacePath(path, { allowRoot: false });
    // The page is chosen in the sandbox (any file size): only its lines travel, within PAGE_BYTES.
    const want = limit ?? DEFAULT_LINE_LIMIT;
    const r = await ctx.fs.readLines(abs, { fromLine: offset ?? 1, maxLines: want, maxLineBytes: MAX_LINE_CHARS * 4, maxBytes: PAGE_BYTES });
    if (r.binary) throw new ToolError(`${displayPath(abs)} is a binary file (${r.size} bytes); use image_view for images or shell_exec (file, xxd) to inspect it`);
    const total = Math.max(1, r.totalLines); // an empty file reads as one empty line
    const start = (offset ?? 1) - 1;
    if (start >= total && r.totalLines > 0) throw new ToolError(`offset ${offset} is past the end: ${displayPath(abs)} has ${r.totalLines} lines`);
    const page = r.lines || r.totalLines === 0 ? r.text.split('\n') : [];
    const end = start + page.length;
    let longLines = 0;
    const body = page
      .map((l) => {
        if (l.length <= MAX_LINE_CHARS) return l;
        longLines++;
        return l.slice(0, MAX_LINE_CHARS) + ` […line cut at ${MAX_LINE_CHARS} chars]`;
      })
      .join('\n');
    const more = end < total ? `; continue with offset ${end + 1}` : '';
    ctx.reply.text(`${displayPath(abs)}: lines ${start + 1}–${end} of ${total}${more}${longLines ? `; ${longLines} long lines cut` : ''}`);
    ctx.reply.text(body, { raw: true });
  },
});

export const fileWrite = defineTool({
  name: 'file_write',
  title: 'Write a file',
  kind: 'write',
  description: 'Create or replace a file (parent directories are created). Atomic: a failed write leaves the old file intact.',
  input: z.object({
    path: pathArg,
    content: z
      .string()
      .max(50 * 1024 * 1024, 'content is over the 50 MB file_write limit: write the file in parts (file_write each part to its own file, then shell_exec "cat part1 part2 … > file")')
      .describe('Up to 50 MB; write bigger files in parts and join them with shell_exec'),
    encoding: z.enum(['utf8', 'base64']).optional().describe('utf8 (default), or base64 for binary'),
  }),
  async handle({ path, content, encoding }, ctx) {
    const abs = resolveWorkspacePath(path, { allowRoot: false });
    if (encoding === 'base64' && !/^[A-Za-z0-9+/\s]*={0,2}\s*$/.test(content)) throw new ToolError('content is not valid base64');
    const data = Buffer.from(content, encoding === 'base64' ? 'base64' : 'utf8');
    const r = await ctx.fs.write(abs, data);
    ctx.reply.text(`${r.created ? 'created' : 'overwrote'} ${displayPath(abs)} (${r.bytes} bytes)`);
  },
});

interface Edit {
  old_text: string;
  new_text: string;
  replace_all?: boolean;
}

/** Apply edits in order to `text`; all must apply or none do. Returns the new text. */
export function applyEdits(text: string, edits: Edit[], fileName: string): string {
  let out = text;
  const crlf = text.includes('\r\n');
  edits.forEach((e, i) => {
    const which = edits.length > 1 ? `edit ${i + 1}: ` : '';
    if (e.old_text === '') throw new ToolError(`${which}old_text is empty; to create or replace a whole file use file_write`);
    let oldText = e.old_text;
    let newText = e.new_text;
    // Models send \n; keep a CRLF file CRLF.
    if (crlf) {
      if (!out.includes(oldText) && out.includes(oldText.replace(/\r?\n/g, '\r\n'))) oldText = oldText.replace(/\r?\n/g, '\r\n');
      newText = newText.replace(/\r?\n/g, '\r\n');
    }
    const count = out.split(oldText).length - 1;
    if (count === 0) throw new ToolError(`${which}old_text was not found in ${fileName}; file_read it and copy the text exactly (whitespace included). Nothing was changed.`);
    if (count > 1 && !e.replace_all)
      throw new ToolError(`${which}old_text matches ${count} places in ${fileName}; add surrounding lines to make it unique, or set replace_all. Nothing was changed.`);
    out = e.replace_all ? out.split(oldText).join(newText) : out.replace(oldText, () => newText);
  });
  return out;
}

export const fileEdit = defineTool({
  name: 'file_edit',
  title: 'Edit a file',
  kind: 'write',
  description:
    'Replace exact text in a file. Each old_text must match once (or set replace_all). Edits apply in order, all-or-nothing. ' +
    'Returns a unified diff; dry_run writes nothing.',
  input: z.object({
    path: pathArg,
    edits: z
      .array(z.object({ old_text: z.string(), new_text: z.string(), replace_all: z.boolean().optional() }))
      .min(1)
      .max(100),
    dry_run: z.boolean().optional(),
  }),
  async handle({ path, edits, dry_run }, ctx) {
    const abs = resolveWorkspacePath(path, { allowRoot: false });
    const name = displayPath(abs);
    const before = await readText(ctx, abs);
    const after = applyEdits(before, edits, name);
    const patch = createTwoFilesPatch(`a/${name}`, `b/${name}`, before, after, undefined, undefined, { context: 3 });
    if (before === after) {
      ctx.reply.text(`no change: the edits leave ${name} as it was`);
      return;
    }
    if (!dry_run) await ctx.fs.write(abs, after);
    ctx.reply.text(dry_run ? `dry run, nothing written. Diff for ${name}:` : `edited ${name}:`);
    ctx.reply.text(patch.split('\n').slice(2).join('\n'), { raw: true });
  },
});

function renderTree(entries: FileEntry[]): string {
  return entries
    .map((e) => {
      const depth = e.path.split('/').length - 1;
      const base = e.path.split('/').at(-1);
      const suffix = e.type === 'dir' ? '/' : e.type === 'symlink' ? ' -> (symlink)' : ` (${e.size} B)`;
      return `${'  '.repeat(depth)}${base}${suffix}`;
    })
    .join('\n');
}

export const fileList = defineTool({
  name: 'file_list',
  title: 'List files',
  kind: 'read',
  description: 'List a directory as a tree (directories end in "/") down to `depth` levels, without .git/ and .gitignored files.',
  input: z.object({
    path: pathArg.optional(),
    depth: z.number().int().min(1).max(10).optional().describe('Default 2'),
  }),
  async handle({ path, depth }, ctx) {
    const abs = resolveWorkspacePath(path ?? '.');
    const r = await ctx.fs.list(abs, { depth: depth ?? 2, maxEntries: 2000, respectIgnore: true, timeoutMs: 60_000 });
    const head = `${displayPath(abs)}/ (${r.entries.length} entries${r.truncated ? ', list cut at 2000: narrow the path or depth' : ''})`;
    ctx.reply.text(r.entries.length ? `${head}\n${renderTree(r.entries)}` : `${head}\n(empty)`);
    ctx.reply.structuredContent({ entries: r.entries, truncated: r.truncated });
  },
});

export const fileSearch = defineTool({
  name: 'file_search',
  title: 'Search file contents',
  kind: 'read',
  description: 'Search file contents with ripgrep (.gitignore respected). Returns "path:line:text" matches.',
  input: z.object({
    pattern: z.string().min(1).max(10_000).describe('Rust regex, or a literal with fixed_strings'),
    path: pathArg.optional().describe('Directory or file (default: the workspace)'),
    glob: z.string().max(500).optional().describe('e.g. "*.py" or "!*.min.js"'),
    max_results: z.number().int().min(1).max(5000).optional().describe('Matching lines (default 200)'),
    case_sensitive: z.boolean().optional().describe('Default: smart case'),
    fixed_strings: z.boolean().optional(),
  }),
  async handle({ pattern, path, glob, max_results, case_sensitive, fixed_strings }, ctx) {
    const abs = resolveWorkspacePath(path ?? '.');
    // ripgrep follows a symlink given as its argument: let the daemon's containment check see it first.
    if (!(await ctx.fs.stat(abs)))
      throw new ToolError(`${displayPath(abs)} does not exist (file_list shows what exists)`);
    const max = max_results ?? 200;
    // argv, no shell: the pattern and glob cannot inject anything; `--` ends the options.
    const argv = ['rg', '--line-number', '--no-heading', '--color', 'never', '--max-columns', '400', '--max-columns-preview'];
    argv.push(case_sensitive === undefined ? '--smart-case' : case_sensitive ? '--case-sensitive' : '--ignore-case');
    if (fixed_strings) argv.push('--fixed-strings');
    if (glob) argv.push('--glob', glob);
    argv.push('--regexp', pattern, '--', displayPath(abs));
    const r = await ctx.exec({ argv, timeoutMs: 60_000, capBytes: 4 * 1024 * 1024 });
    const err = r.stderr.head;
    if (r.exitCode === 2) {
      // ripgrep points at the error under the pattern on separate lines: keep them as lines, not joined.
      const detail = err.trim().slice(0, 1500) || 'ripgrep error';
      if (/regex parse error/i.test(detail))
        throw new ToolError(`the pattern is not a valid regular expression (Rust regex syntax):\n${detail}\nFix the pattern, or pass fixed_strings: true to search for the text literally`);
      throw new ToolError(`search failed:\n${detail}`);
    }
    const lines = r.stdout.head.split('\n').filter(Boolean);
    const shown = lines.slice(0, max);
    const more = lines.length > max || r.stdout.totalBytes > 2 * 1024 * 1024 ? ` (first ${shown.length} shown; narrow the search or raise max_results)` : '';
    ctx.reply.text(shown.length ? `${shown.length} matches${more}:\n${shown.join('\n')}` : `no matches for ${JSON.stringify(pattern)} in ${displayPath(abs)}`);
  },
});

export const fileDelete = defineTool({
  name: 'file_delete',
  title: 'Delete a file or directory',
  kind: 'destructive',
  description: 'Delete a file, a symlink (never followed) or an empty directory; a non-empty one needs recursive: true.',
  input: z.object({ path: pathArg, recursive: z.boolean().optional() }),
  async handle({ path, recursive }, ctx) {
    const abs = resolveWorkspacePath(path, { allowRoot: false });
    await ctx.fs.remove(abs, { recursive });
    ctx.reply.text(`deleted ${displayPath(abs)}`);
  },
});

export const fileMove = defineTool({
  name: 'file_move',
  title: 'Move or rename',
  kind: 'write',
  description: 'Move or rename a file or directory. An existing destination is replaced only with overwrite.',
  input: z.object({ from: pathArg, to: pathArg, overwrite: z.boolean().optional() }),
  async handle({ from, to, overwrite }, ctx) {
    const src = resolveWorkspacePath(from, { allowRoot: false });
    const dst = resolveWorkspacePath(to, { allowRoot: false });
    await ctx.fs.move(src, dst, { overwrite });
    ctx.reply.text(`moved ${displayPath(src)} → ${displayPath(dst)}`);
  },
});

export const fileTools = [fileRead, fileWrite, fileEdit, fileList, fileSearch, fileDelete, fileMove];
