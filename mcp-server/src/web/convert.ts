// HTML → markdown (turndown, on the host: its Node build parses with domino, no browser needed) and
// markdown → plain text. Both scrape sources end here, so `format` means the same thing for each.
import { createRequire } from 'node:module';
import type TurndownService from 'turndown';

const DROPPED = new Set(['script', 'style', 'noscript', 'template', 'iframe', 'object', 'embed', 'canvas', 'svg']);
let service: TurndownService | undefined;

function turndown(): TurndownService {
  if (service) return service;
  // Required on first use, not imported: turndown and its DOM (domino) are slow to load and most sessions never scrape.
  // A literal require() so that esbuild bundles or externalises it (see sandbox/src/docker-client.ts).
  const Turndown = (typeof require === 'function' ? require('turndown') : createRequire(import.meta.url)('turndown')) as typeof TurndownService;
  const t = new Turndown({ headingStyle: 'atx', codeBlockStyle: 'fenced', bulletListMarker: '-', emDelimiter: '*', hr: '---' });
  t.remove((node) => DROPPED.has(node.nodeName.toLowerCase()));
  // Inline images as data: URIs would flood the text with base64; keep their alt text only.
  t.addRule('dataImages', {
    filter: (node) => node.nodeName === 'IMG' && /^data:/i.test(node.getAttribute('src') ?? ''),
    replacement: (_content, node) => {
      const alt = (node as HTMLElement).getAttribute('alt');
      return alt ? `![${alt}]` : '';
    },
  });
  service = t;
  return t;
}

export function htmlToMarkdown(html: string): string {
  return turndown()
    .turndown(html)
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** Plain text from turndown-style markdown: markup and escapes removed, paragraphs and list items kept. */
export function markdownToText(md: string): string {
  return md
    .replace(/^```.*$/gm, '')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/!\[([^\]]*)\]/g, '$1')
    .replace(/\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)/g, '$1')
    .replace(/^#{1,6}[ \t]+/gm, '')
    .replace(/^[ \t]*>[ \t]?/gm, '')
    .replace(/^(?:-{3,}|\*{3,}|(?:\* ){2,}\*)\s*$/gm, '')
    .replace(/(\*\*|__)(?=\S)([\s\S]*?\S)\1/g, '$2')
    .replace(/(^|[^\\*])\*(?=\S)([^*\n]*?\S)\*/g, '$1$2')
    .replace(/`([^`\n]*)`/g, '$1')
    .replace(/\\([\\`*_{}[\]()#+\-.!>~|=])/g, '$1')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
