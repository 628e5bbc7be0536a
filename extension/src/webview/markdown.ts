// Model and tool text rendered as Markdown, safely: markdown-it with raw HTML off (so `<script>` stays text),
// then DOMPurify over the result (HTML profile only: no SVG, no MathML, no forms, no data-* or id attributes),
// then code fences get a language label and a Copy button. Links keep their address in `data-href` and have no
// live href: the panel opens them through VS Code (external ones behind its confirmation), never by navigation.
// Takes the window it renders into, so the unit test can run it under jsdom.
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import bash from 'highlight.js/lib/languages/bash';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import css from 'highlight.js/lib/languages/css';
import diff from 'highlight.js/lib/languages/diff';
import dockerfile from 'highlight.js/lib/languages/dockerfile';
import go from 'highlight.js/lib/languages/go';
import ini from 'highlight.js/lib/languages/ini';
import java from 'highlight.js/lib/languages/java';
import javascript from 'highlight.js/lib/languages/javascript';
import json from 'highlight.js/lib/languages/json';
import markdown from 'highlight.js/lib/languages/markdown';
import plaintext from 'highlight.js/lib/languages/plaintext';
import python from 'highlight.js/lib/languages/python';
import rust from 'highlight.js/lib/languages/rust';
import shell from 'highlight.js/lib/languages/shell';
import sql from 'highlight.js/lib/languages/sql';
import typescript from 'highlight.js/lib/languages/typescript';
import xml from 'highlight.js/lib/languages/xml';
import yaml from 'highlight.js/lib/languages/yaml';
import MarkdownIt from 'markdown-it';

const LANGUAGES = { bash, c, cpp, css, diff, dockerfile, go, ini, java, javascript, json, markdown, plaintext, python, rust, shell, sql, typescript, xml, yaml };
for (const [name, lang] of Object.entries(LANGUAGES)) hljs.registerLanguage(name, lang);

/** Highlighting is skipped past this size (a pasted log must not freeze the panel). */
const MAX_HIGHLIGHT_CHARS = 100_000;

/** Schemes a link may carry; anything else is shown as plain text. */
const LINK_SCHEMES = /^(https?:|mailto:)/i;

const md = new MarkdownIt({
  html: false,
  linkify: true,
  breaks: false,
  highlight(code, lang) {
    const name = lang.trim().toLowerCase();
    if (!name || code.length > MAX_HIGHLIGHT_CHARS || !hljs.getLanguage(name)) return '';
    try {
      return hljs.highlight(code, { language: name, ignoreIllegals: true }).value;
    } catch {
      return '';
    }
  },
});

const PURIFY_CONFIG = {
  USE_PROFILES: { html: true },
  ALLOW_DATA_ATTR: false,
  FORBID_TAGS: ['style', 'form', 'input', 'button', 'textarea', 'select', 'iframe', 'object', 'embed', 'video', 'audio', 'source', 'link', 'meta', 'base'],
  FORBID_ATTR: ['id', 'name', 'style', 'srcset', 'action', 'formaction', 'target', 'ping'],
};

export interface MarkdownRenderer {
  /** The text rendered as a detached fragment, safe to insert. */
  render(text: string): DocumentFragment;
}

export function createMarkdownRenderer(window: Window & typeof globalThis): MarkdownRenderer {
  const purify = DOMPurify(window);
  const doc = window.document;
  return {
    render(text) {
      const html = md.render(text);
      const frag = purify.sanitize(html, { ...PURIFY_CONFIG, RETURN_DOM_FRAGMENT: true }) as DocumentFragment;
      for (const a of frag.querySelectorAll('a')) {
        const href = a.getAttribute('href') ?? '';
        a.removeAttribute('href');
        if (LINK_SCHEMES.test(href) || isRelativeLink(href)) {
          a.dataset.href = href;
          a.className = 'md-link';
          a.title = href;
          a.tabIndex = 0;
          a.setAttribute('role', 'link');
        }
      }
      // Pictures only from inline data (the CSP blocks the rest anyway): the alt text otherwise.
      for (const img of frag.querySelectorAll('img')) {
        if (!/^data:image\/(png|jpeg|gif|webp);/i.test(img.getAttribute('src') ?? '')) img.replaceWith(doc.createTextNode(img.getAttribute('alt') ?? ''));
      }
      for (const pre of frag.querySelectorAll('pre')) {
        const code = pre.querySelector('code');
        const lang = /(?:^|\s)language-([\w+#.-]+)/.exec(code?.className ?? '')?.[1] ?? '';
        if (code && hljs.getLanguage(lang)) code.classList.add('hljs');
        const head = doc.createElement('div');
        head.className = 'code-head';
        const label = doc.createElement('span');
        label.className = 'code-lang';
        label.textContent = lang || 'text';
        const copy = doc.createElement('button');
        copy.className = 'icon-button copy-code';
        copy.title = 'Copy';
        copy.setAttribute('aria-label', 'Copy code');
        const ico = doc.createElement('i');
        ico.className = 'codicon codicon-copy';
        copy.append(ico);
        head.append(label, copy);
        const block = doc.createElement('div');
        block.className = 'code-block';
        pre.replaceWith(block);
        block.append(head, pre);
      }
      for (const table of frag.querySelectorAll('table')) {
        const wrap = doc.createElement('div');
        wrap.className = 'table-wrap';
        table.replaceWith(wrap);
        wrap.append(table);
      }
      return frag;
    },
  };
}

/** A workspace-relative link (`src/a.ts`, `./README.md#x`): no scheme, no protocol-relative `//`. */
function isRelativeLink(href: string): boolean {
  return href !== '' && !/^[a-z][a-z0-9+.-]*:/i.test(href) && !href.startsWith('//') && !href.startsWith('\\');
}
