// image_view: an image from the workspace as MCP image content, decoded and downscaled by the sandbox's
// Chromium (which also renders SVG), so no image library is needed on the host.
import { displayPath, resolveWorkspacePath } from '@suna/sandbox';
import { z } from 'zod';
import { defineTool, ToolError } from '../tool.js';

const MAX_SIDE = 1568;
const MAX_INPUT_BYTES = 30 * 1024 * 1024;

/** The image type from its first bytes (extensions lie); SVG is recognised as XML text with an <svg> root. */
export function sniffImageType(buf: Buffer): string | null {
  if (buf.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))) return 'image/png';
  if (buf[0] === 0xff && buf[1] === 0xd8 && buf[2] === 0xff) return 'image/jpeg';
  if (buf.subarray(0, 6).toString('latin1') === 'GIF87a' || buf.subarray(0, 6).toString('latin1') === 'GIF89a') return 'image/gif';
  if (buf.subarray(0, 4).toString('latin1') === 'RIFF' && buf.subarray(8, 12).toString('latin1') === 'WEBP') return 'image/webp';
  if (/^\s*(<\?xml[^>]*>\s*)?(<!--[\s\S]*?-->\s*)*(<!DOCTYPE svg[^>]*>\s*)?<svg[\s>]/i.test(buf.subarray(0, 4096).toString('utf8'))) return 'image/svg+xml';
  return null;
}

export const imageView = defineTool({
  name: 'image_view',
  title: 'View an image',
  kind: 'read',
  description: `View an image file (png, jpeg, gif, webp, svg), scaled to at most ${MAX_SIDE} px on the long side.`,
  input: z.object({ path: z.string().max(4096) }),
  async handle({ path }, ctx) {
    const abs = resolveWorkspacePath(path, { allowRoot: false });
    const { data: bytes, size, truncated } = await ctx.fs.read(abs, { maxBytes: MAX_INPUT_BYTES });
    if (truncated) throw new ToolError(`${displayPath(abs)} is ${size.toLocaleString('en-US')} bytes; image_view reads images up to ${MAX_INPUT_BYTES / 1024 / 1024} MB`);
    const type = sniffImageType(bytes);
    if (!type) throw new ToolError(`${displayPath(abs)} is not a png, jpeg, gif, webp or svg image (shell_exec "file ${displayPath(abs)}" tells what it is)`);
    let img;
    try {
      img = await ctx.runtime.browser.renderImage(bytes, type, MAX_SIDE);
    } catch (err) {
      throw new ToolError(`${displayPath(abs)} could not be decoded as ${type}: ${(err as Error).message.split('\n')[0]}`);
    }
    const scaled = img.width !== img.originalWidth ? `, shown at ${img.width}×${img.height}` : '';
    ctx.reply.text(`${displayPath(abs)}: ${type}, ${img.originalWidth}×${img.originalHeight}${scaled}, ${bytes.length.toLocaleString('en-US')} bytes`);
    ctx.reply.image(img.data.toString('base64'), img.mimeType);
  },
});

export const visionTools = [imageView];
