// The pure core of the sheet tools: cell references, cell values, workbook bytes ⇄ exceljs, the update
// operations (with formula references kept pointing at the same cells, by sheets-formulas.ts), the grid view
// and grouping.
// No sandbox I/O here: sheets.ts moves the bytes, so every rule below has a plain unit test.
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Cell, CellValue, Workbook, Worksheet } from 'exceljs';
import { z } from 'zod';
import { ToolError } from '../tool.js';
import { columnLetter, columnNumber, dropResults, isFormula, renameInFormula, rewriteFormulas, shiftFormula, unshareFormulas } from './sheets-formulas.js';

export { columnLetter };

const MAX_ROWS = 1_048_576;
const MAX_COLS = 16_384;
const CELL_FORM = 'a column letter and a row number from 1, like "A1" or "AB12"';

// ---------- references ----------
export interface CellRef { row: number; col: number }
export interface Area { top: number; left: number; bottom: number; right: number }

export function parseCell(ref: string): CellRef {
  const m = /^\s*\$?([A-Za-z]{1,3})\$?(\d{1,7})\s*$/.exec(ref);
  const col = m ? columnNumber(m[1]) : 0;
  const row = m ? Number(m[2]) : 0;
  if (!m || row < 1 || row > MAX_ROWS || col > MAX_COLS) throw new ToolError(`bad cell "${ref}": expected ${CELL_FORM} (columns A–XFD, rows 1–${MAX_ROWS})`);
  return { row, col };
}

export function parseRange(range: string): Area {
  const parts = range.split(':');
  let a: CellRef, b: CellRef;
  try {
    if (parts.length > 2) throw new Error();
    [a, b] = [parseCell(parts[0]), parseCell(parts[1] ?? parts[0])];
  } catch {
    throw new ToolError(`bad range "${range}": expected two cells joined by ":", like "A1:D20" (or one cell, like "B3"); rows start at 1`);
  }
  return { top: Math.min(a.row, b.row), left: Math.min(a.col, b.col), bottom: Math.max(a.row, b.row), right: Math.max(a.col, b.col) };
}

/** A column given as a letter ("C") or a 1-based number (3). */
export function parseColumn(at: string | number): number {
  const s = String(at).trim();
  const n = /^\d+$/.test(s) ? Number(s) : /^[A-Za-z]{1,3}$/.test(s) ? columnNumber(s) : 0;
  if (n < 1 || n > MAX_COLS) throw new ToolError(`bad column "${at}": expected a column letter like "C" or a 1-based number like 3`);
  return n;
}

function checkRow(at: number): number {
  if (!Number.isInteger(at) || at < 1 || at > MAX_ROWS) throw new ToolError(`bad row ${at}: rows are numbered from 1 to ${MAX_ROWS}`);
  return at;
}

export const areaText = (a: Area): string => `${columnLetter(a.left)}${a.top}:${columnLetter(a.right)}${a.bottom}`;

// ---------- values ----------
export type Scalar = string | number | boolean | null;
export const cellInput = z.union([z.string().max(32_767), z.number(), z.boolean(), z.null()]);
export type CellInput = z.infer<typeof cellInput>;
export const rowInput = z.union([z.array(cellInput).max(MAX_COLS), z.record(z.string(), cellInput)]);
export type RowInput = z.infer<typeof rowInput>;

/** "=A1+B1" becomes a formula; "'=x" is the text "=x"; numbers, booleans and null stay typed. */
export function toCellValue(v: CellInput): CellValue {
  if (typeof v === 'string' && v.length > 1 && v.startsWith('=')) return { formula: v.slice(1) };
  if (typeof v === 'string' && v.startsWith("'=")) return v.slice(1);
  return v;
}

function isoDate(d: Date): string {
  const s = d.toISOString();
  return s.endsWith('T00:00:00.000Z') ? s.slice(0, 10) : s.replace('.000Z', 'Z');
}

