// Bench of the chat panel's two hot paths: rendering a model answer as sanitised Markdown (under jsdom, slower than
// a real webview: an upper bound), and how late a running command's output reaches an MCP client as live output.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { liveOutputOf } from '@suna/shared/live-output';
import { CLI, serverEnv } from '../test/fixtures/server.ts';

type Row = { name: string; p50: number; p95: number; n: number; note?: string };

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;

const ANSWER = [
  '# Plan',
  '',
  ...Array.from({ length: 30 }, (_, i) => `- step ${i}: change \`src/file${i}.ts\` so that **it** does [the thing](https://example.com/${i})`),
  '',
  '| file | lines |',
  '|---|---|',
  ...Array.from({ length: 20 }, (_, i) => `| src/file${i}.ts | ${i * 7} |`),
  '',
  '```ts',
  ...Array.from({ length: 60 }, (_, i) => `export function f${i}(a: number): string { return String(a + ${i}); } // ${'x'.repeat(20)}`),
  '```',
].join('\n');

export async function benchPanel(): Promise<Row[]> {
  const rows: Row[] = [];
  const { JSDOM } = await import('jsdom');
  const { createMarkdownRenderer } = await import('../../extension/src/webview/markdown.ts');
  const dom = new JSDOM('<!DOCTYPE html><body></body>');
  const md = createMarkdownRenderer(dom.window as unknown as Window & typeof globalThis);
  for (let i = 0; i < 5; i++) md.render(ANSWER);
  const xs: number[] = [];
  for (let i = 0; i < 50; i++) {
    const t = performance.now();
    md.render(ANSWER);
    xs.push(performance.now() - t);
  }
  rows.push({ name: `panel: render a ${(ANSWER.length / 1024).toFixed(0)} KB Markdown answer (jsdom)`, p50: pct(xs, 50), p95: pct(xs, 95), n: xs.length, note: 'markdown-it + DOMPurify + highlight.js; a webview is faster' });

  // Live output: each line carries the time it was printed (the container shares the host's clock).
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI], env: serverEnv({ SUNA_LOG_LEVEL: 'error' }), stderr: 'ignore' });
  const client = new Client({ name: 'bench-panel', version: '1' });
  await client.connect(transport);
  try {
    await client.callTool({ name: 'shell_exec', arguments: { command: 'true' } });
    const lags: number[] = [];
    await client.callTool({ name: 'shell_exec', arguments: { command: 'for i in $(seq 1 30); do date +%s%N; sleep 0.2; done', timeout_s: 60 } }, undefined, {
      timeout: 120_000,
      onprogress: (p) => {
        const now = Date.now();
        for (const line of (liveOutputOf(p.message) ?? '').split('\n')) if (/^\d{19}$/.test(line)) lags.push(now - Number(BigInt(line) / 1_000_000n));
      },
    });
    rows.push({ name: 'panel: live output, printed → at the MCP client', p50: pct(lags, 50), p95: pct(lags, 95), n: lags.length, note: 'daemon batches every 250 ms' });
  } finally {
    await client.close();
  }
  return rows;
}
