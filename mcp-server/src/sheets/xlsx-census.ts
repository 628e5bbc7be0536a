// Why: an .xlsx made in the sandbox is hostile input, and exceljs allocates whatever it declares (one merged range
// A1:XFD1024 is 16 M cell objects from a 6 KB file). Before exceljs sees the bytes, this module walks the zip,
// inflates every entry as a stream counting the bytes it really produces (never trusting declared sizes), and
// reads the worksheet tags that decide how many cells a load creates: <c>, <row>, <dimension>, <mergeCell>, <col>,
// <dataValidation sqref>, <definedName> (in workbook.xml).
// Linear time, memory bounded by one 256 KB piece; it stops at the first limit crossed.
import { Readable } from 'node:stream';
import { createInflateRaw } from 'node:zlib';
import { SheetError } from './errors.js';
import { areaText, columnNumber, type Area } from './refs.js';

export interface CensusLimits { maxUnzippedBytes: number; maxCells: number }

/** What one zip part declares. `cells` is what loading it would allocate at least. */
export interface PartCensus { part: string; cells: number; why: string }

interface ZipEntry { name: string; method: number; compressedSize: number; dataOffset: number }

const OUTPUT_PIECE = 256 * 1024;
const MAX_TAG_CHARS = 1024 * 1024;

/** The bytes are not a workbook exceljs could read either: a damaged zip or damaged worksheet XML. */
export class CorruptWorkbookError extends SheetError {}
const notXlsx = (why: string) => new CorruptWorkbookError(why);

/** The entries of the zip's central directory, with where each one's data starts. */
export function zipEntries(zip: Uint8Array): ZipEntry[] {
  const buf = Buffer.from(zip.buffer, zip.byteOffset, zip.byteLength);
  const end = buf.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
  if (end < 0 || end + 22 > buf.length) throw notXlsx('its zip directory is missing or cut short');
  const entries: ZipEntry[] = [];
  let p = buf.readUInt32LE(end + 16);
  for (let n = buf.readUInt16LE(end + 10); n > 0; n--) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw notXlsx('its zip directory is damaged');
    const compressedSize = buf.readUInt32LE(p + 20);
    const local = buf.readUInt32LE(p + 42);
    if (compressedSize === 0xffffffff || buf.readUInt32LE(p + 24) === 0xffffffff || local === 0xffffffff) throw new SheetError('it is a zip64 archive (over 4 GB unpacked), far over what the sheet tools load');
    const nameLength = buf.readUInt16LE(p + 28);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLength);
    if (local + 30 > buf.length || buf.readUInt32LE(local) !== 0x04034b50) throw notXlsx(`its zip entry ${JSON.stringify(name.slice(0, 100))} is damaged`);
    const dataOffset = local + 30 + buf.readUInt16LE(local + 26) + buf.readUInt16LE(local + 28);
    if (dataOffset + compressedSize > buf.length) throw notXlsx(`its zip entry ${JSON.stringify(name.slice(0, 100))} is cut short`);
    entries.push({ name, method: buf.readUInt16LE(p + 10), compressedSize, dataOffset });
    p += 46 + nameLength + buf.readUInt16LE(p + 30) + buf.readUInt16LE(p + 32);
  }
  return entries;
}