/** A cell value as JSON: formulas give their cached result (null when never calculated). */
export function plainValue(v: CellValue | undefined): Scalar {
  if (v === null || v === undefined || typeof v !== 'object') return v ?? null;
  if (v instanceof Date) return isoDate(v);
  if ('formula' in v || 'sharedFormula' in v) return plainValue(v.result as CellValue | undefined);
  if ('richText' in v) return v.richText.map((r) => r.text).join('');
  if ('hyperlink' in v) return plainValue(v.text as CellValue);
  if ('error' in v) return v.error;
  return null;
}

const cellValue = (cell: Cell): Scalar => (cell.type === ExcelJS.ValueType.Merge ? null : plainValue(cell.value));

/** "=A1+B1 → 3" for a formula with a cached result, "=A1+B1" without one, else the value. */
export function cellText(cell: Cell): string {
  const v = cellValue(cell);
  if (!isFormula(cell)) return v === null ? '' : String(v);
  return `=${cell.formula}${v === null ? '' : ` → ${v}`}`;
}

// ---------- workbook bytes ----------
export type SheetFormat = 'xlsx' | 'csv';

export function formatOf(path: string): SheetFormat {
  if (/\.xlsx$/i.test(path)) return 'xlsx';
  if (/\.csv$/i.test(path)) return 'csv';
  throw new ToolError(`${path}: sheet tools read and write .xlsx and .csv files; use a path ending in one of those`);
}

const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

/** CSV text → typed values: numbers (not "007" or 16+ digit ids), TRUE/FALSE, "=…" formulas, else text. */
export function fromCsv(datum: string): CellValue {
  if (datum === '') return null;
  if (NUMBER.test(datum) && !/^[-+]?0\d/.test(datum) && datum.replace(/\D/g, '').length <= 15) return Number(datum);
  if (/^(true|false)$/i.test(datum)) return datum.toLowerCase() === 'true';
  return toCellValue(datum);
}

function toCsv(v: CellValue): Scalar {
  if (v !== null && typeof v === 'object' && 'formula' in v) return `=${v.formula}`;
  return plainValue(v);
}

const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0];

/** exceljs parses on the host: refuse zip bombs by what the central directory declares. */
const MAX_UNZIPPED_BYTES = 256 * 1024 * 1024;

/** Sum of the uncompressed sizes a zip declares (Infinity for zip64); undefined when there is no readable directory. */
export function declaredUnzippedBytes(zip: Buffer): number | undefined {
  const end = zip.lastIndexOf(Buffer.from('PK\x05\x06', 'latin1'));
  if (end < 0 || end + 22 > zip.length) return undefined;
  let total = 0;
  for (let n = zip.readUInt16LE(end + 10), p = zip.readUInt32LE(end + 16); n > 0; n--) {
    if (p + 46 > zip.length || zip.readUInt32LE(p) !== 0x02014b50) return undefined;
    if (zip.readUInt32LE(p + 24) === 0xffffffff) return Infinity;
    total += zip.readUInt32LE(p + 24);
    p += 46 + zip.readUInt16LE(p + 28) + zip.readUInt16LE(p + 30) + zip.readUInt16LE(p + 32);
  }
  return total;
}

export async function loadWorkbook(data: Buffer, format: SheetFormat, name: string): Promise<Workbook> {
  const wb = new ExcelJS.Workbook();
  if (format === 'csv') {
    if (data.includes(0)) throw new ToolError(`${name} is not a text CSV file (it holds binary data)`);
    const text = data.toString('utf8').replace(/^\uFEFF/, '');
    await wb.csv.read(Readable.from([text]), { sheetName: 'Sheet1', map: fromCsv }).catch((err: unknown) => {
      throw new ToolError(`${name} could not be parsed as CSV: ${firstLine(err)}`);
    });
    return wb;
  }
  const magic = data.subarray(0, 4);
  if (!magic.equals(Buffer.from('PK\x03\x04', 'latin1'))) {
    const why = data.length === 0 ? 'it is empty' : magic.equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0])) ? 'it is an old binary .xls or a password-protected file, which exceljs cannot open' : 'it is not a zip archive, and every .xlsx file is one';
    throw new ToolError(`${name} is not a readable .xlsx workbook: ${why}`);
  }
  const unzipped = declaredUnzippedBytes(data) ?? 0;
  if (unzipped > MAX_UNZIPPED_BYTES)
    throw new ToolError(`${name} unpacks to ${unzipped === Infinity ? 'over 4 GB' : `${Math.round(unzipped / 1024 / 1024)} MB`}, over the ${MAX_UNZIPPED_BYTES / 1024 / 1024} MB the sheet tools load; process it with a streaming reader in shell_exec`);
  try {
    // exceljs declares its own `Buffer` (an ArrayBuffer); a Node Buffer is what it reads at runtime.
    await wb.xlsx.load(data as unknown as ArrayBuffer);
  } catch (err) {
    throw new ToolError(`${name} is a corrupt .xlsx workbook and could not be parsed (${firstLine(err)})`);
  }
  return wb;
}

