// Sync benchmark: initial sync of a generated workspace (default 5,000 files / 50 MB) into a real sandbox, next to
// its peer measured in the same run — the same folder as a raw `tar` stream into the same container
// (`tar -c | docker exec -i … tar -x`) — interleaved, the median of `reps` (5 by default) after one warm-up pair
// that is reported but not counted; then single-file edits reaching the sandbox (write on disk → watcher notice →
// pushed, p50/p95) and a pull-back with nothing changed (the manifest's hash cache at work). Also the CPU each side
// used (this process and its children, the server, the sandbox container; not dockerd, which other work shares):
// on a loaded machine the wall times swing, the CPU much less.
// Both sides see the same state: before each push the workspace is emptied and the host's dirty pages are written
// back (`sync`), so neither pays for the other's writeback; the order alternates (peer first, then ours first), so
// neither is always the one after the deletion; the checkpoint base the server copies after our push is done before
// the next measurement starts. The source files are in the page cache for both (just written).
// Exported for the repository's bench script; `tsx extension/test/bench-sync.ts` runs it alone.
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { promises as fsp, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeWorkspace, sh, startSandboxServer, syncFixture } from './fixtures/sandbox-server.ts';

export interface SyncBenchResult {
  files: number;
  bytes: number;
  initialSyncMs: number;
  /** The same folder as a raw tar stream into the container, same run. */
  tarPeerMs: number;
  /** Each counted repetition, in order (ours and the peer's of the same repetition side by side). */
  oursRepsMs: number[];
  peerRepsMs: number[];
  /** The warm-up pair (not counted): is the first push of a run the slow one? */
  warmupMs: { ours: number; peer: number };
  /** Where our push's CPU went (medians): this process (the editor side), the server, the sandbox container. */
  cpuSplitMs: { editor: number; server: number; container: number };
  /** CPU of one initial push: this process, the server, the sandbox container (median); NaN when unreadable. */
  initialSyncCpuMs: number;
  /** CPU of the peer: tar and docker (this process's children) and the container. */
  tarPeerCpuMs: number;
  edits: number;
  editP50Ms: number;
  editP95Ms: number;
  /** A pull with nothing changed in the sandbox: manifest (hashes cached) + compare. */
  idlePullMs: number;
}

function percentile(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]!;
}

/** User + system ms of a process from /proc (`self`: with its waited-for children); NaN when unreadable. */
function procCpuMs(pid: number | 'self', children: boolean): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ').map(Number);
    return (f[11]! + f[12]! + (children ? f[13]! + f[14]! : 0)) * 10; // clock ticks of 10 ms
  } catch {
    return NaN;
  }
}

