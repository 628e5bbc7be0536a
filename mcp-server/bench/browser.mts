// Browser bench: suna-mcp's sandboxed browser against @playwright/mcp (the tool a user would pick instead), in the
// same run, interleaved, on the same pages. The pages are served by this process on the Docker bridge gateway:
// Playwright MCP (host Chromium) reaches them directly, the sandbox's Chromium through its egress policy
// (`--egress-allow <gateway>/32`). Not a test: nothing fails on a slow machine; the rows go into the README.
import { createServer, type Server } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import Docker from 'dockerode';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createRequire } from 'node:module';
import { CLI, serverEnv } from '../test/fixtures/server.ts';

export interface PeerRow {
  name: string;
  value: number;
  peer: number;
  ratio: number;
  note?: string;
}

const REPETITIONS = 3;
const ROUNDS = 10; // navigate + snapshot pairs per repetition and page, after 3 warm-up pairs

const SMALL = '<!doctype html><title>Bench</title><h1>Hello</h1><ul>' + '<li><a href="#">link</a></li>'.repeat(50) + '</ul>';
/** A "large" page as agents meet them: nav, a long table, a form, many paragraphs (≈ 2,000 elements). */
const LARGE =
  '<!doctype html><title>Bench large</title><nav>' +
  Array.from({ length: 60 }, (_, i) => `<a href="/p${i}">Section ${i}</a>`).join(' ') +
  '</nav><main><h1>Report</h1><table><tr><th>id</th><th>name</th><th>value</th><th>action</th></tr>' +
  Array.from({ length: 300 }, (_, i) => `<tr><td>${i}</td><td>Item number ${i}</td><td>${(i * 37) % 1000}</td><td><button>Edit ${i}</button></td></tr>`).join('') +
  '</table><form><label>Name <input name="n"></label><label>Kind <select><option>a</option><option>b</option></select></label><button>Save</button></form>' +
  Array.from({ length: 200 }, (_, i) => `<p>Paragraph ${i} with <a href="/x${i}">a link</a> and some text to read.</p>`).join('') +
  '</main>';

async function bridgeGateway(): Promise<string> {
  const net = (await new Docker().getNetwork('bridge').inspect()) as { IPAM?: { Config?: Array<{ Gateway?: string }> } };
  const gw = net.IPAM?.Config?.find((c) => c.Gateway)?.Gateway;
  if (!gw) throw new Error('no gateway on the Docker bridge network');
  return gw;
}

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

type Call = (name: string, args: Record<string, unknown>) => Promise<{ content?: Array<{ type: string; text?: string }> }>;

function caller(client: Client): Call {
  return (name, args) => client.callTool({ name, arguments: args }) as ReturnType<Call>;
}

const replyText = (r: Awaited<ReturnType<Call>>) => (r.content ?? []).filter((c) => c.type === 'text').map((c) => c.text).join('\n');

/** Tokens of a reply: cl100k when js-tiktoken is installed, else the usual 4 characters per token. */
async function tokenCounter(): Promise<(s: string) => number> {
  try {
    const req = createRequire(import.meta.url);
    const { getEncoding } = req('js-tiktoken') as { getEncoding(n: string): { encode(s: string): number[] } };
    const enc = getEncoding('cl100k_base');
    return (s) => enc.encode(s).length;
  } catch {
    return (s) => Math.ceil(s.length / 4);
  }
}

async function pairTimes(call: Call, url: string): Promise<number[]> {
  for (let i = 0; i < 3; i++) {
    await call('browser_navigate', { url });
    await call('browser_snapshot', {});
  }
  const xs: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    const t = performance.now();
    await call('browser_navigate', { url });
    await call('browser_snapshot', {});
    xs.push(performance.now() - t);
  }
  return xs;
}

