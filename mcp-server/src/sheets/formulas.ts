// Why: formula references must keep pointing at the same cells when rows or columns are inserted or deleted or a
// sheet is renamed (the way Excel rewrites them); this module does that rewriting and the whole-workbook passes
// operations.ts runs around its update operations. Pure string and exceljs-object work, no I/O.
import ExcelJS from 'exceljs';
import type { Cell, CellFormulaValue, Workbook, Worksheet } from 'exceljs';
import { columnLetter, columnNumber } from './refs.js';

export const isFormula = (cell: Cell): boolean => cell.type === ExcelJS.ValueType.Formula;

// ---------- formula references ----------
// A string literal, or a reference (optionally sheet-qualified): a cell or cell range, a column range, a row range.
const REF_TOKEN = /"(?:[^"]|"")*"|(?<![\w.$!:'])((?:'(?:[^']|'')+'|[A-Za-z_][\w.]*)!)?(\$?[A-Z]{1,3}\$?\d+(?::\$?[A-Z]{1,3}\$?\d+)?|\$?[A-Z]{1,3}:\$?[A-Z]{1,3}|\$?\d+:\$?\d+)(?![\w(!])/g;

function mapRefs(formula: string, fn: (sheet: string | undefined, ref: string, prefix: string) => string): string {
  return formula.replace(REF_TOKEN, (m, prefix: string | undefined, ref: string | undefined) => {
    if (ref === undefined) return m;
    const sheet = prefix ? prefix.slice(0, -1).replace(/^'(.*)'$/, '$1').replace(/''/g, "'") : undefined;
    return fn(sheet, ref, prefix ?? '');
  });
}

export function quoteSheet(name: string): string {
  return /^[A-Za-z_][\w.]*$/.test(name) && !/^[A-Za-z]{1,3}\d+$/.test(name) ? name : `'${name.replace(/'/g, "''")}'`;
}

/** Rows or columns inserted (delta > 0) or deleted (delta < 0) at `at` in `sheet`. */
export interface AxisEdit { sheet: string; axis: 'row' | 'col'; at: number; delta: number }

function shiftIndex(i: number, e: AxisEdit): number | null {
  if (i < e.at) return i;
  if (e.delta > 0 || i >= e.at - e.delta) return i + e.delta;
  return null;
}

/** Rewrite the references of `formula` (which lives in `ownSheet`) the way Excel does for the edit. */
export function shiftFormula(formula: string, ownSheet: string, e: AxisEdit): string {
  return mapRefs(formula, (sheet, ref, prefix) => {
    if ((sheet ?? ownSheet).toLowerCase() !== e.sheet.toLowerCase()) return prefix + ref;
    const ends = ref.split(':').map((end) => /^(\$?)([A-Z]*)(\$?)(\d*)$/.exec(end)!);
    const part = e.axis === 'row' ? 4 : 2;
    if (!ends[0][part]) return prefix + ref;
    const toNum = (s: string) => (e.axis === 'row' ? Number(s) : columnNumber(s));
    const toText = (n: number) => (e.axis === 'row' ? String(n) : columnLetter(n));
    let [a, b] = ends.map((m) => shiftIndex(toNum(m[part]), e));
    if (ends.length === 1 ? a === null : a === null && b === null) return '#REF!';
    if (ends.length === 2) [a, b] = [a ?? e.at, b ?? e.at - 1];
    const out = ends.map((m, k) => {
      const parts = [m[1], m[2], m[3], m[4]];
      parts[part - 1] = toText((k === 0 ? a : b)!);
      return parts.join('');
    });
    return prefix + out.join(':');
  });
}

export function renameInFormula(formula: string, from: string, to: string): string {
  return mapRefs(formula, (sheet, ref, prefix) => (sheet?.toLowerCase() === from.toLowerCase() ? `${quoteSheet(to)}!${ref}` : prefix + ref));
}

function eachFormula(wb: Workbook, fn: (cell: Cell, ws: Worksheet) => void): void {
  const cells: [Cell, Worksheet][] = [];
  for (const ws of wb.worksheets) ws.eachRow((row) => row.eachCell((cell) => void (isFormula(cell) && cells.push([cell, ws]))));
  for (const [cell, ws] of cells) fn(cell, ws);
}

/** exceljs moves cells but not shared-formula links: turn every shared formula into a plain one first. */
export function unshareFormulas(wb: Workbook): void {
  const plain: [Cell, CellFormulaValue][] = [];
  eachFormula(wb, (cell) => {
    const v = cell.value as { sharedFormula?: string; shareType?: string };
    if (v.sharedFormula !== undefined || v.shareType === 'shared') plain.push([cell, { formula: cell.formula, result: (cell.value as CellFormulaValue).result }]);
  });
  for (const [cell, v] of plain) cell.value = v;
}

export function rewriteFormulas(wb: Workbook, fn: (formula: string, sheet: string) => string): void {
  eachFormula(wb, (cell, ws) => {
    const v = cell.value as CellFormulaValue;
    const next = fn(v.formula, ws.name);
    if (next !== v.formula) cell.value = { ...v, formula: next };
  });
}

/** Cached results may be stale after an edit: drop them (the file recalculates when opened). */
export function dropResults(wb: Workbook): void {
  eachFormula(wb, (cell) => {
    const { result: _result, ...rest } = cell.value as CellFormulaValue;
    cell.value = rest;
  });
}
