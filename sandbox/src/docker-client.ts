// Why: dockerode (with ssh2, protobuf and friends) takes hundreds of milliseconds to load, and the server must answer
// `initialize` long before it needs Docker. The client is therefore made on first use, not when a Sandbox is built.
import { createRequire, Module } from 'node:module';
import { dirname, join } from 'node:path';
import type Docker from 'dockerode';

/**
 * Parts of dockerode that load a large dependency when dockerode is required, for features the server rarely uses:
 * BuildKit sessions (gRPC and protobuf) and engines reached over ssh:// (ssh2). Together ~18 MiB of resident memory
 * and ~150 ms of CPU. Each exports one function; it is loaded when that function is first called.
 */
const DEFERRED_PARTS = [
  ['dockerode', 'lib/session.js'],
  ['docker-modem', 'lib/ssh.js'],
] as const;

/**
 * Put each deferred part in `req`'s module cache as a function that loads the real module on its first call. Where
 * the files are not on disk (the extension's bundle inlines dockerode), nothing is done and dockerode loads whole.
 */
export function deferDockerodeParts(req: NodeJS.Require): string[] {
  const deferred: string[] = [];
  for (const [pkg, part] of DEFERRED_PARTS) {
    let file: string;
    try {
      file = join(dirname(req.resolve(`${pkg}/package.json`, { paths: [dirname(req.resolve('dockerode'))] })), part);
      req.resolve(file);
    } catch {
      continue;
    }
    if (req.cache[file]) continue;
    let real: ((...args: unknown[]) => unknown) | undefined;
    const stand = new Module(file);
    stand.filename = file;
    stand.loaded = true;
    stand.exports = function deferredPart(this: unknown, ...args: unknown[]) {
      if (!real) {
        delete req.cache[file];
        real = req(file) as (...args: unknown[]) => unknown;
      }
      return real.apply(this, args);
    };
    req.cache[file] = stand;
    deferred.push(file);
  }
  return deferred;
}

/** A Docker client, or a function that makes one when first called. */
export type DockerSource = Docker | (() => Docker);

export const dockerOf = (source: DockerSource): Docker => (typeof source === 'function' ? source() : source);

/** One client, created (and dockerode loaded) on the first call; honours DOCKER_HOST / DOCKER_CERT_PATH like the CLI. */
export function lazyDocker(): () => Docker {
  let client: Docker | undefined;
  return () => {
    if (!client) {
      // A literal require('dockerode'): esbuild then inlines it (the extension's bundle) or leaves it to the bundle's
      // require (the server's); under tsx, plain ESM without `require`, createRequire stands in.
      const req = typeof require === 'function' ? require : createRequire(import.meta.url);
      deferDockerodeParts(req);
      const DockerClient = (typeof require === 'function' ? require('dockerode') : req('dockerode')) as typeof Docker;
      client = new DockerClient();
    }
    return client;
  };
}