/** Letters, digits, "_", "-", "." and ":" (a namespace prefix ends at the last ":"). */
const isNameChar = (ch: number): boolean => (ch >= 97 && ch <= 122) || (ch >= 65 && ch <= 90) || (ch >= 48 && ch <= 58) || ch === 95 || ch === 45 || ch === 46;
const ATTRIBUTE = /\s*([A-Za-z_][\w.:-]*)\s*=\s*("[^"]*"|'[^']*')/y;
const TAG_END = /\s*\/?>/y;
/** What may follow the last whole attribute of a tag the text cuts off. */
const TAG_REST = /^\s*(?:[A-Za-z_][\w.:-]*(?:\s*=\s*(?:"[^"]*|'[^']*)?)?)?\s*\/?$/;
const COUNTED_TAGS = new Set(['c', 'row', 'dimension', 'mergeCell', 'col', 'dataValidation', 'definedName']);
const CELL_REF = /^\$?([A-Za-z]{1,3})?\$?(\d{1,7})?$/;

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };
/** An attribute value as an XML parser sees it (character references decoded), so "&#65;1" cannot hide "A1". */
function attributeValue(quoted: string): string {
  if (!quoted.includes('&')) return quoted.slice(1, -1);
  return quoted.slice(1, -1).replace(/&(#x[0-9a-f]+|#\d+|\w+);/gi, (m, e: string) =>
    e[0] === '#' ? String.fromCodePoint(Math.min(Number(e[1].toLowerCase() === 'x' ? `0${e.slice(1)}` : e.slice(1)), 0x10ffff)) : (ENTITIES[e] ?? m),
  );
}

/** "A1:XFD1024" or "B7" → an area; undefined when it is not an A1 reference. */
function refArea(ref: string): Area | undefined {
  const ends = ref.trim().split(':').map((end) => CELL_REF.exec(end));
  if (ends.length > 2 || ends.some((m) => !m || !m[1] || !m[2])) return undefined;
  const [a, b] = [ends[0]!, ends[1] ?? ends[0]!].map((m) => ({ col: columnNumber(m[1]), row: Number(m[2]) }));
  return { top: Math.min(a.row, b.row), left: Math.min(a.col, b.col), bottom: Math.max(a.row, b.row), right: Math.max(a.col, b.col) };
}

/** Cells exceljs enumerates for a defined name: every cell of an A1:B2 range, every row of a 1:3 range. */
function namedCells(text: string): number {
  let n = 0;
  for (const m of text.matchAll(/\$?([A-Za-z]{1,3})\$?(\d+)\s*:\s*\$?([A-Za-z]{1,3})\$?(\d+)/g))
    n += (Math.abs(Number(m[4]) - Number(m[2])) + 1) * (Math.abs(columnNumber(m[3]) - columnNumber(m[1])) + 1);
  for (const m of text.matchAll(/(?<![A-Za-z\d$])\$?(\d+)\s*:\s*\$?(\d+)(?!\d)/g)) n += Math.abs(Number(m[2]) - Number(m[1])) + 1;
  return n;
}

const cellsOf = (a: Area): number => (a.bottom - a.top + 1) * (a.right - a.left + 1);

/** Counts the cell-making tags of one worksheet part, fed as text in pieces of any size. */
class PartScanner {
  private carry = '';
  private cells = 0;
  private row = 0;
  private col = 0;
  private maxRow = 0;
  private maxCol = 0;
  private dimension?: Area;
  private merged = 0;
  private largestMerge?: Area;
  /** exceljs makes one column object per column up to the highest <col max>. */
  private columns = 0;
  /** exceljs keeps one entry per cell a data validation covers, and per cell of a defined name's range. */
  private validated = 0;
  private named = 0;

  constructor(private readonly part: string) {}

  push(text: string, final: boolean): void {
    const s = this.carry + text;
    this.carry = '';
    for (let pos = s.indexOf('<'); pos >= 0; pos = s.indexOf('<', pos + 1)) {
      const next = this.tag(s, pos);
      if (next === undefined) {
        if (final) return; // an unfinished tag at the very end: the XML parser refuses the part anyway
        this.carry = s.slice(pos);
        if (this.carry.length > MAX_TAG_CHARS) throw new CorruptWorkbookError(`${this.part} holds an XML tag over ${MAX_TAG_CHARS / 1024 / 1024} MB long`);
        return;
      }
      pos = next - 1;
    }
  }

  /** Reads the tag at `pos`; returns where it ends, or undefined when the text ends inside it. */
  private tag(s: string, pos: number): number | undefined {
    const first = s.charCodeAt(pos + 1);
    if (first === 47 || first === 33 || first === 63) return pos + 1; // an end tag, "<!--", "<?xml": no cells
    let end = pos + 1;
    let local = end;
    for (let ch = first; isNameChar(ch); ch = s.charCodeAt(++end)) if (ch === 58) local = end + 1;
    if (end === s.length) return undefined; // the name itself may go on in the next piece
    const name = s.slice(local, end);
    // Other tags make no cells; their attribute values cannot hold "<", so scanning goes on from here.
    if (!COUNTED_TAGS.has(name)) return end;
    let at = end;
    const attrs: Record<string, string> = {};
    for (let m; (ATTRIBUTE.lastIndex = at), (m = ATTRIBUTE.exec(s)); at = ATTRIBUTE.lastIndex) attrs[m[1].includes(':') ? m[1].replace(/^.*:/, '') : m[1]] = attributeValue(m[2]);
    TAG_END.lastIndex = at;
    if (!TAG_END.exec(s)) return TAG_REST.test(s.slice(at)) ? undefined : at; // cut by the text's end, or malformed (the parser refuses it)
    this.open(name, attrs);
    if (name !== 'definedName') return TAG_END.lastIndex;
    // A defined name's ranges are its text: <definedName name="x">Sheet1!$A$1:$B$9,Sheet1!$1:$3</definedName>.
    const close = s.indexOf('<', TAG_END.lastIndex);
    if (close < 0) return undefined;
    this.named += namedCells(attributeValue(`"${s.slice(TAG_END.lastIndex, close)}"`));
    return close;
  }

  private open(tag: string, attrs: Record<string, string>): void {
    if (tag === 'row') {
      const r = Number(attrs.r);
      this.row = Number.isInteger(r) && r > 0 ? r : this.row + 1;
      this.col = 0;
      this.maxRow = Math.max(this.maxRow, this.row);
    } else if (tag === 'c') {
      this.cells++;
      const m = attrs.r === undefined ? undefined : CELL_REF.exec(attrs.r.trim());
      this.col = m?.[1] ? columnNumber(m[1]) : this.col + 1;
      this.maxCol = Math.max(this.maxCol, this.col);
      this.maxRow = Math.max(this.maxRow, m?.[2] ? Number(m[2]) : this.row, 1);
    } else if (tag === 'col') {
      const max = Number(attrs.max);
      if (Number.isFinite(max)) this.columns = Math.max(this.columns, max);
    } else if (tag === 'dataValidation' && attrs.sqref !== undefined) {
      for (const ref of attrs.sqref.trim().split(/\s+/)) {
        const area = refArea(ref);
        if (!area) throw new CorruptWorkbookError(`${this.part} validates cells over an unreadable range ${JSON.stringify(ref.slice(0, 40))}`);
        this.validated += cellsOf(area);
      }
    } else if (tag === 'dimension' && attrs.ref !== undefined) {
      this.dimension = refArea(attrs.ref);
    } else if (tag === 'mergeCell' && attrs.ref !== undefined) {
      const area = refArea(attrs.ref);
      if (!area) throw new CorruptWorkbookError(`${this.part} merges cells over an unreadable range ${JSON.stringify(attrs.ref.slice(0, 40))}`);
      this.merged += cellsOf(area);
      if (!this.largestMerge || cellsOf(area) > cellsOf(this.largestMerge)) this.largestMerge = area;
    }
  }

  census(): PartCensus {
    const used = this.maxRow * this.maxCol;
    const declared = this.dimension ? cellsOf(this.dimension) : 0;
    const base = Math.max(this.cells, used, declared);
    const why = [
      base === declared && this.dimension ? `a used range of ${areaText(this.dimension)}` : base === used && used > this.cells ? `cells as far as ${areaText({ top: 1, left: 1, bottom: this.maxRow, right: this.maxCol })}` : `${this.cells.toLocaleString('en-US')} cell elements`,
      this.largestMerge ? `merged cells up to ${areaText(this.largestMerge)}` : '',
      this.columns > 16_384 ? `column definitions up to column ${this.columns.toLocaleString('en-US')}` : '',
      this.validated ? `data validation over ${this.validated.toLocaleString('en-US')} cells` : '',
      this.named ? `defined names over ${this.named.toLocaleString('en-US')} cells` : '',
    ].filter(Boolean);
    return { part: this.part, cells: base + this.merged + this.columns + this.validated + this.named, why: why.join(' and ') };
  }
}

/** The entry's bytes as they unpack, in pieces of at most 256 KB (native zlib, so memory stays one piece). */
async function* unpacked(entry: ZipEntry, zip: Uint8Array): AsyncGenerator<Uint8Array> {
  const data = zip.subarray(entry.dataOffset, entry.dataOffset + entry.compressedSize);
  if (entry.method === 0) {
    for (let p = 0; p < data.length; p += OUTPUT_PIECE) yield data.subarray(p, p + OUTPUT_PIECE);
    return;
  }
  const inflate = createInflateRaw({ chunkSize: OUTPUT_PIECE });
  try {
    yield* Readable.from([data]).pipe(inflate);
  } catch (err) {
    if (err instanceof SheetError) throw err;
    throw notXlsx(`its zip entry ${JSON.stringify(entry.name.slice(0, 100))} does not inflate`);
  } finally {
    inflate.destroy();
  }
}

/**
 * Inflates every entry of the workbook, refusing it as soon as the bytes it really unpacks or the cells its
 * worksheets declare cross a limit. Returns the census of each part that declares cells.
 */
export async function censusXlsx(zip: Uint8Array, limits: CensusLimits): Promise<PartCensus[]> {
  let unzipped = 0;
  let cells = 0;
  const parts: PartCensus[] = [];
  for (const entry of zipEntries(zip)) {
    if (entry.method !== 0 && entry.method !== 8) throw notXlsx(`its zip entry ${JSON.stringify(entry.name.slice(0, 100))} uses compression method ${entry.method}`);
    const scanner = new PartScanner(entry.name);
    const latin1 = new TextDecoder('latin1');
    for await (const piece of unpacked(entry, zip)) {
      unzipped += piece.length;
      if (unzipped > limits.maxUnzippedBytes) throw new SheetError(`it unpacks to over ${Math.round(limits.maxUnzippedBytes / 1024 / 1024)} MB, the most the sheet tools load`);
      scanner.push(latin1.decode(piece), false);
    }
    scanner.push('', true);
    const part = scanner.census();
    if (!part.cells) continue;
    parts.push(part);
    cells += part.cells;
    if (cells > limits.maxCells) break;
  }
  return parts;
}
