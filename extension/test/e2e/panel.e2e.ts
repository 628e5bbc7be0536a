// End to end in a real VS Code (code-server) driven by Playwright with Debian's Chromium: the packaged
// extension, the bundled suna-mcp and a real Docker sandbox; only the model is a scripted fake.
// A user sets an API key through the command, opens the panel and sends a message; the model reads a
// workspace file, writes a new one and runs a shell command (both approved in their cards); the new file
// appears in the workspace, and a file the user edited meanwhile is reported as a conflict, not overwritten.
// Then the panel's own features: approvals with diffs, live output (shell_exec and shell_start), Markdown,
// context, review items, screenshots full size, cards by keyboard, usage and cost, edit-and-resend.
//
//   npx mocha --timeout 600000 extension/test/e2e/panel.e2e.ts     (Node 24; installs code-server once)
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, promises as fsp, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type FrameLocator, type Page } from 'playwright-core';
import { startFakeModelServer, type FakeModelServer } from '../../../shared/test/fixtures/fake-model-server.ts';
import { ensureCodeServer, installExtension, startCodeServer, type CodeServer } from './code-server.ts';

const EXT = fileURLToPath(new URL('../../', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const ARTIFACTS = join(REPO, 'test-artifacts');
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic'];

const MARKDOWN_ANSWER = [
  '# Summary',
  '',
  'I changed **one** file:',
  '',
  '| file | change |',
  '|---|---|',
  '| hello.txt | greeting |',
  '',
  '```js',
  "const greeting = 'Hello from the agent';",
  'console.log(greeting);',
  '```',
  '',
  '<img src=x onerror="document.body.dataset.pwned=1"> and [docs](https://example.com/docs)',
].join('\n');

/** A 2×2 PNG. */
const TINY_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAIAAAACCAIAAAD91JpzAAAAFklEQVR4nGP4z8DAwMDAxMDAwMDAAAANHQEDasKb6QAAAABJRU5ErkJggg==';

const t0 = Date.now();
const step = (what: string) => process.stderr.write(`[e2e +${((Date.now() - t0) / 1000).toFixed(1)}s] ${what}\n`);

describe('the Suna panel in a real VS Code (code-server + Docker sandbox)', function () {
  this.timeout(600_000);
  let home: string;
  let ws: string;
  let fake: FakeModelServer;
  let server: CodeServer | undefined;
  let context: BrowserContext | undefined;
  let page: Page;
  let panel: FrameLocator;
  let sandbox: string | undefined;

  before(async () => {
    ensureCodeServer();
    step('code-server present');
    home = mkdtempSync(join(tmpdir(), 'suna-e2e-'));
    ws = join(home, 'workspace');
    mkdirSync(join(ws, 'src'), { recursive: true });
    await fsp.writeFile(join(ws, 'hello.txt'), 'Hello from the workspace\n');
    await fsp.writeFile(join(ws, 'notes.txt'), 'original notes\n');
    await fsp.writeFile(join(ws, 'greeting.txt'), 'original greeting\n');
    await fsp.writeFile(join(ws, 'src', 'app.js'), 'console.log("app");\n');
    await fsp.writeFile(join(ws, '.gitignore'), 'node_modules/\n');

    fake = await startFakeModelServer(
      [
        { text: 'Let me look at hello.txt first.', toolCalls: [{ id: 'call_read', name: 'file_read', args: { path: 'hello.txt' } }], usage: { input: 1200, output: 30 } },
        { text: 'Now I will create a file.', toolCalls: [{ id: 'call_write', name: 'file_write', args: { path: 'created.txt', content: 'made by the agent\n' } }], usage: { input: 1400, output: 40 } },
        { toolCalls: [{ id: 'call_shell', name: 'shell_exec', args: { command: 'echo agent-version > notes.txt && sleep 6 && echo finished' } }], usage: { input: 1500, output: 25 } },
        { text: 'All done: I read hello.txt, created created.txt and updated notes.txt.', usage: { input: 1600, output: 20 } },
        // The panel scenarios: an edit that waits (diff, badge while hidden), a running command, a Markdown answer.
        { toolCalls: [{ id: 'call_edit', name: 'file_edit', args: { path: 'hello.txt', edits: [{ old_text: 'Hello from the workspace', new_text: 'Hello from the agent' }] } }] },
        // 40 ticks: on a busy machine a 10-second command ended before the test's Stop (it stops after tick 3).
        { toolCalls: [{ id: 'call_ticks', name: 'shell_exec', args: { command: 'for i in $(seq 1 40); do echo tick $i; sleep 1; done' } }] },
        { text: MARKDOWN_ANSWER },
        { text: 'I read the attached file.' },
        { text: 'I see the image.' },
        { toolCalls: [{ id: 'call_overwrite', name: 'shell_exec', args: { command: 'sleep 5 && echo "agent greeting" > greeting.txt' } }] },
        { text: 'Rewrote greeting.txt.' },
        // A screenshot opened full size, a background process followed in its card, an earlier message edited.
        // A figure from code_run (image_view would need the sandbox's Chromium, which a busy machine starts too slowly).
        { toolCalls: [{ id: 'call_view', name: 'code_run', args: { code: 'import matplotlib.pyplot as plt\nplt.plot([1, 3, 2])\nplt.show()', timeout_s: 120 } }], usage: { input: 2000, output: 20 } },
        { text: 'A tiny picture.', usage: { input: 2100, output: 10 } },
        { toolCalls: [{ id: 'call_bg', name: 'shell_start', args: { command: 'for i in $(seq 1 120); do echo bg $i; sleep 1; done', name: 'ticker' } }] },
        { text: 'The ticker runs in the background.' },
        { text: 'Answer to the edited question.' },
        // Restore to here: the agent makes a file while the user edits another.
        { toolCalls: [{ id: 'call_ck_write', name: 'file_write', args: { path: 'agent-made.txt', content: 'made by the agent\n' } }] },
        { toolCalls: [{ id: 'call_ck_wait', name: 'shell_exec', args: { command: 'sleep 5 && echo waited' } }] },
        { text: 'Made agent-made.txt.' },
      ],
      { chunkDelayMs: 15 },
    );

    step('building and packaging the extension');
    execFileSync('npm', ['run', 'package'], { cwd: EXT, stdio: 'pipe' });
    const dirs = { userData: join(home, 'user-data'), extensions: join(home, 'extensions') };
    installExtension(join(EXT, 'suna-vscode.vsix'), dirs);
    step('extension installed from the .vsix');

    server = await startCodeServer({
      home,
      userSettings: {
        'workbench.startupEditor': 'none',
        'workbench.tips.enabled': false,
        'security.workspace.trust.enabled': false,
        'telemetry.telemetryLevel': 'off',
        'extensions.autoCheckUpdates': false,
        'suna.anthropicBaseUrl': fake.anthropicBaseURL,
        'suna.model': 'anthropic:claude-sonnet-5-5',
        'suna.approvals': 'auto-read',
      },
      // A throwaway sandbox, removed when the extension's server exits.
      env: { SUNA_EPHEMERAL: 'true', SUNA_LOG_LEVEL: 'info' },
    });
    step(`code-server at ${server.url}`);
    context = await chromium.launchPersistentContext(join(home, 'browser-profile'), { executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1440, height: 900 } });
    page = context.pages()[0] ?? (await context.newPage());
    await page.goto(`${server.url}/?folder=${encodeURIComponent(ws)}`, { timeout: 120_000 });
    await page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    // The extension host is up (and our contributions registered) once our status bar item shows.
    await page.locator('.statusbar-item', { hasText: 'vscode-workspace-' }).first().waitFor({ timeout: 120_000 });
    step('workbench up, extension active');
  });

  afterEach(async function () {
    if (this.currentTest?.state !== 'failed' || !page) return;
    mkdirSync(ARTIFACTS, { recursive: true });
    const file = join(ARTIFACTS, `extension-e2e-failure-${this.currentTest.title.slice(0, 30).replace(/\W+/g, '-')}.png`);
    await page.screenshot({ path: file }).catch(() => {});
    step(`failure screenshot: ${file}`);
  });

  after(async () => {
    await context?.close().catch(() => {});
    await server?.stop();
    await fake?.close();
    // The extension's server removes its ephemeral sandbox on exit; make sure, and say so if it did not.
    if (sandbox) {
      const alive = () => execFileSync('docker', ['ps', '-aq', '--filter', `name=^suna-${sandbox}$`]).toString().trim();
      for (let i = 0; i < 30 && alive(); i++) await new Promise((r) => setTimeout(r, 500));
      if (alive()) {
        step(`sandbox suna-${sandbox} still there 15 s after VS Code stopped: removing it`);
        execFileSync('docker', ['rm', '-f', `suna-${sandbox}`], { stdio: 'ignore' });
      }
      // The checkpoint store's sidecars and volume (the panel checkpoints before each run) go with it.
      const sidecars = execFileSync('docker', ['ps', '-aq', '--filter', `name=^suna-${sandbox}-ckpt-`]).toString().trim();
      if (sidecars) {
        step(`checkpoint sidecars of ${sandbox} still there: removing them`);
        execFileSync('docker', ['rm', '-f', ...sidecars.split('\n')], { stdio: 'ignore' });
      }
      execFileSync('docker', ['volume', 'rm', '-f', `suna-${sandbox}-checkpoints`], { stdio: 'ignore' });
    }
    if (process.env.SUNA_E2E_KEEP) step(`kept ${home}`);
    else if (home) rmSync(home, { recursive: true, force: true });
  });

  async function runCommand(title: string): Promise<void> {
    await page.locator('.monaco-workbench').click({ position: { x: 700, y: 400 } }).catch(() => {});
    await page.keyboard.press('F1');
    const input = page.locator('.quick-input-widget input');
    await input.waitFor();
    await input.fill(`>${title}`);
    await page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
  }

  it('sets the API key through "Suna: Set API Key" (secret storage)', async () => {
    await runCommand('Suna: Set API Key');
    const input = page.locator('.quick-input-widget input');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'Anthropic' }).first().waitFor();
    await input.fill('Anthropic');
    await page.keyboard.press('Enter');
    await page.locator('.quick-input-widget .quick-input-title', { hasText: 'API key' }).waitFor();
    await input.fill('sk-e2e-test-key');
    await page.keyboard.press('Enter');
    await page.locator('.notifications-toasts', { hasText: 'API key saved' }).waitFor({ timeout: 15_000 });
    step('API key set');
  });

  it('opens the panel; the workspace syncs into the sandbox', async () => {
    await page.locator('.activitybar .action-item a[aria-label^="Suna"], .activitybar [aria-label^="Suna"]').first().click();
    panel = page.frameLocator('iframe.webview.ready').frameLocator('iframe');
    await panel.locator('#input').waitFor({ timeout: 60_000 });
    // The status bar says when the first sync is done (the sandbox image may be built on first use).
    await page.locator('.statusbar-item', { hasText: /synced \d+ files/ }).waitFor({ timeout: 240_000 });
    const status = await page.locator('.statusbar-item', { hasText: /synced/ }).first().innerText();
    sandbox = /(vscode-workspace-[0-9a-f]+)/.exec(status)?.[1];
    step(`status bar: ${status.trim()}`);
    await assert.doesNotReject(panel.locator('#model').waitFor());
  });

  it('"Suna: Focus on Chat View" puts the cursor in the input', async () => {
    await page.locator('.activitybar [aria-label^="Explorer"]').first().click();
    await runCommand('Suna: Focus on Chat View');
    await panel.locator('#input').waitFor({ timeout: 30_000 });
    let focused = false;
    for (let i = 0; i < 50 && !focused; i++) {
      focused = await panel.locator('#input').evaluate((el) => document.hasFocus() && document.activeElement === el).catch(() => false);
      if (!focused) await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(focused, 'the input has the focus');
    await page.keyboard.type('typed right away');
    assert.equal(await panel.locator('#input').inputValue(), 'typed right away');
    await panel.locator('#input').fill('');
    step('Focus on Chat View focused the input');
  });

  it('streams the answer and the tool cards; approved writes land in the workspace; a concurrent edit becomes a conflict', async () => {
    await panel.locator('#input').fill('Please read hello.txt, create created.txt and update notes.txt.');
    await panel.locator('#input').press('Enter');

    const card = (name: string) => panel.locator(`.card.tool[data-name="${name}"]`);
    await card('file_read').locator('.tool-result pre', { hasText: 'Hello from the workspace' }).waitFor({ timeout: 60_000 });
    step('file_read card shows the workspace file');

    await card('file_write').locator('button[data-action="approve"]').click({ timeout: 60_000 });
    await card('file_write').and(panel.locator('.status-ok')).waitFor({ timeout: 60_000 });
    step('file_write approved and done');

    await card('shell_exec').locator('button[data-action="approve"]').click({ timeout: 60_000 });
    await card('shell_exec').and(panel.locator('.status-running')).waitFor();
    // The agent has overwritten notes.txt in the sandbox; the user edits it locally meanwhile.
    await new Promise((r) => setTimeout(r, 1500));
    await fsp.writeFile(join(ws, 'notes.txt'), 'user-version\n');
    step('edited notes.txt locally while the agent works');

    await panel.locator('.msg.assistant', { hasText: 'All done' }).waitFor({ timeout: 90_000 });
    await panel.locator('.run-end', { hasText: 'Done' }).waitFor();
    step('final answer streamed');

    // created.txt comes back into the workspace.
    const created = join(ws, 'created.txt');
    for (let i = 0; i < 100 && !existsSync(created); i++) await new Promise((r) => setTimeout(r, 200));
    assert.equal(readFileSync(created, 'utf8'), 'made by the agent\n');
    // notes.txt: both changed it → reported as a conflict, the user's version kept.
    await panel.locator('.banner .conflict[data-path="notes.txt"]').waitFor({ timeout: 30_000 });
    assert.equal(readFileSync(join(ws, 'notes.txt'), 'utf8'), 'user-version\n');

    const cards = await panel.locator('.card.tool').evaluateAll((els) => els.map((e) => `${e.getAttribute('data-name')}:${Array.from(e.classList).find((c) => c.startsWith('status-'))}`));
    assert.deepEqual(cards, ['file_read:status-ok', 'file_write:status-ok', 'shell_exec:status-ok']);
    assert.match(await panel.locator('.run-end').innerText(), /tokens in/);

    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'extension-panel.png') });
    step('screenshot saved to test-artifacts/extension-panel.png');

    // Four model calls (one per step); the key from secret storage went to the model endpoint.
    const requests = fake.modelRequests();
    assert.equal(requests.length, 4);
    const h = requests[0]!.headers;
    assert.match(h['x-api-key'] ?? h.authorization ?? '', /sk-e2e-test-key/, 'the key set through the command reached the model');
  });

  it('the conflict opens in the diff editor; keep mine sends the user version to the sandbox', async () => {
    await panel.locator('.banner .conflict[data-path="notes.txt"] button[data-sync="open"]').click();
    await page.locator('.tab', { hasText: 'notes.txt: sandbox ↔ yours' }).waitFor({ timeout: 30_000 });
    await page.locator('.monaco-diff-editor').first().waitFor();
    await page.screenshot({ path: join(ARTIFACTS, 'extension-conflict-diff.png') });
    await panel.locator('.banner .conflict[data-path="notes.txt"] button[data-sync="mine"]').click();
    await panel.locator('.banner .conflict').waitFor({ state: 'detached', timeout: 30_000 });
    // The diff of a decided file would only say "(no sandbox version…)": its tab is closed.
    await page.locator('.tab', { hasText: 'notes.txt: sandbox ↔ yours' }).waitFor({ state: 'detached', timeout: 30_000 });
    assert.equal(readFileSync(join(ws, 'notes.txt'), 'utf8'), 'user-version\n');
    let inSandbox = '';
    for (let i = 0; i < 50 && inSandbox !== 'user-version\n'; i++) {
      inSandbox = execFileSync('docker', ['exec', `suna-${sandbox}`, 'cat', '/workspace/notes.txt']).toString();
      if (inSandbox !== 'user-version\n') await new Promise((r) => setTimeout(r, 200));
    }
    assert.equal(inSandbox, 'user-version\n');
    step('conflict resolved with keep mine');
  });

  it('a file_edit approval shows its diff; while the panel is hidden a badge and the status bar say it waits', async () => {
    await panel.locator('#send').waitFor({ timeout: 60_000 }); // the previous run has ended (Send is back)
    await panel.locator('#input').fill('Change the greeting in hello.txt, then count to ten.');
    await panel.locator('#input').press('Enter');
    const edit = panel.locator('.card.tool[data-name="file_edit"].status-awaiting-approval');
    await edit.waitFor({ timeout: 60_000 });
    await edit.locator('.diff-line.del', { hasText: '-Hello from the workspace' }).waitFor({ timeout: 30_000 });
    await edit.locator('.diff-line.add', { hasText: '+Hello from the agent' }).waitFor();
    assert.match(await edit.locator('.approval-reason').innerText(), /changes files in the sandbox/);
    mkdirSync(ARTIFACTS, { recursive: true });
    await page.screenshot({ path: join(ARTIFACTS, 'extension-approval-diff.png') });
    step('file_edit approval shows its diff');

    // Hide the panel (the Explorer takes the side bar): the Suna icon gets a badge, the status bar a hint.
    await page.locator('.activitybar [aria-label^="Explorer"]').first().click();
    const badge = page.locator('.activitybar .action-item:has([aria-label^="Suna"]) .badge, .activitybar .action-item[aria-label^="Suna"] .badge');
    await badge.filter({ hasText: '1' }).waitFor({ timeout: 30_000 });
    await page.locator('.statusbar-item', { hasText: 'waits for your approval' }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'extension-approval-badge.png') });
    step('badge and status-bar hint while hidden');

    await page.locator('.activitybar [aria-label^="Suna"]').first().click({ force: true }); // the badge covers the icon
    await edit.locator('button[data-action="approve"]').click({ timeout: 30_000 });
    await panel.locator('.card.tool[data-name="file_edit"].status-ok').waitFor({ timeout: 60_000 });
    await page.locator('.statusbar-item', { hasText: 'waits for your approval' }).waitFor({ state: 'detached', timeout: 30_000 });
    step('approved from the panel; the hint is gone');
  });

  it('a running command shows a spinner and its output live; Stop keeps what was shown', async () => {
    const ticks = panel.locator('.card.tool[data-name="shell_exec"]').last();
    await ticks.locator('button[data-action="approve"]').click({ timeout: 60_000 });
    const spinner = ticks.locator('.tool-status .codicon-loading.codicon-modifier-spin');
    await spinner.waitFor({ timeout: 30_000 });
    // The card is re-rendered as output arrives: read the animation of whichever spinner is attached right now.
    let animation = '';
    for (let i = 0; i < 20 && animation !== 'codicon-spin'; i++)
      animation = await spinner.evaluate((el) => (el.isConnected ? getComputedStyle(el).animationName : '')).catch(() => '');
    assert.equal(animation, 'codicon-spin');
    await ticks.locator('pre.live-output', { hasText: 'tick 3' }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'extension-running.png') });
    step('spinner and live output while the command runs');
    await panel.locator('#stop').click();
    await ticks.and(panel.locator('.status-cancelled')).waitFor({ timeout: 30_000 });
    const kept = await ticks.locator('pre.live-output').innerText();
    assert.match(kept, /tick 1\n.*tick 3/s, 'the output shown before Stop is still there');
    assert.doesNotMatch(kept, /tick 40/);
    await page.screenshot({ path: join(ARTIFACTS, 'extension-stopped-output.png') });
    step(`stopped; the card keeps ${kept.split('\n').filter(Boolean).length} lines of output`);
  });

  it('renders the Markdown answer: heading, table, highlighted code with Copy; raw HTML stays inert', async () => {
    await panel.locator('#send').waitFor({ timeout: 60_000 }); // the previous run has ended (Send is back)
    await panel.locator('#input').fill('Summarize what you did.');
    await panel.locator('#input').press('Enter');
    const answer = panel.locator('.msg.assistant.md', { hasText: 'Summary' }).last();
    await answer.locator('h1', { hasText: 'Summary' }).waitFor({ timeout: 60_000 });
    // The answer is still streaming when its heading shows: wait for the table cell's whole text.
    await answer.locator('table td', { hasText: 'hello.txt' }).first().waitFor({ timeout: 60_000 });
    await answer.locator('code.hljs .hljs-string').first().waitFor({ timeout: 60_000 });
    assert.equal(await answer.locator('table td').first().innerText(), 'hello.txt');
    assert.equal(await answer.locator('.code-lang').innerText(), 'js');
    assert.ok((await answer.locator('code.hljs .hljs-string').count()) > 0, 'the code is highlighted');
    assert.equal(await answer.locator('img').count(), 0);
    assert.equal(await panel.locator('body').getAttribute('data-pwned'), null);
    await answer.locator('button.copy-code').click();
    await answer.locator('button.copy-code .codicon-check').waitFor({ timeout: 10_000 });
    await answer.scrollIntoViewIfNeeded();
    await page.screenshot({ path: join(ARTIFACTS, 'extension-markdown.png') });
    step('markdown rendered');
  });

  it('an @file mention attaches the file: the model receives its content', async () => {
    await panel.locator('#send').waitFor({ timeout: 60_000 });
    await panel.locator('#input').click();
    await panel.locator('#input').pressSequentially('Explain @');
    const pick = page.locator('.quick-input-widget input');
    await pick.waitFor({ timeout: 30_000 });
    await pick.fill('hello.txt');
    await page.locator('.quick-input-list .monaco-list-row', { hasText: 'hello.txt' }).first().waitFor({ timeout: 30_000 });
    await page.keyboard.press('Enter');
    await panel.locator('#attachments .chip-file', { hasText: 'hello.txt' }).waitFor({ timeout: 30_000 });
    assert.match(await panel.locator('#input').inputValue(), /Explain @hello\.txt/);
    await panel.locator('#input').press('Enter');
    await panel.locator('.msg.assistant', { hasText: 'I read the attached file.' }).waitFor({ timeout: 60_000 });
    const body = JSON.stringify(fake.modelRequests().at(-1)!.body);
    assert.match(body, /<attached file=\\"hello.txt\\">/, 'the file went to the model as an attached block');
    assert.match(body, /Hello from the/);
    await panel.locator('.msg.user .chip-file', { hasText: 'hello.txt' }).waitFor();
    step('@hello.txt reached the model');
  });

  it('a pasted image goes to the model as an image', async () => {
    await panel.locator('#send').waitFor({ timeout: 60_000 }); // the previous run has ended (Send is back)
    await panel.locator('#input').fill('What is in this picture?');
    await panel.locator('#input').evaluate((el, data) => {
      const bytes = Uint8Array.from(atob(data), (c) => c.charCodeAt(0));
      const dt = new DataTransfer();
      dt.items.add(new File([bytes], 'shot.png', { type: 'image/png' }));
      el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
    }, TINY_PNG);
    await panel.locator('#attachments .chip-image img.chip-thumb').waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'extension-attachments.png') });
    await panel.locator('#input').press('Enter');
    await panel.locator('.msg.assistant', { hasText: 'I see the image.' }).waitFor({ timeout: 60_000 });
    const body = JSON.stringify(fake.modelRequests().at(-1)!.body);
    assert.ok(body.includes(TINY_PNG), 'the image data reached the model');
    assert.match(body, /"type":"image"/);
    step('pasted image reached the model');
  });

  it('a file the user saved during the run and the agent then overwrote becomes a review item', async () => {
    await panel.locator('#send').waitFor({ timeout: 60_000 }); // the previous run has ended (Send is back)
    await panel.locator('#input').fill('Rewrite greeting.txt.');
    await panel.locator('#input').press('Enter');
    const card = panel.locator('.card.tool[data-id="call_overwrite"]');
    await card.locator('button[data-action="approve"]').click({ timeout: 60_000 });
    await card.and(panel.locator('.status-running')).waitFor({ timeout: 30_000 });
    // The user saves their own version while the command sleeps; it is pushed, then the agent overwrites it.
    await fsp.writeFile(join(ws, 'greeting.txt'), 'user greeting\n');
    step('saved greeting.txt locally during the run');
    await panel.locator('.msg.assistant', { hasText: 'Rewrote greeting.txt.' }).waitFor({ timeout: 90_000 });
    await panel.locator('.banner .conflict[data-path="greeting.txt"]').waitFor({ timeout: 60_000 });
    assert.equal(readFileSync(join(ws, 'greeting.txt'), 'utf8'), 'user greeting\n', 'not overwritten silently');
    await page.screenshot({ path: join(ARTIFACTS, 'extension-review-after-save.png') });
    step('overwrite after save is a review item');
    // Take theirs: the agent's version lands, and the diff tab closes with the decision.
    const review = panel.locator('.banner .conflict[data-path="greeting.txt"]');
    await review.locator('button[data-sync="open"]').click();
    const tab = page.locator('.tab', { hasText: 'greeting.txt: sandbox ↔ yours' });
    await tab.waitFor({ timeout: 30_000 });
    await review.locator('button[data-sync="theirs"]').click();
    await review.waitFor({ state: 'detached', timeout: 30_000 });
    await tab.waitFor({ state: 'detached', timeout: 30_000 });
    for (let i = 0; i < 50 && readFileSync(join(ws, 'greeting.txt'), 'utf8') !== 'agent greeting\n'; i++) await new Promise((r) => setTimeout(r, 200));
    assert.equal(readFileSync(join(ws, 'greeting.txt'), 'utf8'), 'agent greeting\n');
    step('take theirs applied the agent version and closed the diff tab');
  });

  it('a screenshot in a card opens full size in an editor tab', async () => {
    await panel.locator('#send').waitFor({ timeout: 60_000 });
    await panel.locator('#input').fill('Plot something.');
    await panel.locator('#input').press('Enter');
    await panel.locator('.card.tool[data-id="call_view"] button[data-action="approve"]').click({ timeout: 60_000 });
    const img = panel.locator('.card.tool[data-id="call_view"] img.tool-image');
    await img.waitFor({ timeout: 180_000 });
    await panel.locator('.msg.assistant', { hasText: 'A tiny picture.' }).waitFor({ timeout: 60_000 });
    await img.click();
    await page.locator('.tab', { hasText: /[0-9a-f]{16}\.png/ }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'extension-image-open.png') });
    step('the screenshot opened in an editor tab');
    // The image preview is a webview too: close it so that `panel` names one webview again.
    await runCommand('View: Close All Editors');
    await page.locator('.tab', { hasText: /[0-9a-f]{16}\.png/ }).waitFor({ state: 'detached', timeout: 30_000 });
    await page.locator('iframe.webview.ready').nth(1).waitFor({ state: 'detached', timeout: 30_000 });
  });

  it('a background process (shell_start) streams into its card after the run; Stop keeps what was shown', async () => {
    await panel.locator('#send').waitFor({ timeout: 60_000 });
    await panel.locator('#input').fill('Start a ticker in the background.');
    await panel.locator('#input').press('Enter');
    const bg = panel.locator('.card.tool[data-id="call_bg"]');
    await bg.locator('button[data-action="approve"]').click({ timeout: 60_000 });
    await panel.locator('.msg.assistant', { hasText: 'The ticker runs in the background.' }).waitFor({ timeout: 60_000 });
    await bg.locator('.process-running pre.live-output', { hasText: 'bg 3' }).waitFor({ timeout: 60_000 });
    assert.ok(await bg.locator('.process-running .codicon-modifier-spin').count());
    await page.screenshot({ path: join(ARTIFACTS, 'extension-background-output.png') });
    await bg.locator('button[data-action="stop-process"]').click();
    await bg.locator('.process-stopped').waitFor({ timeout: 30_000 });
    const kept = await bg.locator('pre.live-output').innerText();
    assert.match(kept, /bg 1\n.*bg 3/s);
    assert.doesNotMatch(kept, /bg 120/);
    const processes = () => execFileSync('docker', ['exec', `suna-${sandbox}`, 'sh', '-c', 'cat /proc/[0-9]*/cmdline 2>/dev/null | tr "\\0" " "']).toString();
    for (let i = 0; i < 20 && /echo bg/.test(processes()); i++) await new Promise((r) => setTimeout(r, 250));
    assert.doesNotMatch(processes(), /echo bg/, 'the process was killed');
    step(`background output followed; stopped with ${kept.split('\n').filter(Boolean).length} lines kept`);
  });

  it('tool cards are one Tab stop each; Enter toggles, arrows reach Arguments/Result with aria-expanded', async () => {
    const card = panel.locator('.card.tool[data-id="call_view"]');
    await card.focus();
    const result = card.locator('details[data-part="result"]');
    const wasOpen = await result.evaluate((d) => (d as HTMLDetailsElement).open);
    await page.keyboard.press('Enter');
    assert.equal(await result.evaluate((d) => (d as HTMLDetailsElement).open), !wasOpen);
    await page.keyboard.press('ArrowDown');
    const args = card.locator('details[data-part="args"] > summary');
    assert.equal(await args.evaluate((el) => document.activeElement === el), true);
    await page.keyboard.press('ArrowRight');
    assert.equal(await args.getAttribute('aria-expanded'), 'true');
    await page.keyboard.press('Escape');
    assert.equal(await card.evaluate((el) => document.activeElement === el), true);
    // Tab leaves the card for the next one, not for its toggles.
    await page.keyboard.press('Tab');
    assert.equal(await panel.locator('body').evaluate(() => document.activeElement?.tagName === 'SUMMARY'), false);
    step('cards by keyboard');
  });

  it('the toolbar shows tokens, estimated cost and the context meter; at 180 px a compact line with a tooltip', async () => {
    const usage = panel.locator('#usage');
    assert.match(await usage.innerText(), /in · .* out · \$\d/);
    const meter = usage.locator('meter.context-meter');
    assert.ok(Number(await meter.getAttribute('value')) > 0);
    assert.match((await usage.getAttribute('title')) ?? '', /Estimated cost: \$[\d.]+.*\n.*Context: [\d,]+ of 200,000 tokens/s);
    await page.screenshot({ path: join(ARTIFACTS, 'extension-usage-wide.png') });
    // Narrow the webview to 180 px: the compact line fits and nothing overflows.
    await page.evaluate(() => {
      const f = document.querySelector<HTMLIFrameElement>('iframe.webview.ready')!;
      f.dataset.width = f.style.width;
      f.style.width = '180px';
    });
    await usage.locator('.usage-narrow').waitFor({ state: 'visible', timeout: 10_000 });
    assert.match(await usage.locator('.usage-narrow').innerText(), /^<?\$[\d.]+ · \d+%$/);
    assert.equal(await usage.locator('.usage-wide').first().isVisible(), false);
    const overflow = await panel.locator('.toolbar').evaluate((el) => el.scrollWidth - el.clientWidth);
    assert.ok(overflow <= 1, `the toolbar overflows by ${overflow}px`);
    await page.locator('iframe.webview.ready').screenshot({ path: join(ARTIFACTS, 'extension-usage-180px.png') });
    await page.evaluate(() => {
      const f = document.querySelector<HTMLIFrameElement>('iframe.webview.ready')!;
      f.style.width = f.dataset.width ?? '';
    });
    step('usage, cost and context meter');
  });

  it('an earlier message can be edited and sent again: the panel says what is cut, the model gets the new text', async () => {
    await panel.locator('#send').waitFor({ timeout: 60_000 });
    const first = panel.locator('.msg.user').first();
    await first.hover();
    await first.locator('button[data-action="edit"]').click();
    await panel.locator('#edit-hint', { hasText: /removes everything after it, including \d+ later messages of yours/ }).waitFor({ timeout: 10_000 });
    assert.ok((await panel.locator('.log .will-cut').count()) > 5, 'what will be cut is dimmed');
    await page.screenshot({ path: join(ARTIFACTS, 'extension-edit-earlier.png') });
    await panel.locator('#input').fill('Only say hello, please.');
    await panel.locator('#input').press('Enter');
    await panel.locator('.msg.assistant', { hasText: 'Answer to the edited question.' }).waitFor({ timeout: 60_000 });
    assert.equal(await panel.locator('.msg.user').count(), 1);
    await panel.locator('.notice', { hasText: /later messages and their answers were removed/ }).waitFor();
    const body = JSON.stringify(fake.modelRequests().at(-1)!.body);
    assert.match(body, /Only say hello, please\./);
    assert.doesNotMatch(body, /Please read hello\.txt|Rewrite greeting/);
    step('earlier message edited and resent');
  });

  it('Restore to here: the agent\'s file leaves the workspace, the user\'s concurrent edit is offered for review, nothing else is touched', async () => {
    await panel.locator('#send').waitFor({ timeout: 60_000 });
    await panel.locator('#input').fill('Make agent-made.txt.');
    await panel.locator('#input').press('Enter');
    await panel.locator('.card.tool[data-id="call_ck_write"] button[data-action="approve"]').click({ timeout: 60_000 });
    const wait = panel.locator('.card.tool[data-id="call_ck_wait"]');
    await wait.locator('button[data-action="approve"]').click({ timeout: 60_000 });
    await wait.and(panel.locator('.status-running')).waitFor({ timeout: 30_000 });
    await fsp.writeFile(join(ws, 'src', 'app.js'), 'console.log("edited by the user");\n');
    step('the agent wrote agent-made.txt; the user edited src/app.js during the run');
    await panel.locator('.msg.assistant', { hasText: 'Made agent-made.txt.' }).waitFor({ timeout: 90_000 });
    const made = join(ws, 'agent-made.txt');
    for (let i = 0; i < 100 && !existsSync(made); i++) await new Promise((r) => setTimeout(r, 200));
    assert.equal(readFileSync(made, 'utf8'), 'made by the agent\n');

    // Changes in this run: the agent's file is listed and opens in the diff editor.
    const runEnd = panel.locator('.run-end').last();
    await runEnd.locator('button[data-action="ck-changes"]').click();
    const row = runEnd.locator('.run-change[data-path="agent-made.txt"]');
    await row.waitFor({ timeout: 60_000 });
    assert.match(await row.innerText(), /A\s*agent-made\.txt/);
    // The user's own edit made during the run is listed too, and says so (the agent did not make that change alone).
    const mine = runEnd.locator('.run-change[data-path="src/app.js"]');
    await mine.waitFor({ timeout: 30_000 });
    assert.match(await mine.innerText(), /you edited it too/);
    assert.doesNotMatch(await row.innerText(), /you edited it too/);
    await row.locator('button[data-action="ck-diff"]').click();
    await page.locator('.tab', { hasText: 'agent-made.txt (before this run ↔ now)' }).waitFor({ timeout: 30_000 });
    await page.screenshot({ path: join(ARTIFACTS, 'extension-run-changes.png') });
    step('Changes in this run lists agent-made.txt and opens its diff');

    const snapshot = () => {
      const out: Record<string, string> = {};
      for (const f of ['hello.txt', 'notes.txt', 'greeting.txt', 'created.txt', '.gitignore']) out[f] = existsSync(join(ws, f)) ? readFileSync(join(ws, f), 'utf8') : '(absent)';
      return out;
    };
    const others = snapshot();
    const user = panel.locator('.msg.user', { hasText: 'Make agent-made.txt.' });
    await user.locator('button[data-action="ck-restore"]').click();
    const dialog = page.locator('.monaco-dialog-box');
    await dialog.waitFor({ timeout: 30_000 });
    assert.match(await dialog.innerText(), /offered for review/);
    await dialog.locator('.monaco-button', { hasText: /^Restore$/ }).click();
    await panel.locator('.msg.user.undone', { hasText: 'Make agent-made.txt.' }).waitFor({ timeout: 120_000 });
    for (let i = 0; i < 100 && existsSync(made); i++) await new Promise((r) => setTimeout(r, 200));
    assert.equal(existsSync(made), false, "the agent's file is gone from the workspace");
    await panel.locator('.banner .conflict[data-path="src/app.js"]').waitFor({ timeout: 60_000 });
    assert.equal(readFileSync(join(ws, 'src', 'app.js'), 'utf8'), 'console.log("edited by the user");\n', "the user's edit is kept");
    assert.deepEqual(snapshot(), others, 'nothing else in the workspace changed');
    assert.equal(execFileSync('docker', ['exec', `suna-${sandbox}`, 'sh', '-c', 'test -e /workspace/agent-made.txt && echo yes || echo no']).toString().trim(), 'no');
    assert.match(await panel.locator('.notice.info').last().innerText(), /Restored to before "Make agent-made.txt."/);
    assert.equal(await panel.locator('#input').inputValue(), 'Make agent-made.txt.', 'the restored message is back in the composer');
    await page.screenshot({ path: join(ARTIFACTS, 'extension-restore.png') });
    step('restored: agent-made.txt gone, src/app.js offered for review; screenshot test-artifacts/extension-restore.png');
    await panel.locator('#input').fill('');
  });

  it('the sandbox never saw the API key', async () => {
    assert.ok(sandbox, 'the status bar named the sandbox');
    const env = execFileSync('docker', ['exec', `suna-${sandbox}`, 'sh', '-c', 'env; cat /proc/1/environ | tr "\\0" "\\n"; grep -rl sk-e2e-test-key /workspace 2>/dev/null || true']).toString();
    assert.ok(!env.includes('sk-e2e-test-key'));
  });
});
