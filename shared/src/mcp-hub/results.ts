// An external server's tool result, as the agent loop sees it: the same output discipline as our own tools
// (control sequences stripped, secrets redacted, text capped head + tail) and a cap on images.
import type { ToolImage, ToolResult } from '../agent/types.js';
import { capText, DEFAULT_MAX_OUTPUT_CHARS, sanitizeOutput } from '../output.js';
import { redactSecrets } from '../redact.js';

export interface ResultLimits {
  /** Cap on the text of one result (the server's --max-output-chars). */
  maxOutputChars: number;
  /** Images kept per result; the rest are replaced by a line saying so. */
  maxImages: number;
  /** Largest image kept, in bytes of base64. */
  maxImageBytes: number;
}

export const DEFAULT_RESULT_LIMITS: ResultLimits = {
  maxOutputChars: DEFAULT_MAX_OUTPUT_CHARS,
  maxImages: 4,
  maxImageBytes: 1024 * 1024,
};

/** Image types every provider accepts. */
const IMAGE_TYPES = new Set(['image/png', 'image/jpeg', 'image/gif', 'image/webp']);

/** The parts of an MCP CallToolResult we read; anything else in it is ignored. */
export interface McpCallResult {
  content?: Array<{ type: string; [key: string]: unknown }>;
  structuredContent?: unknown;
  isError?: boolean;
  /** Servers on the 2024-10-07 protocol answer `{ toolResult }` instead. */
  toolResult?: unknown;
}

function kb(n: number): string {
  return `${Math.round(n / 1024)} KB`;
}

export function toToolResult(result: McpCallResult, limits: ResultLimits = DEFAULT_RESULT_LIMITS): ToolResult {
  const texts: string[] = [];
  const images: ToolImage[] = [];
  for (const block of result.content ?? []) {
    switch (block.type) {
      case 'text':
        texts.push(String(block.text ?? ''));
        break;
      case 'image': {
        const data = String(block.data ?? '');
        const mimeType = String(block.mimeType ?? '');
        if (!IMAGE_TYPES.has(mimeType)) texts.push(`[image omitted: ${mimeType || 'unknown type'} is not a supported image type]`);
        else if (data.length > limits.maxImageBytes) texts.push(`[image omitted: ${kb(data.length)} is over the ${kb(limits.maxImageBytes)} limit]`);
        else if (images.length >= limits.maxImages) texts.push(`[image omitted: only ${limits.maxImages} images are kept per result]`);
        else images.push({ data, mimeType });
        break;
      }
      case 'audio':
        texts.push(`[audio omitted (${String(block.mimeType ?? 'unknown type')})]`);
        break;
      case 'resource_link':
        texts.push(`[resource: ${String(block.name ?? '')} ${String(block.uri ?? '')}]`.replace(/\s+\]$/, ']'));
        break;
      case 'resource': {
        const r = (block.resource ?? {}) as { uri?: string; text?: string; mimeType?: string };
        texts.push(typeof r.text === 'string' ? `[resource ${r.uri ?? ''}]\n${r.text}` : `[binary resource omitted: ${r.uri ?? ''} (${r.mimeType ?? 'unknown type'})]`);
        break;
      }
      default:
        texts.push(`[${block.type} content omitted]`);
    }
  }
  if (texts.length === 0 && images.length === 0) {
    if (result.structuredContent !== undefined) texts.push(JSON.stringify(result.structuredContent, null, 2));
    else if (result.toolResult !== undefined) texts.push(typeof result.toolResult === 'string' ? result.toolResult : JSON.stringify(result.toolResult, null, 2));
  }
  // Redact before capping: a cut could split a secret so that the redactor no longer sees it whole.
  const text = capText(redactSecrets(sanitizeOutput(texts.join('\n'))), limits.maxOutputChars).text;
  return { text, ...(images.length ? { images } : {}), ...(result.isError ? { isError: true } : {}) };
}