/** CPU ms of a container so far (cgroup v1 or v2); NaN when neither is readable. */
function containerCpuMs(id: string): number {
  for (const [path, read] of [
    [`/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`, (t: string) => Number(t) / 1e6],
    [`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, (t: string) => Number(/usage_usec (\d+)/.exec(t)?.[1]) / 1000],
  ] as const) {
    try {
      return read(readFileSync(path, 'utf8'));
    } catch {
      /* next */
    }
  }
  return NaN;
}

interface CpuSample {
  editor: number;
  server: number;
  container: number;
}

/** A meter of the CPU this process (with children), the server it launched and the sandbox container use. */
function cpuMeter(container: string): () => CpuSample {
  const server = Number(spawnSync('pgrep', ['-P', String(process.pid), '-f', 'cli.js']).stdout.toString().trim().split('\n')[0]);
  let id = '';
  try {
    id = execFileSync('docker', ['inspect', '-f', '{{.Id}}', container]).toString().trim();
  } catch {
    /* NaN below */
  }
  return () => {
    const own = process.cpuUsage();
    return { editor: (own.user + own.system) / 1000 + procCpuMs('self', true) - procCpuMs('self', false), server: procCpuMs(server, false), container: containerCpuMs(id) };
  };
}

const CLEAR_WORKSPACE = 'find /workspace -mindepth 1 -maxdepth 1 ! -name .suna -exec rm -rf {} +';

/** The peer: the workspace folder as one tar stream into the container, as the sandbox user. */
function rawTar(root: string, container: string): number {
  const t0 = performance.now();
  const r = spawnSync('bash', ['-c', `set -o pipefail; tar -C '${root}' -cf - . | docker exec -i -u 1000 -w /workspace ${container} tar -xf - --no-same-owner --warning=no-timestamp`]);
  if (r.status !== 0) throw new Error(`raw tar peer failed: ${r.stderr.toString().slice(0, 300)}`);
  return performance.now() - t0;
}

export async function benchSync(opts: { files?: number; totalBytes?: number; edits?: number; reps?: number; log?: (l: string) => void } = {}): Promise<SyncBenchResult> {
  const files = opts.files ?? 5000;
  const totalBytes = opts.totalBytes ?? files * 10 * 1024;
  const edits = opts.edits ?? 40;
  const reps = opts.reps ?? 5;
  const per = Math.floor(totalBytes / files);
  const content: Record<string, Buffer> = {};
  for (let i = 0; i < files; i++) {
    // Source-like text (base64 of random bytes, in lines), spread over 50 folders.
    const text = randomBytes(Math.ceil((per * 3) / 4)).toString('base64').slice(0, per).replace(/(.{100})/g, '$1\n');
    content[`pkg${i % 50}/src/file${i}.ts`] = Buffer.from(text);
  }
  const root = await makeWorkspace({ ...content, '.gitignore': 'node_modules/\n' });
  const sandboxName = `sync-bench-${process.pid}-${randomBytes(3).toString('hex')}`;
  const conn = startSandboxServer(opts.log, sandboxName);
  try {
    await conn.listTools();
    await sh(conn, 'true'); // the sandbox is up before the clock starts
    const ours: number[] = [];
    const peer: number[] = [];
    const oursCpu: CpuSample[] = [];
    const peerCpu: number[] = [];
    const meter = cpuMeter(`suna-${sandboxName}`);
    const since = (c0: CpuSample): CpuSample => {
      const c = meter();
      return { editor: c.editor - c0.editor, server: c.server - c0.server, container: c.container - c0.container };
    };
    const total = (c: CpuSample) => c.editor + c.server + c.container;
    let f = syncFixture(conn, root);
    const emptied = async () => {
      await sh(conn, CLEAR_WORKSPACE);
      spawnSync('sync'); // the previous push's writeback (and the deletion's) is not billed to the next one
    };
    const runPeer = async () => {
      await emptied();
      const c0 = meter();
      const ms = rawTar(root, `suna-${sandboxName}`);
      return { ms, cpu: total(since(c0)) };
    };
    const runOurs = async () => {
      await emptied();
      f = syncFixture(conn, root); // a fresh base: everything is pushed again
      const c0 = meter();
      const t0 = performance.now();
      await f.engine.start();
      const ms = performance.now() - t0;
      const cpu = since(c0);
      // The server copies the checkpoint base once pushes stop (checkpoints/base-prep.ts, 3 s after the last one):
      // a copy of the whole tree that would otherwise run during the next measurement (often the peer's).
      await new Promise((r) => setTimeout(r, 3300));
      await conn.callTool('sandbox_checkpoints', {}); // queued behind that copy: answers once it is done
      return { ms, cpu };
    };
    const warmPeer = await runPeer();
    const warmOurs = await runOurs();
    for (let rep = 0; rep < reps; rep++) {
      // Alternating order: each side is sometimes the first after a deletion, sometimes the second.
      let p: Awaited<ReturnType<typeof runPeer>>;
      let o: Awaited<ReturnType<typeof runOurs>>;
      if (rep % 2 === 0) {
        p = await runPeer();
        o = await runOurs();
      } else {
        o = await runOurs();
        p = await runPeer();
      }
      peer.push(p.ms);
      peerCpu.push(p.cpu);
      ours.push(o.ms);
      oursCpu.push(o.cpu);
      opts.log?.(`rep ${rep}: ours ${o.ms.toFixed(0)} ms, peer ${p.ms.toFixed(0)} ms`);
    }
    const inSandbox = Number((await sh(conn, 'find . -type f -not -path "./.suna/*" | wc -l')).trim());
    if (inSandbox !== files + 1) throw new Error(`expected ${files + 1} files in the sandbox, found ${inSandbox}`);

    const times: number[] = [];
    for (let i = 0; i < edits; i++) {
      const path = `pkg${i % 50}/src/file${i}.ts`;
      const start = performance.now();
      await fsp.writeFile(join(root, path), `export const edit${i} = ${i};\n`);
      f.engine.notifyChanged([path]);
      await f.engine.settle();
      times.push(performance.now() - start);
    }
    const last = `pkg${(edits - 1) % 50}/src/file${edits - 1}.ts`;
    if ((await sh(conn, `cat ${last}`)) !== `export const edit${edits - 1} = ${edits - 1};\n`) throw new Error('the last edit did not reach the sandbox');
    await new Promise((r) => setTimeout(r, 2100)); // past the hash cache's "too recent to trust" window
    await f.engine.pull(); // fills the cache
    const t1 = performance.now();
    await f.engine.pull();
    const idlePullMs = performance.now() - t1;
    return {
      files,
      bytes: files * per,
      initialSyncMs: Math.round(percentile(ours, 50)),
      tarPeerMs: Math.round(percentile(peer, 50)),
      oursRepsMs: ours.map(Math.round),
      peerRepsMs: peer.map(Math.round),
      warmupMs: { ours: Math.round(warmOurs.ms), peer: Math.round(warmPeer.ms) },
      cpuSplitMs: { editor: Math.round(percentile(oursCpu.map((c) => c.editor), 50)), server: Math.round(percentile(oursCpu.map((c) => c.server), 50)), container: Math.round(percentile(oursCpu.map((c) => c.container), 50)) },
      initialSyncCpuMs: Math.round(percentile(oursCpu.map(total), 50)),
      tarPeerCpuMs: Math.round(percentile(peerCpu, 50)),
      edits,
      editP50Ms: Math.round(percentile(times, 50)),
      editP95Ms: Math.round(percentile(times, 95)),
      idlePullMs: Math.round(idlePullMs),
    };
  } finally {
    await conn.dispose();
    await fsp.rm(root, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  for (const files of (process.env.SYNC_BENCH_FILES ?? '5000').split(',').map(Number)) {
    const r = await benchSync({ files, reps: Number(process.env.SYNC_BENCH_REPS ?? 5), log: (l) => process.stderr.write(`${l}\n`) });
    console.log(JSON.stringify(r));
    console.log(
      `initial sync ${r.files} files / ${(r.bytes / 1024 / 1024).toFixed(0)} MB: ${r.initialSyncMs} ms vs raw tar ${r.tarPeerMs} ms (${(r.initialSyncMs / r.tarPeerMs).toFixed(2)}×, goal ≤ 1.5×); ` +
        `CPU ${r.initialSyncCpuMs} ms vs ${r.tarPeerCpuMs} ms (${(r.initialSyncCpuMs / r.tarPeerCpuMs).toFixed(2)}×); ` +
        `edit → sandbox p50 ${r.editP50Ms} ms, p95 ${r.editP95Ms} ms; idle pull ${r.idlePullMs} ms`,
    );
  }
}
