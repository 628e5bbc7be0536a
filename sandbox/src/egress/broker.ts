// The host side of sandbox egress. The sandbox runs with `--network none`; its only way out is the relay
// (sandbox/egress/relay.ts), an HTTP proxy on 127.0.0.1 inside it. Each connection's request is resolved, judged by
// the policy on the resolved address and connected to exactly that address by the one gate (gate.ts); bytes are
// counted and every decision is reported, whichever transport carried it:
// - where the engine runs on this machine, a unix connection per proxied connection on the host socket
//   (host-socket.ts, socket-egress.ts): bytes go through the kernel with its flow control. Offered to the relay with a
//   token over its exec stream; the relay probes it and reports which transport it uses.
// - elsewhere (Docker Desktop, a remote DOCKER_HOST, a server in another container, an old container without the
//   mount) and whenever the socket does not answer: channels multiplexed over the relay's own `docker exec` stream
//   (this file), with per-channel credit windows (protocol.ts) so one download cannot starve other connections.
//
// Why this design and not a Docker network with a proxy container: it works on every engine, needs no host firewall
// rules, a raw TCP/UDP socket to any address fails inside the sandbox (there is no route; on Docker 20.10 an
// `--internal` network still reaches the host), and policy, logs and metrics live in the server process where they
// can be unit-tested. The relay has its own exec (not the daemon's stream), so a large download never delays a tool
// call. Why the socket where it can: every write on an exec stream is a round through dockerd's copy goroutines and
// the containerd shim in 32 KiB pieces; that per-chunk cost held the exec-stream path at ~0.65× a direct download.
//
// Throughput of the exec-stream path: this runs on the server's event loop, whose heap is large (SDK, zod, tools).
// Reading destinations into a fresh 64 KiB buffer per read made V8 run a full mark-compact of that heap every few
// dozen MiB (external memory pressure), so destinations are read into a bounded pool of buffers that come back when
// written (ReadBufferPool; the socket path uses it too), frames go out as one writev, the exec output is demuxed
// without copies (exec-stream.ts), credit goes back in quarter-window batches (CreditReturn), and data frames the
// engine split are taken as parts (FrameDecoder streamData).
import { EventEmitter } from 'node:events';
import { connect, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { Duplex } from 'node:stream';
import { assets } from '../assets.js';
import type { AttachedHelper, HelperSpec } from '../exec-stream.js';
import {
  CreditReturn,
  encodeFrame,
  MAX_PAYLOAD,
  WINDOW_BYTES,
  FrameDecoder,
  FrameType,
  jsonPayload,
  SendWindow,
  windowPayload,
  type Frame,
} from '../../egress/protocol.js';
import { ReadBufferPool } from './read-pool.js';
import { UploadWriter } from './upload-writer.js';
import { EGRESS_PROXY_URL } from './client-env.js';
import { hostAddressSet, parseAllowList, type EgressMode, type EgressPolicy } from './policy.js';
import { EgressGate, type EgressDecision } from './gate.js';
import { serveEgressSocket, transportReport } from './socket-egress.js';
import type { HostSocket } from '../host-socket.js';
import { createResolver, parseDnsServer, type ResolveHost } from './resolve.js';

export interface EgressConfig {
  mode: EgressMode;
  /** --egress-allow entries: domains, *.domains, IP addresses and CIDRs. */
  allow: string[];
  /** --egress-dns host:port; the host's resolver when absent. */
  dns?: string;
}

export type { EgressDecision };

export interface EgressStatus {
  mode: EgressMode;
  allow: string[];
  dns: string;
  proxy?: string;
  relay: 'running' | 'stopped' | 'off';
  /** How the relay's connections reach this server: a host unix socket (engine on this machine) or its exec stream. */
  transport: 'host socket' | 'exec stream' | 'off';
  restarts: number;
  connections: { allowed: number; denied: number; open: number };
  bytes: { up: number; down: number };
  recent: EgressDecision[];
}

const MAX_CHANNELS = 64; // × WINDOW_BYTES bounds what one sandbox can make the host buffer (256 MiB); Chromium uses ≤ 32 per proxy
const CONNECT_TIMEOUT_MS = 10_000;
/** Destination reads for the host-socket path: 256 KiB vs 64 KiB cut the broker's CPU from 1.63 to 1.17 s/GiB. */
const SOCKET_READ_BYTES = 256 * 1024;
const RELAY_START_TIMEOUT_MS = 15_000;
/** Relay process user: not the agent's uid 1000, so agent processes cannot signal or ptrace it. */
const RELAY_USER = '65534:65534';

export { EGRESS_PROXY_URL, egressClientEnv } from './client-env.js';

/** The policy for a config, with this host's own addresses (and the Docker bridge gateway) refused. */
export function policyFor(config: EgressConfig, extraHostAddresses: string[] = []): EgressPolicy {
  const own = Object.values(networkInterfaces()).flatMap((list) => (list ?? []).map((i) => i.address));
  return { mode: config.mode, allow: parseAllowList(config.allow), hostAddresses: hostAddressSet([...own, ...extraHostAddresses]) };
}

interface Channel {
  id: number;
  socket?: Socket;
  window?: SendWindow;
  decision?: EgressDecision;
  remoteEnded: boolean;
  closed: boolean;
  credit: CreditReturn;
  /** Writes what the sandbox uploads to `socket` (bounded per-write overhead, see upload-writer.ts). */
  upload?: UploadWriter;
}

/** What the broker needs of the engine (SandboxBackend provides it): the relay's own attached exec, and the host's addresses on the sandbox side. */
export interface EgressRelayHost<Handle> {
  attachHelper(handle: Handle, spec: HelperSpec): Promise<AttachedHelper>;
  hostGatewayAddresses(): Promise<string[]>;
}

/** Emits `decision` once per connection request: at once when refused, when it closes (with bytes) when allowed. */
export class EgressBroker<Handle = unknown> extends EventEmitter<{ decision: [EgressDecision] }> {
  /** Made when first judged (this host's addresses are not needed to answer `initialize`), or at launch. */
  private policy: EgressPolicy | null = null;
  private readonly resolve: ResolveHost;
  private stream: Duplex | null = null;
  private starting: Promise<void> | null = null;
  private container: Handle | null = null;
  private readonly pool = new ReadBufferPool();
  /** The socket path has no frame size: larger reads, fewer turns of the event loop per MiB. */
  private readonly socketPool = new ReadBufferPool(SOCKET_READ_BYTES, 16);
  private channels = new Map<number, Channel>();
  private stopped = true;
  private restartTimer: NodeJS.Timeout | null = null;
  private quickDeaths = 0;
  private restarts = 0;
  private readonly gate: EgressGate;
  /** Connections the relay made over the host socket (each one proxied connection). */
  private readonly socketConnections = new Set<Socket>();
  private readonly hostSocket?: HostSocket;
  /** The host-socket token handed to the running relay, and whether it reported using the socket. */
  private token: string | null = null;
  private transport: EgressStatus['transport'] = 'exec stream';

  private readonly connectTo: typeof connect;

  /**
   * `seams` replace name resolution and outbound connections (unit tests prove refusals never connect);
   * `hostSocket`: where the engine is local, the relay's connections come over it instead of its exec stream.
   */
  constructor(private readonly engine: EgressRelayHost<Handle>, readonly config: EgressConfig, private readonly log: (line: string) => void = () => {}, seams: { resolve?: ResolveHost; connect?: typeof connect; hostSocket?: HostSocket } = {}) {
    super();
    const dns = config.dns ? parseDnsServer(config.dns) : undefined;
    if (config.dns && !dns) throw new Error(`--egress-dns: expected host:port of a DNS server, e.g. 10.0.0.53:53 (got "${config.dns}")`);
    parseAllowList(config.allow); // a bad --egress-allow is refused at start, as ever
    this.resolve = seams.resolve ?? createResolver(dns ?? undefined);
    this.connectTo = seams.connect ?? connect;
    this.gate = new EgressGate(() => (this.policy ??= policyFor(this.config)), this.resolve, (d) => this.emit('decision', d));
    this.hostSocket = seams.hostSocket;
    this.hostSocket?.registerService('egress', (socket) => this.serveSocket(socket));
  }

  /** Proxied connections open now, over either transport (bounded by MAX_CHANNELS together). */
  private get openCount(): number {
    return this.channels.size + this.socketConnections.size;
  }

  private serveSocket(socket: Socket): void {
    if (!this.stream) return void socket.destroy(); // no relay of ours is running: not a connection we gave a token for
    serveEgressSocket(socket, {
      gate: this.gate,
      connect: this.connectTo,
      pool: this.socketPool,
      open: () => this.openCount,
      max: MAX_CHANNELS,
      track: (s, on) => (on ? this.socketConnections.add(s) : this.socketConnections.delete(s)),
    });
  }

  /** Tell a relay that just started where the host socket is (over its exec stream, which the agent cannot read). */
  private offerHostSocket(): void {
    this.transport = 'exec stream';
    if (!this.hostSocket?.listening || process.env.SUNA_EGRESS_TRANSPORT === 'exec') return; // the switch: tests of the fallback
    if (this.token) this.hostSocket.revokeToken(this.token);
    this.token = this.hostSocket.issueToken('egress');
    this.send(encodeFrame(FrameType.transport, 0, jsonPayload({ path: this.hostSocket.sandboxPath, token: this.token })));
  }

  private revokeToken(): void {
    if (this.token) this.hostSocket?.revokeToken(this.token);
    this.token = null;
    this.transport = 'exec stream';
    for (const s of this.socketConnections) s.destroy();
    this.socketConnections.clear();
  }

  get enabled(): boolean {
    return this.config.mode !== 'none';
  }

  /** Start the relay in `container` (no-op in mode none). Resolves once it listens; throws with its stderr if it cannot. */
  start(container: Handle): Promise<void> {
    if (!this.enabled) return Promise.resolve();
    this.stopped = false;
    this.container = container;
    if (this.stream) return Promise.resolve();
    this.starting ??= this.launch(container).finally(() => (this.starting = null));
    return this.starting;
  }

  private async launch(container: Handle): Promise<void> {
    const gateways = await this.engine.hostGatewayAddresses().catch(() => []);
    this.policy = policyFor(this.config, gateways);
    const { stream, stdout, stderr } = await this.engine.attachHelper(container, {
      cmd: ['/usr/local/bin/node', '-e', assets().egressRelay, 'suna-egress-relay'],
      user: RELAY_USER,
      env: ['NODE_OPTIONS=', 'NODE_USE_ENV_PROXY=0'],
    });
    let stderrTail = '';
    stderr.on('data', (d: Buffer) => (stderrTail = (stderrTail + d.toString()).slice(-1000)));
    const decoder = new FrameDecoder({ streamData: true });
    const startedAt = Date.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => fail(new Error('the egress relay did not start listening in time')), RELAY_START_TIMEOUT_MS);
      let ready = false;
      const fail = (err: Error) => {
        clearTimeout(timer);
        stream.destroy();
        if (!ready) reject(err);
      };
      stdout.on('data', (chunk: Buffer) => {
        let frames: Frame[];
        try {
          frames = decoder.push(chunk);
        } catch (err) {
          this.log(`egress relay sent a malformed stream (${(err as Error).message}); restarting it`);
          return fail(err as Error);
        }
        for (const f of frames) {
          if (!ready && f.channel === 0 && f.type === FrameType.opened) {
            ready = true;
            clearTimeout(timer);
            if (this.stopped) stream.destroy(); // stop() came while it was starting
            else {
              this.stream = stream;
              this.offerHostSocket();
            }
            resolve();
          } else if (ready) this.onFrame(f);
        }
      });
      const gone = () => {
        if (this.stream === stream) this.onRelayGone(Date.now() - startedAt);
        fail(new Error(`the egress relay stopped${stderrTail ? `: ${stderrTail.trim().slice(-300)}` : ''}`));
      };
      stream.on('end', gone);
      stream.on('close', gone);
      stream.on('error', gone);
    });
  }

  /** Stop the relay and close every proxied connection (the sandbox is going away or disconnecting). */
  stop(): void {
    this.stopped = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = null;
    const s = this.stream;
    this.stream = null;
    s?.destroy();
    this.closeAllChannels();
    this.revokeToken();
  }

  status(): EgressStatus {
    const open = [...this.channels.values()].filter((c) => c.socket).length + this.socketConnections.size;
    const totals = this.gate.totals;
    return {
      mode: this.config.mode,
      allow: [...this.config.allow],
      dns: this.config.dns ? `the DNS server ${this.config.dns}` : 'its resolver',
      proxy: this.enabled ? EGRESS_PROXY_URL : undefined,
      relay: !this.enabled ? 'off' : this.stream ? 'running' : 'stopped',
      transport: !this.enabled ? 'off' : this.transport,
      restarts: this.restarts,
      connections: { allowed: totals.allowed, denied: totals.denied, open },
      bytes: { up: totals.up, down: totals.down },
      recent: this.gate.recent.map((d) => ({ ...d })),
    };
  }

  // ---------- relay lifecycle ----------

  private onRelayGone(livedMs: number): void {
    this.stream = null;
    this.closeAllChannels();
    this.revokeToken();
    if (this.stopped || !this.container) return;
    this.quickDeaths = livedMs < 5000 ? this.quickDeaths + 1 : 0;
    const delay = Math.min(5000, 200 * 2 ** this.quickDeaths);
    this.log(`egress relay stopped; restarting it in ${delay} ms`);
    const container = this.container;
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopped) return;
      this.restarts++;
      // A container that is gone fails here; the next Sandbox.connect() starts a fresh relay.
      this.start(container).catch((err) => this.log(`egress relay restart failed: ${(err as Error).message}`));
    }, delay);
  }

  private closeAllChannels(): void {
    for (const ch of this.channels.values()) this.finish(ch);
    this.channels.clear();
  }

  private send(frame: Buffer): void {
    this.stream?.write(frame);
  }

  /** One data frame as one writev; `written` runs once the stream is done with `payload` (or failed). */
  private sendData(channel: number, payload: Buffer, written: () => void): void {
    const stream = this.stream;
    if (!stream) return written();
    const header = encodeFrame(FrameType.data, channel);
    header.writeUInt32BE(payload.length, 5);
    stream.cork();
    stream.write(header);
    stream.write(payload, written);
    stream.uncork();
  }

  // ---------- channels ----------

  private onFrame(f: Frame): void {
    if (f.channel === 0) {
      // The relay says which transport it uses (after trying the host socket); only the status shows it.
      if (f.type === FrameType.transport) this.transport = transportReport(f.payload) ?? this.transport;
      return;
    }
    if (f.type === FrameType.open) return void this.open(f);
    const ch = this.channels.get(f.channel);
    if (!ch) return;
    switch (f.type) {
      case FrameType.data:
        if (!ch.socket || ch.remoteEnded) return;
        if (ch.upload!.buffered + f.payload.length > WINDOW_BYTES + MAX_PAYLOAD) {
          // More unflushed bytes than its credit allows: a relay that ignores the window (the destination is not
          // reading). Close the channel rather than buffer on the host without bound.
          if (ch.decision) ch.decision.why += '; closed: the sandbox sent past its credit window';
          this.channels.delete(ch.id);
          this.send(encodeFrame(FrameType.close, ch.id));
          this.finish(ch);
          return;
        }
        this.count(ch, 'up', f.payload.length);
        ch.upload!.write(f.payload);
        break;
      case FrameType.window:
        if (f.payload.length === 4) ch.window?.grant(f.payload.readUInt32BE(0));
        break;
      case FrameType.end:
        ch.remoteEnded = true;
        ch.upload?.flush();
        ch.socket?.end();
        break;
      case FrameType.close:
        // The client is gone: nothing more can reach it. Let a half-closed socket flush what it was sent first.
        this.channels.delete(ch.id);
        if (!ch.socket) this.finish(ch);
        else if (ch.remoteEnded && !ch.socket.writableFinished) ch.socket.once('finish', () => ch.socket!.destroy());
        else ch.socket.destroy();
        break;
    }
  }

  private async open(f: Frame): Promise<void> {
    if (this.channels.has(f.channel)) return;
    const ch: Channel = { id: f.channel, remoteEnded: false, closed: false, credit: new CreditReturn((n) => this.send(encodeFrame(FrameType.window, f.channel, windowPayload(n)))) };
    this.channels.set(ch.id, ch);
    let req: unknown;
    try {
      req = JSON.parse(f.payload.toString('utf8'));
    } catch {
      /* refused by the gate as malformed */
    }
    const v = await this.gate.judge(req, this.openCount, MAX_CHANNELS, () => !ch.closed && this.channels.has(ch.id));
    if (!v) return;
    if (!v.allowed) {
      this.send(encodeFrame(FrameType.refused, ch.id, jsonPayload(v.refusal)));
      this.channels.delete(ch.id);
      ch.closed = true; // already reported by the gate
      return;
    }
    ch.decision = v.decision;
    this.connectChannel(ch, v.address, v.port);
  }

  private connectChannel(ch: Channel, address: string, port: number): void {
    // Reads land in pooled buffers (no allocation per read); each goes back once its frame is written.
    const onread = {
      buffer: () => this.pool.take(),
      callback: (n: number, buf: Uint8Array): boolean => {
        const chunk = buf as Buffer;
        this.count(ch, 'down', n);
        this.sendData(ch.id, chunk.subarray(0, n), () => this.pool.give(chunk));
        ch.window!.spend(n);
        return !ch.window!.blocked;
      },
    };
    const socket = this.connectTo({ host: address, port, allowHalfOpen: true, timeout: CONNECT_TIMEOUT_MS, onread });
    ch.socket = socket;
    ch.upload = new UploadWriter(socket, (n) => !ch.closed && ch.credit.consumed(n));
    let connected = false;
    socket.once('connect', () => {
      connected = true;
      socket.setTimeout(0);
      socket.setNoDelay(true);
      if (ch.closed) return void socket.destroy();
      this.send(encodeFrame(FrameType.opened, ch.id, jsonPayload({ address })));
    });
    socket.once('timeout', () => socket.destroy(new Error('connection timed out')));
    ch.window = new SendWindow(undefined, (blocked) => (blocked ? socket.pause() : socket.resume()));
    socket.on('end', () => this.send(encodeFrame(FrameType.end, ch.id)));
    socket.on('error', (err: NodeJS.ErrnoException) => {
      if (!connected && this.channels.has(ch.id)) {
        const timeout = /timed out/.test(err.message);
        if (ch.decision) ch.decision.why += `; connect failed: ${err.code ?? err.message}`;
        this.send(encodeFrame(FrameType.refused, ch.id, jsonPayload({ status: timeout ? 504 : 502, reason: `cannot connect to ${address}:${port} (${err.code ?? err.message})` })));
        this.channels.delete(ch.id);
      }
    });
    socket.on('close', () => {
      if (this.channels.delete(ch.id) && connected) this.send(encodeFrame(FrameType.close, ch.id));
      this.finish(ch);
    });
  }

  private count(ch: Channel, direction: 'up' | 'down', n: number): void {
    this.gate.count(ch.decision, direction, n);
  }

  /** The channel is over: report its decision once (with the final byte counts). */
  private finish(ch: Channel): void {
    if (ch.closed) return;
    ch.closed = true;
    ch.socket?.destroy();
    if (ch.decision) this.gate.finish(ch.decision);
  }
}
