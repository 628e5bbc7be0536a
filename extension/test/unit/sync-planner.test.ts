import assert from 'node:assert/strict';
import { batchBySize, DEFAULT_CAPS, reconcile, type LocalEntry, type PlanItem, type RemoteEntry } from '../../src/common/sync-planner.ts';

const L = (sha: string, size = 10): LocalEntry => ({ sha256: sha, size });
const R = (sha: string, size = 10): RemoteEntry => ({ sha256: sha, size });

/** One path's outcome with base b, local l and remote r (undefined = absent). */
function one(b: string | undefined, l: string | undefined, r: string | undefined, path = 'src/a.ts'): PlanItem | undefined {
  const plan = reconcile({
    base: new Map(b ? [[path, b]] : []),
    local: new Map(l ? [[path, L(l)]] : []),
    remote: new Map(r ? [[path, R(r)]] : []),
    caps: DEFAULT_CAPS,
  });
  return plan.items.find((i) => i.path === path);
}

describe('sync planner: every base / local / remote case', () => {
  const cases: Array<[string, string | undefined, string | undefined, string | undefined, string | undefined]> = [
    // name, base, local, remote, expected action (undefined: nothing to do)
    ['unchanged everywhere', 'b', 'b', 'b', undefined],
    ['user edited, agent did not', 'b', 'l', 'b', 'push'],
    ['user created', undefined, 'l', undefined, 'push'],
    ['user deleted, agent did not touch', 'b', undefined, 'b', 'push-delete'],
    ['agent edited, user did not', 'b', 'b', 'r', 'take-theirs'],
    ['agent created', undefined, undefined, 'r', 'take-theirs'],
    ['agent deleted, user did not touch', 'b', 'b', undefined, 'delete-local'],
    ['both made the same edit', 'b', 'x', 'x', 'record'],
    ['both created the same file', undefined, 'x', 'x', 'record'],
    ['both deleted', 'b', undefined, undefined, 'forget'],
    ['both edited differently', 'b', 'l', 'r', 'merge'],
    ['both created differently', undefined, 'l', 'r', 'conflict'],
    ['user edited, agent deleted', 'b', 'l', undefined, 'conflict'],
    ['user deleted, agent edited', 'b', undefined, 'r', 'conflict'],
  ];
  for (const [name, b, l, r, expected] of cases) {
    it(`${name} → ${expected ?? 'nothing'}`, () => {
      assert.equal(one(b, l, r)?.action, expected);
    });
  }

  it('conflicts say what each side did', () => {
    assert.match(one('b', 'l', undefined)!.reason!, /agent deleted/);
    assert.match(one('b', undefined, 'r')!.reason!, /you deleted/);
    assert.match(one(undefined, 'l', 'r')!.reason!, /both created/);
  });
});

describe('sync planner: sensitive paths coming back wait for approval', () => {
  for (const path of ['.vscode/settings.json', '.envrc', 'pkg/.npmrc', '.bashrc', '.zshrc', '.devcontainer/devcontainer.json', '.config/fish/config.fish']) {
    it(`${path}: agent edit, agent creation and agent deletion all wait`, () => {
      assert.equal(one('b', 'b', 'r', path)?.action, 'needs-approval');
      assert.equal(one(undefined, undefined, 'r', path)?.action, 'needs-approval');
      assert.equal(one('b', 'b', undefined, path)?.action, 'needs-approval');
      assert.equal(one('b', 'l', 'r', path)?.action, 'needs-approval');
    });
  }
  it('the user own changes to them are pushed as usual', () => {
    assert.equal(one('b', 'l', 'b', '.vscode/settings.json')?.action, 'push');
  });
});

describe('sync planner: paths that must never be written are refused', () => {
  for (const path of ['.git/config', '.git/hooks/pre-commit', 'sub/.git/HEAD', '../outside', '/etc/passwd', 'a/../b', 'a//b', '.suna/output/x.log', 'C:/x', 'a\\b']) {
    it(`${JSON.stringify(path)} from the sandbox is refused`, () => {
      assert.equal(one(undefined, undefined, 'r', path)?.action, 'refused');
    });
  }
});

