// Browser bench: suna-mcp's sandboxed browser against @playwright/mcp (the tool a user would pick instead), in the
// same run, interleaved, on the same pages. The pages are served by this process on the Docker bridge gateway:
// Playwright MCP (host Chromium) reaches them directly, the sandbox's Chromium through its egress policy
// (`--egress-allow <gateway>/32`). Not a test: nothing fails on a slow machine; the rows go into the README.
import { createServer, type Server } from 'node:http';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import Docker from 'dockerode';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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

/** CPU ms (user + system, 10 ms ticks) of a process and its descendants now; processes that ended are missed. */
function treeCpuMs(root: number): number {
  const children = new Map<number, number[]>();
  const cpu = new Map<number, number>();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const f = readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ');
      cpu.set(Number(d), (Number(f[11]) + Number(f[12])) * 10);
      const parent = Number(f[1]);
      children.set(parent, [...(children.get(parent) ?? []), Number(d)]);
    } catch {
      // gone meanwhile
    }
  }
  let sum = 0;
  for (const stack = [root]; stack.length; ) {
    const p = stack.pop()!;
    sum += cpu.get(p) ?? 0;
    stack.push(...(children.get(p) ?? []));
  }
  return sum;
}

/** CPU ms the whole sandbox container has used (cgroup v1 cpuacct or v2 cpu.stat); NaN when neither is readable. */
function containerCpuMs(id: string): number {
  for (const [path, scale] of [[`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, 1e-6], [`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, 1e-3]] as const) {
    try {
      const text = readFileSync(path, 'utf8');
      return Number(path.endsWith('cpu.stat') ? /usage_usec (\d+)/.exec(text)![1] : text.trim()) * scale;
    } catch {
      // the other cgroup layout
    }
  }
  return Number.NaN;
}

