// Where agent runs are kept, behind one interface: the file store (default, zero set-up, one server process)
// and the Redis store (redis-run-store.ts: several replicas share runs, their event streams, cancellation and
// leases). The run lifecycle (runs.ts) only talks to this interface.
import { hostname } from 'node:os';
import type Keyv from 'keyv';
import type { TokenUsage } from '@suna/shared/agent/index';

export type RunStatus = 'running' | 'completed' | 'max_steps' | 'max_wall_time' | 'cancelled' | 'failed' | 'interrupted';

/** One line of a run's transcript, as agent_status returns it. */
export type RunEvent =
  | { type: 'text'; step: number; text: string }
  | { type: 'tool'; step: number; name: string; args: string; ok: boolean; summary: string; ms: number }
  | { type: 'note'; text: string }
  | { type: 'end'; status: RunStatus; answer?: string; error?: string };

export interface RunRecord {
  id: string;
  task: string;
  model: string;
  status: RunStatus;
  /** Whose run it is: the sandbox name, which differs per tenant; a run of another scope is not found. */
  scope?: string;
  owner: string; // the replica running it: "<host>:<pid>" (file store) or "<host>:<pid>:<random>" (Redis)
  createdAt: number;
  endedAt?: number;
  steps: number;
  usage: TokenUsage;
  answer?: string;
  error?: string;
  events: RunEvent[];
  /** The sandbox checkpoint taken before the run (tools/agent.ts): its changes are sandbox_diff from it. */
  checkpoint?: string;
  /** Events pushed so far (more than `events.length` once old ones were dropped): a follower's change marker. */
  eventsTotal?: number;
}

export const INTERRUPTED_ERROR = 'the server stopped while this run was in flight';

/** Run ids are made by runs.ts; anything else a client sends is refused before it reaches a store key. */
export const RUN_ID_PATTERN = /^run_[0-9a-f]{12}$/;

export interface RunStore {
  /** Other replicas read this store (a run may live in another process). */
  readonly shared: boolean;
  /** The tag this replica writes as a run's owner. */
  readonly owner: string;
  /** The run's summary (and, for the file store, its events). Called throttled while it runs and at its end. */
  save(r: RunRecord): Promise<void>;
  /** A new event of a live run, as it happens; `r` already holds it (the Redis store appends it to the run's stream). */
  append(r: RunRecord, ev: RunEvent): Promise<void>;
  load(id: string): Promise<RunRecord | undefined>;
  /**
   * Turn a stored run whose owner is gone into an interrupted one; only one reader wins, and a run that ended
   * meanwhile is left alone. Returns the run as stored afterwards.
   */
  markInterrupted(id: string): Promise<RunRecord | undefined>;
  addToIndex(scope: string, id: string, max: number): Promise<void>;
  index(scope: string): Promise<string[]>;
  /** Resolve when the run has more than `seen` events, after `ms`, or on abort (whichever first). */
  waitForEvents(id: string, seen: number, ms: number, signal: AbortSignal): Promise<void>;
  /** Ask the run's owner, wherever it is, to cancel it. */
  requestCancel(id: string): Promise<void>;
  /** Called with the id of a run some replica asked to cancel. */
  onCancelRequest(handler: (id: string) => void): void;
  /** Whether the replica that wrote `owner` is still alive (a lease for Redis, the process table for files). */
  ownerAlive(owner: string): Promise<boolean>;
  close(): Promise<void>;
}

export function interruptedCopy(r: RunRecord): RunRecord {
  const events: RunEvent[] = [...r.events, { type: 'end', status: 'interrupted', error: INTERRUPTED_ERROR }];
  return { ...r, status: 'interrupted', error: INTERRUPTED_ERROR, endedAt: Date.now(), events, eventsTotal: (r.eventsTotal ?? r.events.length) + 1 };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const t = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

/** The default: keyv over the file store in the data directory. One server process owns a data directory's live runs. */
export class FileRunStore implements RunStore {
  readonly shared = false;
  readonly owner = `${hostname()}:${process.pid}`;
  constructor(private readonly kv: Keyv) {}

  async save(r: RunRecord): Promise<void> {
    await this.kv.set(`run:${r.id}`, r);
  }
  async append(): Promise<void> {
    // events reach the file with the next save (throttled): only this process follows them live
  }
  async load(id: string): Promise<RunRecord | undefined> {
    return (await this.kv.get(`run:${id}`)) as RunRecord | undefined;
  }
  async markInterrupted(id: string): Promise<RunRecord | undefined> {
    const r = await this.load(id);
    if (r?.status !== 'running') return r;
    const out = interruptedCopy(r);
    await this.kv.set(`run:${id}`, out);
    return out;
  }
  async addToIndex(scope: string, id: string, max: number): Promise<void> {
    const ids = [id, ...(await this.index(scope))].slice(0, max);
    await this.kv.set(`index:${scope}`, ids);
  }
  async index(scope: string): Promise<string[]> {
    return ((await this.kv.get(`index:${scope}`)) as string[] | undefined) ?? [];
  }
  async waitForEvents(_id: string, _seen: number, ms: number, signal: AbortSignal): Promise<void> {
    await abortableSleep(Math.min(ms, 250), signal); // a run of another process: poll the file
  }
  async requestCancel(): Promise<void> {
    // a run of another process on the same data directory cannot be reached: that needs --store redis://
  }
  onCancelRequest(): void {}
  async ownerAlive(owner: string): Promise<boolean> {
    const [host, pid] = owner.split(':');
    if (host !== hostname()) return true; // another machine: cannot tell, do not claim it died
    if (Number(pid) === process.pid) return false; // our own earlier life, or a run we do not hold in memory
    try {
      process.kill(Number(pid), 0);
      return true;
    } catch (e) {
      return (e as NodeJS.ErrnoException).code === 'EPERM';
    }
  }
  async close(): Promise<void> {}
}
