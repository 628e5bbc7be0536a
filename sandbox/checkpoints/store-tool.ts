// The checkpoint store's own program, started by `docker exec` in a store sidecar (never in the agent's container)
// and kept running: one JSON request per line on stdin, one JSON answer per line on stdout. It drives rsync for the
// copies (hard-link trees: a checkpoint costs only the files that changed; after the first, incremental.ts links the
// unchanged ones itself and rsync copies the rest, with --link-dest over the whole tree as the fallback) and does the
// bookkeeping (metadata, listing, retention, comparison) itself. Ids are checked again here before they name a
// path. Layout of the store volume: cp/<id>/{workspace,home}/ trees and cp/<id>.json, written last (a checkpoint
// without its JSON is unfinished and is removed by the next operation).
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { changedSinceNs, checkId, CHECKPOINT_ID, EXCLUDES, ROOTS, SRC, STORE, type CheckpointMeta, type Root } from './layout.js';
import { copyTree, type CopyStats } from './rsync.js';
import { restore } from './restore.js';
import { completeTree, incrementalCopy, type PendingTree } from './incremental.js';
import { compare, confirm, readSmallFile, walk, type Entry } from './tree.js';


type Meta = CheckpointMeta;


function metas(): Meta[] {
  if (!existsSync(STORE)) return [];
  const out: Meta[] = [];
  for (const name of readdirSync(STORE)) {
    if (!name.endsWith('.json') || !CHECKPOINT_ID.test(name.slice(0, -5))) continue;
    try {
      out.push(JSON.parse(readFileSync(`${STORE}/${name}`, 'utf8')) as Meta);
    } catch {
      /* a damaged record: treated as unfinished below */
    }
  }
  return out.sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
}

/** Trees without a finished record: a checkpoint interrupted by a crash or a timeout. */
function removeUnfinished(done: Set<string>): void {
  if (!existsSync(STORE)) return;
  for (const name of readdirSync(STORE)) {
    if (name.endsWith('.json') ? !done.has(name.slice(0, -5)) : !done.has(name)) rmSync(`${STORE}/${name}`, { recursive: true, force: true });
  }
}

function sizes(list: Meta[]): { total: number; byId: Record<string, number> } {
  // Apparent bytes: the oldest tree whole, then what each later one holds that its predecessor does not share.
  const byId: Record<string, number> = {};
  let total = 0;
  list.forEach((m, i) => {
    byId[m.id] = i === 0 ? m.totalBytes : m.addedBytes;
    total += byId[m.id]!;
  });
  return { total, byId };
}

/**
 * The walks that built the newest checkpoint, so the next one need not walk it again (incremental.ts says why
 * that is safe). Only this program writes the store, and only the newest checkpoint serves as a basis.
 */
let lastWalk: { id: string; roots: Partial<Record<Root, Map<string, Entry>>> } | null = null;
/** Larger trees are walked again each time rather than held (about 200 bytes an entry). */
const MAX_KEPT_WALK = 200_000;

function keepWalk(id: string, root: Root, walked: Map<string, Entry>): void {
  if (lastWalk?.id !== id) lastWalk = { id, roots: {} };
  lastWalk.roots[root] = walked;
}

/**
 * One root of a checkpoint after the first: the fast path (incremental.ts) and, when it refuses the tree (too
 * many entries or too deep for a walk) or fails half-way, rsync --link-dest over the whole tree as before.
 * `removed` is known only on the fast path; the slow path's caller estimates it from the totals.
 */
async function copyIncremental(root: Root, id: string, prev: { id: string; dir: string; walkedAt?: number; createdAt: number }): Promise<CopyStats & { removedKnown: boolean; pending?: PendingTree }> {
  const from = `${SRC}/${root}`;
  const basis = `${prev.dir}/${root}`;
  const to = `${STORE}/${id}/${root}`;
  const known = lastWalk?.id === prev.id ? lastWalk.roots[root] : undefined;
  try {
    const r = await incrementalCopy(from, basis, to, EXCLUDES[root], changedSinceNs(prev), known);
    const warnings: string[] = [];
    if (r.code === 24 || r.code === 23) warnings.push(`${root}: some files changed or could not be read while copying (rsync ${r.code})`);
    else if (r.code !== 0) throw new Error(`rsync failed (${r.code}): ${r.stderr.trim().split('\n').slice(-3).join(' / ')}`);
    if (r.walked.size <= MAX_KEPT_WALK) keepWalk(id, root, r.walked);
    return { files: r.files, totalBytes: r.totalBytes, addedBytes: r.addedBytes, changed: r.changed, added: 0, warnings, removedKnown: true, pending: r.pending };
  } catch {
    rmSync(to, { recursive: true, force: true });
    return { ...(await copyTree(from, to, root, [`--link-dest=${basis}`])), removedKnown: false };
  }
}