export async function saveWorkbook(wb: Workbook, format: SheetFormat): Promise<Buffer> {
  if (format === 'csv') return Buffer.from(await wb.csv.writeBuffer({ sheetName: wb.worksheets[0].name, map: toCsv, includeEmptyRows: true }));
  // Formulas written here carry no (or stale) cached results: have Excel and LibreOffice recalculate on open.
  wb.calcProperties.fullCalcOnLoad = true;
  return Buffer.from(await wb.xlsx.writeBuffer());
}

// ---------- sheets ----------
const quoted = (names: string[]): string => names.map((n) => JSON.stringify(n)).join(', ');
export const sheetNames = (wb: Workbook): string[] => wb.worksheets.map((s) => s.name);

export function findSheet(wb: Workbook, name: string | undefined, file: string): Worksheet {
  const sheets = wb.worksheets;
  if (!sheets.length) throw new ToolError(`${file} has no sheets`);
  if (name === undefined) return sheets[0];
  const ws = sheets.find((s) => s.name === name) ?? sheets.find((s) => s.name.toLowerCase() === name.toLowerCase());
  if (!ws) throw new ToolError(`no sheet "${name}" in ${file}; its sheets are: ${quoted(sheetNames(wb))}`);
  return ws;
}

/** The used range, always from A1; undefined for an empty sheet. */
export function usedArea(ws: Worksheet): Area | undefined {
  let bottom = 0;
  let right = 0;
  ws.eachRow((row, r) =>
    row.eachCell((cell, c) => {
      if (cell.value === null || cell.value === '' || cell.type === ExcelJS.ValueType.Merge) return;
      bottom = Math.max(bottom, r);
      right = Math.max(right, c);
    }),
  );
  return bottom ? { top: 1, left: 1, bottom, right } : undefined;
}

export const dimensions = (ws: Worksheet): string => {
  const a = usedArea(ws);
  return a ? areaText(a) : 'empty';
};

/** Row 1 as column names; an empty header cell is named by its column letter. */
export function headerNames(ws: Worksheet, width = usedArea(ws)?.right ?? 0): string[] {
  return Array.from({ length: width }, (_, i) => {
    const v = cellValue(ws.getCell(1, i + 1));
    return v === null || v === '' ? columnLetter(i + 1) : String(v).trim();
  });
}

function findColumn(headers: string[], name: string): number {
  const i = headers.indexOf(name.trim());
  if (i >= 0) return i;
  const j = headers.findIndex((h) => h.toLowerCase() === name.trim().toLowerCase());
  if (j >= 0) return j;
  if (/^[A-Z]{1,3}$/.test(name.trim()) && columnNumber(name.trim()) <= headers.length) return columnNumber(name.trim()) - 1;
  throw new ToolError(`unknown column "${name}"; the columns (header row 1) are: ${headers.length ? quoted(headers) : 'none, the sheet is empty'}`);
}

/** A row given as an object is placed by its keys under the matching header names. */
function rowArray(row: RowInput, headers: string[]): (CellInput | undefined)[] {
  if (Array.isArray(row)) return row;
  const out: (CellInput | undefined)[] = [];
  for (const [key, v] of Object.entries(row)) out[findColumn(headers, key)] = v;
  return out;
}

