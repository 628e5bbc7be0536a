// A minimal tar writer and reader over whole Buffers, for the workspace sync. Why not tar-stream: it moves
// every entry through a stream and its callbacks, which cost more than the copy itself for thousands of small
// files (≈1 s for 50 MB here); the sync only ever needs plain files, folders and symlinks in one buffer.
// The writer (TarWriter) fills one growing buffer, letting the caller read each file straight into its place;
// it emits ustar (pax headers for long names or targets); the reader understands ustar, pax and GNU
// long names, checks each header's checksum and never reads past the buffer. It returns views, not copies.
// Reading does not judge names or types: that is the caller's rule (mcp-server/src/sync/archive.ts).

const BLOCK = 512;

export interface TarInput {
  path: string;
  /** A file's bytes; for a symlink, leave empty and set `target`. */
  data?: Uint8Array;
  target?: string;
  mode?: number;
}

export interface TarEntry {
  /** The name as the archive gives it (pax / GNU long name applied), not normalised. */
  name: string;
  /** The ustar type flag: '0' file, '5' folder, '2' symlink, '1' hard link, … ('\0' is read as '0'). */
  type: string;
  mode: number;
  size: number;
  linkname: string;
  /** A view into the archive buffer (no copy). */
  data: Buffer;
}

export class TarFormatError extends Error {
  override readonly name = 'TarFormatError';
}

function writeOctal(buf: Buffer, value: number, offset: number, length: number): void {
  buf.write(value.toString(8).padStart(length - 1, '0') + '\0', offset, length, 'ascii');
}

/** Writes a ustar header for one entry into `h` (512 bytes, zeroed here). */
function writeHeader(h: Buffer, name: string, type: string, size: number, mode: number, linkname = ''): void {
  h.fill(0, 0, BLOCK);
  h.write(name, 0, 100, 'utf8');
  writeOctal(h, mode & 0o7777, 100, 8);
  writeOctal(h, 0, 108, 8);
  writeOctal(h, 0, 116, 8);
  writeOctal(h, size, 124, 12);
  writeOctal(h, 0, 136, 12);
  h.fill(0x20, 148, 156);
  h.write(type, 156, 1, 'ascii');
  h.write(linkname, 157, 100, 'utf8');
  h.write('ustar\u000000', 257, 8, 'binary');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += h[i]!;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
}

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = Buffer.byteLength(body) + 1;
  while (String(len).length + Buffer.byteLength(body) !== len) len = String(len).length + Buffer.byteLength(body);
  return `${len}${body}`;
}

const padding = (size: number) => (BLOCK - (size % BLOCK)) % BLOCK;

/**
 * An archive built in one growing buffer, entry by entry, with each file's bytes written straight into their place
 * (`fill` reads them there: no intermediate copy, no concatenation at the end). `fill` may deliver fewer bytes than
 * announced (a file that shrank while read): the header is written after it, with the count it really got.
 */
export class TarWriter {
  private buf: Buffer;
  private length = 0;

  constructor(expectedBytes = 64 * 1024) {
    this.buf = Buffer.allocUnsafe(Math.max(expectedBytes, 4 * BLOCK));
  }

  /** Bytes so far (without the end blocks). */
  get size(): number {
    return this.length;
  }

  private reserve(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const bigger = Buffer.allocUnsafe(Math.max(this.length + n, this.buf.length * 2));
    this.buf.copy(bigger, 0, 0, this.length);
    this.buf = bigger;
  }

  private meta(path: string, linkname: string): void {
    if (Buffer.byteLength(path) <= 100 && Buffer.byteLength(linkname) <= 100) return;
    const pax = Buffer.from(paxRecord('path', path) + (linkname ? paxRecord('linkpath', linkname) : ''));
    this.reserve(BLOCK + pax.length + padding(pax.length));
    writeHeader(this.buf.subarray(this.length), 'PaxHeader', 'x', pax.length, 0o644);
    pax.copy(this.buf, this.length + BLOCK);
    this.buf.fill(0, this.length + BLOCK + pax.length, this.length + BLOCK + pax.length + padding(pax.length));
    this.length += BLOCK + pax.length + padding(pax.length);
  }

