// The daemon's confinement helpers that run anywhere: how a command line is built (setpriv drops every
// privilege before the command, `cd` happens as the user), what environment commands get, and the gate that
// keeps fs calls and spawns (which briefly need euid 0) apart.
import assert from 'node:assert/strict';
import { SETPRIV, SpawnGate, commandLine, parseRunAs, parseUserEnv } from '../../daemon/confinement.ts';

describe('confinement', () => {
  it('a command as the user goes through setpriv with no groups, no inheritable caps and an empty bounding set', () => {
    const [file, args] = commandLine({ uid: 1000, gid: 1000 }, '/bin/bash', ['-c', 'echo hi'], '/workspace/a b');
    assert.equal(file, SETPRIV);
    const dashdash = args.indexOf('--');
    assert.deepEqual(args.slice(0, dashdash).sort(), ['--bounding-set=-all', '--clear-groups', '--inh-caps=-all', '--regid=1000', '--reuid=1000']);
    // After setpriv: the launcher, with the cwd and the command as separate arguments (never spliced into the script).
    assert.deepEqual(args.slice(dashdash + 1, dashdash + 3), ['/bin/sh', '-c']);
    assert.deepEqual(args.slice(dashdash + 4), ['suna-launch', '/workspace/a b', '/bin/bash', '-c', 'echo hi']);
  });

  it('without a user (apt profile) the launcher runs directly', () => {
    const [file, args] = commandLine(null, 'ls', ['-l'], '/workspace');
    assert.equal(file, '/bin/sh');
    assert.deepEqual(args.slice(-4), ['suna-launch', '/workspace', 'ls', '-l']);
  });

  it('SUNA_RUN_AS must be two positive ids', () => {
    assert.deepEqual(parseRunAs('1000:1000'), { uid: 1000, gid: 1000 });
    for (const bad of [undefined, '', '0:0', '1000', 'user:user', '1000:1000:1', '-1:5']) assert.equal(parseRunAs(bad), null, String(bad));
  });

  it("commands get the container's environment, without the daemon's own settings", () => {
    const env = parseUserEnv(JSON.stringify(['PATH=/home/user/.local/bin:/usr/bin', 'A=b=c', 'SUNA_RUN_AS=1000:1000', 'SUNA_SANDBOX=1', 'junk']), {});
    assert.deepEqual(env, { PATH: '/home/user/.local/bin:/usr/bin', A: 'b=c', SUNA_SANDBOX: '1' });
    assert.deepEqual(parseUserEnv(undefined, { X: '1', SUNA_WORKSPACE: '/workspace' }), { X: '1' });
  });

  it('the gate runs a spawn only when no fs call is in flight, and holds new fs calls while a spawn waits', async () => {
    const gate = new SpawnGate();
    const order: string[] = [];
    let finishFs!: () => void;
    const fs1 = gate.shared(() => new Promise<void>((r) => (finishFs = () => (order.push('fs1 done'), r()))));
    await Promise.resolve();
    assert.equal(gate.inFlight, 1);
    const spawn = gate.exclusive(() => (order.push(`spawn (in flight: ${gate.inFlight})`), 'child'));
    const fs2 = gate.shared(async () => void order.push('fs2'));
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(order, []);
    finishFs();
    assert.equal(await spawn, 'child');
    await Promise.all([fs1, fs2]);
    assert.deepEqual(order, ['fs1 done', 'spawn (in flight: 0)', 'fs2']);
  });
});