function writeRow(ws: Worksheet, row: number, col: number, values: (CellInput | undefined)[]): void {
  if (row > MAX_ROWS || col + values.length - 1 > MAX_COLS) throw new ToolError(`row ${row} with ${values.length} values does not fit in a sheet (max ${MAX_ROWS} rows, ${MAX_COLS} columns)`);
  values.forEach((v, j) => {
    if (v !== undefined) ws.getCell(row, col + j).value = toCellValue(v);
  });
}

function checkSheetName(wb: Workbook, name: string, except?: Worksheet): void {
  if (!name.trim() || name.length > 31 || /[[\]:*?/\\]/.test(name) || /^'|'$/.test(name))
    throw new ToolError(`bad sheet name "${name}": use 1–31 characters, none of [ ] : * ? / \\, not starting or ending with an apostrophe`);
  if (wb.worksheets.some((s) => s !== except && s.name.toLowerCase() === name.toLowerCase())) throw new ToolError(`a sheet named "${name}" already exists; the sheets are: ${quoted(sheetNames(wb))}`);
}

export const sheetSpec = z.object({
  name: z.string().describe('Sheet name (1–31 characters); ignored for .csv'),
  columns: z.array(z.string()).max(MAX_COLS).optional().describe('Header names for row 1 (bold, filled, frozen). Without them, rows start at row 1.'),
  rows: z.array(rowInput).max(100_000).optional().describe('Rows as arrays of values, or objects keyed by column name. "=…" strings are formulas.'),
});
export type SheetSpec = z.infer<typeof sheetSpec>;

export function addSheet(wb: Workbook, spec: SheetSpec, format: SheetFormat): Worksheet {
  const rows = spec.rows ?? [];
  const columns = spec.columns ?? (rows.some((r) => !Array.isArray(r)) ? [...new Set(rows.flatMap((r) => (Array.isArray(r) ? [] : Object.keys(r))))] : undefined);
  if (format === 'xlsx') checkSheetName(wb, spec.name);
  const ws = wb.addWorksheet(format === 'csv' ? 'Sheet1' : spec.name);
  if (columns?.length) writeRow(ws, 1, 1, columns);
  const start = columns?.length ? 2 : 1;
  rows.forEach((r, i) => writeRow(ws, start + i, 1, rowArray(r, columns ?? [])));
  if (format === 'xlsx') styleSheet(ws, columns?.length ?? 0);
  return ws;
}

/** Bold, filled, frozen header; column widths fitted to content, between 8 and 60 characters. */
function styleSheet(ws: Worksheet, headerWidth: number): void {
  for (let c = 1; c <= headerWidth; c++) {
    const cell = ws.getCell(1, c);
    cell.font = { bold: true };
    cell.fill = { type: 'pattern', pattern: 'solid', fgColor: { argb: 'FFDDEBF7' } };
  }
  if (headerWidth) ws.views = [{ state: 'frozen', ySplit: 1 }];
  const widths: number[] = [];
  ws.eachRow((row) => row.eachCell((cell, c) => (widths[c] = Math.max(widths[c] ?? 0, isFormula(cell) ? 10 : cellText(cell).length))));
  widths.forEach((w, c) => (ws.getColumn(c).width = Math.min(60, Math.max(8, w + 2))));
}

// ---------- update operations ----------
const atColumn = z.union([z.string(), z.number().int().min(1)]).describe('Column letter ("C") or 1-based number');
const count = z.number().int().min(1).max(MAX_COLS).optional().describe('How many (default 1)');
export const operation = z.discriminatedUnion('op', [
  z.object({ op: z.literal('set_cell'), cell: z.string().describe('e.g. "B2"'), value: cellInput }),
  z.object({ op: z.literal('set_range'), start: z.string().describe('Top-left cell, e.g. "A2"'), values: z.array(z.array(cellInput)).max(100_000) }),
  z.object({ op: z.literal('append_rows'), rows: z.array(rowInput).max(100_000) }),
  z.object({ op: z.literal('insert_rows'), at: z.number().int().min(1).describe('New rows start at this row; rows below move down'), rows: z.array(rowInput).max(100_000).optional(), count }),
  z.object({ op: z.literal('delete_rows'), at: z.number().int().min(1), count: z.number().int().min(1).max(MAX_ROWS).optional() }),
  z.object({ op: z.literal('insert_columns'), at: atColumn, count }),
  z.object({ op: z.literal('delete_columns'), at: atColumn, count }),
  z.object({ op: z.literal('add_sheet'), ...sheetSpec.shape }),
  z.object({ op: z.literal('rename_sheet'), from: z.string(), to: z.string() }),
]);
export type Operation = z.infer<typeof operation>;

