// Spreadsheet tools: thin adapters over the sheets core (src/sheets/). The daemon moves the bytes (reads capped,
// writes atomic: temp file + rename, so a failed update never leaves a half-written workbook); the workbook itself
// is parsed and written in the sheet worker thread, under its memory, time and cell limits, because a workbook made
// in the sandbox is hostile input. Domain errors (SheetError) become ToolErrors here.
import { displayPath, resolveWorkspacePath } from '@suna/sandbox';
import { reword } from '../errors.js';
import { z } from 'zod';
import { SheetError } from '../sheets/errors.js';
import { aggregationSpec, filterSpec, formatOf, operation, OPERATION_FIELDS, sheetSpec, sourceKind, type SheetFormat } from '../sheets/inputs.js';
import { SHEET_LIMITS } from '../sheets/limits.js';
import { markdownTable } from '../sheets/markdown.js';
import type { SourceFile } from '../sheets/sources.js';
import { areaText, columnLetter } from '../sheets/refs.js';
import type { SheetTaskKind, SheetTaskOf, SheetTaskResults } from '../sheets/tasks.js';
import { sheetWorker } from '../sheets/worker-host.js';
import { defineTool, ToolError, type ToolContext } from '../tool.js';

const MAX_GROUPS_SHOWN = 500;

const pathArg = z.string().max(4096).describe('.xlsx or .csv file');
const sheetArg = z.string().optional().describe('Default: the first sheet');

/** Domain errors are the caller's to fix: they reach the client as tool errors. */
async function sheets<T>(fn: () => T | Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw err instanceof SheetError ? new ToolError(err.message) : err;
  }
}

const inWorker = <K extends SheetTaskKind>(ctx: ToolContext, task: SheetTaskOf<K>): Promise<SheetTaskResults[K]> => sheets(() => sheetWorker().run(task, { signal: ctx.signal }));

interface SheetFile { abs: string; name: string; format: SheetFormat; data: Uint8Array }

async function readSheetFile(ctx: ToolContext, path: string): Promise<SheetFile> {
  const abs = resolveWorkspacePath(path, { allowRoot: false });
  const name = displayPath(abs);
  const format = await sheets(() => formatOf(name));
  const r = await ctx.fs.read(abs, { maxBytes: SHEET_LIMITS.fileBytes }).catch(reword('ENOENT', `no such file: ${name} (file_list shows what exists; sheet_create makes a new one)`));
  if (r.truncated)
    throw new ToolError(`${name} is ${(r.size / 1024 / 1024).toFixed(1)} MB, over the ${SHEET_LIMITS.fileBytes / 1024 / 1024} MB limit of the sheet tools; process it with python3 in shell_exec instead`);
  return { abs, name, format, data: r.data };
}

/** The CSV/JSON files named as `source`, read through the path policy under the sheet tools' file-size cap. */
async function readSources(ctx: ToolContext, paths: (string | undefined)[]): Promise<Record<string, SourceFile> | undefined> {
  const wanted = [...new Set(paths.filter((p): p is string => p !== undefined))];
  if (!wanted.length) return undefined;
  const out: Record<string, SourceFile> = {};
  for (const path of wanted) {
    const abs = resolveWorkspacePath(path, { allowRoot: false });
    const name = displayPath(abs);
    if (!sourceKind(name)) throw new ToolError(`source ${name}: use a .csv file (first line = header) or a .json file (an array of objects or of arrays)`);
    const r = await ctx.fs.read(abs, { maxBytes: SHEET_LIMITS.fileBytes }).catch(reword('ENOENT', `no such source file: ${name} (file_list shows what exists)`));
    if (r.truncated) throw new ToolError(`source ${name} is ${(r.size / 1024 / 1024).toFixed(1)} MB, over the ${SHEET_LIMITS.fileBytes / 1024 / 1024} MB limit of the sheet tools; convert it with pandas in code_run instead`);
    out[path] = { name, data: r.data };
  }
  return out;
}

