// Why: the four things the sheet tools do to a workbook, each from plain data to plain data (bytes in, bytes and
// summaries out), so they can run in the worker thread (worker.ts) and in unit tests alike. Errors are SheetErrors.
import ExcelJS from 'exceljs';
import type { Workbook } from 'exceljs';
import { analyzeSheet, type AnalyzeResult } from './analyze.js';
import { SheetError } from './errors.js';
import { WorkbookValues } from './evaluate.js';
import type { AnalyzeSpec, Operation, SheetFormat, SheetSpec } from './inputs.js';
import { applyOperations } from './operations.js';
import type { Area } from './refs.js';
import { readSource, type SourceFile } from './sources.js';
import { viewGrid, type GridView } from './view.js';
import { addSheet, dimensions, findSheet, loadWorkbook, saveWorkbook, sheetNames, usedArea } from './workbook.js';

interface FileTask { name: string; format: SheetFormat; data: Uint8Array; sheet?: string }
export type SheetTask =
  | { kind: 'create'; name: string; format: SheetFormat; sheets: SheetSpec[]; sources?: Record<string, SourceFile> }
  | ({ kind: 'read'; range?: string; maxRows: number } & FileTask)
  | ({ kind: 'update'; operations: Operation[]; sources?: Record<string, SourceFile> } & FileTask)
  | ({ kind: 'analyze'; spec: AnalyzeSpec } & FileTask);

export interface SheetTaskResults {
  create: { data: Uint8Array; sheets: { name: string; dimensions: string }[] };
  read: { sheets: string[]; sheet: string; dimensions: string; used?: Area; view?: GridView };
  update: { data: Uint8Array; sheets: string[]; sheet: string; dimensions: string; applied: string[] };
  analyze: { sheet: string; result: AnalyzeResult };
}
export type SheetTaskKind = SheetTask['kind'];
export type SheetTaskOf<K extends SheetTaskKind> = Extract<SheetTask, { kind: K }>;

/** A fresh copy the worker can transfer (exceljs may hand out a slice of a shared pool). */
const ownBytes = (b: Buffer): Uint8Array => new Uint8Array(b);

async function open(t: FileTask) {
  const wb = await loadWorkbook(t.data, t.format, t.name);
  return { wb, ws: findSheet(wb, t.format === 'csv' ? undefined : t.sheet, t.name) };
}

/** A spec or operation that names a `source` gets that file's rows (the tool read the file; `sources` is by path). */
async function withSourceRows<T extends { source?: string; rows?: unknown[]; columns?: string[] }>(item: T, sources: Record<string, SourceFile> | undefined, where: string): Promise<T> {
  if (item.source === undefined) return item;
  if (item.rows?.length) throw new SheetError(`${where}: give rows or source, not both`);
  const src = sources?.[item.source];
  if (!src) throw new SheetError(`${where}: the source ${item.source} was not read`);
  const { header, rows } = await readSource(src);
  return { ...item, rows, ...('name' in item && !item.columns && header ? { columns: header } : {}) };
}

function create(t: SheetTaskOf<'create'>): Workbook {
  if (t.format === 'csv' && t.sheets.length !== 1) throw new SheetError(`a .csv file holds exactly one sheet, got ${t.sheets.length}; use a .xlsx path for several sheets`);
  const wb = new ExcelJS.Workbook();
  t.sheets.forEach((spec, i) => {
    try {
      addSheet(wb, spec, t.format);
    } catch (err) {
      throw err instanceof SheetError ? new SheetError(`sheets[${i}]: ${err.message}`) : err;
    }
  });
  return wb;
}

export async function runSheetTask<K extends SheetTaskKind>(task: SheetTaskOf<K>): Promise<SheetTaskResults[K]> {
  const t = task as SheetTask;
  let out: SheetTaskResults[SheetTaskKind];
  switch (t.kind) {
    case 'create': {
      const sheets = await Promise.all(t.sheets.map((spec, i) => withSourceRows(spec, t.sources, `sheets[${i}]`)));
      const wb = create({ ...t, sheets });
      const data = ownBytes(await saveWorkbook(wb, t.format));
      out = { data, sheets: wb.worksheets.map((ws) => ({ name: ws.name, dimensions: dimensions(ws) })) };
      break;
    }
    case 'read': {
      const { wb, ws } = await open(t);
      out = { sheets: sheetNames(wb), sheet: ws.name, dimensions: dimensions(ws), used: usedArea(ws), view: viewGrid(ws, t.range, t.maxRows, new WorkbookValues(wb)) };
      break;
    }
    case 'update': {
      const { wb, ws } = await open(t);
      const operations = await Promise.all(t.operations.map((op, i) => ('source' in op ? withSourceRows(op, t.sources, `operation ${i + 1} (${op.op})`) : op)));
      const applied = applyOperations(wb, ws, operations, t.format, t.name);
      const data = ownBytes(await saveWorkbook(wb, t.format));
      out = { data, sheets: sheetNames(wb), sheet: ws.name, dimensions: dimensions(ws), applied };
      break;
    }
    case 'analyze': {
      const { wb, ws } = await open(t);
      out = { sheet: ws.name, result: analyzeSheet(ws, t.spec, new WorkbookValues(wb)) };
      break;
    }
  }
  return out as SheetTaskResults[K];
}