function structural(wb: Workbook, ws: Worksheet, axis: 'row' | 'col', at: number, delta: number): void {
  const blanks = Array.from({ length: Math.max(delta, 0) }, () => []);
  if (axis === 'row') ws.spliceRows(at, Math.max(-delta, 0), ...blanks);
  else ws.spliceColumns(at, Math.max(-delta, 0), ...blanks);
  rewriteFormulas(wb, (f, sheet) => shiftFormula(f, sheet, { sheet: ws.name, axis, at, delta }));
}

function applyOne(wb: Workbook, ws: Worksheet, op: Operation, format: SheetFormat, file: string): string {
  switch (op.op) {
    case 'set_cell': {
      const { row, col } = parseCell(op.cell);
      writeRow(ws, row, col, [op.value]);
      return `set ${columnLetter(col)}${row}`;
    }
    case 'set_range': {
      const s = parseCell(op.start);
      op.values.forEach((r, i) => writeRow(ws, s.row + i, s.col, r));
      return `set ${op.values.length} row(s) from ${op.start.trim().toUpperCase()}`;
    }
    case 'append_rows': {
      const start = (usedArea(ws)?.bottom ?? 0) + 1;
      const headers = headerNames(ws);
      op.rows.forEach((r, i) => writeRow(ws, start + i, 1, rowArray(r, headers)));
      return `appended ${op.rows.length} row(s) at row ${start}`;
    }
    case 'insert_rows': {
      const n = op.rows?.length || op.count || 1;
      structural(wb, ws, 'row', checkRow(op.at), n);
      const headers = headerNames(ws);
      op.rows?.forEach((r, i) => writeRow(ws, op.at + i, 1, rowArray(r, headers)));
      return `inserted ${n} row(s) at row ${op.at}`;
    }
    case 'delete_rows':
      structural(wb, ws, 'row', checkRow(op.at), -(op.count ?? 1));
      return `deleted ${op.count ?? 1} row(s) from row ${op.at}`;
    case 'insert_columns':
    case 'delete_columns': {
      const at = parseColumn(op.at);
      const n = op.count ?? 1;
      structural(wb, ws, 'col', at, op.op === 'insert_columns' ? n : -n);
      return `${op.op === 'insert_columns' ? 'inserted' : 'deleted'} ${n} column(s) at ${columnLetter(at)}`;
    }
    case 'add_sheet':
      if (format === 'csv') throw new ToolError('a .csv file holds one sheet; create a .xlsx workbook for several');
      addSheet(wb, op, format);
      return `added sheet "${op.name}"`;
    case 'rename_sheet': {
      if (format === 'csv') throw new ToolError('a .csv file has no sheet names to rename');
      const sheet = findSheet(wb, op.from, file);
      checkSheetName(wb, op.to, sheet);
      rewriteFormulas(wb, (f) => renameInFormula(f, sheet.name, op.to));
      const from = sheet.name;
      sheet.name = op.to;
      return `renamed sheet "${from}" to "${op.to}"`;
    }
  }
}

/** Apply every operation in memory, in order; the first failure throws naming it, so nothing is written. */
export function applyOperations(wb: Workbook, ws: Worksheet, ops: Operation[], format: SheetFormat, file: string): string[] {
  unshareFormulas(wb);
  const done = ops.map((op, i) => {
    try {
      return applyOne(wb, ws, op, format, file);
    } catch (err) {
      throw new ToolError(`operations[${i}] (${op.op}) failed: ${firstLine(err)}. Nothing was written; ${file} is unchanged.`);
    }
  });
  dropResults(wb);
  return done;
}