async function writeSheetFile(ctx: ToolContext, abs: string, data: Uint8Array, exclusive: boolean): Promise<void> {
  await ctx.fs
    .write(abs, Buffer.from(data), { exclusive })
    .catch(reword('EEXIST', `${displayPath(abs)} already exists and was left as it is; pass overwrite: true to replace it, or change it with sheet_update`));
}

const sheetList = (names: string[]): string => names.map((n) => JSON.stringify(n)).join(', ');

export const sheetCreate = defineTool({
  name: 'sheet_create',
  title: 'Create a spreadsheet',
  kind: 'write',
  description:
    'Create an .xlsx (sheets) or .csv (one sheet) file. `columns` become a bold, frozen header row. ' +
    '"=…" strings are formulas ("\'=" for literal text). A sheet\'s `source` converts a workspace .csv/.json (rows never pass through the call). Replaces only with overwrite.',
  input: z.object({
    path: pathArg,
    sheets: z.array(sheetSpec).min(1).max(100),
    overwrite: z.boolean().optional(),
  }),
  async handle({ path, sheets: specs, overwrite }, ctx) {
    const abs = resolveWorkspacePath(path, { allowRoot: false });
    const name = displayPath(abs);
    const format = await sheets(() => formatOf(name));
    const sources = await readSources(ctx, specs.map((spec) => spec.source));
    const { data, sheets: summary } = await inWorker(ctx, { kind: 'create', name, format, sheets: specs, sources });
    await writeSheetFile(ctx, abs, data, !overwrite);
    const what = format === 'csv' ? `(${summary[0].dimensions})` : summary.map((s) => `sheet "${s.name}" ${s.dimensions}`).join(', ');
    ctx.reply.text(`created ${displayPath(abs)} ${what} (${data.length.toLocaleString('en-US')} bytes)`);
    ctx.reply.resourceLink(displayPath(abs));
    ctx.reply.structuredContent({ path: displayPath(abs), sheets: summary, bytes: data.length });
  },
});

export const sheetRead = defineTool({
  name: 'sheet_read',
  title: 'Read a spreadsheet',
  kind: 'read',
  description:
    'Read a sheet of an .xlsx or .csv file as a table with row numbers and column letters, plus the sheet names and used range. ' +
    'Formulas show as "=A1+B1 → 3". Default: 100 rows, 50 columns; page with `range`.',
  input: z.object({
    path: pathArg,
    sheet: sheetArg,
    range: z.string().max(40).optional().describe('e.g. "A1:D20"'),
    max_rows: z.number().int().min(1).max(1000).optional().describe('Default 100'),
  }),
  async handle({ path, sheet, range, max_rows }, ctx) {
    const f = await readSheetFile(ctx, path);
    const r = await inWorker(ctx, { kind: 'read', name: f.name, format: f.format, data: f.data, sheet, range, maxRows: max_rows ?? 100 });
    const where = f.format === 'csv' ? f.name : `sheet "${r.sheet}" of ${f.name} (sheets: ${sheetList(r.sheets)})`;
    const head = [`${where}; used range ${r.dimensions}.`];
    const data: Record<string, unknown> = { sheets: r.sheets, sheet: r.sheet, dimensions: r.dimensions };
    const view = r.view;
    if (!view) {
      ctx.reply.text(`${head[0]} ${r.used ? `The range ${range} holds no data.` : 'The sheet is empty.'}`);
      ctx.reply.structuredContent({ ...data, range: null, rows: [], formulas: [] });
      return;
    }
    const { area, moreRows } = view;
    const shown = areaText(area);
    const more = moreRows ? `; ${moreRows} more row(s): read range "${columnLetter(area.left)}${area.bottom + 1}:${columnLetter(area.right)}${area.bottom + moreRows}" or raise max_rows` : '';
    const left = !range && area.right < r.used!.right ? `; columns after ${columnLetter(area.right)} not shown, pass a range to see them` : '';
    head.push(`Showing ${shown}${view.tableFormat === 'csv' ? ' as CSV (too wide for a table)' : ''}${more}${left}.`);
    if (view.formulas.length) {
      const computed = view.formulas.filter((f) => f.computed).length;
      const failed = view.formulas.filter((f) => f.not_computed).length;
      const how = [computed && `${computed} computed here (the file has no cached result)`, failed && `${failed} could not be computed`].filter(Boolean).join(', ');
      head.push(`${view.formulas.length} formula cell(s) in view, shown as =formula → value${how ? ` (${how})` : ''}.`);
    }
    ctx.reply.text(`${head.join('\n')}\n\n${view.table}`, { raw: true });
    ctx.reply.structuredContent({ ...data, range: shown, more_rows: moreRows, rows: view.rows, formulas: view.formulas });
  },
});

