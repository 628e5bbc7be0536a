// The one decision path for every egress connection, whatever carried the request (a channel on the relay's exec
// stream, or a connection on the host socket): validate the hostile open request, refuse early what the policy
// refuses by name, resolve on the host, judge every resolved address (policy.ts) and pick the one to connect to; then
// record the decision, count its bytes and report it once when the connection is over. Status and metrics read the
// totals kept here.
import { isIP } from 'node:net';
import type { OpenRequest, Refusal } from '../../egress/protocol.js';
import { decide, normalizeHostname, refusedBeforeResolving, type EgressPolicy } from './policy.js';
import type { ResolveHost } from './resolve.js';

export interface EgressDecision {
  at: string;
  host: string;
  port: number;
  /** The resolved address that was judged (and connected to, when allowed). */
  address?: string;
  verdict: 'allowed' | 'denied';
  why: string;
  /** Bytes sent from the sandbox / received into it; final when `open` is false. */
  bytesUp: number;
  bytesDown: number;
  open: boolean;
}

export type GateVerdict = { allowed: true; address: string; port: number; decision: EgressDecision } | { allowed: false; refusal: Refusal; decision: EgressDecision };

const RECENT = 20;

/** Printable, bounded: a hostile name shown in status and logs. */
const shown = (s: string) => s.slice(0, 100).replace(/[^\x21-\x7e]/g, '?');

export class EgressGate {
  readonly recent: EgressDecision[] = [];
  readonly totals = { allowed: 0, denied: 0, up: 0, down: 0 };

  constructor(
    private policy: () => EgressPolicy,
    private readonly resolve: ResolveHost,
    private readonly onFinished: (d: EgressDecision) => void,
  ) {}

  /**
   * Judge an open request (parsed JSON, or undefined when it was not JSON). `open`: connections this sandbox has
   * open now (bounded by `max`). `stillWanted`: false when the client gave up while the name resolved. A refusal's
   * decision is already finished (reported); an allowed one is finished by `finish` when the connection ends.
   */
  async judge(req: unknown, open: number, max: number, stillWanted: () => boolean = () => true): Promise<GateVerdict | null> {
    const malformed = !req || typeof req !== 'object';
    const r = (malformed ? {} : req) as Partial<OpenRequest>;
    const port = r.port;
    const rawHost = typeof r.host === 'string' ? r.host : '';
    const host = isIP(rawHost) ? rawHost.toLowerCase() : normalizeHostname(rawHost);
    const validPort = typeof port === 'number' && Number.isInteger(port) && port >= 1 && port <= 65535;
    const record = (verdict: EgressDecision['verdict'], why: string, address?: string): EgressDecision => {
      const d: EgressDecision = { at: new Date().toISOString(), host: host ?? shown(rawHost), port: validPort ? port : 0, address, verdict, why, bytesUp: 0, bytesDown: 0, open: verdict === 'allowed' };
      this.recent.push(d);
      if (this.recent.length > RECENT) this.recent.shift();
      if (verdict === 'allowed') this.totals.allowed++;
      else this.totals.denied++;
      return d;
    };
    const refuse = (why: string, refusal: Refusal, address?: string): GateVerdict => {
      const decision = record('denied', why, address);
      this.finish(decision);
      return { allowed: false, refusal, decision };
    };
    if (malformed) return refuse('malformed request', { status: 400, reason: 'malformed request' });
    if (!host || !validPort) return refuse('not a valid host and port', { status: 400, reason: `"${shown(rawHost)}:${String(port).slice(0, 20)}" is not a valid host and port` });
    if (open > max) return refuse(`more than ${max} connections at once`, { status: 502, reason: `more than ${max} connections at once; retry later` });
    const early = refusedBeforeResolving(this.policy(), host);
    if (early) return refuse(early, { status: 403, reason: `${host}:${port} is blocked by the egress policy (${early})` });
    let addresses: string[];
    try {
      addresses = await this.resolve(host);
    } catch (err) {
      return refuse((err as Error).message, { status: 502, reason: (err as Error).message });
    }
    // Judge every resolved address; connect to the first allowed one, never re-resolving.
    const policy = this.policy();
    const verdicts = addresses.map((address) => ({ address, v: decide(policy, host, address) }));
    const chosen = verdicts.find((x) => x.v.allowed);
    if (!chosen) {
      const first = verdicts[0]!;
      return refuse(first.v.why, { status: 403, reason: `${host}:${port} is blocked by the egress policy (${first.v.why})` }, first.address);
    }
    if (!stillWanted()) return null; // the client gave up meanwhile
    return { allowed: true, address: chosen.address, port, decision: record('allowed', chosen.v.why, chosen.address) };
  }

  count(d: EgressDecision | undefined, direction: 'up' | 'down', n: number): void {
    if (!d) return;
    if (direction === 'up') d.bytesUp += n;
    else d.bytesDown += n;
    this.totals[direction] += n;
  }

  /** The connection is over: its decision is reported (once, by the caller's guard) with the final byte counts. */
  finish(d: EgressDecision): void {
    d.open = false;
    this.onFinished({ ...d });
  }
}