// ---------- the grid view ----------
const clip = (s: string, max = 200): string => (s.length > max ? `${s.slice(0, max)}…` : s);
const mdCell = (s: string): string => clip(s).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '\\n');
const csvCell = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

const MAX_VIEW_CHARS = 300_000;

export interface GridView {
  area: Area;
  /** Rows of `area` not shown because of max_rows. */
  moreRows: number;
  /** Markdown table, or CSV when the table would be too wide. */
  table: string;
  tableFormat: 'markdown' | 'csv';
  rows: Scalar[][];
  formulas: { cell: string; formula: string; value: Scalar }[];
}

/** `range` or the used range (clamped to the data and to 50 columns), first `maxRows` rows, row numbers and column letters shown. */
export function viewGrid(ws: Worksheet, range: string | undefined, maxRows: number): GridView | undefined {
  const used = usedArea(ws);
  const asked = range ? parseRange(range) : used && { ...used, right: Math.min(used.right, 50) };
  if (!asked || !used || asked.top > used.bottom || asked.left > used.right) return undefined;
  const area = { ...asked, bottom: Math.min(asked.bottom, used.bottom), right: Math.min(asked.right, used.right) };
  const cols = Array.from({ length: area.right - area.left + 1 }, (_, i) => area.left + i);
  const texts: string[][] = [];
  const rows: Scalar[][] = [];
  const formulas: GridView['formulas'] = [];
  // Stop early rather than build a result over the clients' ~1 MB limit (structured content is not capped later).
  let shownBottom = area.top - 1;
  for (let size = 0; shownBottom < Math.min(area.bottom, area.top + maxRows - 1) && size < MAX_VIEW_CHARS; ) {
    const r = ++shownBottom;
    const cells = cols.map((c) => ws.getCell(r, c));
    texts.push([String(shownBottom), ...cells.map(cellText)]);
    rows.push(cells.map(cellValue));
    for (const cell of cells.filter(isFormula)) formulas.push({ cell: cell.address, formula: `=${cell.formula}`, value: cellValue(cell) });
    size += JSON.stringify(rows.at(-1)).length + texts.at(-1)!.join('').length;
  }
  const head = ['', ...cols.map(columnLetter)];
  const md = [head, head.map(() => '---'), ...texts].map((r) => `| ${r.map(mdCell).join(' | ')} |`);
  const wide = md.some((l) => l.length > 400);
  const table = wide ? [head, ...texts].map((r) => r.map((s) => csvCell(clip(s))).join(',')).join('\n') : md.join('\n');
  return { area: { ...area, bottom: shownBottom }, moreRows: area.bottom - shownBottom, table, tableFormat: wide ? 'csv' : 'markdown', rows, formulas };
}

// ---------- grouping ----------
export const filterSpec = z.object({ column: z.string(), op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'contains']), value: cellInput });
export const aggregationSpec = z.object({ column: z.string().optional().describe('Omit for count to count rows'), op: z.enum(['count', 'sum', 'avg', 'min', 'max']) });
export interface AnalyzeSpec { group_by?: string | string[]; aggregations?: z.infer<typeof aggregationSpec>[]; filter?: z.infer<typeof filterSpec>[] }
export interface AnalyzeResult { columns: string[]; rows: Scalar[][]; matched: number; total: number }

function toNumber(v: Scalar): number {
  if (typeof v === 'number') return v;
  return typeof v === 'string' && NUMBER.test(v.trim()) ? Number(v.trim()) : NaN;
}

