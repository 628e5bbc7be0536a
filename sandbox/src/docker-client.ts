// Why: dockerode (with ssh2, protobuf and friends) takes hundreds of milliseconds to load, and the server must answer
// `initialize` long before it needs Docker. The client is therefore made on first use, not when a Sandbox is built.
import { createRequire } from 'node:module';
import type Docker from 'dockerode';

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
      const DockerClient = (typeof require === 'function' ? require('dockerode') : createRequire(import.meta.url)('dockerode')) as typeof Docker;
      client = new DockerClient();
    }
    return client;
  };
}
