// The stdio reader no client can wedge. The SDK's stdio transport closes itself for good when one line
// passes its buffer limit, and drops unparseable lines without a word; this guard splits lines itself, keeps
// at most `maxLineBytes` of a line, discards the rest of an oversized one until its newline, and answers every
// line it refuses with a JSON-RPC error; an oversized request's answer carries its id (read from the ends of
// the line) so the client's call ends at once instead of timing out.
import { PassThrough } from 'node:stream';
import { JSONRPCMessageSchema, type JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

/** Bytes kept from each end of a discarded line: enough to find its `"id"`. */
const ID_WINDOW = 256;

export interface GuardOptions {
  maxLineBytes: number;
  /** What the client should do instead of sending a line this big (appended to the error). */
  oversizeAdvice: string;
  /** Takes each valid message as parsed here (GuardedStdioTransport), instead of forwarding its line to be parsed again. */
  deliver?: (message: JSONRPCMessage) => void;
}

/**
 * The id of a JSON-RPC request whose line is too big to parse: SDK clients put `"id"`
 * last (`…,"jsonrpc":"2.0","id":7}`), others first (`{"jsonrpc":"2.0","id":7,…`). Only a top-level id is
 * taken: at the end it must be followed by exactly one closing brace, at the start it must follow the
 * opening brace (and an optional jsonrpc member). Inside a JSON string a quote is escaped, so text in a
 * value cannot pose as a member.
 */
export function requestIdOf(head: string, tail: string): string | number | null {
  const idValue = String.raw`("(?:[^"\\]|\\.){0,200}"|-?\d{1,16})`;
  const atEnd = new RegExp(String.raw`[,{]\s*"id"\s*:\s*${idValue}\s*\}\s*$`).exec(tail);
  const atStart = new RegExp(String.raw`^\s*\{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${idValue}\s*[,}]`).exec(head);
  const raw = atEnd?.[1] ?? atStart?.[1];
  if (raw === undefined) return null;
  try {
    const id: unknown = JSON.parse(raw);
    return typeof id === 'string' || typeof id === 'number' ? id : null;
  } catch {
    return null;
  }
}

/**
 * stdin → a stream of valid JSON-RPC lines for the SDK's stdio transport. Refused lines are answered on
 * `output`: over the size limit → -32600 with the limit and `oversizeAdvice`; unparseable → -32700; valid JSON
 * but not JSON-RPC → -32600 (JSON-RPC 2.0 §4.2, §5.1). Blank lines are skipped.
 */
export function jsonRpcGuard(input: NodeJS.ReadableStream, output: NodeJS.WritableStream, opts: GuardOptions): PassThrough {
  const forward = new PassThrough();
  const partial: Buffer[] = []; // the current line so far (joined once its newline arrives)
  let partialBytes = 0;
  // An oversized line being discarded: its size so far, its first and (rolling) last bytes.
  let discarding: { bytes: number; head: Buffer; tail: Buffer } | null = null;

  const answer = (code: number, message: string, id: unknown = null) =>
    output.write(JSON.stringify({ jsonrpc: '2.0', id: typeof id === 'string' || typeof id === 'number' ? id : null, error: { code, message } }) + '\n');

  const onLine = (line: Buffer) => {
    const text = line.toString('utf8');
    if (!text.trim()) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      // JSON-RPC 2.0 §5.1: the id of a request that cannot be parsed is null, even when it looks readable.
      return answer(-32700, 'Parse error: the line is not valid JSON (truncated or malformed); it was discarded');
    }
    const message = JSONRPCMessageSchema.safeParse(value);
    if (!message.success) return answer(-32600, 'Invalid Request: not a JSON-RPC 2.0 message (batches are not supported)', (value as { id?: unknown } | null)?.id);
    if (opts.deliver) opts.deliver(message.data);
    else forward.write(Buffer.concat([line, Buffer.from('\n')]));
  };

  const onOversized = (d: { bytes: number; head: Buffer; tail: Buffer }) => {
    const id = requestIdOf(d.head.toString('utf8'), d.tail.toString('utf8'));
    answer(
      -32600,
      `Request too large: the message was ${d.bytes.toLocaleString('en-US')} bytes, over this server's limit of ` +
        `${opts.maxLineBytes.toLocaleString('en-US')} bytes per message (--max-body-bytes), and was discarded. ${opts.oversizeAdvice}`,
      id,
    );
  };

  const startDiscarding = (segment: Buffer) => {
    const head = Buffer.concat([...partial, segment.subarray(0, ID_WINDOW)]).subarray(0, ID_WINDOW);
    const tail = Buffer.concat(partial.slice(-4)).subarray(-ID_WINDOW);
    discarding = { bytes: partialBytes, head, tail };
    partial.length = 0;
    partialBytes = 0;
  };

  const discard = (d: { bytes: number; tail: Buffer }, segment: Buffer) => {
    d.bytes += segment.length;
    d.tail = segment.length >= ID_WINDOW ? Buffer.from(segment.subarray(-ID_WINDOW)) : Buffer.concat([d.tail, segment]).subarray(-ID_WINDOW);
  };

  // Take one piece of a line (no newline in it); `ends` when a newline followed it.
  const take = (segment: Buffer, ends: boolean) => {
    if (!discarding && partialBytes + segment.length > opts.maxLineBytes) startDiscarding(segment);
    if (discarding) {
      discard(discarding, segment);
      if (ends) {
        onOversized(discarding);
        discarding = null;
      }
      return;
    }
    if (segment.length) {
      partial.push(segment);
      partialBytes += segment.length;
    }
    if (ends) {
      const line = partial.length === 1 ? partial[0]! : Buffer.concat(partial);
      partial.length = 0;
      partialBytes = 0;
      onLine(line);
    }
  };

  input.on('data', (chunk: Buffer) => {
    let start = 0;
    let nl: number;
    while ((nl = chunk.indexOf(0x0a, start)) >= 0) {
      take(chunk.subarray(start, nl), true);
      start = nl + 1;
    }
    if (start < chunk.length) take(chunk.subarray(start), false);
  });
  input.on('end', () => forward.end());
  return forward;
}
