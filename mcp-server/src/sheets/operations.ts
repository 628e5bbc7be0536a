// Why: sheet_update's operations are applied here in memory, in order and all-or-nothing, with formula references
// kept pointing at the same cells (formulas.ts); the first failure names the operation and nothing is written.
import type { Workbook, Worksheet } from 'exceljs';
import { firstLine, SheetError } from './errors.js';
import { dropResults, renameInFormula, rewriteFormulas, shiftFormula, unshareFormulas } from './formulas.js';
import { checkRow, columnLetter, MAX_COLS, MAX_ROWS, parseCell, parseColumn } from './refs.js';
import type { Operation, SheetFormat } from './inputs.js';
import { addSheet, checkSheetName, findSheet, headerNames, rowArray, usedArea, writeRow } from './workbook.js';

// ---------- update operations ----------

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
      const rows = op.rows ?? [];
      rows.forEach((r, i) => writeRow(ws, start + i, 1, rowArray(r, headers)));
      return `appended ${rows.length} row(s) at row ${start}${op.source ? ` from ${op.source}` : ''}`;
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
      if (format === 'csv') throw new SheetError('a .csv file holds one sheet; create a .xlsx workbook for several');
      addSheet(wb, op, format);
      return `added sheet "${op.name}"`;
    case 'rename_sheet': {
      if (format === 'csv') throw new SheetError('a .csv file has no sheet names to rename');
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
      throw new SheetError(`operations[${i}] (${op.op}) failed: ${firstLine(err)}. Nothing was written; ${file} is unchanged.`);
    }
  });
  dropResults(wb);
  return done;
}


