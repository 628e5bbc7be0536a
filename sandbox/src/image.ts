// Builds the sandbox image through the Docker API (legacy builder, no buildx needed) from the build
// context embedded in the runtime. Progress lines go to the caller's log (stderr for the CLI).
import { existsSync, readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { assets } from './assets.js';

const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  return !!(await docker.getImage(tag).inspect().catch(() => null));
}

/** The image could not be built; the message says why and what to do. */
export class ImageBuildError extends Error {
  override readonly name = 'ImageBuildError';
}

/** A step of the Dockerfile starting ("Step 3/9 : RUN …"), for progress reports. */
export type BuildProgress = (step: number, total: number, line: string) => void;

/** What to do when the base image cannot be pulled (no registry here, or a typo in --base-image). */
function baseImageHelp(baseImage: string, detail: string): string {
  return (
    `the sandbox image's base ${baseImage} could not be had (${detail.trim().slice(0, 300)}). ` +
    'Without access to a registry, build the base offline with sandbox/image/build-base.sh suna-sandbox-base:bookworm (needs debootstrap) ' +
    'and pass --base-image suna-sandbox-base:bookworm; `suna-mcp build-image --base-image <tag>` builds the sandbox image ahead of time'
  );
}

const PULL_FAILURE = /invalid reference format|pull access denied|manifest unknown|not found|no such host|dial tcp|registry|TLS handshake|i\/o timeout|connection refused/i;

export async function buildImage(docker: Docker, tag: string, baseImage: string, log: (line: string) => void, onStep?: BuildProgress): Promise<void> {
  const a = assets();
  // Loaded here, not at server start: building the image is rare (tar-stream and its streams cost start time).
  // `default`: tar-stream is CommonJS, and a bundled import() of it has module.exports there only.
  const { pack } = (await import('tar-stream')).default;
  const ctx = pack();
  ctx.entry({ name: 'Dockerfile' }, a.dockerfile);
  ctx.entry({ name: 'setup.sh', mode: 0o755 }, a.setup);
  ctx.entry({ name: 'packages.txt' }, a.packages);
  // Hosts behind an intercepting proxy need their CA inside the sandbox too; on other hosts it is the
  // ordinary public bundle.
  if (existsSync(HOST_CA_BUNDLE)) ctx.entry({ name: 'ca-certificates.crt' }, readFileSync(HOST_CA_BUNDLE));
  ctx.finalize();

  log(`building sandbox image ${tag} from ${baseImage} (first run only; a few minutes with a registry base)`);
  const started = Date.now();
  let step = 0;
  const stream = await docker.buildImage(ctx as unknown as NodeJS.ReadableStream, { t: tag, buildargs: { BASE: baseImage }, rm: true, forcerm: true });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err, output) => {
        const failed = (output as { error?: string }[] | undefined)?.find((o) => o.error);
        const detail = err?.message ?? failed?.error;
        if (detail === undefined) return resolve();
        // Steps 1-2 are ARG BASE and FROM: a failure there is the base image.
        reject(new ImageBuildError(step <= 2 && PULL_FAILURE.test(detail) ? baseImageHelp(baseImage, detail) : `building the sandbox image failed: ${detail}`));
      },
      (ev: { stream?: string; status?: string }) => {
        const line = (ev.stream ?? ev.status ?? '').trim();
        if (!line) return;
        log(line);
        const m = /^Step (\d+)\/(\d+) : (.*)$/.exec(line);
        if (m) {
          step = Number(m[1]);
          onStep?.(step, Number(m[2]), m[3]!.slice(0, 120));
        }
      },
    );
  });
  if (!(await imageExists(docker, tag))) throw new ImageBuildError(`building the sandbox image failed: ${tag} is missing after the build`);
  log(`sandbox image ${tag} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
