// Bench of the panel's live output for background processes (shell_start): how late a printed line reaches
// the card when the panel follows the process with shell_output (extension/src/node/background-output.ts),
// next to its peer in the same run, a shell_exec's own live output (progress notifications).
//   SUNA_BENCH=panel-background npm run bench
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { liveOutputOf } from '@suna/shared/live-output';
import { BackgroundOutput, startedProcessId } from '../../extension/src/node/background-output.ts';
import { CLI, serverEnv } from '../test/fixtures/server.ts';

type Row = { name: string; p50: number; p95: number; n: number; note?: string };

const pct = (xs: number[], p: number) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))]!;
const PRINT = 'for i in $(seq 1 30); do date +%s%N; sleep 0.2; done';

/** Lag of every line that carries the time it was printed (the container shares the host's clock). */
function addLags(lags: number[], text: string | undefined): void {
  const now = Date.now();
  for (const line of (text ?? '').split('\n')) if (/^\d{19}$/.test(line)) lags.push(now - Number(BigInt(line) / 1_000_000n));
}

export async function benchBackgroundOutput(): Promise<Row[]> {
  const transport = new StdioClientTransport({ command: process.execPath, args: [CLI], env: serverEnv({ SUNA_LOG_LEVEL: 'error' }), stderr: 'ignore' });
  const client = new Client({ name: 'bench-panel-background', version: '1' });
  await client.connect(transport);
  const textOf = (r: Record<string, unknown>) => ((r.content ?? []) as Array<{ type: string; text?: string }>).filter((c) => c.type === 'text').map((c) => c.text).join('\n');
  try {
    await client.callTool({ name: 'shell_exec', arguments: { command: 'true' } });
    const peer: number[] = [];
    await client.callTool({ name: 'shell_exec', arguments: { command: PRINT, timeout_s: 60 } }, undefined, { timeout: 120_000, onprogress: (p) => addLags(peer, liveOutputOf(p.message)) });

    const lags: number[] = [];
    const tools = {
      async callTool(name: string, args: Record<string, unknown>, signal: AbortSignal) {
        const r = await client.callTool({ name, arguments: args }, undefined, { signal, timeout: 120_000 });
        return { text: textOf(r), ...(r.isError ? { isError: true } : {}) };
      },
    };
    const started = await client.callTool({ name: 'shell_start', arguments: { command: PRINT } });
    const processId = startedProcessId('shell_start', !started.isError, textOf(started));
    if (!processId) throw new Error(`shell_start answered ${textOf(started)}`);
    await new Promise<void>((resolve) => {
      const bg = new BackgroundOutput(tools, (e) => {
        if (e.type !== 'process_output') return;
        addLags(lags, e.text);
        if (e.state && e.state !== 'running') resolve();
      });
      bg.follow('bench', processId);
    });
    const p50 = pct(lags, 50);
    const peer50 = pct(peer, 50);
    return [
      { name: 'panel: shell_start output, printed → in its card', p50, p95: pct(lags, 95), n: lags.length, note: `peer: shell_exec live output ${peer50.toFixed(0)} ms p50, ${(p50 / peer50).toFixed(2)}×` },
    ];
  } finally {
    await client.close();
  }
}
