import assert from 'node:assert/strict';
import { IgnoreRules } from '../../src/common/ignore-rules.ts';
import { syncPathProblem as pathProblem } from '@suna/shared/boundary/sandbox-path';
import { changedPaths, isSensitivePath } from '../../src/common/sync-paths.ts';

describe('sync path validation', () => {
  it('accepts ordinary relative paths', () => {
    for (const p of ['a.txt', 'src/index.ts', '.github/workflows/ci.yml', 'dir with space/é.md', '.gitignore', '.gitkeep', 'a/.github'])
      assert.equal(pathProblem(p), null, p);
  });
  it('refuses absolute, escaping, unnormalised, .git and control-character paths, saying why', () => {
    const cases: Array<[string, RegExp]> = [
      ['/etc/passwd', /absolute/],
      ['C:/Windows', /absolute/],
      ['../x', /leaves the workspace/],
      ['a/../../x', /leaves the workspace/],
      ['a//b', /normalised/],
      ['./a', /normalised/],
      ['a/', /normalised/],
      ['.git/config', /inside .git/],
      ['vendor/lib/.git/hooks/post-checkout', /inside .git/],
      ['.GIT/config', /inside .git/],
      ['.suna/output/1.log', /never syncs/],
      ['a\\b', /backslash/],
      ['a\nb', /control/],
      ['', /empty/],
      ['x'.repeat(2000), /longer/],
      ['GIT~1/config', /short-name/],
      ['.git./config', /inside .git/],
      ['src/a:b', /":"/],
      ['a:b', /absolute/],
    ];
    for (const [p, why] of cases) assert.match(pathProblem(p) ?? 'accepted', why, JSON.stringify(p));
  });
  it('marks files that configure the editor or the shell as sensitive', () => {
    for (const p of ['.vscode/settings.json', '.vscode/tasks.json', 'sub/.vscode/launch.json', '.envrc', 'app/.envrc', '.npmrc', '.bashrc', '.profile', '.zshrc', '.config/fish/config.fish'])
      assert.equal(isSensitivePath(p), true, p);
    for (const p of ['src/vscode.ts', 'README.md', 'env.ts', '.env.example', 'docs/bashrc.md']) assert.equal(isSensitivePath(p), false, p);
  });
  it('marks git hook managers, CI workflows, dev containers and workspace files as sensitive', () => {
    for (const p of [
      '.husky/pre-commit',
      'pkg/.husky/_/husky.sh',
      '.githooks/post-checkout',
      'lefthook.yml',
      '.lefthook.yaml',
      'lefthook-local.json',
      '.lefthook-local.toml',
      '.pre-commit-config.yaml',
      '.github/workflows/ci.yml',
      'sub/.github/workflows/release.yaml',
      '.devcontainer/devcontainer.json',
      '.devcontainer.json',
      'team.code-workspace',
    ])
      assert.equal(isSensitivePath(p), true, p);
    for (const p of ['.github/CODEOWNERS', 'docs/workflows/ci.yml', 'lefthook.md', 'husky/readme.md']) assert.equal(isSensitivePath(p), false, p);
  });
  it('compares normalised names: case, trailing dots and spaces, and Unicode composition do not hide a sensitive path', () => {
    for (const p of ['.VSCode/settings.json', '.vscode./tasks.json', '.vscode /launch.json', '.ENVRC', '.envrc.', '.npmrc ', '.HUSKY/pre-push', '.GitHub/Workflows/x.yml', 'Team.Code-Workspace', 'LEFTHOOK.YML'])
      assert.equal(isSensitivePath(p), true, p);
  });
});

describe('ignore rules (.gitignore semantics)', () => {
  const rules = new IgnoreRules();
  rules.add('', 'node_modules/\n*.log\nbuild\n!keep.log\n/only-root.txt\n');
  rules.add('pkg', 'dist/\n!important.log\nsecret.txt\n');

  it('ignores by pattern, folder and anchor', () => {
    assert.equal(rules.isIgnored('node_modules/x/index.js'), true);
    assert.equal(rules.isIgnored('a/node_modules', true), true);
    assert.equal(rules.isIgnored('debug.log'), true);
    assert.equal(rules.isIgnored('keep.log'), false);
    assert.equal(rules.isIgnored('build/out.js'), true);
    assert.equal(rules.isIgnored('only-root.txt'), true);
    assert.equal(rules.isIgnored('sub/only-root.txt'), false);
    assert.equal(rules.isIgnored('src/index.ts'), false);
  });

  it('applies a nested .gitignore below its folder only, with the last word', () => {
    assert.equal(rules.isIgnored('pkg/dist/a.js'), true);
    assert.equal(rules.isIgnored('dist/a.js'), false);
    assert.equal(rules.isIgnored('pkg/secret.txt'), true);
    assert.equal(rules.isIgnored('secret.txt'), false);
    assert.equal(rules.isIgnored('pkg/important.log'), false, 'the nested negation re-includes it');
  });

  it('cannot re-include a file below an ignored folder (as git)', () => {
    const r = new IgnoreRules();
    r.add('', 'out/\n!out/keep.txt\n');
    assert.equal(r.isIgnored('out/keep.txt'), true);
  });

  it('always leaves out .git and .suna, and honours extra patterns', () => {
    const r = new IgnoreRules(['*.tmp']);
    assert.equal(r.isIgnored('.git/config'), true);
    assert.equal(r.isIgnored('.suna/output/x'), true);
    assert.equal(r.isIgnored('a.tmp'), true);
    r.remove('');
    assert.equal(r.isIgnored('a.tmp'), false);
  });
});

describe('paths a file tool changed (targeted pulls)', () => {
  it('reads them from the arguments of the file tools, in any accepted spelling', () => {
    assert.deepEqual(changedPaths('file_write', { path: 'src/a.ts', content: '' }), ['src/a.ts']);
    assert.deepEqual(changedPaths('file_edit', { path: '/workspace/src/a.ts' }), ['src/a.ts']);
    assert.deepEqual(changedPaths('file_move', { from: './a', to: 'b/c' }), ['a', 'b/c']);
    assert.deepEqual(changedPaths('file_delete', { path: 'x.txt' }), ['x.txt']);
  });
  it('gives up (full pull) for commands, recursive deletes and odd paths', () => {
    assert.equal(changedPaths('shell_exec', { command: 'touch a' }), null);
    assert.equal(changedPaths('file_delete', { path: 'dir', recursive: true }), null);
    assert.equal(changedPaths('file_write', { path: '../escape' }), null);
    assert.equal(changedPaths('file_write', { path: '/workspace' }), null);
    assert.equal(changedPaths('file_write', {}), null);
  });
});
