// Runs shared by several server replicas through Redis (--store redis://…), over the official client
// (@redis/client, node-redis 6; @keyv/redis 5 needs keyv 5 and we are on keyv 6). Per run: its summary as JSON,
// its events as a Redis Stream with ids 0-1, 0-2, … (so "events after n" is a plain XREAD from 0-n, and a
// follower on any replica blocks on it), cancellation as a pub/sub message to whichever replica owns the run,
// and a lease per replica that it renews while it lives: a run whose owner's lease expired is interrupted.
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import type { RedisClientType } from '@redis/client';
import { interruptedCopy, type RunEvent, type RunRecord, type RunStore } from './run-store.js';

const PREFIX = 'suna:';
const CANCEL_CHANNEL = `${PREFIX}cancel`;
/** A replica renews its lease this often; the lease expires after LEASE_MS without renewal. */
const HEARTBEAT_MS = 1000;
export const LEASE_MS = 5000;
/** A call waits this long for a connection before it fails with what is wrong. */
const CONNECT_WAIT_MS = 5000;
/** Finished runs are kept this long (the file store keeps them until the index forgets them). */
const KEEP_FINISHED_S = 30 * 24 * 3600;
/** Events kept per run stream (the summary says how many there were). */
const MAX_STREAM_EVENTS = 1000;
/** A stored value larger than this is not parsed (the store is shared, not trusted to be small). */
const MAX_VALUE_BYTES = 8 * 1024 * 1024;

type Log = (message: string, fields?: Record<string, unknown>) => void;

const runKey = (id: string) => `${PREFIX}run:${id}`;
const eventsKey = (id: string) => `${PREFIX}run:${id}:events`;
const endedKey = (id: string) => `${PREFIX}run:${id}:ended`;
const leaseKey = (owner: string) => `${PREFIX}lease:${owner}`;
const indexKey = (scope: string) => `${PREFIX}index:${scope}`;

function parseBounded<T>(text: string | null | undefined): T | undefined {
  if (text == null || text.length > MAX_VALUE_BYTES) return undefined;
  try {
    return JSON.parse(text) as T;
  } catch {
    return undefined;
  }
}

/** XRANGE entries ([id, [field, value, …]]) → events in order (malformed ones skipped), and the last id's sequence. */
function eventsOf(entries: unknown): { events: RunEvent[]; lastSeq: number } {
  const events: RunEvent[] = [];
  let lastSeq = 0;
  if (!Array.isArray(entries)) return { events, lastSeq };
  for (const e of entries) {
    if (!Array.isArray(e)) continue;
    lastSeq = Math.max(lastSeq, Number(/^0-(\d+)$/.exec(String(e[0]))?.[1] ?? 0));
    const fields = e[1];
    if (!Array.isArray(fields) || fields[0] !== 'e') continue;
    const ev = parseBounded<RunEvent>(String(fields[1]));
    if (ev && typeof ev === 'object' && typeof ev.type === 'string') events.push(ev);
  }
  return { events, lastSeq };
}

export class RedisRunStore implements RunStore {
  readonly shared = true;
  readonly owner = `${hostname()}:${process.pid}:${randomBytes(4).toString('hex')}`;
  private readonly client: RedisClientType;
  private subscriber?: RedisClientType;
  private readonly started: Promise<void>;
  private readonly where: string;
  private lastError = '';
  private heartbeat?: NodeJS.Timeout;
  private readonly cancelHandlers: ((id: string) => void)[] = [];
  private closed = false;
  /** Owners whose lease was seen alive, and when. */
  private readonly liveOwners = new Map<string, number>();

  constructor(url: string, private readonly log: Log) {
    // Loaded here, not at the top: only --store redis://… needs the client, and loading it costs every start ~0.3 s.
    const { createClient } = (typeof require === 'function' ? require('@redis/client') : createRequire(import.meta.url)('@redis/client')) as typeof import('@redis/client'); // literal: bundles keep it
    this.client = createClient({ url, socket: { reconnectStrategy: (n) => Math.min(100 * 2 ** n, 5000), connectTimeout: 5000 } }) as RedisClientType;
    // Without a listener an unreachable Redis would crash the process; the client reconnects by itself.
    this.client.on('error', (e: Error) => {
      this.lastError = e.message;
      this.log('run store (redis) error', { error: e.message });
    });
    const u = new URL(url);
    this.where = `${u.protocol}//${u.host}`; // never the password
    this.started = this.start();
    this.started.catch(() => {}); // reported by each call that needs it
  }

