// The sandbox's browser: Chromium runs inside the container (so it sees the sandbox's own localhost and never
// the host's) and the host drives it with playwright-core over CDP, through a tunnel of the sandbox daemon.
// Started on first use, kept warm, restarted when it crashed. The host end of the CDP tunnel admits only
// connections that carry this session's random secret header, so no other local process can drive the browser.
import { randomBytes } from 'node:crypto';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { connectRaw, EGRESS_PROXY_URL, forwardPort, sandboxLine, type Sandbox, type TcpForward } from '@suna/sandbox';
import { registerSecret } from '@suna/shared';
import { checkedRendering, type Rendering } from '../image-check.js';
import { cdpTransportOn } from './cdp-transport.js';
import type { Logger } from '../log.js';
import { bindSandbox, type SandboxProcesses } from '../sandbox-facade.js';

const CDP_PORT = 9222;
/** Sent by us (fetch and playwright-core's connectOverCDP) on every CDP request; removed by the tunnel. */
const CDP_SECRET_HEADER = 'x-suna-cdp-secret';
const VIEWPORT = { width: 1280, height: 800 };
const CHROMIUM_FLAGS = [
  '--headless=new',
  '--no-sandbox', // the container is the sandbox; Chromium's own needs seccomp rules Docker's default profile forbids
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--mute-audio',
  '--disable-auto-reload', // an error page reloading itself would interrupt the agent's next navigation
  // As Playwright launches Chromium (chromiumSwitches): no throttling of a page it deems in the background, no
  // back/forward cache (a page kept alive per navigation), no paint holding (a held first paint delays load
  // events), no field trials or IPC flood protection changing timings run to run.
  '--disable-field-trial-config',
  '--disable-background-timer-throttling',
  '--disable-backgrounding-occluded-windows',
  '--disable-renderer-backgrounding',
  '--disable-back-forward-cache',
  '--disable-ipc-flooding-protection',
  '--disable-hang-monitor',
  '--disable-breakpad',
  '--disable-extensions',
  '--disable-default-apps',
  '--no-default-browser-check',
  '--password-store=basic',
  // Per-navigation work Playwright also switches off (the peer's Chromium runs without it): language detection of
  // every loaded page for Translate (renderer and browser process), the client-side phishing classifier, and an
  // HTTPS attempt before every http:// navigation to a host name (HttpsUpgrades: one more proxied connection).
  // Together ~10% of the CPU of a small-page navigate + snapshot (bench: browser-peers).
  '--disable-client-side-phishing-detection',
  '--disable-features=PaintHolding,MediaRouter,OptimizationHints,NetworkTimeServiceQuerying,AvoidUnnecessaryBeforeUnloadCheckSync,Translate,HttpsUpgrades,ThirdPartyStoragePartitioning',
  // The compositor in the browser process instead of a GPU process of its own (there is no GPU; --disable-gpu): no
  // frame crosses a process boundary, ~20-30 ms of GPU-process CPU per pair become ~15 in the browser process. Not a
  // lost boundary here: with --no-sandbox both would run unconfined as the same user in the same container.
  '--in-process-gpu',
  `--window-size=${VIEWPORT.width},${VIEWPORT.height}`,
  `--remote-debugging-port=${CDP_PORT}`,
  `--proxy-server=${EGRESS_PROXY_URL}`, // the sandbox's only way out (egress policy); loopback stays direct
];

/** Where the browser keeps its profile by default: the home volume, so logins survive browser and sandbox restarts. */
export const PERSISTENT_PROFILE_DIR = '/home/user/.config/suna-browser';
/** Lock files a killed Chromium leaves; they name a PID the next one may reuse inside the container. */
const PROFILE_LOCKS = ['SingletonLock', 'SingletonSocket', 'SingletonCookie'];
/** How long a graceful quit (which saves cookies) may take before the process is simply stopped. */
const GRACEFUL_QUIT_MS = 1000;
export type BrowserProfileMode = 'persistent' | 'ephemeral';

export class BrowserUnavailableError extends Error {
  override readonly name = 'BrowserUnavailableError';
}

export class BrowserSession {
  private browser: Browser | null = null;
  private forward: TcpForward | null = null;
  private secret: string | null = null;
  private processId: string | null = null;
  private starting: Promise<Browser> | null = null;
  /** Chromium's process, through the facade (default timeouts per op: op-timeouts.ts); the session outlives any one call. */
  private readonly proc: SandboxProcesses;
  private current = 0;
  restarts = 0;

  constructor(
    private readonly sandbox: Sandbox,
    private readonly log: Logger,
    private readonly profileMode: BrowserProfileMode = 'persistent',
  ) {
    this.proc = bindSandbox(sandbox, new AbortController().signal).proc;
  }

  /** The header Chromium's port forward requires: made (and registered for redaction) before its first use, not at
   *  server start (node:crypto is then not loaded on the path to `initialize`). */
  private get cdpSecret(): string {
    if (!this.secret) {
      this.secret = randomBytes(24).toString('base64url');
      registerSecret(this.secret);
    }
    return this.secret;
  }