export const sheetUpdate = defineTool({
  name: 'sheet_update',
  title: 'Update a spreadsheet',
  kind: 'write',
  description:
    'Apply `operations` in order to `sheet` of an .xlsx/.csv file, all-or-nothing (a failure names it; the file stays untouched). ' +
    '"=…" values are formulas; inserts, deletes and renames rewrite references as Excel does. Operations: ' + OPERATION_FIELDS + '.',
  input: z.object({
    path: pathArg,
    sheet: sheetArg,
    operations: z.array(operation).min(1).max(1000),
  }),
  async handle({ path, sheet, operations }, ctx) {
    const f = await readSheetFile(ctx, path);
    const sources = await readSources(ctx, operations.map((op) => ('source' in op ? op.source : undefined)));
    const r = await inWorker(ctx, { kind: 'update', name: f.name, format: f.format, data: f.data, sheet, operations, sources });
    await writeSheetFile(ctx, f.abs, r.data, false);
    const where = f.format === 'csv' ? f.name : `${f.name} (sheet "${r.sheet}", now ${r.dimensions}; sheets: ${sheetList(r.sheets)})`;
    ctx.reply.text(`updated ${where}:\n${r.applied.map((d, i) => `${i + 1}. ${d}`).join('\n')}`);
    ctx.reply.resourceLink(displayPath(f.abs));
    ctx.reply.structuredContent({ sheets: r.sheets, sheet: r.sheet, dimensions: r.dimensions, applied: r.applied, bytes: r.data.length });
  },
});

export const sheetAnalyze = defineTool({
  name: 'sheet_analyze',
  title: 'Group and aggregate a sheet',
  kind: 'read',
  description:
    'Summarise a sheet with a header row: keep rows matching every `filter`, group by `group_by`, aggregate per group. ' +
    'Columns by header text or letter; text compares case-insensitively.',
  input: z.object({
    path: pathArg,
    sheet: sheetArg,
    group_by: z.union([z.string(), z.array(z.string()).max(10)]).optional().describe('Column(s); omit for one row of totals'),
    aggregations: z.array(aggregationSpec).max(50).optional().describe('Default: count of rows'),
    filter: z.array(filterSpec).max(50).optional(),
  }),
  async handle({ path, sheet, group_by, aggregations, filter }, ctx) {
    const f = await readSheetFile(ctx, path);
    const { sheet: sheetName, result: r } = await inWorker(ctx, { kind: 'analyze', name: f.name, format: f.format, data: f.data, sheet, spec: { group_by, aggregations, filter } });
    const shown = r.rows.slice(0, MAX_GROUPS_SHOWN);
    const filtered = filter?.length ? `${r.matched} of ${r.total} data rows matched the filter` : `${r.total} data rows`;
    const groups = group_by ? `; ${r.rows.length} group(s)${r.rows.length > shown.length ? `, first ${shown.length} shown` : ''}` : '';
    const notes = r.uncomputed.map((u) => `\nColumn "${u.column}": ${u.cells} formula cell(s) could not be computed (first: ${u.example}); aggregates over them are left empty.`).join('');
    ctx.reply.text(`${f.format === 'csv' ? f.name : `sheet "${sheetName}" of ${f.name}`}: ${filtered}${groups}.${notes}\n\n${markdownTable(r.columns, shown)}`, { raw: true });
    ctx.reply.structuredContent({ sheet: sheetName, columns: r.columns, rows: shown, groups: r.rows.length, matched_rows: r.matched, total_rows: r.total, uncomputed: r.uncomputed });
  },
});

export const sheetTools = [sheetCreate, sheetRead, sheetUpdate, sheetAnalyze];
