// Workspace sync against its peer, in the same run: the extension's initial push of a generated workspace into an
// empty sandbox vs. the same folder streamed as one raw `tar` into the same container (interleaved, alternating
// order, one warm-up pair not counted, median of 5 — 3 at 20k files; `SUNA_SYNC_BENCH_REPS` overrides; the ratio
// of the medians and each repetition's own ratio),
// at 1k, 5k and 20k files of 10 KB (is it linear?), plus one edit reaching the sandbox and an idle pull-back
// (manifest with the daemon's hash cache). `SUNA_SYNC_BENCH_FILES=5000` picks sizes; prints rows like bench.mts.
import { benchSync } from '../../extension/test/bench-sync.ts';

export interface SyncRow {
  name: string;
  value: number;
  peer: number;
  note: string;
}

export async function benchSyncVsTar(print: (rows: SyncRow[]) => void = printRows): Promise<SyncRow[]> {
  const sizes = (process.env.SUNA_SYNC_BENCH_FILES ?? '1000,5000,20000').split(',').map(Number).filter((n) => n > 0);
  const rows: SyncRow[] = [];
  for (const files of sizes) {
    const reps = Number(process.env.SUNA_SYNC_BENCH_REPS) || (files > 5000 ? 3 : 5);
    const r = await benchSync({ files, reps, edits: files === 5000 ? 40 : 5 });
    const mb = (r.bytes / 2 ** 20).toFixed(0);
    const ratios = r.oursRepsMs.map((x, i) => (x / r.peerRepsMs[i]!).toFixed(2)).join(' / ');
    const each = r.oursRepsMs.map((x, i) => `${x}/${r.peerRepsMs[i]}`).join(' ');
    rows.push({ name: `sync: initial push ${files} files / ${mb} MB`, value: r.initialSyncMs, peer: r.tarPeerMs, note: `median of ${reps}; ratios ${ratios} (ms ${each}; warm-up ${r.warmupMs.ours}/${r.warmupMs.peer}, not counted); goal ≤ 1.5×` });
    const c = r.cpuSplitMs;
    rows.push({ name: `sync: CPU of that push (${files} files)`, value: r.initialSyncCpuMs, peer: r.tarPeerCpuMs, note: `editor ${c.editor} + server ${c.server} + sandbox container ${c.container} (medians; not dockerd)` });
    if (files === 5000) {
      rows.push({ name: 'sync: one edited file reaches the sandbox (p50)', value: r.editP50Ms, peer: NaN, note: `p95 ${r.editP95Ms} ms` });
      rows.push({ name: `sync: pull-back, nothing changed (${files} files)`, value: r.idlePullMs, peer: NaN, note: 'manifest from the hash cache' });
    }
  }
  print(rows);
  return rows;
}

function printRows(rows: SyncRow[]): void {
  const fmt = (x: number) => (Number.isNaN(x) ? '' : x.toFixed(0));
  console.log('\n' + 'measurement'.padEnd(48) + 'ms'.padStart(9) + 'peer ms'.padStart(9) + 'ratio'.padStart(8));
  for (const r of rows) console.log(r.name.padEnd(48) + fmt(r.value).padStart(9) + fmt(r.peer).padStart(9) + (Number.isNaN(r.peer) ? '' : `${(r.value / r.peer).toFixed(2)}×`).padStart(8) + `   ${r.note}`);
}

if (import.meta.url === `file://${process.argv[1]}`) await benchSyncVsTar();