  get running(): boolean {
    return !!this.browser?.isConnected();
  }

  /** The daemon's id of the Chromium process these tools run (hidden from shell_list: it is not the agent's). */
  get browserProcessId(): string | null {
    return this.processId;
  }

  private async start(): Promise<Browser> {
    if (this.restarts > 0 || this.processId) this.log.info('restarting the sandbox browser');
    await this.stopProcess();
    // A killed Chromium leaves profile locks naming a PID that the next one may reuse inside the container, and
    // Chromium would then hand off to that "running" instance and exit: the persistent profile loses its locks
    // (the previous process is stopped above), an ephemeral one is new at every start.
    const persistent = this.profileMode === 'persistent';
    const profile = persistent ? PERSISTENT_PROFILE_DIR : `/tmp/suna-chromium-${Date.now()}`;
    const prepare = persistent ? `mkdir -p ${profile} && rm -f ${PROFILE_LOCKS.map((l) => `${profile}/${l}`).join(' ')}` : 'rm -rf /tmp/suna-chromium-*';
    const command = `${prepare}; exec /usr/lib/chromium/chromium ${CHROMIUM_FLAGS.join(' ')} --user-data-dir=${profile} about:blank`;
    const info = await this.proc.start(command, { cwd: '/workspace', name: 'chromium (browser tools)' });
    this.processId = info.processId;
    // No permessage-deflate on CDP (playwright-core offers it; Chromium accepts): over a local tunnel it saves no
    // time and costs zlib on every message in this process and in Chromium's browser process (~17 ms of server CPU
    // per small-page navigate + snapshot). Dropping the offer gives plain frames; the peer's pipe has none either.
    this.forward ??= await forwardPort(this.sandbox, CDP_PORT, { requireHeader: { name: CDP_SECRET_HEADER, value: this.cdpSecret, drop: ['sec-websocket-extensions'] } });
    const headers = { [CDP_SECRET_HEADER]: this.cdpSecret };
    const base = `http://127.0.0.1:${this.forward.port}`;
    // Chromium answers /json/version once it listens; its ws URL names the in-sandbox port, so point it at ours.
    const deadline = Date.now() + 20_000;
    let wsUrl = '';
    while (!wsUrl) {
      try {
        const res = await fetch(`${base}/json/version`, { headers, signal: AbortSignal.timeout(2000) });
        const v = (await res.json()) as { webSocketDebuggerUrl: string };
        wsUrl = v.webSocketDebuggerUrl.replace(/^ws:\/\/[^/]+/, `ws://127.0.0.1:${this.forward.port}`);
      } catch {
        const out = await this.proc.output(info.processId, { offset: 0, waitMs: 0, maxBytes: 64 * 1024 });
        if (!out.running) throw new BrowserUnavailableError(`Chromium exited at start (${out.exitCode ?? out.signal}); its last output: "${sandboxLine(out.text.slice(-500), 500)}"`);
        if (Date.now() > deadline) throw new BrowserUnavailableError('Chromium did not start within 20 s');
        await new Promise((r) => setTimeout(r, 150));
      }
    }
    const { chromium } = await import('playwright-core'); // loaded on first use: it alone costs more than the rest of the start
    // Where the engine is local, CDP goes on the daemon's own connection (no copy through the forwarded port); the
    // forward stays for /json/version above and for engines without the host socket.
    const direct = await connectRaw(this.sandbox, CDP_PORT).catch(() => null);
    const browser = direct
      ? await chromium.connectOverCDP(await cdpTransportOn(direct, new URL(wsUrl).pathname), { timeout: 15_000 })
      : await chromium.connectOverCDP(wsUrl, { headers, timeout: 15_000 });
    browser.on('disconnected', () => {
      if (this.browser === browser) this.browser = null;
    });
    this.browser = browser;
    this.current = 0;
    return browser;
  }

  private async processRunning(): Promise<boolean> {
    const out = await this.proc.output(this.processId!, { offset: Number.MAX_SAFE_INTEGER, waitMs: 0, maxBytes: 0 }).catch(() => null);
    return !!out?.running;
  }

  /**
   * Ask Chromium to quit on its own (CDP Browser.close), so it writes its cookie store and local storage to the
   * profile — it only flushes them every ~30 s otherwise. Bounded: a hung browser is killed by the caller.
   */
  private async quitGracefully(b: Browser | null): Promise<void> {
    if (!b?.isConnected()) return;
    const deadline = Date.now() + GRACEFUL_QUIT_MS;
    try {
      const cdp = await b.newBrowserCDPSession();
      await Promise.race([cdp.send('Browser.close'), new Promise((r) => setTimeout(r, GRACEFUL_QUIT_MS))]);
      // The CDP socket closes before Chromium has finished writing its profile: wait for the process to end.
      while (this.processId && Date.now() < deadline && (await this.processRunning())) await new Promise((r) => setTimeout(r, 50));
    } catch {
      // already gone, or not answering: the caller stops the process
    }
  }