/** CPU ms of this container's containerd shim alone (it copies the exec streams' bytes; one per container, on the host). */
function shimCpuMs(containerId: string): number {
  for (const line of execFileSync('ps', ['-eo', 'pid=,comm=,args=']).toString().split('\n')) {
    const m = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
    if (!m || !m[2]!.startsWith('containerd-shim') || !m[3]!.includes(containerId)) continue;
    try {
      const f = readFileSync(`/proc/${m[1]}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(f[11]) + Number(f[12])) * 10;
    } catch {
      return 0;
    }
  }
  return 0;
}

/** CPU ms so far of each kind of process in a sandbox (Chromium's by --type: browser, renderer, gpu-process, utility
 * (the network service); the daemon; the egress relay), read on the host through `docker top`: where a pair's CPU goes. */
function sandboxCpuByProcess(containerId: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const line of execFileSync('docker', ['top', containerId, '-eo', 'pid,args']).toString().split('\n').slice(1)) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (!m) continue;
    const args = m[2]!;
    const kind = /--type=(\S+)/.exec(args)?.[1] ?? (args.includes('chromium') ? 'browser' : args.includes('suna-daemon') ? 'daemon' : args.includes('relay') ? 'relay' : 'other');
    try {
      const f = readFileSync(`/proc/${m[1]}/stat`, 'utf8').split(') ')[1]!.split(' ');
      out[kind] = (out[kind] ?? 0) + (Number(f[11]) + Number(f[12])) * 10;
    } catch {
      // gone meanwhile
    }
  }
  return out;
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
  const sandboxName = `bench-bpeers-${process.pid}`;
  // The host socket (CDP over the kernel) where the engine is local; 'on' also in a container whose dockerd shares
  // its filesystem (as on the CI machine). An engine that cannot mount it gets none: the exec stream is measured.
  const hostSocketMode = process.env.SUNA_HOST_SOCKET ?? 'on';
  const peer = new Client({ name: 'bench', version: '1' });
  const stream = new Client({ name: 'bench', version: '1' });
  const rows: PeerRow[] = [];
  let cpuByProcess = '';
  try {
    await suna.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, '--egress-allow', `${gateway}/32`], env: serverEnv({ SUNA_LOG_LEVEL: 'error', SUNA_SANDBOX_NAME: sandboxName, SUNA_HOST_SOCKET: hostSocketMode }), stderr: 'ignore' }));
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

    // CPU per pair: suna's server process, its whole sandbox container (Chromium, daemon) and the container's shim;
    // the peer's server process plus its Chromium. dockerd (the exec stream's other copy) is not counted: shared.
    const containerOf = (name: string) => execFileSync('docker', ['inspect', '-f', '{{.Id}}', `suna-${name}`]).toString().trim();
    const pidOf = (c: Client) => (c.transport as StdioClientTransport | undefined)?.pid ?? 0;
    type Side = { call: Call; cpu: () => number };
    const sides: Record<string, Side> = {
      suna: { call: callSuna, cpu: () => treeCpuMs(pidOf(suna)) + containerCpuMs(containerOf(sandboxName)) + shimCpuMs(containerOf(sandboxName)) },
      peer: { call: callPeer, cpu: () => treeCpuMs(pidOf(peer)) },
    };
    // Where the CDP tunnel goes over the host socket (the engine is local), the same server with the exec stream
    // (SUNA_HOST_SOCKET=off) runs in the same loop: the transport's share, A/B in one run.
    const mounts = execFileSync('docker', ['inspect', '-f', '{{range .Mounts}}{{.Destination}} {{end}}', `suna-${sandboxName}`]).toString();
    if (mounts.includes('/run/suna-host')) {
      const streamName = `${sandboxName}-stream`;
      await stream.connect(new StdioClientTransport({ command: process.execPath, args: [CLI, '--egress-allow', `${gateway}/32`], env: serverEnv({ SUNA_LOG_LEVEL: 'error', SUNA_SANDBOX_NAME: streamName, SUNA_HOST_SOCKET: 'off' }), stderr: 'ignore' }));
      const callStream = caller(stream);
      await callStream('browser_navigate', { url: `${base}/small.html` });
      sides.stream = { call: callStream, cpu: () => treeCpuMs(pidOf(stream)) + containerCpuMs(containerOf(streamName)) + shimCpuMs(containerOf(streamName)) };
    }
    const who = Object.keys(sides);
    const perLabel = () => Object.fromEntries(who.map((w) => [w, [] as number[]]));
    const cpu: Record<string, Record<string, number[]>> = { small: perLabel(), large: perLabel() };
    const reps: Record<string, Record<string, number[]>> = { small: perLabel(), large: perLabel() };
    const byProcess: Record<string, number[]> = {}; // suna's CPU per small-page pair, by process kind
    for (let rep = 0; rep < REPETITIONS; rep++) {
      for (const [label, path] of [['small', '/small.html'], ['large', '/large.html']] as const) {
        // Rotate who goes first, so none always meets the others' leftovers.
        const order = who.map((_, i) => who[(i + rep) % who.length]!);
        for (const w of order) {
          const before = sides[w]!.cpu();
          const parts: Record<string, number> | null = w === 'suna' && label === 'small' ? { server: treeCpuMs(pidOf(suna)), ...sandboxCpuByProcess(containerOf(sandboxName)) } : null;
          const times = await pairTimes(sides[w]!.call, `${base}${path}`);
          cpu[label]![w]!.push((sides[w]!.cpu() - before) / (times.length + 3));
          if (parts) {
            const after: Record<string, number> = { server: treeCpuMs(pidOf(suna)), ...sandboxCpuByProcess(containerOf(sandboxName)) };
            for (const [kind, ms] of Object.entries(after)) (byProcess[kind] ??= []).push((ms - (parts[kind] ?? 0)) / (times.length + 3));
          }
          reps[label]![w]!.push(pct(times, 50));
        }
      }
    }
    for (const label of ['small', 'large'] as const) {
      const r = reps[label]!;
      const ratios = r.suna!.map((x, i) => x / r.peer![i]!);
      rows.push({
        name: `warm browser_navigate + browser_snapshot, ${label} page`,
        value: pct(r.suna!, 50),
        peer: pct(r.peer!, 50),
        ratio: pct(r.suna!, 50) / pct(r.peer!, 50),
        note: `p50 of ${ROUNDS} per repetition; ratios ${ratios.map((x) => x.toFixed(2)).join(' / ')}; target ≤ 1.0${r.stream ? '; CDP over the host socket' : ''}`,
      });
      if (r.stream) {
        const streamRatios = r.stream.map((x, i) => x / r.peer![i]!);
        rows.push({ name: `  same, CDP over the exec stream (fallback)`, value: pct(r.stream, 50), peer: pct(r.peer!, 50), ratio: pct(r.stream, 50) / pct(r.peer!, 50), note: `ratios ${streamRatios.map((x) => x.toFixed(2)).join(' / ')}; SUNA_HOST_SOCKET=off, same loop` });
      }
      const c = cpu[label]!;
      rows.push({ name: `CPU per pair (server + browser), ${label} page`, value: pct(c.suna!, 50), peer: pct(c.peer!, 50), ratio: pct(c.suna!, 50) / pct(c.peer!, 50), note: `suna: server + sandbox container + shim; peer: server + its Chromium; median of repetitions${c.stream ? `; exec stream ${pct(c.stream, 50).toFixed(1)} ms` : ''}` });
    }
    const kinds = Object.entries(byProcess).map(([kind, xs]) => [kind, pct(xs, 50)] as const).filter(([, ms]) => ms >= 0.5).sort((a, b) => b[1] - a[1]);
    cpuByProcess = `suna CPU per small-page pair by process (median of repetitions, ms): ${kinds.map(([k, ms]) => `${k} ${ms.toFixed(0)}`).join(', ')}`;
  } finally {
    await suna.close().catch(() => {});
    await peer.close().catch(() => {});
    await stream.close().catch(() => {});
    site.close();
    rmSync(profile, { recursive: true, force: true });
  }
  const fmt = (x: number) => (Number.isNaN(x) ? '' : x < 10 ? x.toFixed(2) : x.toFixed(1));
  console.log('\nbrowser vs @playwright/mcp (ms unless noted)\n');
  console.log('measurement'.padEnd(56) + 'suna'.padStart(9) + 'peer'.padStart(9) + 'ratio'.padStart(8));
  for (const r of rows) console.log(r.name.padEnd(56) + fmt(r.value).padStart(9) + fmt(r.peer).padStart(9) + r.ratio.toFixed(2).padStart(8) + (r.note ? `   ${r.note}` : ''));
  if (cpuByProcess) console.log(`\n${cpuByProcess}`);
  return rows;
}
