// The plain parts of checkpoints: the --checkpoint-retention format, the id rule, and how a diff answer from the
// store (attacker-controlled names and contents) is rendered.
import assert from 'node:assert/strict';
import { assertCheckpointId, newCheckpointId, CHECKPOINT_ID } from '@suna/sandbox';
import { ConfigError, loadConfig, parseCheckpointRetention } from '../../src/config.ts';
import { renderDiff } from '../../src/checkpoints/diff-view.ts';

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

describe('--checkpoint-retention', () => {
  it('reads a count, a size or both, and defaults to 50 and 2 GiB', () => {
    assert.deepEqual(loadConfig([], {}).sandbox.checkpointRetention, { count: 50, bytes: 2 * 1024 ** 3 });
    assert.deepEqual(parseCheckpointRetention('20,500MiB'), { count: 20, bytes: 500 * 1024 ** 2 });
    assert.deepEqual(parseCheckpointRetention('10'), { count: 10, bytes: 2 * 1024 ** 3 });
    assert.deepEqual(parseCheckpointRetention('1.5GB'), { count: 50, bytes: 1.5e9 });
    assert.deepEqual(parseCheckpointRetention('100, unlimited'), { count: 100, bytes: 0 });
    assert.deepEqual(loadConfig(['--checkpoint-retention', '3'], {}).sandbox.checkpointRetention, { count: 3, bytes: 2 * 1024 ** 3 });
  });
  it('refuses what it cannot read, saying what to write', () => {
    for (const bad of ['', 'many', '0', '5,6,7', '10 parsecs', '12kb', '-1']) {
      assert.throws(() => parseCheckpointRetention(bad), (e: Error) => e instanceof ConfigError && /e\.g\. "50,2GiB"/.test(e.message), bad);
    }
  });
});

describe('checkpoint ids', () => {
  it('are generated in the strict format and nothing else passes', () => {
    assert.match(newCheckpointId(), CHECKPOINT_ID);
    for (const bad of ['../x', 'ck-abc', 'ck-mwzhcl2n-684218/../..', '--delete', 'ck-mwzhcl2n-684218 ', 'CK-MWZHCL2N-684218']) assert.throws(() => assertCheckpointId(bad), /not a checkpoint id/, bad);
    assert.doesNotThrow(() => assertCheckpointId('ck-mwzhcl2n-684218'));
  });
});

describe('renderDiff', () => {
  it('lists changes and shows a unified diff of text files', () => {
    const v = renderDiff({ total: 2, entries: [{ p: b64('workspace/a.txt'), c: 'M', t: 'f', a: b64('one\ntwo\n'), b: b64('one\n2\n') }, { p: b64('home/.bashrc'), c: 'D', t: 'f' }] }, 'ck-a', undefined);
    assert.deepEqual(v.items, [
      { path: '/workspace/a.txt', change: 'changed', type: 'file' },
      { path: '/home/user/.bashrc', change: 'removed', type: 'file' },
    ]);
    assert.match(v.text, /^2 changes from ck-a to now:\n~ \/workspace\/a.txt\n- \/home\/user\/.bashrc\n/);
    assert.match(v.text, /-two\n\+2/);
  });
  it('quotes and flags hostile names, and never lets one start a line', () => {
    const names = ['workspace/x\n+ /workspace/forged', 'workspace/\u001b[2Jclear', Buffer.concat([Buffer.from('workspace/bad-'), Buffer.from([0xff])]), 'workspace/../../etc/passwd', 'elsewhere/x', 'workspace/a\u2028b'];
    const v = renderDiff({ total: names.length, entries: names.map((n) => ({ p: b64(n), c: 'A', t: 'f', a: '', b: b64('x\n') })) }, 'ck-a', 'ck-b');
    assert.equal(v.items.length, names.length);
    assert.ok(v.items.every((i) => i.unusual && i.path.startsWith('"')), JSON.stringify(v.items));
    assert.ok(!v.text.split('\n').some((l) => l.startsWith('+ /workspace/forged')));
    assert.doesNotMatch(v.text, /\u001b|\u2028/);
    assert.doesNotMatch(v.text, /^\+\+\+/m, 'no diff is shown for a refused name');
  });
  it('with withBefore, carries the text at `from` of ordinary small text files only (never for hostile names or binary)', () => {
    const entries = [
      { p: b64('workspace/a.txt'), c: 'M', t: 'f', a: b64('one\ntwo\n'), b: b64('one\n2\n') },
      { p: b64('workspace/new.txt'), c: 'A', t: 'f', a: '', b: b64('fresh\n') },
      { p: b64('workspace/x\n+ forged'), c: 'M', t: 'f', a: b64('secret\n'), b: b64('y\n') },
      { p: b64('workspace/bin'), c: 'M', t: 'f', a: b64('\x00\x01'), b: b64('\x00\x02') },
    ];
    const v = renderDiff({ total: 4, entries }, 'ck-a', undefined, { withBefore: true });
    assert.deepEqual(v.items.map((i) => i.before), ['one\ntwo\n', '', undefined, undefined]);
    assert.equal(renderDiff({ total: 4, entries }, 'ck-a', undefined).items.some((i) => 'before' in i), false);
  });
  it('drops malformed entries and binary content', () => {
    const v = renderDiff({ total: 3, entries: [{ p: 42, c: 'A', t: 'f' }, { p: b64('workspace/ok'), c: 'Z', t: 'f' }, { p: b64('workspace/bin'), c: 'M', t: 'f', a: b64('\x00\x01'), b: b64('\x00\x02') }] }, 'ck-a', undefined);
    assert.deepEqual(v.items.map((i) => i.path), ['"?"', '/workspace/bin']);
    assert.doesNotMatch(v.text, /@@/);
  });
});
