// Builds the sandbox image through the Docker API (legacy builder, no buildx needed) from the build
// context embedded in the runtime. Progress lines go to the caller's log (stderr for the CLI).
import { existsSync, readFileSync } from 'node:fs';
import type Docker from 'dockerode';
import { pack } from 'tar-stream';
import { assets } from './assets.js';

const HOST_CA_BUNDLE = '/etc/ssl/certs/ca-certificates.crt';

export async function imageExists(docker: Docker, tag: string): Promise<boolean> {
  return !!(await docker.getImage(tag).inspect().catch(() => null));
}

export async function buildImage(docker: Docker, tag: string, baseImage: string, log: (line: string) => void): Promise<void> {
  const a = assets();
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
  const stream = await docker.buildImage(ctx as unknown as NodeJS.ReadableStream, { t: tag, buildargs: { BASE: baseImage }, rm: true, forcerm: true });
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err, output) => {
        const failed = (output as { error?: string }[] | undefined)?.find((o) => o.error);
        if (err || failed) reject(new Error(`building the sandbox image failed: ${err?.message ?? failed?.error}`));
        else resolve();
      },
      (ev: { stream?: string; status?: string }) => {
        const line = (ev.stream ?? ev.status ?? '').trim();
        if (line) log(line);
      },
    );
  });
  if (!(await imageExists(docker, tag))) throw new Error(`building the sandbox image failed: ${tag} is missing after the build`);
  log(`sandbox image ${tag} built in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
