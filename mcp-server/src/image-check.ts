// Images made in the sandbox (code_run figures, Chromium's renderings) are checked before they reach a model: a
// signature and a header are not enough, since a truncated or corrupt image that a client cannot decode can make the
// model API refuse the whole conversation. PNG: every chunk's length and CRC, the chunk order (IHDR first, IDAT,
// IEND last and nothing after it) and the inflated pixel data's exact size, the inflate bounded by the size the header
// promises. JPEG: the marker segments up to the scan, a frame header with the claimed size, and the end marker.
// checkedRendering applies them to what the sandbox's Chromium answers for a rendering (the browser session).
import { crc32, inflateSync } from 'node:zlib';
import { ToolError } from './errors.js';

const PNG_MAGIC = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
/** Decoded pixel bytes we are willing to inflate to check one image (a 4096×4096 RGBA figure is 64 MiB). */
const MAX_RAW_BYTES = 128 * 1024 * 1024;
const MAX_CHUNKS = 100_000;
/** Samples per pixel for each PNG colour type (greyscale, RGB, palette, grey + alpha, RGBA). */
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };
/** Adam7's passes: first column and row, column and row steps. */
const ADAM7 = [
  [0, 0, 8, 8], [4, 0, 8, 8], [0, 4, 4, 8], [2, 0, 4, 4], [0, 2, 2, 4], [1, 0, 2, 2], [0, 1, 1, 2],
] as const;

export interface PngHeader {
  width: number;
  height: number;
}

/** Bytes of filtered scanlines the IDAT stream must inflate to, or null for a header no decoder accepts. */
function rawSize(width: number, height: number, depth: number, colorType: number, interlace: number): number | null {
  const channels = CHANNELS[colorType];
  if (!channels || !DEPTHS[colorType]!.includes(depth) || interlace > 1) return null;
  const line = (w: number) => (w === 0 ? 0 : 1 + Math.ceil((w * channels * depth) / 8));
  if (!interlace) return line(width) * height;
  let total = 0;
  for (const [x0, y0, dx, dy] of ADAM7) {
    const w = Math.ceil(Math.max(0, width - x0) / dx);
    const h = Math.ceil(Math.max(0, height - y0) / dy);
    if (w && h) total += line(w) * h;
  }
  return total;
}

/** The image's size when `bytes` is one complete, well-formed PNG; null for anything else. */
export function verifyPng(bytes: Buffer): PngHeader | null {
  if (bytes.length < 57 || !bytes.subarray(0, 8).equals(PNG_MAGIC)) return null;
  let header: (PngHeader & { raw: number }) | null = null;
  const idat: Buffer[] = [];
  let pos = 8;
  for (let n = 0; n < MAX_CHUNKS && pos + 12 <= bytes.length; n++) {
    const length = bytes.readUInt32BE(pos);
    const end = pos + 12 + length;
    if (length > 0x7fffffff || end > bytes.length) return null;
    const type = bytes.toString('latin1', pos + 4, pos + 8);
    if (crc32(bytes.subarray(pos + 4, pos + 8 + length)) !== bytes.readUInt32BE(pos + 8 + length)) return null;
    const data = bytes.subarray(pos + 8, pos + 8 + length);
    if ((n === 0) !== (type === 'IHDR')) return null;
    if (type === 'IHDR') {
      if (length !== 13 || data[10] !== 0 || data[11] !== 0) return null; // compression and filter method 0 only
      const width = data.readUInt32BE(0);
      const height = data.readUInt32BE(4);
      if (width < 1 || height < 1 || width > 0x7fffffff || height > 0x7fffffff) return null;
      const raw = rawSize(width, height, data[8]!, data[9]!, data[12]!);
      if (raw === null || raw > MAX_RAW_BYTES) return null;
      header = { width, height, raw };
    } else if (type === 'IDAT') idat.push(data);
    else if (type === 'IEND') {
      if (end !== bytes.length || !header || !idat.length) return null;
      try {
        // One byte over the promise is enough to tell "too much" from "exact" without inflating a bomb.
        const pixels = inflateSync(Buffer.concat(idat), { maxOutputLength: header.raw + 1 });
        return pixels.length === header.raw ? { width: header.width, height: header.height } : null;
      } catch {
        return null; // corrupt or truncated stream, or more than the header allows
      }
    }
    pos = end;
  }
  return null; // no IEND: truncated
}