/** A new checkpoint, then retention (in the same request). */
async function checkpoint(args: { id: string; label?: string; createdAt: number; retention: { keep: string[]; maxCount: number; maxBytes: number } }): Promise<Meta> {
  const id = checkId(args.id);
  const before = metas();
  removeUnfinished(new Set(before.map((m) => m.id)));
  const prev = before.at(-1);
  // The first checkpoint is made like a later one, against the base when there is one (`prepare`).
  const basis = prev ? { ...prev, dir: `${STORE}/${prev.id}` } : readBase();
  const walkedAt = Date.now();
  const copies = await Promise.all(
    ROOTS.map((root): Promise<CopyStats & { removedKnown: boolean; pending?: PendingTree }> =>
      basis ? copyIncremental(root, id, basis) : copyTree(`${SRC}/${root}`, `${STORE}/${id}/${root}`, root, []).then((c) => ({ ...c, removedKnown: false })),
    ),
  );
  const sum = (cs: typeof copies, k: 'files' | 'totalBytes' | 'addedBytes' | 'changed' | 'added') => cs.reduce((n, c) => n + c[k], 0);
  const files = sum(copies, 'files');
  // rsync's list has no removed paths: when it copied both trees whole, they are those of the previous checkpoint
  // not kept now (kept = now minus the new paths); the fast path counted them itself (a mix leaves rsync's root's out).
  const removed = prev && copies.every((c) => !c.removedKnown) ? Math.max(0, prev.files - (files - sum(copies, 'added'))) : 0;
  const changed = prev ? sum(copies, 'changed') + removed : files;
  const totalBytes = sum(copies, 'totalBytes');
  const addedBytes = sum(copies, 'addedBytes');
  const warnings = copies.flatMap((c) => c.warnings);
  const meta: Meta = { id, label: String(args.label ?? '').slice(0, 200), createdAt: args.createdAt, walkedAt, changed, files, totalBytes, addedBytes, previous: prev?.id, warnings };
  // The links from the previous checkpoint are made after the answer (incremental.ts says why that is sound): the
  // journal, written before the record, lets any later start of this program finish them.
  const pending = copies.flatMap((c) => (c.pending ? [c.pending] : []));
  if (pending.length) writeAtomically(`${STORE}/${id}.pending`, JSON.stringify(pending));
  writeAtomically(`${STORE}/${id}.json`, JSON.stringify(meta));
  afterAnswer = async () => {
    await finishPending();
    dropBase();
    prune({ ...args.retention, keep: [...args.retention.keep, id] });
  };
  return meta;
}

function writeAtomically(path: string, text: string): void {
  writeFileSync(`${path}.tmp`, text);
  renameSync(`${path}.tmp`, path);
}

/**
 * The base: both trees copied while the sandbox is idle and before any checkpoint (the host asks for it after the
 * sandbox starts and after the workspace sync pushed files), so that the first checkpoint is incremental against
 * it instead of a copy of everything. It is no checkpoint: it lives beside the store's checkpoints (never listed,
 * restored, diffed or counted), and goes once the first checkpoint's links are made. Asked again, it is brought up
 * to date the way a checkpoint is (walk, compare, copy what changed, link the rest) into a new tree that replaces it.
 */
const BASE = '/store/base';
const BASE_RECORD = '/store/base.json';
const BASE_NEXT = '/store/base-next';

function readBase(): { id: string; dir: string; walkedAt: number; createdAt: number; bytes: number } | undefined {
  try {
    const r = JSON.parse(readFileSync(BASE_RECORD, 'utf8')) as { walkedAt?: unknown; bytes?: unknown };
    if (typeof r.walkedAt !== 'number' || !existsSync(BASE)) return undefined;
    return { id: 'base', dir: BASE, walkedAt: r.walkedAt, createdAt: r.walkedAt, bytes: typeof r.bytes === 'number' ? r.bytes : 0 };
  } catch {
    return undefined;
  }
}

function dropBase(): void {
  if (!existsSync(BASE_RECORD) && !existsSync(BASE) && !existsSync(BASE_NEXT)) return;
  rmSync(BASE_RECORD, { force: true }); // the record first: a half-removed base is then no base
  for (const dir of [BASE, BASE_NEXT]) rmSync(dir, { recursive: true, force: true });
  if (lastWalk?.id === 'base') lastWalk = null;
}

