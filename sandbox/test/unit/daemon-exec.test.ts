// How the daemon's exec is launched: the environment Docker merges over the image's must switch off every Node
// setting that would load or resolve something the daemon does not need. NODE_USE_ENV_PROXY (set by the image for the
// agent's own node) made every daemon load undici's proxy agent at start: +4.5 MiB of private memory per sandbox.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { DEFAULT_SANDBOX_CONFIG } from '../../src/config.ts';
import { daemonExec } from '../../src/container.ts';
import { parseUserEnv } from '../../daemon/confinement.ts';

describe('daemon exec', () => {
  const containerEnv = ['PATH=/home/user/.local/bin:/usr/bin', 'NODE_USE_ENV_PROXY=1', 'NODE_OPTIONS=--require /home/user/x.js', 'HTTPS_PROXY=http://127.0.0.1:3128'];
  const launch = daemonExec(DEFAULT_SANDBOX_CONFIG, '/* bundle */', containerEnv, []);
  const envOf = (list: string[]) => Object.fromEntries(list.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));

  it('overrides the image’s Node settings for the daemon itself (empty values win over the image’s ENV)', () => {
    const env = envOf(launch.Env);
    for (const k of ['NODE_USE_ENV_PROXY', 'NODE_OPTIONS', 'NODE_PATH', 'NODE_COMPILE_CACHE', 'LD_PRELOAD']) assert.equal(env[k], '', k);
  });

  it('commands still get the container’s own environment, proxy settings included', () => {
    const env = envOf(launch.Env);
    const userEnv = parseUserEnv(env.SUNA_USER_ENV, {});
    assert.equal(userEnv.NODE_USE_ENV_PROXY, '1');
    assert.equal(userEnv.HTTPS_PROXY, 'http://127.0.0.1:3128');
  });

  it('the program travels on stdin, not in argv: the command carries its sha256, size and the root-only path named by it', () => {
    const bundle = '"use strict";' + 'x'.repeat(60_000);
    const { Cmd, program } = daemonExec(DEFAULT_SANDBOX_CONFIG, bundle, [], []);
    assert.equal(program?.toString('utf8'), bundle);
    assert.ok(Cmd.every((arg) => !arg.includes('x'.repeat(100))), 'no copy of the program in argv');
    const hash = createHash('sha256').update(bundle).digest('hex');
    const [hashArg, sizeArg, node, path] = Cmd.slice(Cmd.indexOf('suna-launch') + 1);
    assert.equal(hashArg, hash);
    assert.equal(Number(sizeArg), Buffer.byteLength(bundle));
    assert.equal(node, '/usr/local/bin/node');
    assert.equal(path, `/run/suna-daemon/daemon-${hash.slice(0, 16)}.cjs`);
  });
});