  /** Adds a file of at most `size` bytes that `fill` writes into the view it gets; returns a view of the bytes. */
  addFile(path: string, mode: number, size: number, fill: (target: Buffer) => number): Buffer {
    this.meta(path, '');
    this.reserve(BLOCK + size + padding(size));
    const start = this.length + BLOCK;
    const got = size ? fill(this.buf.subarray(start, start + size)) : 0;
    if (!Number.isSafeInteger(got) || got < 0 || got > size) throw new RangeError('fill returned a bad byte count');
    writeHeader(this.buf.subarray(this.length), Buffer.byteLength(path) > 100 ? path.slice(-100) : path, '0', got, mode);
    this.buf.fill(0, start + got, start + got + padding(got));
    this.length = start + got + padding(got);
    return this.buf.subarray(start, start + got);
  }

  addSymlink(path: string, target: string, mode = 0o777): void {
    this.meta(path, target);
    this.reserve(BLOCK);
    const long = Buffer.byteLength(path) > 100 || Buffer.byteLength(target) > 100;
    writeHeader(this.buf.subarray(this.length), long ? path.slice(-100) : path, '2', 0, mode, long ? target.slice(0, 100) : target);
    this.length += BLOCK;
  }

  /** The archive with its two end blocks (a view of the writer's buffer; add nothing after this). */
  finish(): Buffer {
    this.reserve(2 * BLOCK);
    this.buf.fill(0, this.length, this.length + 2 * BLOCK);
    return this.buf.subarray(0, this.length + 2 * BLOCK);
  }
}

/**
 * The bytes one entry takes in a TarWriter's archive, exactly: a pax header for a long name or target, the entry's
 * header, its data padded to a block (a symlink: `size` 0 and its `target`). Callers size writers and batches by it.
 */
export function tarEntryBytes(path: string, size: number, target = ''): number {
  const long = Buffer.byteLength(path) > 100 || Buffer.byteLength(target) > 100;
  const pax = long ? Buffer.byteLength(paxRecord('path', path) + (target ? paxRecord('linkpath', target) : '')) : 0;
  return (long ? BLOCK + pax + padding(pax) : 0) + BLOCK + size + padding(size);
}

/** The end of every archive: two zero blocks. */
export const TAR_END_BYTES = 2 * BLOCK;

const entryBytes = (e: TarInput) => (e.target === undefined ? tarEntryBytes(e.path, e.data?.length ?? 0) : tarEntryBytes(e.path, 0, e.target));

/** One archive of files and symlinks, in order; folders are implied by the names. */
export function packTar(entries: Iterable<TarInput>): Buffer {
  const list = [...entries];
  const w = new TarWriter(list.reduce((n, e) => n + entryBytes(e), TAR_END_BYTES)); // sized once: no regrowth
  for (const e of list) {
    if (e.target !== undefined) w.addSymlink(e.path, e.target, e.mode ?? 0o777);
    else {
      const data = e.data ?? Buffer.alloc(0);
      w.addFile(e.path, e.mode ?? 0o644, data.length, (t) => (t.set(data), data.length));
    }
  }
  return w.finish();
}

function readString(buf: Buffer, offset: number, length: number): string {
  const end = buf.indexOf(0, offset);
  return buf.toString('utf8', offset, end < 0 || end > offset + length ? offset + length : end);
}