async function prepare(): Promise<{ made: boolean }> {
  if (metas().length) return { made: false };
  const old = readBase();
  if (!old) dropBase(); // the leftovers of an interrupted one
  rmSync(BASE_NEXT, { recursive: true, force: true });
  const walkedAt = Date.now();
  const walks: Partial<Record<Root, Map<string, Entry>>> = {};
  for (const root of ROOTS) {
    const to = `${BASE_NEXT}/${root}`;
    const known = lastWalk?.id === 'base' ? lastWalk.roots[root] : undefined;
    const r = old ? await incrementalCopy(`${SRC}/${root}`, `${BASE}/${root}`, to, EXCLUDES[root], changedSinceNs(old), known).catch(() => null) : null;
    if (r && (r.code === 0 || r.code === 23 || r.code === 24)) {
      await completeTree(r.pending);
      walks[root] = r.walked;
    } else {
      rmSync(to, { recursive: true, force: true });
      await copyTree(`${SRC}/${root}`, to, root, [], true);
      walks[root] = walk(to); // what the first checkpoint compares with
    }
  }
  rmSync(BASE_RECORD, { force: true });
  rmSync(BASE, { recursive: true, force: true });
  renameSync(BASE_NEXT, BASE);
  let bytes = 0; // what sandbox_status counts for it: the store volume holds it until the first checkpoint
  for (const w of Object.values(walks)) for (const e of w.values()) if (e.type === 'f') bytes += Number(e.size);
  writeAtomically(BASE_RECORD, JSON.stringify({ walkedAt, bytes }));
  lastWalk = { id: 'base', roots: walks };
  return { made: true };
}

/** Work of the last request that runs after its answer was sent, before the next request is read. */
let afterAnswer: (() => Promise<void>) | null = null;

/** Finish the links of every recorded checkpoint that has a journal (one without its record is unfinished: removed). */
async function finishPending(): Promise<void> {
  if (!existsSync(STORE)) return;
  for (const name of readdirSync(STORE)) {
    const id = name.slice(0, -'.pending'.length);
    if (!name.endsWith('.pending') || !CHECKPOINT_ID.test(id) || !existsSync(`${STORE}/${id}.json`)) continue;
    const trees = JSON.parse(readFileSync(`${STORE}/${name}`, 'utf8')) as PendingTree[];
    const inside = (p: string) => p.startsWith(`${STORE}/ck-`) && !p.includes('/../');
    const fromBase = (p: string) => p.startsWith(`${BASE}/`) && !p.includes('/../');
    for (const t of trees) if ((inside(t.basis) || fromBase(t.basis)) && inside(t.to) && t.to.startsWith(`${STORE}/${id}/`)) await completeTree(t);
    rmSync(`${STORE}/${name}`, { force: true });
  }
}

/** Oldest first, never a kept one nor the newest, until both the count and the size fit. */
function prune(args: { keep: string[]; maxCount: number; maxBytes: number }): { removed: string[] } {
  const keep = new Set(args.keep.map(checkId));
  let list = metas();
  const removed: string[] = [];
  const over = () => list.length > args.maxCount || (args.maxBytes > 0 && sizes(list).total > args.maxBytes);
  while (over()) {
    const victim = list.slice(0, -1).find((m) => !keep.has(m.id));
    if (!victim) break;
    rmSync(`${STORE}/${victim.id}.json`, { force: true }); // the record first: a half-removed tree is then "unfinished"
    rmSync(`${STORE}/${victim.id}`, { recursive: true, force: true });
    removed.push(victim.id);
    list = list.filter((m) => m !== victim);
    // Its successor's new bytes are now counted against an older predecessor: recount them.
    const i = list.findIndex((m) => m.createdAt > victim.createdAt);
    if (i > 0) list[i] = { ...list[i]!, addedBytes: recount(list[i - 1]!.id, list[i]!.id) };
  }
  return { removed };
}

function recount(prevId: string, id: string): number {
  let bytes = 0;
  for (const root of ROOTS) {
    const was = walk(`${STORE}/${prevId}/${root}`);
    for (const [key, e] of walk(`${STORE}/${id}/${root}`)) if (e.type === 'f' && was.get(key)?.ino !== e.ino) bytes += Number(e.size);
  }
  const meta = JSON.parse(readFileSync(`${STORE}/${id}.json`, 'utf8')) as Meta;
  writeFileSync(`${STORE}/${id}.json.tmp`, JSON.stringify({ ...meta, addedBytes: bytes }));
  renameSync(`${STORE}/${id}.json.tmp`, `${STORE}/${id}.json`);
  return bytes;
}

function list(): { checkpoints: Array<Meta & { bytes: number }>; totalBytes: number } {
  const all = metas();
  const { total, byId } = sizes(all);
  return { checkpoints: all.map((m) => ({ ...m, bytes: byId[m.id] ?? 0 })), totalBytes: total };
}

