// Sandbox lifecycle tools.
import type { EgressStatus } from '@suna/sandbox';
import { z } from 'zod';
import { readiness } from '../health.js';
import { defineTool } from '../tool.js';
import { checkpointsNotListedLine, unavailableTools } from './availability.js';
import { closeExposedPorts } from './ports.js';
import { forgetOutputCursors } from './shell.js';

/** Tools left out of tools/list because they cannot work here, grouped by what would make them work. */
function hiddenToolLines(config: Parameters<typeof unavailableTools>[0]): string[] {
  const byReason = new Map<string, string[]>();
  for (const [tool, reason] of unavailableTools(config)) byReason.set(reason, [...(byReason.get(reason) ?? []), tool]);
  const lines = [...byReason].map(([reason, tools]) => `hidden tools: ${tools.join(', ')} (${reason})`);
  const checkpoints = checkpointsNotListedLine(config);
  return checkpoints ? [...lines, checkpoints] : lines;
}

/** The egress policy, its totals and the latest decisions (newest last). */
function egressLines(e: EgressStatus): string[] {
  if (e.mode === 'none') return ['network none (no network access)'];
  const what = e.mode === 'public' ? 'the public internet; never the host, private networks or cloud metadata' : 'only the allow list';
  const lines = [
    `network: egress ${e.mode} (${what}) through the proxy ${e.proxy} (relay ${e.relay}${e.relay === 'running' ? `, connections over the ${e.transport}` : ''}; names resolved on the host by ${e.dns}); raw sockets have no route`,
    ...(e.allow.length ? [`egress allow list: ${e.allow.join(', ')}`] : []),
    `egress: ${e.connections.allowed} allowed, ${e.connections.denied} denied, ${e.connections.open} open; ${e.bytes.up} bytes up, ${e.bytes.down} bytes down`,
  ];
  for (const d of e.recent.slice(-10)) {
    lines.push(`  ${d.at} ${d.verdict === 'allowed' ? 'ALLOW' : 'DENY '} ${d.host}:${d.port}${d.address && d.address !== d.host ? ` (${d.address})` : ''} ${d.why}${d.verdict === 'allowed' ? `, ${d.bytesUp}/${d.bytesDown} bytes up/down${d.open ? ', open' : ''}` : ''}`);
  }
  return lines;
}

/** The store's line: checkpoints and their bytes, and the base copy that waits for the first one (it takes disk too). */
function checkpointLine(s: { checkpoints?: { count: number; totalBytes: number; baseBytes?: number }; volumes: { workspace: string } }): string {
  const mib = (n: number) => Math.round(n / 1048576);
  const c = s.checkpoints;
  const base = c?.baseBytes !== undefined ? `; a base copy of ${mib(c.baseBytes)} MiB is ready for the first checkpoint` : '';
  if (!c?.count) return `checkpoints: none yet${base}`;
  return `checkpoints: ${c.count} kept, ${mib(c.totalBytes)} MiB in the store (volume ${s.volumes.workspace.replace(/-workspace$/, '-checkpoints')}, out of the sandbox's reach)${base}`;
}

export const sandboxStatus = defineTool({
  name: 'sandbox_status',
  sandboxFree: true,
  title: 'Sandbox status',
  kind: 'read',
  description: 'Sandbox state: image, container, uptime, limits, network policy and decisions, security profile, daemon, hidden tools and why, checkpoints.',
  input: z.object({}),
  async handle(_args, ctx) {
    const build = ctx.sandbox.imageBuildState;
    if (build) {
      // The first build takes minutes: say where it is instead of waiting for it.
      const where = build.total ? `step ${build.step} of ${build.total}` : 'starting';
      ctx.reply.text(`the sandbox image is being built (first run only): ${where}, ${Math.round((Date.now() - build.startedAt) / 1000)} s so far`);
      return;
    }
    await ctx.sandbox.ensure();
    const [s, health] = await Promise.all([ctx.sandbox.status(), readiness(ctx.runtime)]);
    const l = s.limits;
    ctx.reply.text(
      [
        `sandbox ${s.name}: ${s.state}${s.uptimeS !== undefined ? `, up ${s.uptimeS} s` : ''} (container ${s.container}${s.containerId ? ` ${s.containerId}` : ''})`,
        `image ${s.image}`,
        `profile ${s.profile}${s.profile === 'apt' ? ' (root inside, apt-get allowed)' : ' (non-root user, read-only root filesystem, no capabilities)'}`,
        ...egressLines(s.egress),
        `limits: ${l.memoryMb} MiB memory, ${l.cpus} CPUs, ${l.pidsLimit} processes, /tmp ${l.tmpSizeMb} MiB`,
        `daemon ${s.daemon}; restarts: daemon ${s.restarts.daemon}, container ${s.restarts.container}`,
        `workspace volume ${s.volumes.workspace}, home volume ${s.volumes.home}`,
        ...(s.disk ? [`disk: ${Math.round(s.disk.usedBytes / 1048576)} MiB used of /workspace + home${s.disk.quotaBytes ? `, quota ${Math.round(s.disk.quotaBytes / 1048576)} MiB` : ' (no quota)'}`] : []),
        checkpointLine(s),
        ...hiddenToolLines(ctx.config),
        `health: ${Object.entries(health.checks).map(([k, c]) => `${k} ${c.ok ? 'ok' : 'FAILING'} (${c.detail})`).join('; ')}`,
      ].join('\n'),
    );
    ctx.reply.structuredContent({ ...s, health });
  },
});

export const sandboxReset = defineTool({
  name: 'sandbox_reset',
  title: 'Reset the sandbox',
  kind: 'destructive',
  description: 'Destroy the sandbox and start a fresh one: ALL files in /workspace and home are deleted, every process stopped.',
  input: z.object({}),
  async handle(_args, ctx) {
    forgetOutputCursors(ctx.runtime);
    // Exposed ports lead to servers of the old container: close them, so port_list never shows dead URLs.
    await closeExposedPorts(ctx.runtime);
    await ctx.sandbox.reset();
    ctx.sandbox.takeNotices();
    ctx.reply.text('the sandbox was reset: a fresh container with an empty /workspace (checkpoints are kept: sandbox_restore brings earlier files back)');
  },
});

export const sandboxTools = [sandboxStatus, sandboxReset];
