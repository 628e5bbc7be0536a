// dockerode's BuildKit-session and ssh parts are deferred (docker-client.ts): gRPC, protobuf and ssh2 must stay
// unloaded until one of those functions is called, and then the real function must run.
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { Agent } from 'node:http';
import { deferDockerodeParts } from '../../src/docker-client.js';

describe('dockerode loaded without its rarely used parts', () => {
  it('loads dockerode without gRPC or ssh2, and loads each part for real on its first call', () => {
    // A require of its own: the module cache is per process, so check the state rather than assume a fresh one.
    const req = createRequire(import.meta.url);
    const loaded = (name: string) => Object.keys(req.cache).some((f) => f.includes(`/node_modules/${name}/`));
    if (loaded('dockerode')) return void console.warn('dockerode was already loaded in this process; skipping');
    const deferred = deferDockerodeParts(req);
    assert.equal(deferred.length, 2, `both parts are found on disk: ${deferred.join(', ')}`);
    const Docker = req('dockerode');
    assert.equal(typeof new Docker({ socketPath: '/nonexistent.sock' }).buildImage, 'function');
    assert.ok(!loaded('@grpc/grpc-js'), 'gRPC stays unloaded');
    assert.ok(!loaded('ssh2'), 'ssh2 stays unloaded');
    assert.deepEqual(deferDockerodeParts(req), [], 'a second call changes nothing');

    // The ssh part, called as docker-modem calls it: an http.Agent whose connections go through ssh2.
    const ssh = req(deferred.find((f) => f.endsWith('ssh.js'))!) as (opt: object) => unknown;
    const agent = ssh({ host: '127.0.0.1' });
    assert.ok(agent instanceof Agent);
    assert.ok(loaded('ssh2'), 'ssh2 is loaded by the first call');
    // The session part: the real module replaces the stand-in in the cache.
    const session = req(deferred.find((f) => f.endsWith('session.js'))!) as { name: string };
    assert.equal(session.name, 'deferredPart');
    assert.ok(!loaded('@grpc/grpc-js'));
  });
});
