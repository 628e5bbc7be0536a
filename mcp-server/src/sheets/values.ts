// Why: one place decides what a cell holds as JSON, as text and as CSV, and how typed input ("=…" formulas, "'="
// literals, numbers from CSV) becomes a cell; reads, updates, views and grouping all go through it.
import ExcelJS from 'exceljs';
import type { Cell, CellValue } from 'exceljs';
import { isFormula } from './formulas.js';
import type { CellInput } from './inputs.js';

export type Scalar = string | number | boolean | null;

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

export const cellValue = (cell: Cell): Scalar => (cell.type === ExcelJS.ValueType.Merge ? null : plainValue(cell.value));

/** "=A1+B1 → 3" for a formula with a cached result, "=A1+B1" without one, else the value. */
export function cellText(cell: Cell): string {
  const v = cellValue(cell);
  if (!isFormula(cell)) return v === null ? '' : String(v);
  return `=${cell.formula}${v === null ? '' : ` → ${v}`}`;
}

export const NUMBER = /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i;

export function toNumber(v: Scalar): number {
  if (typeof v === 'number') return v;
  return typeof v === 'string' && NUMBER.test(v.trim()) ? Number(v.trim()) : NaN;
}

/** CSV text → typed values: numbers (not "007" or 16+ digit ids), TRUE/FALSE, "=…" formulas, else text. */
export function fromCsv(datum: string): CellValue {
  if (datum === '') return null;
  if (NUMBER.test(datum) && !/^[-+]?0\d/.test(datum) && datum.replace(/\D/g, '').length <= 15) return Number(datum);
  if (/^(true|false)$/i.test(datum)) return datum.toLowerCase() === 'true';
  return toCellValue(datum);
}

export function toCsv(v: CellValue): Scalar {
  if (v !== null && typeof v === 'object' && 'formula' in v) return `=${v.formula}`;
  return plainValue(v);
}
