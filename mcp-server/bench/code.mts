// The code interpreter's numbers (issue 17), through MCP over stdio against the real sandbox: first code_run
// including the kernel's start, a warm "1+1" round trip, and a matplotlib line chart of a 10,000-row DataFrame.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { CLI, serverEnv } from '../test/fixtures/server.ts';

export interface BenchRow { name: string; p50: number; p95: number; n: number; note?: string }

function pct(xs: number[], p: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))]!;
}

async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

export async function benchCode(results: BenchRow[]): Promise<void> {
  const env = serverEnv({ SUNA_LOG_LEVEL: 'error' });
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [CLI], env, stderr: 'ignore' }));
  const run = async (code: string) => {
    const r = await client.callTool({ name: 'code_run', arguments: { code } }, undefined, { timeout: 300_000 });
    if (r.isError) throw new Error(`code_run failed: ${JSON.stringify(r.content).slice(0, 500)}`);
    return r;
  };
  await client.callTool({ name: 'shell_exec', arguments: { command: 'true' } }); // sandbox up: only the kernel is measured
  const starts: number[] = [await timed(() => run('1+1'))];
  for (let i = 0; i < 2; i++) {
    await client.callTool({ name: 'code_reset', arguments: {} });
    starts.push(await timed(() => run('1+1')));
  }
  results.push({ name: 'code_run first call incl. kernel start', p50: pct(starts, 50), p95: Math.max(...starts), n: starts.length, note: `goal ≤ 2000; first ever ${starts[0]!.toFixed(0)}` });

  for (let i = 0; i < 5; i++) await run('1+1');
  const warm: number[] = [];
  for (let i = 0; i < 50; i++) warm.push(await timed(() => run('1+1')));
  results.push({ name: 'code_run "1+1" warm round trip (stdio)', p50: pct(warm, 50), p95: pct(warm, 95), n: warm.length, note: 'goal ≤ 20' });

  await run('import numpy as np, pandas as pd, matplotlib.pyplot as plt\ndf = pd.DataFrame({"x": np.arange(10_000), "y": np.random.default_rng(1).normal(size=10_000).cumsum()})');
  const chart = 'df.plot(x="x", y="y"); plt.show()';
  const r = await run(chart);
  if (!(r.content as { type: string }[]).some((c) => c.type === 'image')) throw new Error('the chart came back without an image');
  const charts: number[] = [];
  for (let i = 0; i < 10; i++) charts.push(await timed(() => run(chart)));
  results.push({ name: 'code_run line chart of a 10,000-row DataFrame, warm', p50: pct(charts, 50), p95: pct(charts, 95), n: charts.length, note: 'goal ≤ 600; PNG as MCP image' });
  await client.close();
}
