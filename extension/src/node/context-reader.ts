// Turns a message's attachments into what the model reads: the text of attached workspace files and folders
// (read here, inside the workspace folder only: real paths checked, so a symlink cannot lead out), the
// selection and problems as given, all within one text budget; images as image parts. No VS Code API.
import { promises as fsp } from 'node:fs';
import { join, relative, sep } from 'node:path';
import type { ImagePart } from '@suna/shared/agent/index';
import { workspaceRelativePath } from '../common/approval-preview.js';
import { attachedBlock, MAX_FILE_CHARS, MAX_FOLDER_FILES, TEXT_BUDGET_CHARS, type Attachment } from '../common/attachments.js';

export interface ReadContext {
  /** Blocks of attached text, to put before the user's own text. */
  text: string;
  images: ImagePart[];
  /** What did not fit or could not be read, for a notice. */
  skipped: string[];
}

const SKIP_DIRS = new Set(['.git', 'node_modules', '.suna', 'dist', 'build', '.venv', '__pycache__']);

export async function readAttachments(root: string | undefined, attachments: Attachment[]): Promise<ReadContext> {
  const blocks: string[] = [];
  const images: ImagePart[] = [];
  const skipped: string[] = [];
  let budget = TEXT_BUDGET_CHARS;
  const add = (kind: string, origin: string, text: string) => {
    if (budget <= 0) return void skipped.push(`${origin} (over the ${TEXT_BUDGET_CHARS.toLocaleString('en-US')}-character budget)`);
    const cap = Math.min(MAX_FILE_CHARS, budget);
    const body = text.length > cap ? `${text.slice(0, cap)}\n[… ${(text.length - cap).toLocaleString('en-US')} more characters not attached]` : text;
    budget -= Math.min(text.length, cap);
    blocks.push(attachedBlock(kind, origin, body));
  };
  const realRoot = root ? await fsp.realpath(root).catch(() => undefined) : undefined;

  for (const a of attachments) {
    if (a.kind === 'image') images.push({ type: 'image', data: a.data, mimeType: a.mimeType });
    else if (a.kind === 'selection') add('selection', `${a.path}:${a.startLine}`, a.text);
    else if (a.kind === 'problems') add('problems', 'Problems', a.text);
    else {
      const rel = workspaceRelativePath(a.path);
      const real = realRoot && rel ? await insideReal(realRoot, join(realRoot, rel)) : undefined;
      if (!real) {
        skipped.push(`${a.path} (not in the workspace)`);
        continue;
      }
      if (a.kind === 'file') {
        const text = await readText(real);
        if (text === undefined) skipped.push(`${rel} (binary or unreadable)`);
        else add('file', rel!, text);
      } else {
        const files = await listFiles(realRoot!, real);
        add('folder', rel!, files.length ? files.join('\n') : '(empty)');
        for (const f of files) {
          if (budget <= 0) break;
          const text = await readText(join(realRoot!, f));
          if (text !== undefined && text.length <= budget) add('file', f, text);
        }
      }
    }
  }
  return { text: blocks.join('\n\n'), images, skipped };
}

/** The real path of `p` when it is inside `realRoot` (symlinks resolved), else undefined. */
async function insideReal(realRoot: string, p: string): Promise<string | undefined> {
  const real = await fsp.realpath(p).catch(() => undefined);
  if (!real) return undefined;
  const rel = relative(realRoot, real);
  return rel === '' || (!rel.startsWith('..') && !rel.startsWith(sep) && !/^[a-zA-Z]:/.test(rel)) ? real : undefined;
}

async function readText(path: string): Promise<string | undefined> {
  const st = await fsp.stat(path).catch(() => undefined);
  if (!st?.isFile() || st.size > 4 * MAX_FILE_CHARS) return st?.isFile() ? `(${st.size.toLocaleString('en-US')} bytes: too large to attach)` : undefined;
  const buf = await fsp.readFile(path).catch(() => undefined);
  if (!buf || buf.includes(0)) return undefined;
  return buf.toString('utf8');
}

/** Workspace-relative paths of the files under `dir` (breadth first, bounded, no symlinks followed). */
async function listFiles(realRoot: string, dir: string): Promise<string[]> {
  const out: string[] = [];
  const queue = [dir];
  while (queue.length && out.length < MAX_FOLDER_FILES) {
    const d = queue.shift()!;
    const entries = await fsp.readdir(d, { withFileTypes: true }).catch(() => []);
    for (const e of entries.sort((x, y) => x.name.localeCompare(y.name))) {
      if (e.isDirectory() && !SKIP_DIRS.has(e.name)) queue.push(join(d, e.name));
      else if (e.isFile() && out.length < MAX_FOLDER_FILES) out.push(relative(realRoot, join(d, e.name)).split(sep).join('/'));
    }
  }
  return out;
}
