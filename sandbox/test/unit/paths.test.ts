// The path policy, checked against the traversal matrix of the security checklist and the forms a model
// actually sends. Every rejection must be a PathPolicyError whose message says what to send instead.
import assert from 'node:assert/strict';
import { PathPolicyError, WORKSPACE_ROOT, displayPath, resolveWorkspacePath } from '../../src/paths.ts';

/** Assert that `input` is refused with a PathPolicyError whose message matches `fragment`. */
function assertRefused(input: unknown, fragment: RegExp, opts?: { allowRoot?: boolean }): void {
  assert.throws(
    () => resolveWorkspacePath(input, opts),
    (err: unknown) => {
      assert.ok(err instanceof PathPolicyError, `expected a PathPolicyError, got ${String(err)}`);
      assert.equal(err.name, 'PathPolicyError');
      assert.match(err.message, fragment);
      return true;
    },
  );
}

describe('resolveWorkspacePath', () => {
  describe('refuses paths that leave /workspace', () => {
    it('refuses a bare parent reference "../"', () => {
      assertRefused('../', /outside the workspace; use a path relative to \/workspace/);
    });

    it('refuses ".." on its own', () => {
      assertRefused('..', /outside the workspace/);
    });

    it('refuses a relative path that climbs out after a descent, like a/../../etc/passwd', () => {
      assertRefused('a/../../etc/passwd', /path "a\/\.\.\/\.\.\/etc\/passwd" is outside the workspace/);
    });

    it('refuses an absolute path outside the workspace like /etc/passwd and shows an example of what to send', () => {
      assertRefused('/etc/passwd', /relative to \/workspace \(e\.g\. "src\/app\.py"\)/);
    });

    it('refuses the filesystem root "/"', () => {
      assertRefused('/', /outside the workspace/);
    });

    it('refuses an absolute path that climbs out of /workspace, like /workspace/../etc', () => {
      assertRefused('/workspace/../etc', /outside the workspace/);
    });

    it('refuses a double-slash absolute path outside, like //etc/passwd', () => {
      assertRefused('//etc/passwd', /outside the workspace/);
    });
  });

  describe('refuses prefix collisions with /workspace', () => {
    it('refuses /workspace_evil/x, which shares a string prefix with /workspace', () => {
      assertRefused('/workspace_evil/x', /outside the workspace/);
    });

    it('refuses /workspace2', () => {
      assertRefused('/workspace2', /outside the workspace/);
    });

    it('refuses /workspace../x', () => {
      assertRefused('/workspace../x', /outside the workspace/);
    });

    it('refuses a climb from inside into a sibling, like ../workspace_evil/x', () => {
      assertRefused('../workspace_evil/x', /outside the workspace/);
    });
  });

  describe('refuses encoded and foreign path syntax', () => {
    it('refuses URL-encoded traversal %2e%2e%2f and says paths are not URL-decoded', () => {
      assertRefused('%2e%2e%2fetc%2fpasswd', /URL-encoded characters; paths are not URL-decoded, send the plain path/);
    });

    it('refuses upper-case URL encoding %2E%2E%2F', () => {
      assertRefused('%2E%2E%2F', /URL-encoded/);
    });

    it('refuses double URL-encoded traversal %252e%252e%252f', () => {
      assertRefused('%252e%252e%252fetc', /URL-encoded/);
    });

    it('refuses an encoded NUL %00', () => {
      assertRefused('a.txt%00.png', /URL-encoded/);
    });

    it('refuses a raw NUL byte', () => {
      assertRefused('a.txt\0../../etc/passwd', /NUL byte/);
    });

    it('refuses backslash separators like ..\\..\\x and asks for forward slashes', () => {
      assertRefused('..\\..\\x', /contains a backslash; use forward slashes, relative to \/workspace/);
    });

    it('refuses a backslash even when the path would stay inside, like src\\app.py', () => {
      assertRefused('src\\app.py', /backslash/);
    });

    it('refuses a Windows drive path with a backslash, C:\\x', () => {
      assertRefused('C:\\x', /backslash; use forward slashes, relative to \/workspace/);
    });

    it('refuses a Windows drive path with a forward slash, C:/x', () => {
      assertRefused('C:/x', /looks like a Windows drive path; paths are relative to \/workspace/);
    });

    it('refuses a lower-case drive letter, d:/x', () => {
      assertRefused('d:/x', /Windows drive path/);
    });

    it('refuses a UNC path \\\\server\\share', () => {
      assertRefused('\\\\server\\share', /backslash/);
    });

    it('refuses a home-directory path ~/.ssh and says only /workspace is reachable', () => {
      assertRefused('~/.ssh', /points into a home directory; only \/workspace is reachable/);
    });

    it('refuses another user\'s home ~root/.ssh', () => {
      assertRefused('~root/.ssh', /home directory/);
    });
  });

  describe('refuses malformed input', () => {
    it('refuses a path longer than 4096 characters', () => {
      assertRefused('a/'.repeat(2049), /longer than 4096 characters/);
    });

    it('accepts a path of exactly 4096 characters', () => {
      const input = 'a'.repeat(4096);
      assert.equal(resolveWorkspacePath(input), `/workspace/${input}`);
    });

    for (const [label, value] of [
      ['a number', 42],
      ['null', null],
      ['undefined', undefined],
      ['an array', ['a', 'b']],
      ['an object', { path: 'a' }],
    ] as const) {
      it(`refuses ${label} instead of a string`, () => {
        assertRefused(value, /path must be a string/);
      });
    }
  });

  describe('accepts paths inside /workspace', () => {
    it('resolves a relative path against /workspace', () => {
      assert.equal(resolveWorkspacePath('src/app.py'), '/workspace/src/app.py');
    });

    it('resolves ./a/b', () => {
      assert.equal(resolveWorkspacePath('./a/b'), '/workspace/a/b');
    });

    it('keeps an absolute path inside the workspace, /workspace/a', () => {
      assert.equal(resolveWorkspacePath('/workspace/a'), '/workspace/a');
    });

    it('normalises a/../b, which stays inside, to /workspace/b', () => {
      assert.equal(resolveWorkspacePath('a/../b'), '/workspace/b');
    });

    it('normalises repeated slashes and dots, like a//./b', () => {
      assert.equal(resolveWorkspacePath('a//./b'), '/workspace/a/b');
    });

    it('drops a trailing slash, a/b/', () => {
      assert.equal(resolveWorkspacePath('a/b/'), '/workspace/a/b');
    });

    it('drops several trailing slashes on an absolute path, /workspace/a///', () => {
      assert.equal(resolveWorkspacePath('/workspace/a///'), '/workspace/a');
    });

    it('resolves /workspace/ to the root without a trailing slash', () => {
      assert.equal(resolveWorkspacePath('/workspace/'), WORKSPACE_ROOT);
    });

    it('resolves the empty string to the workspace root', () => {
      assert.equal(resolveWorkspacePath(''), '/workspace');
    });

    it('resolves a whitespace-only path to the workspace root', () => {
      assert.equal(resolveWorkspacePath('   '), '/workspace');
    });

    it('resolves "." to the workspace root', () => {
      assert.equal(resolveWorkspacePath('.'), '/workspace');
    });

    it('resolves a climb that comes back in, ../workspace/a, to /workspace/a', () => {
      assert.equal(resolveWorkspacePath('../workspace/a'), '/workspace/a');
    });

    it('accepts a file whose name merely contains dots, like a/..b/..c', () => {
      assert.equal(resolveWorkspacePath('a/..b/..c'), '/workspace/a/..b/..c');
    });

    it('accepts a literal "~" that is not at the start, like a/~b', () => {
      assert.equal(resolveWorkspacePath('a/~b'), '/workspace/a/~b');
    });
  });

  describe('allowRoot: false', () => {
    it('refuses the empty string, which names the workspace itself', () => {
      assertRefused('', /needs a path inside the workspace, not the workspace itself/, { allowRoot: false });
    });

    it('refuses "." and "/workspace" and "a/.."', () => {
      for (const input of ['.', '/workspace', '/workspace/', 'a/..'])
        assertRefused(input, /not the workspace itself/, { allowRoot: false });
    });

    it('still accepts a path inside the workspace', () => {
      assert.equal(resolveWorkspacePath('a.txt', { allowRoot: false }), '/workspace/a.txt');
    });

    it('still reports an outside path as outside, not as the root', () => {
      assertRefused('../x', /outside the workspace/, { allowRoot: false });
    });
  });
});

describe('displayPath', () => {
  it('shows the workspace root as "."', () => {
    assert.equal(displayPath('/workspace'), '.');
  });

  it('shows a path inside the workspace relative to it', () => {
    assert.equal(displayPath('/workspace/src/app.py'), 'src/app.py');
  });

  it('leaves a prefix collision like /workspace_evil/x as it is', () => {
    assert.equal(displayPath('/workspace_evil/x'), '/workspace_evil/x');
  });

  it('leaves a path outside the workspace as it is', () => {
    assert.equal(displayPath('/tmp/out.txt'), '/tmp/out.txt');
  });

  it('round-trips with resolveWorkspacePath', () => {
    for (const input of ['a', 'a/b/c.txt', 'dir/.hidden'])
      assert.equal(displayPath(resolveWorkspacePath(input)), input);
  });
});
