// Files the runtime needs at run time: the daemon and egress relay bundles and the image build context. The bundled CLI
// carries them inline (esbuild `define`); from source they are read from the repository.
import { readFileSync } from 'node:fs';

interface Assets {
  daemon: string;
  egressRelay: string;
  checkpointStore: string;
  dockerfile: string;
  setup: string;
  packages: string;
}
declare const __SUNA_ASSETS__: Assets | undefined;

let cached: Assets | undefined;

export function assets(): Assets {
  if (cached) return cached;
  if (typeof __SUNA_ASSETS__ !== 'undefined') return (cached = __SUNA_ASSETS__);
  const read = (rel: string) => readFileSync(new URL(rel, import.meta.url), 'utf8');
  const bundle = (name: string) => {
    try {
      return read(`../dist/${name}`);
    } catch {
      throw new Error(`sandbox/dist/${name} is missing: run \`npm run build\` first`);
    }
  };
  return (cached = {
    daemon: bundle('daemon.cjs'),
    egressRelay: bundle('egress-relay.cjs'),
    checkpointStore: bundle('checkpoint-store.cjs'),
    dockerfile: read('../image/Dockerfile'),
    setup: read('../image/setup.sh'),
    packages: read('../image/packages.txt'),
  });
}
