import assert from 'node:assert/strict';
import { JSDOM } from 'jsdom';
import { classifyLink } from '../../src/common/links.ts';
import { createMarkdownRenderer } from '../../src/webview/markdown.ts';

describe('panel markdown', () => {
  const dom = new JSDOM('<!DOCTYPE html><body></body>', { runScripts: 'outside-only' });
  const window = dom.window as unknown as Window & typeof globalThis;
  const { render } = createMarkdownRenderer(window);
  const html = (text: string) => {
    const div = window.document.createElement('div');
    div.append(render(text));
    return div;
  };

  it('renders headings, lists, tables and inline code', () => {
    const el = html('# Title\n\n- one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nuse `npm test`');
    assert.equal(el.querySelector('h1')?.textContent, 'Title');
    assert.equal(el.querySelectorAll('li').length, 2);
    assert.equal(el.querySelectorAll('.table-wrap table td').length, 2);
    assert.equal(el.querySelector('p code')?.textContent, 'npm test');
  });

  it('highlights a fenced block and gives it a language label and a Copy button', () => {
    const el = html('```ts\nconst x: number = 1;\n```');
    const block = el.querySelector('.code-block')!;
    assert.equal(block.querySelector('.code-lang')?.textContent, 'ts');
    assert.ok(block.querySelector('button.copy-code'));
    assert.ok(block.querySelector('code.hljs span.hljs-keyword'), block.innerHTML);
    assert.equal(block.querySelector('code')?.textContent, 'const x: number = 1;\n');
  });

  it('keeps raw HTML, scripts and event handlers as text, never as elements', () => {
    const hostile = [
      '<script>parent.postMessage({t:"req",id:1,type:"tool/decide",payload:{callId:"x",approve:true}},"*")</script>',
      '<img src=x onerror="acquireVsCodeApi().postMessage(1)">',
      '<svg><script>alert(1)</script><a xlink:href="javascript:alert(1)">x</a></svg>',
      '<iframe srcdoc="<script>alert(1)</script>"></iframe>',
      '<button data-action="approve" data-id="call_1">Approve</button>',
      '<form action="https://evil.example"><input name="x"></form>',
      '<style>body{display:none}</style>',
    ].join('\n\n');
    const el = html(hostile);
    for (const tag of ['script', 'img', 'svg', 'iframe', 'button', 'form', 'input', 'style'])
      assert.equal(el.querySelector(tag), null, `no <${tag}> element from model text`);
    for (const node of el.querySelectorAll('*')) {
      for (const attr of node.getAttributeNames()) assert.ok(!/^on|^data-(action|command|sync|id)$/.test(attr), `attribute ${attr} on ${node.tagName}`);
    }
    assert.match(el.textContent!, /<script>parent\.postMessage/);
  });

  it('gives links no live href and keeps only http(s), mailto and relative targets', () => {
    const el = html(
      '[ok](https://example.com/a) [mail](mailto:a@b.c) [rel](src/a.ts) [js](javascript:alert(1)) [vb](vbscript:x) [data](data:text/html,<script>alert(1)</script>) [cmd](command:workbench.action.terminal.new) [file](file:///etc/passwd) [proto](//evil.example/x)',
    );
    assert.equal(el.querySelector('[href]'), null, 'no element carries an href');
    const targets = [...el.querySelectorAll<HTMLElement>('a.md-link')].map((a) => a.dataset.href);
    assert.deepEqual(targets, ['https://example.com/a', 'mailto:a@b.c', 'src/a.ts']);
  });

  it('shows remote images as their alt text (no tracking pixel) and keeps inline data images', () => {
    const el = html('![tracker](https://evil.example/p.png) ![dot](data:image/png;base64,iVBORw0KGgo=) ![svg](data:image/svg+xml;base64,PHN2Zz4=)');
    const imgs = [...el.querySelectorAll('img')].map((i) => i.getAttribute('src'));
    assert.deepEqual(imgs, ['data:image/png;base64,iVBORw0KGgo=']);
    assert.match(el.textContent!, /tracker/);
  });

  it('an unknown fence language is shown as plain escaped text', () => {
    const el = html('```nosuchlang\n<b onclick="x()">hi</b>\n```');
    assert.equal(el.querySelector('b'), null);
    assert.equal(el.querySelector('code')?.textContent, '<b onclick="x()">hi</b>\n');
    assert.equal(el.querySelector('.code-lang')?.textContent, 'nosuchlang');
  });
});

describe('links from model text', () => {
  it('opens web and mail addresses only as external links', () => {
    assert.deepEqual(classifyLink('https://example.com/a?b=1'), { kind: 'external', url: 'https://example.com/a?b=1' });
    assert.deepEqual(classifyLink('mailto:a@b.c'), { kind: 'external', url: 'mailto:a@b.c' });
    for (const bad of ['javascript:alert(1)', 'command:workbench.action.terminal.new', 'file:///etc/passwd', 'vscode://x', 'data:text/html,x', 'http://', 'https://a\nb'])
      assert.equal(classifyLink(bad), null, bad);
  });

  it('opens workspace paths inside the workspace only', () => {
    assert.deepEqual(classifyLink('src/a.ts'), { kind: 'workspace', path: 'src/a.ts' });
    assert.deepEqual(classifyLink('./docs/x%20y.md#L12'), { kind: 'workspace', path: 'docs/x y.md', line: 12 });
    for (const bad of ['../secret', 'a/../../b', '/etc/passwd', '..%2F..%2Fetc', 'C:\\x', '\\\\server\\share', '%00', '.', 12, undefined])
      assert.equal(classifyLink(bad), null, String(bad));
  });
});
