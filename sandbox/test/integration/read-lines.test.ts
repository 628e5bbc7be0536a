// Issue 22, daemon half: a page of a 200 MB file is chosen inside the sandbox, so the first and the last page
// each move well under 1 MB to the host (measured on the daemon stream), with the right lines and line count.
import assert from 'node:assert/strict';
import { DEFAULT_SANDBOX_CONFIG, Sandbox, type SandboxConfig } from '../../src/index.ts';

describe('readLines: paging a 200 MB file in the sandbox', function () {
  this.timeout(180_000);
  let sb: Sandbox;
  const LINES = 2_000_000; // "line 0000001 " + 86 x's + "\n" = 100 bytes each → 200 MB
  before(async () => {
    const name = `rl-${process.pid}-${Date.now().toString(36)}`;
    sb = new Sandbox({ ...DEFAULT_SANDBOX_CONFIG, name, ephemeral: true, baseImage: process.env.SUNA_BASE_IMAGE ?? DEFAULT_SANDBOX_CONFIG.baseImage, diskQuotaMb: 1024 } as SandboxConfig);
    await sb.ensure();
    const r = await sb.exec({ command: `awk 'BEGIN { x = sprintf("%86s", ""); gsub(/ /, "x", x); for (i = 1; i <= ${LINES}; i++) printf "line %07d %s\\n", i, x }' > big.txt && stat -c %s big.txt`, cwd: '/workspace', timeoutMs: 120_000, capBytes: 1000 });
    assert.equal(Buffer.from(r.stdout.head, 'base64').toString().trim(), String(LINES * 100));
  });
  after(async () => sb?.shutdown('remove'));

  /** Bytes of the daemon's answer line (what crosses from the sandbox to the host). */
  async function pageOf(fromLine: number) {
    const r = await sb.call('readLines', { path: '/workspace/big.txt', fromLine, maxLines: 2000, maxLineBytes: 2000, maxBytes: 512 * 1024 }, { timeoutMs: 120_000 });
    return { r, moved: JSON.stringify(r).length, text: Buffer.from(r.data, 'base64').toString() };
  }

  it('the first page moves < 1 MB and holds lines 1–2000', async () => {
    const { r, moved, text } = await pageOf(1);
    assert.ok(moved < 1024 * 1024, `moved ${moved} bytes`);
    assert.equal(r.totalLines, LINES);
    assert.equal(r.size, LINES * 100);
    assert.equal(r.lines, 2000);
    assert.match(text, /^line 0000001 x+\n/);
    assert.match(text, /\nline 0002000 x+$/);
  });

  it('the last page moves < 1 MB and ends with the last line', async () => {
    const { r, moved, text } = await pageOf(LINES - 999);
    assert.ok(moved < 1024 * 1024, `moved ${moved} bytes`);
    assert.equal(r.lines, 1000);
    assert.match(text, new RegExp(`^line ${String(LINES - 999).padStart(7, '0')} x+\\n`));
    assert.match(text, new RegExp(`\\nline ${String(LINES).padStart(7, '0')} x+$`));
  });

  it('paths outside the workspace are refused as for every file op', async () => {
    await assert.rejects(sb.call('readLines', { path: '/etc/passwd', fromLine: 1, maxLines: 1, maxLineBytes: 10, maxBytes: 10 }), /outside the workspace/);
  });
});
