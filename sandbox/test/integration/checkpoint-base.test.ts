// The base the checkpoint store copies while the sandbox is idle (sandbox/checkpoints/store-tool.ts `prepare`):
// the first checkpoint made against it holds exactly the tree at its own moment (contents, modes, symlinks, empty
// directories, and a same-size rewrite whose mtime was forged back), the base is never listed, and it is gone from
// the store once the first checkpoint is complete.
import assert from 'node:assert/strict';
import { DEFAULT_SANDBOX_CONFIG, Sandbox, sidecarName, type SandboxConfig } from '../../src/index.ts';

describe('checkpoint store: the base copied before the first checkpoint', function () {
  this.timeout(600_000);
  let sb: Sandbox;
  const sh = async (command: string): Promise<string> => {
    const r = await sb.exec({ command, cwd: '/workspace', timeoutMs: 120_000, capBytes: 1_000_000 });
    assert.equal(r.exitCode, 0, Buffer.from(r.stderr.head, 'base64').toString());
    return Buffer.from(r.stdout.head, 'base64').toString();
  };
  /** Type, mode, size, link target and path of every entry, then the hash of every file. */
  const fingerprint = () => sh(`find . -printf '%y %m %s %l %p\\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum`);
  const inStore = async (command: string): Promise<string> => {
    const exec = await sb.docker.getContainer(sidecarName(sb.config, 'writer')).exec({ Cmd: ['sh', '-c', command], AttachStdout: true, AttachStderr: true });
    const stream = await exec.start({});
    const chunks: Buffer[] = [];
    await new Promise<void>((resolve) => {
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', resolve);
    });
    return Buffer.concat(chunks).toString('latin1').replace(/[\x00-\x08]/g, '');
  };

  before(async () => {
    const name = `ckbase-${process.pid}-${Date.now().toString(36)}`;
    sb = new Sandbox({ ...DEFAULT_SANDBOX_CONFIG, name, ephemeral: true, baseImage: process.env.SUNA_BASE_IMAGE ?? DEFAULT_SANDBOX_CONFIG.baseImage } as SandboxConfig);
    await sb.ensure();
  });
  after(async () => sb?.shutdown('remove'));

  it('the first checkpoint against the base is the tree at its moment, restores byte-identical, and the base goes', async () => {
    await sh(
      "mkdir -p t/keep t/private t/empty && for i in $(seq 1 200); do echo file $i > t/keep/f$i; done && printf AAAA > t/forged && printf old > t/gone && " +
        "chmod 750 t/private && echo secret > t/private/s && chmod 600 t/private/s && ln -s keep/f1 t/link && touch -d '2021-02-03 04:05:06.123456789' t/forged",
    );
    assert.deepEqual(await sb.checkpoints.prepareBase(), { made: true });
    assert.equal((await sb.checkpoints.list()).checkpoints.length, 0, 'the base is no checkpoint');
    const withBase = await sb.checkpoints.size();
    assert.equal(withBase?.count, 0);
    assert.ok((withBase?.baseBytes ?? 0) >= 200 * 'file 1\n'.length, `the base's bytes are counted: ${JSON.stringify(withBase)}`);
    // Asked again before any checkpoint: brought up to date, still no checkpoint.
    await sh('echo between > t/between');
    assert.deepEqual(await sb.checkpoints.prepareBase(), { made: true });
    // What changes between the base and the first checkpoint.
    await sh(
      'echo added > t/added && rm t/gone && chmod 640 t/keep/f2 && echo more >> t/keep/f3 && rm t/link && ln -s keep/f9 t/link && mkdir t/empty2 && ' +
        'm="$(stat -c %y t/forged)" && printf BBBB > t/forged && touch -d "$m" t/forged',
    );
    const atCheckpoint = await fingerprint();
    const first = await sb.checkpoints.create('first', () => []);
    const { checkpoints } = await sb.checkpoints.list();
    assert.deepEqual(checkpoints.map((c) => c.id), [first.id]);
    assert.equal(first.changed, first.files, 'a first checkpoint counts every entry as new');
    assert.match(await inStore('ls -A /store'), /^cp\s*$/, 'the base is removed once the first checkpoint is complete');
    assert.equal((await sb.checkpoints.size())?.baseBytes, undefined, 'and no longer counted');
    assert.deepEqual(await sb.checkpoints.prepareBase(), { made: false }, 'no base once a checkpoint exists');
    await sh('rm -rf t && mkdir t && echo junk > t/junk');
    await sb.restore(first.id, () => []);
    assert.equal(await fingerprint(), atCheckpoint);
    assert.equal(await sh('cat t/forged'), 'BBBB');
  });
});