function matches(v: Scalar, f: z.infer<typeof filterSpec>): boolean {
  const [a, b] = [toNumber(v), toNumber(f.value)];
  const numeric = !Number.isNaN(a) && !Number.isNaN(b);
  const text = (x: Scalar) => (x === null ? '' : String(x).trim().toLowerCase());
  if (f.op === 'contains') return text(v).includes(text(f.value));
  if (f.op === 'eq' || f.op === 'ne') return (numeric ? a === b : text(v) === text(f.value)) === (f.op === 'eq');
  if (v === null || v === '') return false;
  const cmp = numeric ? a - b : String(v).localeCompare(String(f.value ?? ''));
  return { gt: cmp > 0, gte: cmp >= 0, lt: cmp < 0, lte: cmp <= 0 }[f.op];
}

function compareKeys(x: Scalar[], y: Scalar[]): number {
  for (let i = 0; i < x.length; i++) {
    const [a, b] = [x[i], y[i]];
    if (a === b) continue;
    if (a === null || b === null) return a === null ? 1 : -1;
    const c = typeof a === 'number' && typeof b === 'number' ? a - b : String(a).localeCompare(String(b), undefined, { numeric: true });
    if (c) return c;
  }
  return 0;
}

function aggregate(op: string, values: Scalar[] | undefined, rowCount: number): number | null {
  if (!values) return rowCount;
  if (op === 'count') return values.filter((v) => v !== null && v !== '').length;
  const nums = values.map(toNumber).filter((n) => !Number.isNaN(n));
  if (!nums.length) return op === 'sum' ? 0 : null;
  const sum = nums.reduce((s, n) => s + n, 0);
  const r = { sum, avg: sum / nums.length, min: Math.min(...nums), max: Math.max(...nums) }[op as 'sum'];
  return Number(r.toPrecision(15));
}

/** Row 1 names the columns; rows below are filtered (all conditions), grouped, and aggregated. */
export function analyzeSheet(ws: Worksheet, spec: AnalyzeSpec): AnalyzeResult {
  const used = usedArea(ws);
  const headers = headerNames(ws, used?.right ?? 0);
  const groupBy = typeof spec.group_by === 'string' ? [spec.group_by] : (spec.group_by ?? []);
  const groupCols = groupBy.map((g) => findColumn(headers, g));
  const aggs = (spec.aggregations?.length ? spec.aggregations : [{ op: 'count' as const }]).map((a, i) => {
    if (a.column === undefined && a.op !== 'count') throw new ToolError(`aggregations[${i}]: ${a.op} needs a column; the columns are: ${quoted(headers)}`);
    const col = a.column === undefined ? undefined : findColumn(headers, a.column);
    return { op: a.op, col, label: col === undefined ? 'count' : `${a.op}(${headers[col]})` };
  });
  const filters = (spec.filter ?? []).map((f) => ({ f, col: findColumn(headers, f.column) }));
  const groups = new Map<string, { key: Scalar[]; rows: Scalar[][] }>();
  let total = 0;
  let matched = 0;
  for (let r = 2; r <= (used?.bottom ?? 0); r++) {
    const values = headers.map((_, c) => cellValue(ws.getCell(r, c + 1)));
    if (values.every((v) => v === null || v === '')) continue;
    total++;
    if (!filters.every(({ f, col }) => matches(values[col], f))) continue;
    matched++;
    const key = groupCols.map((c) => values[c]);
    const id = JSON.stringify(key);
    if (!groups.has(id)) groups.set(id, { key, rows: [] });
    groups.get(id)!.rows.push(values);
  }
  if (!groupCols.length && !groups.size) groups.set('[]', { key: [], rows: [] });
  const rows = [...groups.values()]
    .sort((x, y) => compareKeys(x.key, y.key))
    .map((g) => [...g.key, ...aggs.map((a) => aggregate(a.op, a.col === undefined ? undefined : g.rows.map((v) => v[a.col!]), g.rows.length))]);
  return { columns: [...groupCols.map((c) => headers[c]), ...aggs.map((a) => a.label)], rows, matched, total };
}

export function markdownTable(columns: string[], rows: Scalar[][]): string {
  const line = (r: Scalar[]) => `| ${r.map((v) => mdCell(v === null ? '' : String(v))).join(' | ')} |`;
  return [line(columns), line(columns.map(() => '---')), ...rows.map(line)].join('\n');
}
