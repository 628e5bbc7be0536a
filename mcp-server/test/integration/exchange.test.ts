// file_export / file_import through the real SDK client against a real sandbox: files and folders go out to
// the exchange folder and come in from the allowed folders; overwrites need overwrite; symlinks are never
// followed on either side; paths outside the allowed folders (directly, by "..", or through a symlink inside
// one) are refused without reading anything; the size caps refuse before any byte moves.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServer, type TestServer } from '../fixtures/server.ts';

describe('file_export and file_import', function () {
  this.timeout(120_000);
  let s: TestServer;
  let base: string;
  let exchange: string;
  let allowed: string;
  let outside: string;
  const SECRET = 'host-secret-7f3a';

  /** Every entry under `dir`, relative, with "/" after folders and "@" after symlinks. */
  const tree = (dir: string) =>
    (readdirSync(dir, { recursive: true }) as string[])
      .map((p) => {
        const st = lstatSync(join(dir, p));
        return p + (st.isSymbolicLink() ? '@' : st.isDirectory() ? '/' : '');
      })
      .sort();

  before(async () => {
    base = mkdtempSync(join(tmpdir(), 'suna-exchange-'));
    exchange = join(base, 'exchange');
    allowed = join(base, 'allowed');
    outside = join(base, 'outside');
    for (const d of [exchange, allowed, outside]) mkdirSync(d);
    writeFileSync(join(outside, 'secret.txt'), SECRET);
    s = await startServer({ args: ['--exchange-dir', exchange, '--import-dirs', `${exchange},${allowed}`] });
    await s.ok('file_write', { path: 'out/report.csv', content: 'a,b\n1,2\n' });
    await s.ok('shell_exec', {
      command:
        'mkdir -p proj/src/deep proj/empty && echo one > proj/a.txt && echo two > proj/src/deep/b.txt && printf "#!/bin/sh\\n" > proj/run.sh && ' +
        'ln -s /etc proj/etc-link && ln -s /etc/passwd proj/src/passwd && ln -s a.txt proj/inner-link && ln -s out/report.csv top-link.csv',
    });
  });
  after(async () => {
    await s?.close();
    rmSync(base, { recursive: true, force: true });
  });

  it('exports a file to the exchange folder and answers with its host path and a resource link', async () => {
    const r = await s.ok('file_export', { path: 'out/report.csv' });
    const hostPath = join(exchange, 'report.csv');
    assert.equal(r.structured?.host_path, hostPath);
    assert.ok(r.text.includes(hostPath));
    assert.equal(readFileSync(hostPath, 'utf8'), 'a,b\n1,2\n');
    const link = r.result.content.find((c) => c.type === 'resource_link') as { uri: string; mimeType?: string } | undefined;
    assert.equal(link?.uri, 'sandbox://workspace/out/report.csv');
    assert.equal(link?.mimeType, 'text/csv');
  });

  it('keeps the executable bit of an exported file, and gives no other mode bit from the sandbox', async () => {
    await s.ok('shell_exec', { command: 'printf "#!/bin/sh\\necho hi\\n" > tool.sh && chmod 4777 tool.sh' });
    await s.ok('file_export', { path: 'tool.sh' });
    assert.equal(lstatSync(join(exchange, 'tool.sh')).mode & 0o7777, 0o755);
  });

  it('sheet_create and sheet_update link the workbook they wrote, for a client to fetch or the model to export', async () => {
    const linkOf = (r: { result: { content: Array<{ type: string }> } }) => (r.result.content.find((c) => c.type === 'resource_link') as { uri: string; mimeType: string } | undefined);
    const created = await s.ok('sheet_create', { path: 'out/q1.xlsx', sheets: [{ name: 'Q1', columns: ['region', 'revenue'], rows: [['north', 10]] }] });
    assert.deepEqual(linkOf(created), { type: 'resource_link', uri: 'sandbox://workspace/out/q1.xlsx', name: 'out/q1.xlsx', mimeType: 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' });
    const updated = await s.ok('sheet_update', { path: 'out/q1.xlsx', operations: [{ op: 'append_rows', rows: [['south', 12]] }] });
    assert.equal(linkOf(updated)?.uri, 'sandbox://workspace/out/q1.xlsx');
  });

  it('reports progress while a large file comes out, chunk by chunk', async () => {
    await s.ok('shell_exec', { command: 'head -c 10000000 /dev/urandom > ten.bin' });
    const seen: number[] = [];
    const r = await s.client.callTool({ name: 'file_export', arguments: { path: 'ten.bin' } }, undefined, { onprogress: (p) => seen.push(p.progress), timeout: 120_000 });
    assert.ok(!r.isError);
    // The last notification may arrive after the answer (and be dropped by the client): the first two cannot.
    assert.deepEqual(seen.slice(0, 2), [4 * 1024 * 1024, 8 * 1024 * 1024]);
    assert.equal(lstatSync(join(exchange, 'ten.bin')).size, 10_000_000);
  });

  it('exports a folder without its symlinks (to /etc, to a file outside, even to a sibling), saying which were skipped', async () => {
    const r = await s.ok('file_export', { path: 'proj' });
    assert.deepEqual(tree(join(exchange, 'proj')), ['a.txt', 'empty/', 'run.sh', 'src/', 'src/deep/', 'src/deep/b.txt']);
    assert.equal(readFileSync(join(exchange, 'proj/src/deep/b.txt'), 'utf8'), 'two\n');
    assert.equal(r.structured?.bytes, 4 + 4 + 10, 'every file counted');
    assert.match(r.text, /skipped 3: .*proj\/etc-link \(symlink, not copied\)/);
    assert.match(r.text, /proj\/src\/passwd \(symlink/);
    assert.deepEqual(r.structured?.skipped && (r.structured.skipped as string[]).length, 3);
    assert.ok(!readdirSync(exchange).some((n) => n.startsWith('.suna-export-')), 'no staging folder is left behind');
  });

  it('refuses a symlink as the path itself, and a missing path', async () => {
    const link = await s.call('file_export', { path: 'top-link.csv' });
    assert.equal(link.isError, true);
    assert.match(link.text, /is a symlink; symlinks are never copied to the host/);
    assert.ok(!existsSync(join(exchange, 'top-link.csv')));
    assert.match((await s.call('file_export', { path: 'nope.txt' })).text, /does not exist in the workspace/);
    assert.match((await s.call('file_export', { path: '../etc/passwd' })).text, /outside the workspace/);
  });

  it('never overwrites without overwrite: a file is replaced with it, a folder merged (other host files kept)', async () => {
    await s.ok('file_write', { path: 'out/report.csv', content: 'changed\n' });
    const refused = await s.call('file_export', { path: 'out/report.csv' });
    assert.equal(refused.isError, true);
    assert.match(refused.text, /already exists in the exchange folder .*overwrite: true/);
    assert.equal(readFileSync(join(exchange, 'report.csv'), 'utf8'), 'a,b\n1,2\n');
    await s.ok('file_export', { path: 'out/report.csv', overwrite: true });
    assert.equal(readFileSync(join(exchange, 'report.csv'), 'utf8'), 'changed\n');

    writeFileSync(join(exchange, 'proj/mine.txt'), 'the user added this');
    await s.ok('shell_exec', { command: 'echo ONE > proj/a.txt' });
    assert.equal((await s.call('file_export', { path: 'proj' })).isError, true);
    await s.ok('file_export', { path: 'proj', overwrite: true });
    assert.equal(readFileSync(join(exchange, 'proj/a.txt'), 'utf8'), 'ONE\n');
    assert.equal(readFileSync(join(exchange, 'proj/mine.txt'), 'utf8'), 'the user added this');
    // A file never replaces a folder, nor the reverse.
    await s.ok('file_write', { path: 'other/proj', content: 'a file named like the folder' });
    assert.match((await s.call('file_export', { path: 'other/proj', overwrite: true })).text, /is a folder and other\/proj is a file: it is not replaced/);
  });

  it('refuses a file over the per-file cap before any byte moves', async () => {
    await s.ok('shell_exec', { command: 'truncate -s 200M big.bin' });
    const r = await s.call('file_export', { path: 'big.bin' });
    assert.equal(r.isError, true);
    assert.match(r.text, /200 MB, over the 128 MB per-file export limit/);
    assert.ok(!existsSync(join(exchange, 'big.bin')));
    await s.ok('shell_exec', { command: 'mkdir -p bigdir && truncate -s 200M bigdir/big.bin && echo x > bigdir/small.txt' });
    assert.match((await s.call('file_export', { path: 'bigdir' })).text, /over the 128 MB per-file export limit; nothing was exported/);
    assert.ok(!existsSync(join(exchange, 'bigdir')));
  });

  it('imports a file from the exchange folder (a relative host_path) owned by the sandbox user, into a folder when the path is one', async () => {
    writeFileSync(join(exchange, 'in.txt'), 'from the host\n');
    const r = await s.ok('file_import', { host_path: 'in.txt' });
    assert.match(r.text, /imported a file \(14 bytes\) to in.txt/);
    assert.match((await s.ok('shell_exec', { command: 'cat in.txt; stat -c "%U %a" in.txt' })).text, /from the host\nuser 644/);
    await s.ok('shell_exec', { command: 'mkdir -p inbox' });
    await s.ok('file_import', { host_path: join(exchange, 'in.txt'), path: 'inbox' });
    assert.match((await s.ok('file_read', { path: 'inbox/in.txt' })).text, /from the host/);
  });

  it('imports a folder: symlinks inside are skipped (never followed out), a FIFO is skipped, the executable bit is kept', async () => {
    const src = join(allowed, 'data');
    mkdirSync(join(src, 'nested/empty'), { recursive: true });
    writeFileSync(join(src, 'x.txt'), 'x');
    writeFileSync(join(src, 'nested/y.txt'), 'y');
    writeFileSync(join(src, 'tool.sh'), '#!/bin/sh\n', { mode: 0o755 });
    symlinkSync(outside, join(src, 'out-dir'));
    symlinkSync(join(outside, 'secret.txt'), join(src, 'nested/secret-link.txt'));
    execFileSync('mkfifo', [join(src, 'pipe')]);
    const r = await s.ok('file_import', { host_path: src, path: 'imported' });
    assert.match(r.text, /imported 3 files/);
    assert.match(r.text, /out-dir \(symlink, not followed\)/);
    assert.match(r.text, /pipe \(not a regular file\)/);
    assert.ok(!r.text.includes(SECRET));
    const listing = (await s.ok('shell_exec', { command: 'cd imported && find . | sort && stat -c "%U %a" tool.sh' })).text;
    assert.match(listing, /^\.\n\.\/nested\n\.\/nested\/empty\n\.\/nested\/y\.txt\n\.\/tool\.sh\n\.\/x\.txt\nuser 755/m);
    assert.doesNotMatch((await s.ok('shell_exec', { command: 'grep -r host-secret . || true' })).text, new RegExp(SECRET));
  });

  it('refuses host paths outside the allowed folders: directly, by "..", and through a symlink inside an allowed folder', async () => {
    symlinkSync(outside, join(allowed, 'link-out'));
    symlinkSync(join(outside, 'secret.txt'), join(allowed, 'secret-link.txt'));
    const cases: Array<[string, RegExp]> = [
      [join(outside, 'secret.txt'), /outside the folders file_import may read/],
      ['/etc/passwd', /outside the folders file_import may read/],
      ['../outside/secret.txt', /contains "\.\."/],
      [`${allowed}/../outside/secret.txt`, /contains "\.\."/],
      [`${allowed}/data/../../outside/secret.txt`, /contains "\.\."/],
      [join(allowed, 'link-out/secret.txt'), /"link-out" in .* is a symlink; file_import follows no symlinks/],
      [join(allowed, 'link-out'), /is a symlink/],
      [join(allowed, 'secret-link.txt'), /is a symlink/],
      ['~/.ssh/id_rsa', /outside the folders/],
      [`${exchange}_evil/x`, /outside the folders/],
    ];
    for (const [host_path, why] of cases) {
      const r = await s.call('file_import', { host_path, path: 'stolen' });
      assert.equal(r.isError, true, host_path);
      assert.match(r.text, why, host_path);
      assert.ok(!r.text.includes(SECRET));
    }
    assert.match((await s.ok('shell_exec', { command: 'ls stolen 2>&1 || true' })).text, /No such file/);
  });

  it('never overwrites a workspace file without overwrite, for a file or inside a folder', async () => {
    writeFileSync(join(exchange, 'in.txt'), 'second version\n');
    const r = await s.call('file_import', { host_path: 'in.txt' });
    assert.equal(r.isError, true);
    assert.match(r.text, /in.txt already exists in the workspace; pass overwrite: true/);
    assert.match((await s.ok('file_read', { path: 'in.txt' })).text, /from the host/);
    await s.ok('file_import', { host_path: 'in.txt', overwrite: true });
    assert.match((await s.ok('file_read', { path: 'in.txt' })).text, /second version/);

    writeFileSync(join(allowed, 'data/x.txt'), 'x2');
    writeFileSync(join(allowed, 'data/new.txt'), 'new');
    const folder = await s.call('file_import', { host_path: join(allowed, 'data'), path: 'imported' });
    assert.match(folder.text, /3 files already exist in imported .*nothing was imported/);
    assert.match((await s.ok('shell_exec', { command: 'ls imported/new.txt 2>&1 || true' })).text, /No such file/);
    const merged = await s.ok('file_import', { host_path: join(allowed, 'data'), path: 'imported', overwrite: true });
    assert.match(merged.text, /imported 4 files .*3 replaced/);
    assert.match((await s.ok('shell_exec', { command: 'cat imported/x.txt imported/new.txt' })).text, /\nx2new$/);
  });

  it('refuses a host file over the per-file cap before reading it', async () => {
    const big = join(allowed, 'big.bin');
    writeFileSync(big, '');
    truncateSync(big, 65 * 1024 * 1024);
    const r = await s.call('file_import', { host_path: big, path: 'host-big.bin' });
    assert.equal(r.isError, true);
    assert.match(r.text, /65 MB, over the 64 MB per-file import limit; nothing was imported/);
    assert.match((await s.ok('shell_exec', { command: 'ls host-big.bin 2>&1 || true' })).text, /No such file/);
  });
});
