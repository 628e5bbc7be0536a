// The sandbox facade a tool handler sees (ctx.fs, ctx.exec, ctx.proc): every operation carries the call's
// signal and the default timeout declared beside the daemon ops, bytes are decoded in one place, and daemon
// refusals reach the model through the one error mapper.
import assert from 'node:assert/strict';
import { homedir } from 'node:os';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AbortedError, CheckpointError, DAEMON_GRACE_MS, DAEMON_OP_TIMEOUT_MS, DaemonGoneError, DaemonRequestError, type RequestOptions, type Sandbox } from '@suna/sandbox';
import { describeError, reword, SandboxFileError, ToolError } from '../../src/errors.ts';
import { bindSandbox } from '../../src/sandbox-facade.ts';

interface Sent {
  op: string;
  args: Record<string, unknown>;
  opts: RequestOptions | undefined;
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

/** A Sandbox whose daemon answers from `answers` and records what it was sent; it honours the signal like the real client. */
function recordingSandbox(answers: Record<string, (args: Record<string, unknown>) => unknown>) {
  const sent: Sent[] = [];
  const execs: Array<{ args: Record<string, unknown>; signal?: AbortSignal }> = [];
  const sandbox = {
    async call(op: string, args: Record<string, unknown>, opts?: RequestOptions) {
      sent.push({ op, args, opts });
      if (opts?.signal?.aborted) throw new AbortedError();
      const answer = answers[op];
      if (!answer) throw new Error(`unexpected op ${op}`);
      return answer(args);
    },
    async exec(args: Record<string, unknown>, signal?: AbortSignal) {
      execs.push({ args, signal });
      return { exitCode: 0, signal: null, durationMs: 3, timedOut: false, cancelled: false, oomKilled: false, stdout: { head: b64('out ✓\n'), tail: '', totalBytes: 8 }, stderr: { head: b64('warn'), tail: b64('!'), totalBytes: 5 } };
    },
  } as unknown as Sandbox;
  return { sandbox, sent, execs };
}

const stat = { path: '/workspace/a', type: 'file', size: 1, mtimeMs: 0, mode: 0o644 };

describe('sandbox facade', () => {
  it('binds every file and process operation to the call signal, with the default timeout of its op', async () => {
    const { sandbox, sent } = recordingSandbox({
      stat: () => stat,
      read: () => ({ data: b64('x'), size: 1, truncated: false }),
      readLines: () => ({ data: b64('a\nb'), fromLine: 1, lines: 2, cutLines: 0, totalLines: 2, size: 3, binary: false }),
      write: () => ({ bytes: 1, created: true }),
      listdir: () => ({ entries: [], truncated: false }),
      manifest: () => ({ entries: [], truncated: false, skipped: [] }),
      remove: () => ({ removed: true }),
      move: () => ({ moved: true }),
      mkdir: () => ({ created: true }),
      start: () => ({ processId: 'p1' }),
      input: () => ({ written: 2 }),
      kill: () => ({ processId: 'p1' }),
      list: () => [],
    });
    const controller = new AbortController();
    const { fs, proc } = bindSandbox(sandbox, controller.signal);
    await fs.stat('/workspace/a');
    await fs.read('/workspace/a', { maxBytes: 10 });
    await fs.readLines('/workspace/a', { fromLine: 1, maxLines: 2, maxLineBytes: 100, maxBytes: 1000 });
    await fs.write('/workspace/a', 'x');
    await fs.list('/workspace', { depth: 1, maxEntries: 10, respectIgnore: true });
    await fs.manifest('/workspace', { maxEntries: 10, respectIgnore: false });
    await fs.remove('/workspace/a');
    await fs.move('/workspace/a', '/workspace/b');
    await fs.mkdir('/workspace/d');
    await proc.start('sleep 1');
    await proc.input('p1', 'hi');
    await proc.kill('p1');
    await proc.list();
    assert.equal(sent.length, 13);
    for (const s of sent) {
      assert.equal(s.opts?.signal, controller.signal, `${s.op} carries the call's signal`);
      assert.equal(s.opts?.timeoutMs, DAEMON_OP_TIMEOUT_MS[s.op as keyof typeof DAEMON_OP_TIMEOUT_MS], `${s.op} has its declared timeout`);
    }
  });

  it('an output wait and an explicit timeout replace the default; exec gets the signal and runs in /workspace by default', async () => {
    const { sandbox, sent, execs } = recordingSandbox({
      output: () => ({ data: b64('line 1\n'), offset: 0, nextOffset: 7, droppedBytes: 0, running: true, exitCode: null, signal: null }),
      listdir: () => ({ entries: [], truncated: false }),
    });
    const controller = new AbortController();
    const ctx = bindSandbox(sandbox, controller.signal);
    const out = await ctx.proc.output('p1', { offset: 0, waitMs: 5000, maxBytes: 100 });
    assert.equal(sent[0]!.opts?.timeoutMs, 5000 + DAEMON_GRACE_MS);
    assert.equal(out.text, 'line 1\n');
    await ctx.fs.list('/workspace', { depth: 2, maxEntries: 5, respectIgnore: true, timeoutMs: 1234 });
    assert.equal(sent[1]!.opts?.timeoutMs, 1234);
    assert.deepEqual(sent[1]!.args, { path: '/workspace', depth: 2, maxEntries: 5, respectIgnore: true }, 'the timeout is not sent to the daemon');
    const r = await ctx.exec({ argv: ['true'], timeoutMs: 1000, capBytes: 100 });
    assert.equal(execs[0]!.signal, controller.signal);
    assert.equal(execs[0]!.args.cwd, '/workspace');
    assert.deepEqual(r.stdout, { head: 'out ✓\n', tail: '', totalBytes: 8 });
    assert.deepEqual(r.stderr, { head: 'warn', tail: '!', totalBytes: 5 });
  });

  it('decodes what comes back and encodes what goes out (bytes, not text, for binary files)', async () => {
    const binary = Buffer.from([0, 255, 1, 128]);
    const { sandbox, sent } = recordingSandbox({
      read: () => ({ data: b64(binary), size: 4, truncated: false }),
      readLines: () => ({ data: b64('é\nü'), fromLine: 1, lines: 2, cutLines: 0, totalLines: 2, size: 5, binary: false }),
      write: (a) => ({ bytes: Buffer.from(String(a.data), 'base64').length, created: false }),
    });
    const { fs } = bindSandbox(sandbox, new AbortController().signal);
    const r = await fs.read('/workspace/bin', { maxBytes: 10 });
    assert.ok(Buffer.isBuffer(r.data));
    assert.deepEqual([...r.data], [0, 255, 1, 128]);
    const page = await fs.readLines('/workspace/t', { fromLine: 1, maxLines: 2, maxLineBytes: 10, maxBytes: 100 });
    assert.equal(page.text, 'é\nü');
    assert.equal('data' in page, false, 'no base64 left for the caller to decode');
    await fs.write('/workspace/bin', binary, { exclusive: true });
    assert.equal(sent.at(-1)!.args.data, b64(binary));
    assert.equal(sent.at(-1)!.args.mkdirs, true, 'parent directories are made unless told otherwise');
    assert.equal(sent.at(-1)!.args.exclusive, true);
    await fs.write('/workspace/t', 'ü');
    assert.equal(Buffer.from(String(sent.at(-1)!.args.data), 'base64').toString('utf8'), 'ü');
  });

  it('a cancelled call: operations bound to its signal fail as cancelled, and say "cancelled" to the model', async () => {
    const { sandbox } = recordingSandbox({ stat: () => stat });
    const controller = new AbortController();
    const { fs } = bindSandbox(sandbox, controller.signal);
    assert.deepEqual(await fs.stat('/workspace/a'), stat);
    controller.abort();
    const err = await fs.stat('/workspace/a').then(() => null, (e: unknown) => e);
    assert.ok(err instanceof AbortedError);
    assert.deepEqual(describeError(err), { message: 'cancelled', internal: false });
  });

  it('maps daemon refusals to ToolErrors with the fix beside them, and lets other failures through unchanged', async () => {
    const gone = new DaemonGoneError('the sandbox daemon was killed while running "read"; retry');
    const { sandbox } = recordingSandbox({
      read: () => {
        throw new DaemonRequestError('ENOENT', 'no such file: notes.txt');
      },
      write: () => {
        throw new DaemonRequestError('EEXIST', 'exists: a.xlsx');
      },
      remove: () => {
        throw new DaemonRequestError('OUTSIDE_WORKSPACE', 'outside the workspace: ../x');
      },
      stat: () => {
        throw gone;
      },
    });
    const { fs } = bindSandbox(sandbox, new AbortController().signal);
    const missing = await fs.read('/workspace/notes.txt', { maxBytes: 1 }).then(() => null, (e: unknown) => e);
    assert.ok(missing instanceof SandboxFileError && missing instanceof ToolError);
    assert.equal(missing.code, 'ENOENT');
    assert.equal(missing.message, 'no such file: notes.txt (file_list shows what exists)');
    const outside = await fs.remove('/workspace/x').then(() => null, (e: unknown) => e);
    assert.ok(outside instanceof SandboxFileError);
    assert.equal(outside.message, 'outside the workspace: ../x', 'no hint for a code without one');
    await assert.rejects(fs.stat('/workspace/a'), (e: unknown) => e === gone);
    await assert.rejects(
      fs.write('/workspace/a.xlsx', 'x', { exclusive: true }).catch(reword('EEXIST', 'a.xlsx already exists; pass overwrite')),
      (e: unknown) => e instanceof ToolError && !(e instanceof SandboxFileError) && e.message === 'a.xlsx already exists; pass overwrite',
    );
    await assert.rejects(fs.read('/workspace/notes.txt', { maxBytes: 1 }).catch(reword('EEXIST', 'not this one')), /no such file: notes\.txt/);
  });

  it("describeError: an unexpected error's text loses the host's directories (server files, home, working directory)", () => {
    const here = dirname(fileURLToPath(new URL('../../src/errors.ts', import.meta.url)));
    const err = new Error(`Cannot find module '${here}/sheets-worker.js' (from ${homedir()}/.cache/x and ${process.cwd()}/y); ${homedir()}fs stays`);
    const { message, internal } = describeError(err);
    assert.equal(internal, true);
    assert.equal(message, `internal error: Cannot find module '.../sheets-worker.js' (from .../.cache/x and .../y); ${homedir()}fs stays`);
  });

  it('describeError words a raw daemon refusal the same way as the facade does (one mapper for both paths)', () => {
    const raw = new DaemonRequestError('EISDIR', 'is a directory: src');
    assert.deepEqual(describeError(raw), { message: 'is a directory: src (this is a directory; use file_list)', internal: false });
    assert.deepEqual(describeError(new Error('boom\n  at secret/host/path.ts:1')), { message: 'internal error: boom', internal: true });
  });

  it('reaches the checkpoint store with the call signal, and its refusals as words for the model', async () => {
    const signals: Array<AbortSignal | undefined> = [];
    const sandbox = {
      checkpoints: {
        async list(signal?: AbortSignal) {
          signals.push(signal);
          return { checkpoints: [], totalBytes: 0 };
        },
        async diff(_f: string, _t: string | undefined, _l: unknown, signal?: AbortSignal) {
          signals.push(signal);
          throw new CheckpointError('no checkpoint ck-mwzhcl2n-684218');
        },
      },
      async restore(_id: string, _keep: () => string[], signal?: AbortSignal) {
        signals.push(signal);
        throw new AbortedError();
      },
    } as unknown as Sandbox;
    const controller = new AbortController();
    const { checkpoints } = bindSandbox(sandbox, controller.signal);
    assert.deepEqual(await checkpoints.list(), { checkpoints: [], totalBytes: 0 });
    await assert.rejects(checkpoints.diff('ck-mwzhcl2n-684218', undefined, { maxEntries: 1, maxFileBytes: 1, maxTextBytes: 1 }), (e: Error) => e instanceof ToolError && /no checkpoint ck-/.test(e.message));
    await assert.rejects(checkpoints.restore('ck-mwzhcl2n-684218', () => []), (e: Error) => describeError(e).message === 'cancelled');
    assert.deepEqual(signals, [controller.signal, controller.signal, controller.signal]);
  });
});
