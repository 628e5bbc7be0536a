// The code interpreter: code_run runs Python in a persistent Jupyter kernel in the sandbox (sandbox/daemon/kernel.ts
// drives sandbox/kernel/driver.py), code_reset starts it afresh. Thin: shaping lives in ../code/outputs.ts.
import { CODE_LIMITS } from '@suna/sandbox';
import { z } from 'zod';
import { checkDisplays, MAX_IMAGE_SIDE, needsDownscale, restartNotice, statusLine, streamText, trimTraceback, userLine } from '../code/outputs.js';
import { defineTool, ToolError } from '../tool.js';

const FIGURE_DIR = '/workspace/.suna/figures';
const MAX_TIMEOUT_S = 3600;
const rel = (p: string) => p.slice('/workspace/'.length);

const language = z.enum(['python']).optional();

export const codeRun = defineTool({
  name: 'code_run',
  title: 'Run code in a Python kernel',
  kind: 'exec',
  description:
    'Run Python in a persistent Jupyter kernel (cwd /workspace): variables and imports survive between calls. pandas, numpy, ' +
    'matplotlib, seaborn, scipy, openpyxl installed. Returns output, the last expression (DataFrames as tables), figures as images ' +
    '(saved under .suna/figures/), tracebacks. A timeout interrupts the code; variables are kept.',
  input: z.object({
    code: z.string().min(1).max(1_000_000),
    language,
    timeout_s: z.number().positive().max(MAX_TIMEOUT_S).optional().describe('Default 60'),
  }),
  // No output schema: it would cost every conversation ~0.7 KB of tools/list for what the text already says. The
  // structured result is still sent: {status, execution_count?, stdout, stderr, result?, error?, figures, kernel_restarted}.
  async handle({ code, timeout_s }, ctx) {
    const timeoutS = timeout_s ?? 60;
    const budget = ctx.config.maxOutputChars;
    const started = Date.now();
    const r = await ctx.code.run({ code, timeoutMs: Math.round(timeoutS * 1000), capChars: budget, figureDir: FIGURE_DIR });
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
  description: 'Restart the code_run kernel, discarding all variables, imports and open files.',
  input: z.object({ language }),
  async handle(_args, ctx) {
    const r = await ctx.code.reset();
    ctx.reply.text(r.restarted ? 'the Python kernel was stopped; the next code_run starts a fresh one' : 'no kernel was running; the next code_run starts one');
  },
});

export const codeTools = [codeRun, codeReset];
