// Where a warm small-page navigate + snapshot spends its time: Playwright calls one by one, a bare CDP round trip,
// and the tunnel's traffic (messages and bytes each way) per pair. Drives the BrowserSession directly (no MCP).
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { DEFAULT_SANDBOX_CONFIG, Sandbox } from '@suna/sandbox';
import { BrowserSession } from '../src/browser/session.ts';

const SMALL = '<!doctype html><title>Bench</title><h1>Hello</h1><ul>' + '<li><a href="#">link</a></li>'.repeat(50) + '</ul>';
/** CPU seconds (user + system) a host process has used, from /proc (clock ticks of 10 ms). */
const cpuMs = (pid: number) => {
  const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(f[11]) + Number(f[12])) * 10;
};
/** CPU the whole sandbox container has used (cgroup v1 cpuacct or v2 cpu.stat), ms; NaN where neither is readable. */
const containerCpuMs = (id: string) => {
  for (const [path, scale] of [[`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, 1e-6], [`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, 1e-3]] as const) {
    try {
      const text = readFileSync(path, 'utf8');
      return Number(path.endsWith('cpu.stat') ? /usage_usec (\d+)/.exec(text)![1] : text.trim()) * scale;
    } catch {
      // the other cgroup layout
    }
  }
  return NaN;
};
const p50 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export async function benchBrowserProfile(): Promise<void> {
  const baseImage = process.env.SUNA_BASE_IMAGE ?? DEFAULT_SANDBOX_CONFIG.baseImage;
  const sandbox = new Sandbox({ ...DEFAULT_SANDBOX_CONFIG, name: `bench-bprof-${process.pid}`, ephemeral: true, baseImage });
  const log = { info() {}, warn() {}, error() {}, debug() {} } as never;
  const browser = new BrowserSession(sandbox, log, 'ephemeral');
  try {
    await sandbox.ensureImage();
    const daemon = await sandbox.ensure();
    await sandbox.call('write', { path: '/workspace/small.html', data: Buffer.from(SMALL).toString('base64') });
    await sandbox.call('start', { command: 'cd /workspace && exec python3 -m http.server 8300 --bind 127.0.0.1', cwd: '/workspace' });
    await sandbox.exec({ argv: ['sh', '-c', 'for i in $(seq 50); do curl -sf http://127.0.0.1:8300/small.html >/dev/null && exit 0; sleep 0.1; done'], cwd: '/workspace', timeoutMs: 10_000, capBytes: 1024 }, new AbortController().signal);
    const traffic = { up: 0, upBytes: 0, down: 0, downBytes: 0 };
    const notify = daemon.notify.bind(daemon);
    (daemon as { notify: typeof notify }).notify = ((op: string, args: unknown, payload?: Uint8Array) => {
      if (op === 'tunnelWrite') (traffic.up++, (traffic.upBytes += payload?.length ?? 0));
      return notify(op as never, args as never, payload);
    }) as typeof notify;
    daemon.on('event', (ev) => {
      if (ev.ev === 'tunnelData') (traffic.down++, (traffic.downBytes += ev.data.length));
    });
    const page = await browser.page();
    const url = 'http://localhost:8300/small.html';
    const steps: Record<string, number[]> = { goto: [], load: [], summary: [], ariaSnapshot: [], title: [], pair: [], ariaSnapshotAgain: [], cdpEval: [] };
    const cdp = await page.context().newCDPSession(page);
    const time = async <T,>(name: string, fn: () => Promise<T>) => {
      const t = performance.now();
      const r = await fn();
      steps[name]!.push(performance.now() - t);
      return r;
    };
    const pairs = Number(process.env.SUNA_BENCH_PAIRS ?? 30);
    let perPair = { ...traffic };
    // The daemon's host pid (the tunnel's sandbox end): CPU per pair, less sensitive to a loaded machine than time.
    const top = execFileSync('docker', ['top', `suna-${sandbox.config.name}`, '-eo', 'pid,args']).toString().split('\n');
    const daemonPid = Number(top.find((l) => /^\s*\d+\s+suna-daemon\b/.test(l))?.trim().split(/\s+/)[0] ?? 0);
    const containerId = execFileSync('docker', ['inspect', '-f', '{{.Id}}', `suna-${sandbox.config.name}`]).toString().trim();
    let cpu = { host: 0, daemon: 0, container: 0 };
    for (let i = 0; i < pairs + 5; i++) {
      if (i === 5) {
        perPair = { ...traffic };
        const u = process.cpuUsage();
        cpu = { host: (u.user + u.system) / 1000, daemon: daemonPid ? cpuMs(daemonPid) : 0, container: containerCpuMs(containerId) };
      }
      const t = performance.now();
      await time('goto', () => page.goto(url, { waitUntil: 'domcontentloaded' }));
      await time('load', () => page.waitForLoadState('load', { timeout: 3000 }));
      // SUNA_BENCH_WARM: Playwright's scripts loaded as browser_navigate does ('after' its summary), or sent before
      // the summary ('before'), or not at all (unset): what the snapshot then pays.
      const warm = () => void page.locator('body').count().catch(() => {});
      if (process.env.SUNA_BENCH_WARM === 'before') warm();
      await time('summary', () => cdp.send('Runtime.evaluate', { expression: 'document.title', returnByValue: true }));
      if (process.env.SUNA_BENCH_WARM === 'after') warm();
      await time('ariaSnapshot', () => page.ariaSnapshot({ mode: 'ai' }));
      await time('title', () => page.title());
      steps.pair!.push(performance.now() - t);
      // The same document again: the snapshot without Playwright's per-document script injection.
      if (process.env.SUNA_BENCH_SNAPSHOT_AGAIN) await time('ariaSnapshotAgain', () => page.ariaSnapshot({ mode: 'ai' }));
      await time('cdpEval', () => cdp.send('Runtime.evaluate', { expression: '1', returnByValue: true }));
    }
    const u = process.cpuUsage();
    const cpuHost = ((u.user + u.system) / 1000 - cpu.host) / pairs;
    const cpuDaemon = daemonPid ? (cpuMs(daemonPid) - cpu.daemon) / pairs : NaN;
    const cpuContainer = (containerCpuMs(containerId) - cpu.container) / pairs;
    console.log('\nbrowser navigate + snapshot, broken down (ms, p50 of the last ' + pairs + ')\n');
    for (const [k, xs] of Object.entries(steps)) if (xs.length) console.log(k.padEnd(16) + p50(xs.slice(5)).toFixed(2).padStart(9));
    const per = (k: keyof typeof traffic) => ((traffic[k] - perPair[k]) / pairs).toFixed(1);
    console.log(`CPU per pair: host (playwright + tunnel relay) ${cpuHost.toFixed(1)} ms, daemon ${cpuDaemon.toFixed(1)} ms, whole sandbox (Chromium, daemon, page server) ${cpuContainer.toFixed(1)} ms`);
    console.log(`tunnel per pair: host→sandbox ${per('up')} messages, ${per('upBytes')} B; sandbox→host ${per('down')} messages, ${per('downBytes')} B`);
  } finally {
    await browser.close().catch(() => {});
    await sandbox.shutdown('remove');
  }
}

if (process.argv[1]?.endsWith('browser-profile.mts')) await benchBrowserProfile();