function readOctal(buf: Buffer, offset: number, length: number, what: string): number {
  if (buf[offset]! & 0x80) throw new TarFormatError(`a ${what} field uses base-256 numbers, which the sync does not take`);
  const s = buf.toString('ascii', offset, offset + length).replace(/[\0 ]+$/, '').trim();
  if (s === '') return 0;
  if (!/^[0-7]+$/.test(s)) throw new TarFormatError(`a ${what} field is not an octal number`);
  const n = parseInt(s, 8);
  if (!Number.isSafeInteger(n)) throw new TarFormatError(`a ${what} field is out of range`);
  return n;
}

function checksumOk(h: Buffer): boolean {
  const stored = readOctal(h, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === stored;
}

function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let i = 0;
  while (i < data.length) {
    const space = data.indexOf(0x20, i);
    if (space < 0 || space - i > 20) throw new TarFormatError('a pax header record is malformed');
    const len = Number(data.toString('ascii', i, space));
    if (!Number.isSafeInteger(len) || len <= space - i || i + len > data.length) throw new TarFormatError('a pax header record has a bad length');
    const record = data.toString('utf8', space + 1, i + len - 1);
    const eq = record.indexOf('=');
    if (eq > 0) out.set(record.slice(0, eq), record.slice(eq + 1));
    i += len;
  }
  return out;
}

/**
 * Reads every entry of `buf` (an uncompressed tar). `limits.maxEntries` bounds the work on a hostile
 * archive (more entries than that throws); sizes are checked against the buffer, so nothing reads past it.
 */
export function parseTar(buf: Buffer, limits: { maxEntries: number; maxMetaBytes?: number }): TarEntry[] {
  const entries: TarEntry[] = [];
  const maxMeta = limits.maxMetaBytes ?? 64 * 1024;
  let offset = 0;
  let pax: Map<string, string> | null = null;
  let longName: string | null = null;
  let longLink: string | null = null;
  let headers = 0;
  while (offset + BLOCK <= buf.length) {
    const h = buf.subarray(offset, offset + BLOCK);
    if (h.every((b) => b === 0)) return entries; // end of archive (one zero block is enough)
    if (++headers > limits.maxEntries * 3 + 3) throw new TarFormatError(`more than ${limits.maxEntries} entries`);
    if (!checksumOk(h)) throw new TarFormatError(`the header at byte ${offset} has a bad checksum (not a tar archive, or a damaged one)`);
    const type = h.toString('ascii', 156, 157).replace('\0', '0');
    const size = readOctal(h, 124, 12, 'size');
    const start = offset + BLOCK;
    if (start + size > buf.length) throw new TarFormatError(`an entry at byte ${offset} claims ${size} bytes, past the end of the archive`);
    const data = buf.subarray(start, start + size);
    offset = start + size + padding(size);
    if (type === 'x' || type === 'L' || type === 'K' || type === 'g') {
      if (size > maxMeta) throw new TarFormatError(`a metadata header of ${size} bytes is over the ${maxMeta} byte limit`);
      if (type === 'x') pax = parsePax(data);
      else if (type === 'L') longName = readString(data, 0, data.length);
      else if (type === 'K') longLink = readString(data, 0, data.length);
      continue; // 'g' (global pax) carries nothing the sync uses
    }
    const ustar = h.toString('ascii', 257, 262) === 'ustar';
    const prefix = ustar ? readString(h, 345, 155) : '';
    let name = readString(h, 0, 100);
    if (prefix) name = `${prefix}/${name}`;
    name = pax?.get('path') ?? longName ?? name;
    const linkname = pax?.get('linkpath') ?? longLink ?? readString(h, 157, 100);
    const paxSize = pax?.get('size');
    if (paxSize !== undefined && Number(paxSize) !== size) throw new TarFormatError('a pax size that differs from the header size is not supported');
    entries.push({ name, type, mode: readOctal(h, 100, 8, 'mode'), size, linkname, data });
    if (entries.length > limits.maxEntries) throw new TarFormatError(`more than ${limits.maxEntries} entries`);
    pax = longName = longLink = null;
  }
  if (offset < buf.length) throw new TarFormatError('the archive ends in the middle of a header');
  return entries;
}