/** Start-of-frame markers (baseline, extended, progressive, lossless; Huffman and arithmetic), not DHT/JPG/DAC. */
const SOF = new Set([0xc0, 0xc1, 0xc2, 0xc3, 0xc5, 0xc6, 0xc7, 0xc9, 0xca, 0xcb, 0xcd, 0xce, 0xcf]);

/** The image's size when `bytes` is a structurally whole JPEG (segments, frame header, scan, end marker); else null. */
export function verifyJpeg(bytes: Buffer): PngHeader | null {
  if (bytes.length < 4 || bytes[0] !== 0xff || bytes[1] !== 0xd8 || bytes.readUInt16BE(bytes.length - 2) !== 0xffd9) return null;
  let size: PngHeader | null = null;
  let pos = 2;
  for (let n = 0; n < MAX_CHUNKS && pos + 4 <= bytes.length; n++) {
    if (bytes[pos] !== 0xff) return null;
    const marker = bytes[pos + 1]!;
    if (marker === 0xff) {
      pos++; // fill byte
      continue;
    }
    const length = bytes.readUInt16BE(pos + 2);
    if (length < 2 || pos + 2 + length > bytes.length) return null;
    if (SOF.has(marker)) {
      if (length < 8) return null;
      size = { height: bytes.readUInt16BE(pos + 5), width: bytes.readUInt16BE(pos + 7) };
      if (!size.width || !size.height) return null;
    }
    if (marker === 0xda) return size && pos + 2 + length < bytes.length - 2 ? size : null; // the scan: entropy data to the end marker
    pos += 2 + length;
  }
  return null;
}

/** Longest data URL a rendering may come back as (a 1568 px JPEG is well under 2 MB of base64). */
const MAX_RENDERING_CHARS = 8 * 1024 * 1024;
const side = (v: unknown, max: number): number | null => (Number.isSafeInteger(v) && (v as number) >= 1 && (v as number) <= max ? (v as number) : null);

/** An image Chromium rendered, checked whole. */
export interface Rendering {
  data: Buffer;
  mimeType: string;
  width: number;
  height: number;
  originalWidth: number;
  originalHeight: number;
}

/**
 * What Chromium answered for renderImage, checked on the host: Chromium runs in the sandbox (the agent can replace
 * it), so the image must be a whole PNG or JPEG of the size it claims, within `maxSide`, before a model sees it.
 */
export function checkedRendering(r: { out: unknown; width: unknown; height: unknown; w0: unknown; h0: unknown }, maxSide: number): Rendering {
  const m = typeof r.out === 'string' && r.out.length <= MAX_RENDERING_CHARS ? /^data:image\/(png|jpeg);base64,([A-Za-z0-9+/]*={0,2})$/.exec(r.out) : null;
  const [width, height] = [side(r.width, maxSide), side(r.height, maxSide)];
  const [originalWidth, originalHeight] = [side(r.w0, 1_000_000), side(r.h0, 1_000_000)];
  const data = m ? Buffer.from(m[2]!, 'base64') : Buffer.alloc(0);
  const size = m?.[1] === 'png' ? verifyPng(data) : m ? verifyJpeg(data) : null;
  if (!size || size.width !== width || size.height !== height || !originalWidth || !originalHeight)
    throw new ToolError('the sandbox\'s Chromium returned an image that is not a whole PNG or JPEG of the size it claimed; nothing was shown');
  return { data, mimeType: `image/${m![1]}`, width, height, originalWidth, originalHeight };
}
