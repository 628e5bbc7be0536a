// What a link in the model's answer may open, decided on the host (the webview is not trusted with it):
// web and mail addresses (opened after the user confirms), or a file inside the workspace (opened in an
// editor). Anything else — other schemes, absolute paths, `..` out of the workspace — opens nothing.
import { posix } from 'node:path';

export type LinkTarget = { kind: 'external'; url: string } | { kind: 'workspace'; path: string; line?: number };

const MAX_HREF_CHARS = 2048;

export function classifyLink(href: unknown): LinkTarget | null {
  if (typeof href !== 'string' || !href || href.length > MAX_HREF_CHARS || /[\u0000-\u001f\u007f]/.test(href)) return null;
  if (/^(https?:|mailto:)/i.test(href)) {
    try {
      const url = new URL(href);
      return url.protocol === 'mailto:' || url.hostname ? { kind: 'external', url: url.href } : null;
    } catch {
      return null;
    }
  }
  if (/^[a-z][a-z0-9+.-]*:/i.test(href) || href.startsWith('/') || href.startsWith('\\') || href.includes('\\')) return null;
  let path = href.replace(/[?#].*$/, '');
  const lineMatch = /#L?(\d+)/.exec(href);
  try {
    path = decodeURIComponent(path);
  } catch {
    return null;
  }
  const normal = posix.normalize(path).replace(/^\.\//, '');
  if (!normal || normal === '.' || normal.startsWith('../') || normal === '..' || posix.isAbsolute(normal) || normal.includes('\u0000')) return null;
  return { kind: 'workspace', path: normal, ...(lineMatch ? { line: Number(lineMatch[1]) } : {}) };
}
