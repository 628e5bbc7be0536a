// Why: a workbook's bytes become an exceljs Workbook here and back (only after limits.ts has accepted their size),
// and the rules about sheets inside it live here: finding one by name, its used range and header row, adding a
// styled sheet. Pure: no sandbox I/O, so every rule has a plain unit test.
import { Readable } from 'node:stream';
import ExcelJS from 'exceljs';
import type { Workbook, Worksheet } from 'exceljs';
import { firstLine, SheetError } from './errors.js';
import { isFormula } from './formulas.js';
import { checkCsvBudget, checkUsedArea, checkXlsxBudget } from './limits.js';
import { areaText, columnLetter, columnNumber, MAX_COLS, MAX_ROWS, type Area } from './refs.js';
import type { CellInput, RowInput, SheetFormat, SheetSpec } from './inputs.js';
import { cellText, cellValue, fromCsv, toCellValue, toCsv } from './values.js';

// ---------- workbook bytes ----------

export async function loadWorkbook(bytes: Uint8Array, format: SheetFormat, name: string): Promise<Workbook> {
  const data = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const wb = new ExcelJS.Workbook();
  if (format === 'csv') {
    if (data.includes(0)) throw new SheetError(`${name} is not a text CSV file (it holds binary data)`);
    const text = data.toString('utf8').replace(/^\uFEFF/, '');
    checkCsvBudget(text, name);
    await wb.csv.read(Readable.from([text]), { sheetName: 'Sheet1', map: fromCsv }).catch((err: unknown) => {
      throw new SheetError(`${name} could not be parsed as CSV: ${firstLine(err)}`);
    });
    return wb;
  }
  const magic = data.subarray(0, 4);
  if (!magic.equals(Buffer.from('PK\x03\x04', 'latin1'))) {
    const why = data.length === 0 ? 'it is empty' : magic.equals(Buffer.from([0xd0, 0xcf, 0x11, 0xe0])) ? 'it is an old binary .xls or a password-protected file, which exceljs cannot open' : 'it is not a zip archive, and every .xlsx file is one';
    throw new SheetError(`${name} is not a readable .xlsx workbook: ${why}`);
  }
  await checkXlsxBudget(data, name);
  try {
    // exceljs declares its own `Buffer` (an ArrayBuffer); a Node Buffer is what it reads at runtime.
    await wb.xlsx.load(data as unknown as ArrayBuffer);
  } catch (err) {
    throw new SheetError(`${name} is a corrupt .xlsx workbook and could not be parsed (${firstLine(err)})`);
  }
  for (const ws of wb.worksheets) checkUsedArea(ws, usedArea(ws), name);
  return wb;
}

export async function saveWorkbook(wb: Workbook, format: SheetFormat): Promise<Buffer> {
  if (format === 'csv') return Buffer.from(await wb.csv.writeBuffer({ sheetName: wb.worksheets[0].name, map: toCsv, includeEmptyRows: true }));
  // Formulas written here carry no (or stale) cached results: have Excel and LibreOffice recalculate on open.
  wb.calcProperties.fullCalcOnLoad = true;
  return Buffer.from(await wb.xlsx.writeBuffer());
}


// ---------- sheets ----------
export const quoted = (names: string[]): string => names.map((n) => JSON.stringify(n)).join(', ');
export const sheetNames = (wb: Workbook): string[] => wb.worksheets.map((s) => s.name);

export function findSheet(wb: Workbook, name: string | undefined, file: string): Worksheet {
  const sheets = wb.worksheets;
  if (!sheets.length) throw new SheetError(`${file} has no sheets`);
  if (name === undefined) return sheets[0];
  const ws = sheets.find((s) => s.name === name) ?? sheets.find((s) => s.name.toLowerCase() === name.toLowerCase());
  if (!ws) throw new SheetError(`no sheet "${name}" in ${file}; its sheets are: ${quoted(sheetNames(wb))}`);
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

export function findColumn(headers: string[], name: string): number {
  const i = headers.indexOf(name.trim());
  if (i >= 0) return i;
  const j = headers.findIndex((h) => h.toLowerCase() === name.trim().toLowerCase());
  if (j >= 0) return j;
  if (/^[A-Z]{1,3}$/.test(name.trim()) && columnNumber(name.trim()) <= headers.length) return columnNumber(name.trim()) - 1;
  throw new SheetError(`unknown column "${name}"; the columns (header row 1) are: ${headers.length ? quoted(headers) : 'none, the sheet is empty'}`);
}

/** A row given as an object is placed by its keys under the matching header names. */
export function rowArray(row: RowInput, headers: string[]): (CellInput | undefined)[] {
  if (Array.isArray(row)) return row;
  const out: (CellInput | undefined)[] = [];
  for (const [key, v] of Object.entries(row)) out[findColumn(headers, key)] = v;
  return out;
}

export function writeRow(ws: Worksheet, row: number, col: number, values: (CellInput | undefined)[]): void {
  if (row > MAX_ROWS || col + values.length - 1 > MAX_COLS) throw new SheetError(`row ${row} with ${values.length} values does not fit in a sheet (max ${MAX_ROWS} rows, ${MAX_COLS} columns)`);
  values.forEach((v, j) => {
    if (v !== undefined) ws.getCell(row, col + j).value = toCellValue(v);
  });
}

export function checkSheetName(wb: Workbook, name: string, except?: Worksheet): void {
  if (!name.trim() || name.length > 31 || /[[\]:*?/\\]/.test(name) || /^'|'$/.test(name))
    throw new SheetError(`bad sheet name "${name}": use 1–31 characters, none of [ ] : * ? / \\, not starting or ending with an apostrophe`);
  if (wb.worksheets.some((s) => s !== except && s.name.toLowerCase() === name.toLowerCase())) throw new SheetError(`a sheet named "${name}" already exists; the sheets are: ${quoted(sheetNames(wb))}`);
}


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


