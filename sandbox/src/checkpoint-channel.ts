// The host's end of one store sidecar's program (sandbox/checkpoints/store-tool.ts): a single long-lived
// `docker exec` whose stdin takes one JSON request per line and whose stdout gives one JSON answer per line, so
// a checkpoint pays neither an exec nor a Node start-up (about 0.1 s on a quiet machine). Answers are read with
// a bound; the sidecar holds only this sandbox's data and runs no agent process, but it walks the agent's trees.
import type { Duplex } from 'node:stream';
import { PassThrough } from 'node:stream';
import type Docker from 'dockerode';

/** Largest answer read: a diff's entries plus its text budget, base64-encoded. */
const MAX_ANSWER_BYTES = 16 * 1024 * 1024;

/** The channel ended (the sidecar or its program is gone): the caller may open a new one and retry. */
export class StoreChannelGone extends Error {
  override readonly name = 'StoreChannelGone';
}

export class StoreChannel {
  private pending: { resolve(v: unknown): void; reject(e: Error): void; timer: NodeJS.Timeout } | null = null;
  private chunks: Buffer[] = [];
  private size = 0;
  private stderrTail = '';
  private closed = false;

  private constructor(private readonly stream: Duplex, docker: Docker, private readonly onGone: () => void) {
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    docker.modem.demuxStream(stream, stdout, stderr);
    stdout.on('data', (d: Buffer) => this.onData(d));
    stderr.on('data', (d: Buffer) => (this.stderrTail = (this.stderrTail + d.toString()).slice(-500)));
    const gone = () => this.close(new StoreChannelGone(`the checkpoint store stopped${this.stderrTail ? `: ${this.stderrTail.trim().slice(-300)}` : ''}`));
    stream.on('end', gone);
    stream.on('close', gone);
    stream.on('error', gone);
  }

  static async open(docker: Docker, container: Docker.Container, cmd: string[], onGone: () => void): Promise<StoreChannel> {
    const exec = await container.exec({ Cmd: cmd, User: '0:0', WorkingDir: '/', Env: ['NODE_OPTIONS=', 'NODE_PATH='], AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: false });
    const stream = (await exec.start({ hijack: true, stdin: true })) as Duplex;
    return new StoreChannel(stream, docker, onGone);
  }

  get alive(): boolean {
    return !this.closed;
  }

  /** One request; the caller sends one at a time (CheckpointStore serialises its operations). */
  request(op: string, args: object, timeoutMs: number): Promise<unknown> {
    if (this.closed) return Promise.reject(new StoreChannelGone('the checkpoint store channel is closed'));
    if (this.pending) return Promise.reject(new Error('one store request at a time'));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => this.close(new Error(`the checkpoint store did not answer within ${Math.round(timeoutMs / 1000)} s`)), timeoutMs);
      this.pending = { resolve, reject, timer };
      this.stream.write(JSON.stringify({ op, args }) + '\n');
    });
  }

  private onData(d: Buffer): void {
    let nl = d.indexOf(0x0a);
    while (nl >= 0) {
      const line = Buffer.concat([...this.chunks, d.subarray(0, nl)]);
      this.chunks = [];
      this.size = 0;
      d = d.subarray(nl + 1);
      this.answer(line);
      nl = d.indexOf(0x0a);
    }
    if (!d.length) return;
    this.size += d.length;
    if (this.size > MAX_ANSWER_BYTES) return this.close(new Error('the checkpoint store sent an over-long answer'));
    this.chunks.push(d);
  }

  private answer(line: Buffer): void {
    const p = this.pending;
    if (!p) return this.close(new Error('the checkpoint store spoke out of turn'));
    this.pending = null;
    clearTimeout(p.timer);
    try {
      p.resolve(JSON.parse(line.toString('utf8')));
    } catch {
      p.reject(new Error('the checkpoint store sent a malformed answer'));
    }
  }

  /** Ends the program (its stdin closes) and fails the request in flight. */
  close(err: Error = new StoreChannelGone('closed')): void {
    if (this.closed) return;
    this.closed = true;
    this.stream.destroy();
    this.onGone();
    const p = this.pending;
    this.pending = null;
    if (p) {
      clearTimeout(p.timer);
      p.reject(err);
    }
  }
}