describe('sync planner: pushing', () => {
  it('without a manifest, plans pushes from local changes only', () => {
    const plan = reconcile({
      base: new Map([['a', '1'], ['b', '2'], ['gone', '3']]),
      local: new Map([['a', L('1')], ['b', L('9')], ['new', L('4')]]),
      caps: DEFAULT_CAPS,
    });
    assert.deepEqual(plan.items, [
      { path: 'b', action: 'push' },
      { path: 'gone', action: 'push-delete' },
      { path: 'new', action: 'push' },
    ]);
  });

  it('skips files over the per-file cap and reports them, never deleting them in the sandbox', () => {
    const plan = reconcile({
      base: new Map([['big.bin', 'old']]),
      local: new Map([['big.bin', { size: 10_000_000 }], ['ok.txt', L('x', 5)]]),
      caps: { ...DEFAULT_CAPS, maxFileBytes: 1024 * 1024 },
    });
    assert.deepEqual(plan.items, [
      { path: 'big.bin', action: 'skip', reason: 'larger than 1 MB' },
      { path: 'ok.txt', action: 'push' },
    ]);
  });

  it('stops at the per-sync byte cap and reports the rest', () => {
    const local = new Map([['a', L('1', 600)], ['b', L('2', 600)], ['c', L('3', 100)]]);
    const plan = reconcile({ base: new Map(), local, caps: { ...DEFAULT_CAPS, maxSyncBytes: 1000 } });
    assert.deepEqual(plan.items.map((i) => `${i.path}:${i.action}`), ['a:push', 'b:skip', 'c:push']);
    assert.equal(plan.pushBytes, 700);
  });

  it('stops at the file count cap', () => {
    const local = new Map(Array.from({ length: 5 }, (_, i) => [`f${i}`, L(String(i))] as [string, LocalEntry]));
    const plan = reconcile({ base: new Map(), local, caps: { ...DEFAULT_CAPS, maxFiles: 3 } });
    assert.equal(plan.items.filter((i) => i.action === 'push').length, 3);
    assert.equal(plan.items.filter((i) => i.action === 'skip').length, 2);
  });

  it('a truncated manifest never turns a missing path into a deletion', () => {
    const plan = reconcile({
      base: new Map([['a', '1']]),
      local: new Map([['a', L('1')]]),
      remote: new Map(),
      remoteComplete: false,
      caps: DEFAULT_CAPS,
    });
    assert.deepEqual(plan.items, []);
  });

  it('plans only the given paths for an incremental sync', () => {
    const plan = reconcile({
      base: new Map(),
      local: new Map([['a', L('1')], ['b', L('2')]]),
      paths: ['b'],
      caps: DEFAULT_CAPS,
    });
    assert.deepEqual(plan.items, [{ path: 'b', action: 'push' }]);
  });
});

describe('batching', () => {
  it('groups by size, a big file alone, never an empty batch', () => {
    const sizes = [3, 3, 3, 10, 1].map((size, i) => ({ size, i }));
    assert.deepEqual(batchBySize(sizes, 6).map((b) => b.map((e) => e.i)), [[0, 1], [2], [3], [4]]);
    assert.deepEqual(batchBySize([], 6), []);
  });
});

describe('sync planner: a file the user saved during the run', () => {
  const plan = (b: string, l: string, r: string | undefined, saved: string[]) =>
    reconcile({
      base: new Map([['notes.txt', b]]),
      local: new Map([['notes.txt', L(l)]]),
      remote: new Map(r ? [['notes.txt', R(r)]] : []),
      savedByUser: new Set(saved),
      caps: DEFAULT_CAPS,
    }).items[0];

  it('the agent replacing (or deleting) it afterwards is a review item, not a silent take-theirs', () => {
    const replaced = plan('mine', 'mine', 'agent', ['notes.txt']);
    assert.equal(replaced?.action, 'conflict');
    assert.match(replaced!.reason!, /you saved it during this run; the agent then replaced it/);
    assert.match(plan('mine', 'mine', undefined, ['notes.txt'])!.reason!, /then deleted it/);
  });

  it('other files, and the same file outside a run, still come back as before', () => {
    assert.equal(plan('mine', 'mine', 'agent', ['other.txt'])?.action, 'take-theirs');
    assert.equal(plan('mine', 'mine', 'agent', [])?.action, 'take-theirs');
    assert.equal(plan('mine', 'mine', 'mine', ['notes.txt']), undefined, 'the agent did not touch it: nothing to do');
  });
});
