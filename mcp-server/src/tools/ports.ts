// Port exposure: a host URL (127.0.0.1 by default) that reaches a server listening inside the sandbox. The
// traffic rides the daemon's stream, so it works on Linux Docker, Docker Desktop and a remote DOCKER_HOST.
import { forwardPort, type TcpForward } from '@suna/sandbox';
import { z } from 'zod';
import { defineTool, ToolError } from '../tool.js';
import { runtimeState, type Runtime } from '../tool-context.js';

/** Sandbox ports exposed on the host, by sandbox port: this family's own state, one map per runtime. */
const forwards = runtimeState(() => new Map<number, TcpForward>());

/** Close every exposed port (sandbox_reset: they lead to the old container; shutdown: nothing should stay open). */
export async function closeExposedPorts(runtime: Runtime): Promise<number> {
  const open = forwards(runtime);
  const closing = [...open.values()].map((f) => f.close().catch(() => {}));
  open.clear();
  await Promise.all(closing);
  return closing.length;
}

const portArg = z.number().int().min(1).max(65535).describe('Port inside the sandbox');

export const portExpose = defineTool({
  name: 'port_expose',
  title: 'Expose a port',
  kind: 'publish',
  description:
    'Make a sandbox server (from shell_start, on 127.0.0.1 or 0.0.0.0) reachable from the host at http://127.0.0.1:<port>/ (same port when free).',
  input: z.object({ port: portArg }),
  async handle({ port }, ctx) {
    const ports = forwards(ctx.runtime);
    const existing = ports.get(port);
    if (existing) {
      ctx.reply.text(`port ${port} is already exposed at http://${existing.host}:${existing.port}/`);
      ctx.reply.structuredContent({ port, url: `http://${existing.host}:${existing.port}/` });
      return;
    }
    // Refuse early and clearly when nothing listens there, instead of handing out a URL that fails.
    const probe = await ctx.exec({ argv: ['bash', '-c', `exec 3<>/dev/tcp/127.0.0.1/${port}`], timeoutMs: 5000, capBytes: 1000 });
    if (probe.exitCode !== 0) throw new ToolError(`nothing listens on port ${port} in the sandbox; start the server first (shell_start), then expose the port`);
    const host = ctx.config.exposeHost;
    let forward: TcpForward;
    try {
      forward = await forwardPort(ctx.sandbox, port, { host, port });
    } catch {
      forward = await forwardPort(ctx.sandbox, port, { host, port: 0 }); // that number is taken on the host
    }
    ports.set(port, forward);
    const url = `http://${host.includes(':') ? `[${host}]` : host}:${forward.port}/`;
    ctx.reply.text(`sandbox port ${port} is exposed at ${url}`);
    ctx.reply.structuredContent({ port, url });
  },
});

export const portList = defineTool({
  name: 'port_list',
  title: 'Exposed ports',
  kind: 'read',
  description: 'Sandbox ports exposed on the host, with URLs.',
  input: z.object({}),
  async handle(_args, ctx) {
    const list = [...forwards(ctx.runtime).values()].map((f) => ({ port: f.sandboxPort, url: `http://${f.host}:${f.port}/` }));
    ctx.reply.text(list.length ? list.map((p) => `${p.port} → ${p.url}`).join('\n') : 'no ports exposed');
    ctx.reply.structuredContent({ ports: list });
  },
});

export const portClose = defineTool({
  name: 'port_close',
  title: 'Stop exposing a port',
  kind: 'publish',
  description: 'Stop exposing a sandbox port (the server keeps running).',
  input: z.object({ port: portArg }),
  async handle({ port }, ctx) {
    const ports = forwards(ctx.runtime);
    const f = ports.get(port);
    if (!f) throw new ToolError(`port ${port} is not exposed; port_list shows what is`);
    await f.close();
    ports.delete(port);
    ctx.reply.text(`port ${port} is no longer exposed`);
  },
});

export const portTools = [portExpose, portList, portClose];
