// The one response builder. Handlers add text, images and structured data; the builder applies the caps
// (head + tail text, a hard ceiling on the whole result) and shapes the MCP result.
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { capText, sanitizeOutput } from '@suna/shared';
import { mimeTypeOf, resourceUri } from './resource-uri.js';

/** Claude Desktop rejects results over 1 MB; stay well below, images included. */
const MAX_RESULT_BYTES = 900 * 1024;

type Block = CallToolResult['content'][number];

export class ToolResponse {
  private readonly blocks: Block[] = [];
  private structured: Record<string, unknown> | undefined;
  private notices: string[] = [];
  private failed = false;

  constructor(private readonly maxChars: number) {}

  /** Add text, sanitised and capped at the configured size (or `max`). `savedTo` names where the whole text is. */
  text(text: string, opts: { max?: number; savedTo?: string; totalHint?: number; raw?: boolean } = {}): this {
    const clean = opts.raw ? text : sanitizeOutput(text);
    this.blocks.push({ type: 'text', text: capText(clean, opts.max ?? this.maxChars, opts).text });
    return this;
  }

  image(base64: string, mimeType: string): this {
    this.blocks.push({ type: 'image', data: base64, mimeType });
    return this;
  }

  /** A link to a workspace file this call produced, readable by the client as a resource (resources/read). */
  resourceLink(workspacePath: string, opts: { mimeType?: string; description?: string } = {}): this {
    this.blocks.push({ type: 'resource_link', uri: resourceUri(workspacePath), name: workspacePath, mimeType: opts.mimeType ?? mimeTypeOf(workspacePath), ...(opts.description ? { description: opts.description } : {}) });
    return this;
  }

  structuredContent(data: Record<string, unknown>): this {
    this.structured = data;
    return this;
  }

  /** Facts the model must know about, shown first (e.g. "the sandbox was recreated"). */
  notice(message: string): this {
    this.notices.push(message);
    return this;
  }

  /** The result reports a failure (isError) while still carrying its text and structured data. */
  markFailed(): this {
    this.failed = true;
    return this;
  }

  get isEmpty(): boolean {
    return this.blocks.length === 0;
  }

  build(): CallToolResult {
    const content: Block[] = [];
    if (this.notices.length) content.push({ type: 'text', text: this.notices.map((n) => `Note: ${n}`).join('\n') });
    content.push(...this.blocks);
    if (!content.some((b) => b.type === 'text')) content.unshift({ type: 'text', text: 'done' });
    let size = 0;
    const kept: Block[] = [];
    for (const b of content) {
      const bytes = b.type === 'text' ? Buffer.byteLength(b.text) : b.type === 'image' ? b.data.length : JSON.stringify(b).length;
      if (size + bytes > MAX_RESULT_BYTES) {
        kept.push({ type: 'text', text: `[… further content omitted: the result would exceed ${MAX_RESULT_BYTES / 1024} KB …]` });
        break;
      }
      size += bytes;
      kept.push(b);
    }
    const result: CallToolResult = { content: kept };
    if (this.structured) result.structuredContent = this.structured;
    if (this.failed) result.isError = true;
    return result;
  }
}

/** A failed call: one text block that tells the model what went wrong and what to do. */
export function errorResult(message: string, notices: string[] = []): CallToolResult {
  const text = [...notices.map((n) => `Note: ${n}`), message].join('\n');
  return { content: [{ type: 'text', text }], isError: true };
}