interface DiffArgs {
  from: string;
  to?: string;
  maxEntries: number;
  maxFileBytes: number;
  maxTextBytes: number;
}

/** Changes from checkpoint `from` to checkpoint `to` (or to the sandbox as it is now), with small files' contents. */
function diff(args: DiffArgs) {
  const from = checkId(args.from);
  const to = args.to === undefined ? undefined : checkId(args.to);
  const known = new Map(metas().map((m) => [m.id, m]));
  for (const id of [from, to]) if (id && !known.has(id)) throw new Error(`no checkpoint ${id}`);
  const entries: Array<{ p: string; c: string; t: string; a?: string; b?: string }> = [];
  let total = 0;
  let textBudget = args.maxTextBytes;
  for (const root of ROOTS) {
    const aRoot = `${STORE}/${from}/${root}`;
    const bRoot = to ? `${STORE}/${to}/${root}` : `${SRC}/${root}`;
    // Content decides where size and mtime agree but the file may have been rewritten (tree.ts `compare`).
    const changes = confirm(aRoot, bRoot, compare(aRoot, walk(aRoot), bRoot, walk(bRoot, to ? [] : EXCLUDES[root]), !!to, to ? undefined : changedSinceNs(known.get(from)!)));
    total += changes.length;
    for (const ch of changes) {
      if (entries.length >= args.maxEntries) break;
      const e: (typeof entries)[number] = { p: Buffer.from(`${root}/${ch.key}`, 'latin1').toString('base64'), c: ch.change, t: ch.type };
      if (ch.type === 'f' && textBudget > 0) {
        const a = ch.change === 'A' ? Buffer.alloc(0) : readSmallFile(aRoot, ch.key, args.maxFileBytes);
        const b = ch.change === 'D' ? Buffer.alloc(0) : readSmallFile(bRoot, ch.key, args.maxFileBytes);
        if (a && b && !a.includes(0) && !b.includes(0) && a.length + b.length <= textBudget) {
          textBudget -= a.length + b.length;
          e.a = a.toString('base64');
          e.b = b.toString('base64');
        }
      }
      entries.push(e);
    }
  }
  return { entries, total };
}

function storeBytes(): { totalBytes: number; count: number; baseBytes?: number } {
  const all = metas();
  const base = readBase();
  return { totalBytes: sizes(all).total, count: all.length, ...(base ? { baseBytes: base.bytes } : {}) };
}

const OPS: Record<string, (args: never) => unknown> = { checkpoint, prepare, list, diff, restore, size: storeBytes };

const MAX_REQUEST_BYTES = 1024 * 1024;

async function handle(op: unknown, args: unknown): Promise<string> {
  const fn = typeof op === 'string' && Object.hasOwn(OPS, op) ? OPS[op] : undefined;
  try {
    if (!fn) throw new Error(`unknown operation ${String(op).slice(0, 40)}`);
    if (op !== 'restore') {
      mkdirSync(STORE, { recursive: true });
      await finishPending(); // normally done right after the last answer; here after a crash
      if (op !== 'prepare' && metas().length) dropBase(); // normally done by the first checkpoint; here after a crash
    }
    return JSON.stringify({ ok: true, result: await fn((args ?? {}) as never) });
  } catch (err) {
    return JSON.stringify({ ok: false, error: (err as Error).message.slice(0, 500) });
  }
}

/**
 * A long-lived server on stdin/stdout (one JSON request per line, answered in order), so a checkpoint pays
 * neither a `docker exec` nor a Node start-up. It ends when the host closes its stream.
 */
function serve(): void {
  let buffered = '';
  let chain = Promise.resolve();
  process.stdin.on('data', (d: Buffer) => {
    buffered += d.toString('utf8');
    if (buffered.length > MAX_REQUEST_BYTES && !buffered.includes('\n')) process.exit(2);
    const lines = buffered.split('\n');
    buffered = lines.pop()!;
    for (const line of lines) {
      chain = chain.then(async () => {
        let req: { op?: unknown; args?: unknown };
        try {
          req = JSON.parse(line) as typeof req;
        } catch {
          req = {};
        }
        process.stdout.write((await handle(req.op, req.args)) + '\n');
        const after = afterAnswer;
        afterAnswer = null;
        // A failure here leaves the journal: the next request finishes it, or answers with the error.
        await after?.().catch((err: Error) => process.stderr.write(`after the answer: ${err.message.slice(0, 300)}\n`));
      });
    }
  });
  process.stdin.on('end', () => void chain.finally(() => process.exit(0)));
}

serve();