  private async stopProcess(): Promise<void> {
    if (!this.processId) return;
    await this.proc.kill(this.processId, 'SIGKILL').catch(() => {});
    this.processId = null;
  }

  /** Playwright's words for "the browser under this page is gone" (a crash noticed mid-call). */
  static isGone(err: unknown): boolean {
    return /Target page, context or browser has been closed|Browser has been closed|Target closed|browser has disconnected/i.test((err as Error)?.message ?? '');
  }

  /** Forget the current browser so the next call starts a new Chromium. */
  async restart(): Promise<void> {
    const b = this.browser;
    this.browser = null;
    if (b) this.restarts++;
    await b?.close().catch(() => {});
  }

  /** The connected browser, starting or restarting Chromium as needed. */
  async ensure(): Promise<Browser> {
    // No round trip on the hot path: a killed Chromium closes its CDP socket, the daemon reports the tunnel closed
    // and playwright-core marks the browser disconnected (a call that still meets a dead page gets isGone, and
    // browser_navigate restarts on it).
    const current = this.browser;
    if (current?.isConnected()) return current;
    if (this.starting) return this.starting;
    if (this.browser) {
      this.restarts++;
      void this.browser.close().catch(() => {});
    }
    this.browser = null;
    this.starting ??= this.start().finally(() => (this.starting = null));
    return this.starting;
  }

  async context(): Promise<BrowserContext> {
    const b = await this.ensure();
    return b.contexts()[0] ?? (await b.newContext({ viewport: VIEWPORT }));
  }

  async pages(): Promise<Page[]> {
    return (await this.context()).pages().filter((p) => !p.isClosed());
  }

  /** The current tab (one is opened when there is none). */
  async page(): Promise<Page> {
    const ctx = await this.context();
    let pages = ctx.pages().filter((p) => !p.isClosed());
    if (!pages.length) {
      await ctx.newPage();
      pages = ctx.pages();
    }
    if (this.current >= pages.length) this.current = pages.length - 1;
    return pages[this.current]!;
  }

  async newTab(): Promise<Page> {
    const ctx = await this.context();
    const page = await ctx.newPage();
    this.current = ctx.pages().indexOf(page);
    return page;
  }

  /** A new tab in place of `old` (closed), made the current one: nothing is loading or committing in it. */
  async replacePage(old: Page): Promise<Page> {
    const ctx = await this.context();
    const page = await ctx.newPage();
    await old.close().catch(() => {});
    this.current = Math.max(0, ctx.pages().filter((p) => !p.isClosed()).indexOf(page));
    return page;
  }

  async selectTab(index: number): Promise<Page> {
    const pages = await this.pages();
    if (index < 0 || index >= pages.length) throw new RangeError(`no tab ${index}; there are ${pages.length} (0–${pages.length - 1})`);
    this.current = index;
    await pages[index]!.bringToFront();
    return pages[index]!;
  }

  get currentIndex(): number {
    return this.current;
  }

  /**
   * Render an image (png/jpeg/gif/webp/svg bytes) in a scratch tab, scaled so the long side is ≤ `maxSide`,
   * and return it as PNG or JPEG. Chromium does the decoding and scaling: no image library on the host.
   */
  async renderImage(data: Buffer, mimeType: string, maxSide: number): Promise<Rendering> {
    const ctx = await this.context();
    const page = await ctx.newPage();
    try {
      const url = `data:${mimeType};base64,${data.toString('base64')}`;
      const r = await page.evaluate(
        async ({ url, maxSide }) => {
          const img = new Image();
          img.src = url;
          await img.decode();
          const w0 = img.naturalWidth || 1024;
          const h0 = img.naturalHeight || 768;
          const scale = Math.min(1, maxSide / Math.max(w0, h0));
          const canvas = document.createElement('canvas');
          canvas.width = Math.max(1, Math.round(w0 * scale));
          canvas.height = Math.max(1, Math.round(h0 * scale));
          const g = canvas.getContext('2d')!;
          g.fillStyle = '#fff';
          g.fillRect(0, 0, canvas.width, canvas.height);
          g.drawImage(img, 0, 0, canvas.width, canvas.height);
          const png = canvas.toDataURL('image/png');
          // Photographs compress far better as JPEG; keep PNG when it is small (text, diagrams).
          const out = png.length > 900_000 ? canvas.toDataURL('image/jpeg', 0.85) : png;
          return { out, width: canvas.width, height: canvas.height, w0, h0 };
        },
        { url, maxSide },
      );
      return checkedRendering(r, maxSide);
    } finally {
      await page.close().catch(() => {});
    }
  }

  async close({ stopChromium = true } = {}): Promise<void> {
    const b = this.browser;
    this.browser = null;
    if (this.profileMode === 'persistent') await this.quitGracefully(b);
    await b?.close().catch(() => {});
    await this.forward?.close();
    this.forward = null;
    if (stopChromium) await this.stopProcess();
    else this.processId = null;
  }
}
