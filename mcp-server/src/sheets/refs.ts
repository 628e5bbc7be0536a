// Why: A1 references are the vocabulary of every sheet rule (reads, updates, formula rewriting, limits); one
// module parses and prints them, with the grid's size limits.
import { SheetError } from './errors.js';

export const MAX_ROWS = 1_048_576;
export const MAX_COLS = 16_384;
const CELL_FORM = 'a column letter and a row number from 1, like "A1" or "AB12"';

export interface CellRef { row: number; col: number }
export interface Area { top: number; left: number; bottom: number; right: number }

export function columnLetter(n: number): string {
  let s = '';
  for (; n > 0; n = Math.floor((n - 1) / 26)) s = String.fromCharCode(65 + ((n - 1) % 26)) + s;
  return s;
}

export function columnNumber(letters: string): number {
  return [...letters.toUpperCase()].reduce((n, ch) => n * 26 + ch.charCodeAt(0) - 64, 0);
}

export function parseCell(ref: string): CellRef {
  const m = /^\s*\$?([A-Za-z]{1,3})\$?(\d{1,7})\s*$/.exec(ref);
  const col = m ? columnNumber(m[1]) : 0;
  const row = m ? Number(m[2]) : 0;
  if (!m || row < 1 || row > MAX_ROWS || col > MAX_COLS) throw new SheetError(`bad cell "${ref}": expected ${CELL_FORM} (columns A–XFD, rows 1–${MAX_ROWS})`);
  return { row, col };
}

export function parseRange(range: string): Area {
  const parts = range.split(':');
  let a: CellRef, b: CellRef;
  try {
    if (parts.length > 2) throw new Error();
    [a, b] = [parseCell(parts[0]), parseCell(parts[1] ?? parts[0])];
  } catch {
    throw new SheetError(`bad range "${range}": expected two cells joined by ":", like "A1:D20" (or one cell, like "B3"); rows start at 1`);
  }
  return { top: Math.min(a.row, b.row), left: Math.min(a.col, b.col), bottom: Math.max(a.row, b.row), right: Math.max(a.col, b.col) };
}

/** A column given as a letter ("C") or a 1-based number (3). */
export function parseColumn(at: string | number): number {
  const s = String(at).trim();
  const n = /^\d+$/.test(s) ? Number(s) : /^[A-Za-z]{1,3}$/.test(s) ? columnNumber(s) : 0;
  if (n < 1 || n > MAX_COLS) throw new SheetError(`bad column "${at}": expected a column letter like "C" or a 1-based number like 3`);
  return n;
}

export function checkRow(at: number): number {
  if (!Number.isInteger(at) || at < 1 || at > MAX_ROWS) throw new SheetError(`bad row ${at}: rows are numbered from 1 to ${MAX_ROWS}`);
  return at;
}

export const areaText = (a: Area): string => `${columnLetter(a.left)}${a.top}:${columnLetter(a.right)}${a.bottom}`;
export const areaCells = (a: Area): number => (a.bottom - a.top + 1) * (a.right - a.left + 1);
