// Why: a `docker exec` attached without a TTY multiplexes stdout and stderr on one connection (8-byte header: stream
// type, 3 zero bytes, u32 BE length). docker-modem's demuxStream re-concatenates its whole buffer on every chunk and
// copies the remainder after every frame, which costs the egress relay's bulk traffic a copy per frame and quadratic
// work on large chunks. This demuxer hands out views of the chunks it is given: no copy, and nothing buffered beyond
// one partial 8-byte header, whatever the stream says.
import { PassThrough, type Duplex, type Readable } from 'node:stream';
import type Docker from 'dockerode';

const HEADER = 8;

/** Splits Docker's multiplexed exec output into stdout and stderr without copying payload bytes. */
export class ExecDemuxer {
  private header = Buffer.alloc(HEADER);
  private headerFill = 0;
  /** Payload bytes still to come for the current frame, and where they go. */
  private remaining = 0;
  private target: 'stdout' | 'stderr' = 'stdout';

  constructor(private readonly onStdout: (chunk: Buffer) => void, private readonly onStderr: (chunk: Buffer) => void) {}

  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length) {
      if (this.remaining === 0) {
        const take = Math.min(HEADER - this.headerFill, chunk.length - at);
        chunk.copy(this.header, this.headerFill, at, at + take);
        this.headerFill += take;
        at += take;
        if (this.headerFill < HEADER) return;
        this.headerFill = 0;
        // Type 1 is stdout; 2 (and anything else the engine might send) is treated as stderr, never as protocol data.
        this.target = this.header[0] === 1 ? 'stdout' : 'stderr';
        this.remaining = this.header.readUInt32BE(4);
        continue;
      }
      const take = Math.min(this.remaining, chunk.length - at);
      const part = take === chunk.length ? chunk : chunk.subarray(at, at + take);
      this.remaining -= take;
      at += take;
      if (this.target === 'stdout') this.onStdout(part);
      else this.onStderr(part);
    }
  }
}

/**
 * A helper process attached to its own exec: write its stdin to `stream`, read `stdout`/`stderr`; destroy `stream` to
 * end it. A write's callback must mean the chunk is no longer referenced (true of sockets, TLS and ssh channels): the
 * egress broker reuses its read buffers from then on.
 */
export interface AttachedHelper {
  stream: Duplex;
  stdout: Readable;
  stderr: Readable;
}

export interface HelperSpec {
  cmd: string[];
  /** "uid:gid" */
  user: string;
  env: string[];
}

/** Start `spec` in `container` as its own `docker exec` with stdin attached (never through the daemon's stream). */
export async function attachExecHelper(container: Docker.Container, spec: HelperSpec): Promise<AttachedHelper> {
  const exec = await container.exec({ Cmd: spec.cmd, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false, User: spec.user, WorkingDir: '/', Env: spec.env });
  const stream = (await exec.start({ hijack: true, stdin: true })) as Duplex;
  return { stream, ...demuxed(stream) };
}

/** stdout and stderr of a multiplexed exec stream, as streams fed with views of its chunks. */
export function demuxed(stream: Readable): { stdout: Readable; stderr: Readable } {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  const demuxer = new ExecDemuxer((c) => stdout.write(c), (c) => stderr.write(c));
  stream.on('data', (chunk: Buffer) => demuxer.push(chunk));
  stream.on('end', () => {
    stdout.end();
    stderr.end();
  });
  return { stdout, stderr };
}
