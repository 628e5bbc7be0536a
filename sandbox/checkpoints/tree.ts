// Walking and comparing two file trees of the checkpoint store, inside the store sidecar. Names are raw bytes
// (a Linux name need not be UTF-8): they travel to the host as base64 and are judged there. Walks are bounded
// (entries, depth) because the trees are the agent's: a million empty files must not exhaust the sidecar.
import { closeSync, fstatSync, lstatSync, openSync, readSync, readdirSync, readlinkSync, constants, type BigIntStats } from 'node:fs';

export const MAX_WALK_ENTRIES = 500_000;
const MAX_DEPTH = 256;

export type EntryType = 'f' | 'd' | 'l' | 'o';
export interface Entry {
  type: EntryType;
  ino: bigint;
  size: bigint;
  mtimeNs: bigint;
  /** When the inode last changed (content, name, links, mode or times): the kernel sets it, the agent cannot forge it. */
  ctimeNs: bigint;
  mode: number;
  uid: number;
  gid: number;
}

function typeOf(st: BigIntStats): EntryType {
  return st.isFile() ? 'f' : st.isDirectory() ? 'd' : st.isSymbolicLink() ? 'l' : 'o';
}

const SLASH = Buffer.from('/');

/** Every entry under `root` by relative path (bytes, as a latin1 string key so Map works), never following links. */
export function walk(root: string, excludes: readonly string[] = []): Map<string, Entry> {
  const out = new Map<string, Entry>();
  const rootBuf = Buffer.from(root);
  const excluded = new Set(excludes);
  const visit = (rel: Buffer, depth: number) => {
    if (depth > MAX_DEPTH) throw new Error(`the tree is deeper than ${MAX_DEPTH} levels`);
    const dir = rel.length ? Buffer.concat([rootBuf, SLASH, rel]) : rootBuf;
    let names: Buffer[];
    try {
      names = readdirSync(dir, { encoding: 'buffer' });
    } catch {
      return; // vanished or unreadable while walking: the copy reports it, the comparison skips it
    }
    for (const name of names) {
      const childRel = rel.length ? Buffer.concat([rel, SLASH, name]) : name;
      const key = childRel.toString('latin1');
      if (excluded.has(key)) continue;
      let st: BigIntStats;
      try {
        st = lstatSync(Buffer.concat([rootBuf, SLASH, childRel]), { bigint: true });
      } catch {
        continue;
      }
      if (out.size >= MAX_WALK_ENTRIES) throw new Error(`more than ${MAX_WALK_ENTRIES} entries`);
      const type = typeOf(st);
      out.set(key, { type, ino: st.ino, size: st.size, mtimeNs: st.mtimeNs, ctimeNs: st.ctimeNs, mode: Number(st.mode & 0o7777n), uid: Number(st.uid), gid: Number(st.gid) });
      if (type === 'd') visit(childRel, depth + 1);
    }
  };
  visit(Buffer.alloc(0), 0);
  return out;
}

export type Change = 'A' | 'M' | 'D';

function linkTarget(root: string, key: string): string {
  try {
    return readlinkSync(Buffer.concat([Buffer.from(root), SLASH, Buffer.from(key, 'latin1')]), { encoding: 'buffer' }).toString('latin1');
  } catch {
    return '';
  }
}

export interface TreeChange {
  key: string;
  change: Change;
  type: EntryType;
  /** Same type, size, mtime, mode and owner, yet the content may differ: `confirm` reads both to decide. */
  maybe?: true;
}

/**
 * What changed from tree `a` to tree `b`. Same inode (a hard link of the store) means unchanged; otherwise the
 * test rsync uses (type, size, mtime to the nanosecond, mode, owner, link target). A directory is "changed" only
 * by its mode or owner: its mtime moves with every entry added or removed, which the entries already say.
 * The quick test alone trusts the mtime, which the agent sets at will (`touch -d` to the nanosecond): a same-size
 * rewrite with a forged mtime would pass it. So a regular file that passes it is only `maybe` unchanged when
 * - `changedSince` (ns) is given and the file in `b` changed (ctime, which the kernel sets) at or after it: `a` was
 *   taken before that moment, so it may hold other bytes;
 * - both trees are the store's (`sameVolume`) and the two are distinct inodes.
 */
