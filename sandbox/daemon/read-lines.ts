// A page of a text file by lines, chosen in the sandbox (issue 22): the file is read once, in chunks, inside
// the sandbox; only the requested lines (each cut at a maximum, the page at a byte budget) travel to the host,
// with the total line count so the model can page on. A file with a NUL in its first 8 KiB is binary: no lines.
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import { DaemonError } from './errors.js';
import { DaemonErrorCodes as E, type DaemonOps } from './protocol.js';

const CHUNK = 1024 * 1024;
const BINARY_PROBE = 8192;

export interface PageRequest {
  fromLine: number; // 1-based
  maxLines: number;
  maxLineBytes: number;
  maxBytes: number;
}

/** Feeds on a file's bytes in order; keeps only the requested lines. */
export class LinePager {
  private line = 1;
  private lineBytes = 0; // of the current line, kept so far
  private lineCut = false;
  private current: Buffer[] = [];
  private readonly picked: Buffer[] = [];
  private pickedBytes = 0;
  private full = false;
  private newlines = 0;
  private last = -1;
  private seen = 0;
  cutLines = 0;
  binary = false;

  constructor(private readonly req: PageRequest) {}

  private get selecting(): boolean {
    return !this.full && this.line >= this.req.fromLine && this.line < this.req.fromLine + this.req.maxLines;
  }

  /** The next bytes of the file, in order. */
  push(chunk: Buffer): void {
    if (this.seen < BINARY_PROBE && chunk.subarray(0, BINARY_PROBE - this.seen).includes(0)) this.binary = true;
    this.seen += chunk.length;
    if (chunk.length) this.last = chunk[chunk.length - 1]!;
    let pos = 0;
    while (pos < chunk.length) {
      const nl = chunk.indexOf(0x0a, pos);
      const end = nl < 0 ? chunk.length : nl;
      if (this.selecting) this.take(chunk.subarray(pos, end));
      if (nl < 0) break;
      this.endLine();
      pos = nl + 1;
    }
  }

  private take(piece: Buffer): void {
    const room = this.req.maxLineBytes - this.lineBytes;
    if (piece.length > room && !this.lineCut) (this.lineCut = true), this.cutLines++;
    const part = piece.subarray(0, Math.max(0, room));
    if (part.length) (this.current.push(part), (this.lineBytes += part.length));
  }

  private endLine(): void {
    this.newlines++;
    if (this.selecting) this.keep();
    this.line++;
    this.lineBytes = 0;
    this.lineCut = false;
    this.current = [];
  }

  private keep(): void {
    const bytes = this.lineBytes + (this.picked.length ? 1 : 0);
    if (this.pickedBytes + bytes > this.req.maxBytes) {
      this.full = true;
      if (this.lineCut) this.cutLines--;
      return;
    }
    this.picked.push(Buffer.concat(this.current));
    this.pickedBytes += bytes;
  }

  result(size: number): DaemonOps['readLines'][1] {
    // A last line without a newline still counts (and may be on the page).
    if (this.seen > 0 && this.last !== 0x0a) {
      if (this.selecting) this.keep();
      this.newlines++;
      this.line++;
    }
    const totalLines = this.newlines;
    if (this.binary) return { data: '', fromLine: this.req.fromLine, lines: 0, cutLines: 0, totalLines, size, binary: true };
    const data = Buffer.from(this.picked.map((b) => b.toString('latin1')).join('\n'), 'latin1');
    return { data: data.toString('base64'), fromLine: this.req.fromLine, lines: this.picked.length, cutLines: this.cutLines, totalLines, size, binary: false };
  }
}

/** Reads `file` (already confined) once; never returns more than `maxBytes` of it. */
export async function readLines(file: string, req: PageRequest): Promise<DaemonOps['readLines'][1]> {
  for (const [k, v] of Object.entries(req)) if (!Number.isSafeInteger(v) || v < (k === 'fromLine' ? 1 : 0)) throw new DaemonError(E.badRequest, `${k} must be a whole number`);
  const fh = await fsp.open(file, fs.constants.O_RDONLY | fs.constants.O_NOFOLLOW);
  try {
    const st = await fh.stat();
    if (st.isDirectory()) throw new DaemonError(E.isDir, 'is a directory');
    const pager = new LinePager(req);
    const buf = Buffer.alloc(CHUNK);
    for (let at = 0; ; ) {
      const { bytesRead } = await fh.read(buf, 0, CHUNK, at);
      if (!bytesRead) break;
      pager.push(buf.subarray(0, bytesRead));
      at += bytesRead;
      if (pager.binary) break;
    }
    return pager.result(st.size);
  } finally {
    await fh.close();
  }
}
