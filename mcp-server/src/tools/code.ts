// The code interpreter: code_run runs Python in a persistent Jupyter kernel in the sandbox (sandbox/daemon/kernel.ts
// drives sandbox/kernel/driver.py), code_reset starts it afresh. Thin: shaping lives in ../code/outputs.ts.
import { CODE_LIMITS } from '@suna/sandbox';
import { z } from 'zod';
import { checkDisplays, MAX_IMAGE_SIDE, needsDownscale, restartNotice, statusLine, streamText, trimTraceback, userLine } from '../code/outputs.js';
import { defineTool, ToolError } from '../tool.js';

const FIGURE_DIR = '/workspace/.suna/figures';
const MAX_TIMEOUT_S = 3600;
const rel = (p: string) => p.slice('/workspace/'.length);

const language = z.enum(['python']).optional().describe('The kernel\'s language; only "python" for now');

export const codeRun = defineTool({
  name: 'code_run',
  title: 'Run code in a Python kernel',
  kind: 'exec',
  description:
    'Run Python in a persistent Jupyter kernel in the sandbox (working directory /workspace). Variables, imports and open files ' +
    'survive between calls, so load data once and explore it step by step. pandas, numpy, matplotlib, seaborn, scipy and openpyxl are installed. ' +
    'Returns stdout/stderr, the value of the last expression, DataFrames as text tables with their shape, matplotlib figures as images ' +
    '(also saved under .suna/figures/), and errors as a traceback naming your line. At the timeout the code is interrupted and the variables are kept.',
  input: z.object({
    code: z.string().min(1).max(1_000_000).describe('Python source; the value of the last line is shown'),
    language,
    timeout_s: z.number().positive().max(MAX_TIMEOUT_S).optional().describe('Interrupt the code after this many seconds (default 60)'),
  }),
  output: z.object({
    status: z.enum(['ok', 'error', 'timeout', 'cancelled', 'died']),
    execution_count: z.number().optional(),
    stdout: z.string(),
    stderr: z.string(),
    result: z.string().optional(),
    error: z.object({ name: z.string(), message: z.string(), line: z.number().optional() }).optional(),
    figures: z.array(z.string()).describe('Workspace paths of the figures saved by this call'),
    kernel_restarted: z.boolean(),
  }),
  async handle({ code, timeout_s }, ctx) {
    const timeoutS = timeout_s ?? 60;
    const budget = ctx.config.maxOutputChars;
    const started = Date.now();
    const r = await ctx.sandbox.codeRun({ code, timeoutMs: Math.round(timeoutS * 1000), capChars: budget, figureDir: FIGURE_DIR }, ctx.signal);
    const seconds = ((Date.now() - started) / 1000).toFixed(2);
    const notice = restartNotice(r, ctx.config.sandbox.memoryMb);
    if (notice) ctx.reply.notice(notice);
    ctx.reply.text(statusLine(r, seconds, timeoutS));
    const stderrBudget = r.stderr.total ? Math.floor(budget * 0.3) : 0;
    const stdout = streamText(r.stdout, budget - stderrBudget);
    const stderr = streamText(r.stderr, stderrBudget);
    if (stdout) ctx.reply.text(`stdout:\n${stdout}`, { max: budget + 50 });
    if (stderr) ctx.reply.text(`stderr:\n${stderr}`, { max: budget + 50 });
    if (r.result !== null) ctx.reply.text(`Out[${r.executionCount ?? ''}]:\n${r.result}`, { max: budget });
    const figures: string[] = [];
    for (const d of checkDisplays(r.displays, CODE_LIMITS.imageBytes)) {
      if (d.kind === 'text') ctx.reply.text(d.text, { max: budget });
      else if (d.kind === 'rejected') ctx.reply.text('(an image output was left out: it is not a valid PNG)');
      else {
        let { bytes, width, height } = d.image;
        const original = `${width}×${height}`;
        if (needsDownscale(d.image)) {
          const img = await ctx.runtime.browser.renderImage(bytes, 'image/png', MAX_IMAGE_SIDE);
          ({ width, height } = img);
          bytes = img.data;
          ctx.reply.image(bytes.toString('base64'), img.mimeType);
        } else ctx.reply.image(bytes.toString('base64'), 'image/png');
        const shown = `${width}×${height}` !== original ? `, shown at ${width}×${height}` : '';
        if (d.path) figures.push(rel(d.path));
        ctx.reply.text(`figure ${original}${shown}${d.path ? `; saved to ${rel(d.path)}` : ''}`);
        if (d.path) ctx.reply.resourceLink(rel(d.path), { mimeType: 'image/png', description: 'the full-size figure' });
      }
    }
    const line = r.error ? userLine(r.error.traceback) : null;
    if (r.error) ctx.reply.text(trimTraceback(r.error.traceback) || `${r.error.ename}: ${r.error.evalue}`);
    ctx.reply.structuredContent({
      status: r.status,
      ...(r.executionCount !== null ? { execution_count: r.executionCount } : {}),
      stdout,
      stderr,
      ...(r.result !== null ? { result: r.result.slice(0, budget) } : {}),
      ...(r.error ? { error: { name: r.error.ename, message: r.error.evalue.slice(0, 1000), ...(line ? { line } : {}) } } : {}),
      figures,
      kernel_restarted: !!r.restart || r.status === 'died',
    });
    if (r.status === 'error' || r.status === 'died') ctx.reply.markFailed();
    if (r.status === 'cancelled') throw new ToolError('cancelled');
  },
});

export const codeReset = defineTool({
  name: 'code_reset',
  title: 'Restart the Python kernel',
  kind: 'destructive',
  description: 'Restart the code_run kernel: all variables, imports and open files are discarded. The next code_run starts a fresh kernel.',
  input: z.object({ language }),
  async handle(_args, ctx) {
    const r = await ctx.sandbox.call('codeReset', {}, { signal: ctx.signal, timeoutMs: 30_000 });
    ctx.reply.text(r.restarted ? 'the Python kernel was stopped; the next code_run starts a fresh one' : 'no kernel was running; the next code_run starts one');
  },
});

export const codeTools = [codeRun, codeReset];