/** Warm navigate + snapshot, small and large page, suna-mcp vs @playwright/mcp; plus cold start and reply sizes. */
export async function benchBrowserPeers(): Promise<PeerRow[]> {
  const gateway = await bridgeGateway();
  const pages: Record<string, string> = { '/small.html': SMALL, '/large.html': LARGE };
  const site: Server = createServer((req, res) => {
    const body = pages[req.url ?? ''];
    res.writeHead(body ? 200 : 404, { 'content-type': 'text/html', 'cache-control': 'no-store' });
    res.end(body ?? 'not found');
  });
  await new Promise<void>((resolve) => site.listen(0, gateway, resolve));
  const base = `http://${gateway}:${(site.address() as { port: number }).port}`;
  const profile = mkdtempSync(join(tmpdir(), 'suna-bench-pwmcp-'));

  const suna = new Client({ name: 'bench', version: '1' });
  const peer = new Client({ name: 'bench', version: '1' });
  const rows: PeerRow[] = [];
  try {
    await suna.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, '--egress-allow', `${gateway}/32`], env: serverEnv({ SUNA_LOG_LEVEL: 'error' }), stderr: 'ignore' }));
    const pwCli = join(dirname(createRequire(import.meta.url).resolve('@playwright/mcp/package.json')), 'cli.js');
    const pwEnv = serverEnv({ PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: '1' });
    await peer.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [pwCli, '--headless', '--isolated', '--executable-path', process.env.SUNA_BENCH_CHROMIUM ?? '/usr/bin/chromium', '--no-sandbox', '--output-dir', profile],
        env: pwEnv,
        cwd: profile,
        stderr: 'ignore',
      }),
    );
    const callSuna = caller(suna);
    const callPeer = caller(peer);
    // Both sandboxes/browsers exist before anything is timed; the first navigate is the browser's cold start.
    await callSuna('shell_exec', { command: 'true' });
    let t = performance.now();
    await callSuna('browser_navigate', { url: `${base}/small.html` });
    const coldSuna = performance.now() - t;
    t = performance.now();
    await callPeer('browser_navigate', { url: `${base}/small.html` });
    const coldPeer = performance.now() - t;
    rows.push({ name: 'browser cold start (first browser_navigate)', value: coldSuna, peer: coldPeer, ratio: coldSuna / coldPeer, note: 'peer launches host Chromium; suna starts it in the sandbox' });

    const tokens = await tokenCounter();
    for (const [label, path] of [['small', '/small.html'], ['large', '/large.html']] as const) {
      const a = replyText(await callSuna('browser_navigate', { url: `${base}${path}` }));
      const b = replyText(await callPeer('browser_navigate', { url: `${base}${path}` }));
      rows.push({ name: `browser_navigate reply, ${label} page (tokens)`, value: tokens(a), peer: tokens(b), ratio: tokens(a) / tokens(b), note: `${(Buffer.byteLength(a) / 1024).toFixed(2)} KB vs ${(Buffer.byteLength(b) / 1024).toFixed(2)} KB` });
    }

    const reps: Record<string, { suna: number[]; peer: number[] }> = { small: { suna: [], peer: [] }, large: { suna: [], peer: [] } };
    for (let rep = 0; rep < REPETITIONS; rep++) {
      for (const [label, path] of [['small', '/small.html'], ['large', '/large.html']] as const) {
        // Alternate who goes first, so neither always meets the other's leftovers.
        const order = rep % 2 === 0 ? (['suna', 'peer'] as const) : (['peer', 'suna'] as const);
        for (const who of order) reps[label]![who].push(pct(await pairTimes(who === 'suna' ? callSuna : callPeer, `${base}${path}`), 50));
      }
    }
    for (const label of ['small', 'large'] as const) {
      const r = reps[label]!;
      const ratios = r.suna.map((s, i) => s / r.peer[i]!);
      rows.push({
        name: `warm browser_navigate + browser_snapshot, ${label} page`,
        value: pct(r.suna, 50),
        peer: pct(r.peer, 50),
        ratio: pct(r.suna, 50) / pct(r.peer, 50),
        note: `p50 of ${ROUNDS} per repetition; ratios ${ratios.map((x) => x.toFixed(2)).join(' / ')}; target ≤ 1.0`,
      });
    }
  } finally {
    await suna.close().catch(() => {});
    await peer.close().catch(() => {});
    site.close();
    rmSync(profile, { recursive: true, force: true });
  }
  const fmt = (x: number) => (Number.isNaN(x) ? '' : x < 10 ? x.toFixed(2) : x.toFixed(1));
  console.log('\nbrowser vs @playwright/mcp (ms unless noted)\n');
  console.log('measurement'.padEnd(56) + 'suna'.padStart(9) + 'peer'.padStart(9) + 'ratio'.padStart(8));
  for (const r of rows) console.log(r.name.padEnd(56) + fmt(r.value).padStart(9) + fmt(r.peer).padStart(9) + r.ratio.toFixed(2).padStart(8) + (r.note ? `   ${r.note}` : ''));
  return rows;
}
