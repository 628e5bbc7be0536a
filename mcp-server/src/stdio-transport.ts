// The server's stdio transport, fed by the stdio guard (stdio-guard.ts) with messages it has already split,
// parsed and checked. The SDK's own stdio transport would buffer, decode, parse and check every line a second
// time: for a workspace sync push (about 11 MB of JSON per call) that second pass cost more than the rest of
// the hop. Writing is the SDK's way: one JSON line per message, waiting for drain.
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import type { JSONRPCMessage } from '@modelcontextprotocol/sdk/types.js';

export class GuardedStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /** Messages that arrived before start() (the guard reads from the first byte). */
  private early: JSONRPCMessage[] | null = [];
  private closed = false;

  constructor(private readonly stdout: NodeJS.WritableStream) {}

  /** One message from the guard. */
  receive(message: JSONRPCMessage): void {
    if (this.closed) return;
    if (this.early) this.early.push(message);
    else this.deliver(message);
  }

  async start(): Promise<void> {
    const early = this.early ?? [];
    this.early = null;
    for (const m of early) this.deliver(m);
  }

  /** One wait for the pipe to drain, shared by every message sent while it is full (one listener, not one each). */
  private drained: Promise<void> | null = null;

  send(message: JSONRPCMessage): Promise<void> {
    if (this.stdout.write(JSON.stringify(message) + '\n')) return Promise.resolve();
    return (this.drained ??= new Promise((resolve) =>
      this.stdout.once('drain', () => {
        this.drained = null;
        resolve();
      }),
    ));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.early = null;
    this.onclose?.();
  }

  private deliver(message: JSONRPCMessage): void {
    try {
      this.onmessage?.(message);
    } catch (err) {
      this.onerror?.(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