export function compare(aRoot: string, a: Map<string, Entry>, bRoot: string, b: Map<string, Entry>, sameVolume: boolean, changedSince?: bigint): TreeChange[] {
  const out: TreeChange[] = [];
  for (const [key, ea] of a) {
    const eb = b.get(key);
    if (!eb) out.push({ key, change: 'D', type: ea.type });
    else if (ea.type !== eb.type) out.push({ key, change: 'M', type: eb.type });
    else if (sameVolume && ea.ino === eb.ino) continue;
    else if (ea.mode !== eb.mode || ea.uid !== eb.uid || ea.gid !== eb.gid) out.push({ key, change: 'M', type: eb.type });
    else if (ea.type === 'f' && (ea.size !== eb.size || ea.mtimeNs !== eb.mtimeNs)) out.push({ key, change: 'M', type: 'f' });
    else if (ea.type === 'l' && linkTarget(aRoot, key) !== linkTarget(bRoot, key)) out.push({ key, change: 'M', type: 'l' });
    else if (ea.type === 'f' && (sameVolume || (changedSince !== undefined && eb.ctimeNs >= changedSince))) out.push({ key, change: 'M', type: 'f', maybe: true });
  }
  for (const [key, eb] of b) if (!a.has(key)) out.push({ key, change: 'A', type: eb.type });
  return out.sort((x, y) => (x.key < y.key ? -1 : x.key > y.key ? 1 : 0));
}

/** The changes without the `maybe` ones whose bytes turn out equal (read in chunks; one that cannot be read counts as changed). */
export function confirm(aRoot: string, bRoot: string, changes: TreeChange[]): TreeChange[] {
  return changes.filter((c) => !c.maybe || !sameContent(aRoot, bRoot, c.key));
}

const CHUNK = 256 * 1024;
const openRegular = (root: string, key: string): number => {
  const fd = openSync(Buffer.concat([Buffer.from(root), SLASH, Buffer.from(key, 'latin1')]), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  if (!fstatSync(fd).isFile()) {
    closeSync(fd);
    throw new Error('not a regular file');
  }
  return fd;
};

function sameContent(aRoot: string, bRoot: string, key: string): boolean {
  let fa = -1;
  let fb = -1;
  try {
    fa = openRegular(aRoot, key);
    fb = openRegular(bRoot, key);
    const ba = Buffer.allocUnsafe(CHUNK);
    const bb = Buffer.allocUnsafe(CHUNK);
    for (let pos = 0; ; pos += CHUNK) {
      const na = readSync(fa, ba, 0, CHUNK, pos);
      const nb = readSync(fb, bb, 0, CHUNK, pos);
      if (na !== nb || !ba.subarray(0, na).equals(bb.subarray(0, nb))) return false;
      if (na === 0) return true;
    }
  } catch {
    return false;
  } finally {
    if (fa >= 0) closeSync(fa);
    if (fb >= 0) closeSync(fb);
  }
}

/**
 * Up to `max` bytes of a regular file, opened without following a final symlink and checked to be a regular
 * file after opening (so a swap to a FIFO or a device cannot block or read something else). Null when it is not one.
 */
export function readSmallFile(root: string, key: string, max: number): Buffer | null {
  let fd: number;
  try {
    fd = openSync(Buffer.concat([Buffer.from(root), SLASH, Buffer.from(key, 'latin1')]), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return null;
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile() || st.size > max) return null;
    const buf = Buffer.alloc(st.size);
    let got = 0;
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  } finally {
    closeSync(fd);
  }
}