  /** Connected, or a clear error within CONNECT_WAIT_MS (a call never hangs on an unreachable Redis). */
  private get ready(): Promise<void> {
    if (this.client.isReady) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`the run store (Redis at ${this.where}, --store) is unreachable${this.lastError ? `: ${this.lastError}` : ''}`)), CONNECT_WAIT_MS);
      this.started.then(
        () => (clearTimeout(t), resolve()),
        (e: Error) => (clearTimeout(t), reject(new Error(`the run store (Redis at ${this.where}, --store) failed: ${e.message}`))),
      );
    });
  }

  private async start(): Promise<void> {
    await this.client.connect();
    await this.renewLease();
    this.heartbeat = setInterval(() => void this.renewLease().catch(() => {}), HEARTBEAT_MS).unref();
    this.subscriber = this.client.duplicate() as RedisClientType;
    this.subscriber.on('error', (e: Error) => this.log('run store (redis) subscriber error', { error: e.message }));
    await this.subscriber.connect();
    await this.subscriber.subscribe(CANCEL_CHANNEL, (id: string) => {
      for (const h of this.cancelHandlers) h(id);
    });
  }

  private renewLease(): Promise<unknown> {
    return this.client.set(leaseKey(this.owner), String(Date.now()), { expiration: { type: 'PX', value: LEASE_MS } });
  }

  async save(r: RunRecord): Promise<void> {
    await this.ready;
    const { events: _events, ...summary } = r;
    if (r.status === 'running') await this.client.set(runKey(r.id), JSON.stringify(summary));
    else await this.client.set(runKey(r.id), JSON.stringify(summary), { expiration: { type: 'EX', value: KEEP_FINISHED_S } });
  }

  async append(r: RunRecord, ev: RunEvent): Promise<void> {
    await this.ready;
    const seq = r.eventsTotal ?? r.events.length;
    const add = ['XADD', eventsKey(r.id), 'MAXLEN', '~', String(MAX_STREAM_EVENTS), `0-${seq}`, 'e', JSON.stringify(ev)];
    if (ev.type !== 'end') {
      await this.client.sendCommand(add);
      return;
    }
    // The end and the final summary land together: a follower woken by the end reads the final status.
    const { events: _events, ...summary } = r;
    await this.client
      .multi()
      .addCommand(add)
      .set(runKey(r.id), JSON.stringify(summary), { expiration: { type: 'EX', value: KEEP_FINISHED_S } })
      .set(endedKey(r.id), '1', { expiration: { type: 'EX', value: KEEP_FINISHED_S } })
      .expire(eventsKey(r.id), KEEP_FINISHED_S)
      .exec();
  }

  async load(id: string): Promise<RunRecord | undefined> {
    await this.ready;
    const [summaryText, entries] = await Promise.all([this.client.get(runKey(id)), this.client.sendCommand(['XRANGE', eventsKey(id), '-', '+'])]);
    const summary = parseBounded<Omit<RunRecord, 'events'>>(summaryText as string | null);
    if (!summary || typeof summary !== 'object' || summary.id !== id) return undefined;
    const { events, lastSeq } = eventsOf(entries);
    return { ...summary, events, eventsTotal: Math.max(summary.eventsTotal ?? 0, lastSeq, events.length) };
  }

  async markInterrupted(id: string): Promise<RunRecord | undefined> {
    await this.ready;
    // One reader wins the "ended" flag and writes the end; the owner's own end sets the same flag.
    const won = await this.client.set(endedKey(id), '1', { condition: 'NX', expiration: { type: 'EX', value: KEEP_FINISHED_S } });
    const r = await this.load(id);
    if (r?.status !== 'running') return r;
    const out = interruptedCopy(r);
    if (!won) return out; // another reader is writing this very end (or the owner wrote its own, read next time)
    const { events: _events, ...summary } = out;
    await this.client
      .multi()
      .addCommand(['XADD', eventsKey(id), 'MAXLEN', '~', String(MAX_STREAM_EVENTS), `0-${out.eventsTotal!}`, 'e', JSON.stringify(out.events.at(-1))])
      .set(runKey(id), JSON.stringify(summary), { expiration: { type: 'EX', value: KEEP_FINISHED_S } })
      .exec()
      .catch((e: Error) => this.log('could not mark a run interrupted', { run: id, error: e.message }));
    return out;
  }

  async addToIndex(scope: string, id: string, max: number): Promise<void> {
    await this.ready;
    await this.client.multi().lPush(indexKey(scope), id).lTrim(indexKey(scope), 0, max - 1).exec();
  }

  async index(scope: string): Promise<string[]> {
    await this.ready;
    return (await this.client.lRange(indexKey(scope), 0, -1)) as string[];
  }

  async waitForEvents(id: string, seen: number, ms: number, signal: AbortSignal): Promise<void> {
    await this.ready;
    if (signal.aborted || ms <= 0) return;
    // XREAD BLOCK holds its connection: each waiter gets its own, closed when it returns or is aborted.
    const conn = this.client.duplicate() as RedisClientType;
    conn.on('error', () => {});
    const abort = () => void conn.destroy();
    signal.addEventListener('abort', abort, { once: true });
    try {
      await conn.connect();
      await conn.sendCommand(['XREAD', 'BLOCK', String(Math.max(1, Math.round(ms))), 'STREAMS', eventsKey(id), `0-${Math.max(0, seen)}`]);
    } catch {
      // aborted, or Redis went away: the caller reads the run again and decides
    } finally {
      signal.removeEventListener('abort', abort);
      if (conn.isOpen) conn.destroy();
    }
  }

  async requestCancel(id: string): Promise<void> {
    await this.ready;
    await this.client.publish(CANCEL_CHANNEL, id);
  }

  onCancelRequest(handler: (id: string) => void): void {
    this.cancelHandlers.push(handler);
  }

  async ownerAlive(owner: string): Promise<boolean> {
    if (owner === this.owner) return false; // a run of ours we do not hold in memory
    // A live lease is trusted for one heartbeat (it lasts five): a follower polling a run does not pay a round trip each time.
    const seen = this.liveOwners.get(owner);
    if (seen && Date.now() - seen < HEARTBEAT_MS) return true;
    await this.ready;
    const alive = (await this.client.exists(leaseKey(owner))) === 1;
    if (alive) this.liveOwners.set(owner, Date.now());
    else this.liveOwners.delete(owner);
    if (this.liveOwners.size > 1000) this.liveOwners.clear();
    return alive;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    try {
      if (this.client.isReady) await this.client.del(leaseKey(this.owner)); // our runs are ended already; say so at once, not after the lease
    } catch {
      // Redis unreachable: the lease expires by itself
    }
    for (const c of [this.subscriber, this.client]) if (c?.isOpen) c.destroy();
  }
}
