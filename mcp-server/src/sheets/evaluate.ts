// Why: readers must see what a formula cell is worth, not "=SUMIF(…)" with no value or a silent 0. A cell's value is
// the result the file has cached (Excel's own calculation) and, when there is none (files made by sheet_create or
// changed by sheet_update), the result computed here with fast-formula-parser (MIT; Excel's grammar and functions,
// cross-sheet references). What cannot be computed (an unsupported function, a circular reference, a formula that
// would read more cells than the budget) is reported as such with the reason, never as a number.
import FormulaParser from 'fast-formula-parser';
import type { Cell, Workbook, Worksheet } from 'exceljs';
import { isFormula } from './formulas.js';
import { SHEET_LIMITS } from './limits.js';
import { cellValue, plainValue, type Scalar } from './values.js';

/** Excel's own limit on a cell's text; a longer computed string is an error there too (#VALUE!). */
const MAX_TEXT = 32_767;
/** Formulas waiting on formulas: the parser evaluates while it parses and is not re-entrant, so each level has its own. */
const MAX_DEPTH = SHEET_LIMITS.formulaDepth;

export interface FormulaOutcome { value: Scalar; computed: boolean; problem?: string }

interface FormulaErrorLike { error?: string; message?: string; details?: unknown }
const isFormulaError = (v: unknown): v is FormulaErrorLike => v instanceof FormulaParser.FormulaError;

class NotComputable extends Error {}

export class WorkbookValues {
  private readonly done = new Map<Cell, FormulaOutcome>();
  private readonly inProgress = new Set<Cell>();
  private readonly parsers: FormulaParser[] = [];
  private reads = 0;

  constructor(
    private readonly wb: Workbook,
    /** Bounds the work a hostile file can ask for. */
    private readonly readBudget: number = SHEET_LIMITS.formulaReads,
  ) {}

  private newParser(): FormulaParser {
    return new FormulaParser({
      // The library's REPT concatenates in a loop with no bound: one REPT("x",1E9) would exhaust the heap.
      functions: { REPT: rept },
      onCell: ({ sheet, row, col }: { sheet: string; row: number; col: number }) => this.refValue(this.sheet(sheet), row, col),
      onRange: (ref: { sheet: string; from: { row: number; col: number }; to: { row: number; col: number } }) => {
        const ws = this.sheet(ref.sheet);
        // Whole columns and rows stop at the sheet's last row and column with anything in them.
        const bottom = Math.min(ref.to.row, ws.rowCount);
        const right = Math.min(ref.to.col, ws.columnCount);
        const rows: unknown[][] = [];
        for (let r = ref.from.row; r <= bottom; r++) {
          const row: unknown[] = [];
          for (let c = ref.from.col; c <= right; c++) row.push(this.refValue(ws, r, c));
          rows.push(row);
        }
        return rows;
      },
    });
  }

  /** The value a reader sees in `cell` of `ws`: for formulas, the cached or computed result, or why there is none. */
  outcome(ws: Worksheet, cell: Cell): FormulaOutcome {
    if (!isFormula(cell)) return { value: cellValue(cell), computed: false };
    const cached = plainValue(cell.value);
    if (cached !== null) return { value: cached, computed: false };
    return this.compute(ws, cell);
  }

  value(ws: Worksheet, cell: Cell): Scalar {
    return this.outcome(ws, cell).value;
  }

  private sheet(name: string): Worksheet {
    const ws = this.wb.worksheets.find((s) => s.name === name) ?? this.wb.worksheets.find((s) => s.name.toLowerCase() === name.toLowerCase());
    if (!ws) throw new NotComputable(`it refers to a sheet "${name}" that does not exist`);
    return ws;
  }

  private refValue(ws: Worksheet, row: number, col: number): unknown {
    if (++this.reads > this.readBudget) throw new NotComputable(`the formulas read more than ${this.readBudget.toLocaleString('en-US')} cells`);
    const cell = ws.findCell(row, col);
    if (!cell) return null;
    const o = this.outcome(ws, cell);
    if (o.problem) throw new NotComputable(`${ws.name}!${cell.address} cannot be computed (${o.problem})`);
    return o.value;
  }

  private compute(ws: Worksheet, cell: Cell): FormulaOutcome {
    const known = this.done.get(cell);
    if (known) return known;
    if (this.inProgress.has(cell)) throw new NotComputable(`circular reference through ${ws.name}!${cell.address}`);
    const depth = this.inProgress.size;
    if (depth >= MAX_DEPTH) throw new NotComputable(`it depends on a chain of more than ${MAX_DEPTH} formulas without cached results`);
    const parser = (this.parsers[depth] ??= this.newParser());
    this.inProgress.add(cell);
    let outcome: FormulaOutcome;
    try {
      const v: unknown = parser.parse(cell.formula, { sheet: ws.name, row: Number(cell.row), col: Number(cell.col) });
      outcome = { value: toScalar(v), computed: true };
    } catch (err) {
      outcome = { value: null, computed: false, problem: problemOf(err) };
    } finally {
      this.inProgress.delete(cell);
    }
    this.done.set(cell, outcome);
    return outcome;
  }
}

/** A FormulaError the parser throws wraps what went wrong: our own reason, or its message ("Function X is not implemented."). */
function problemOf(err: unknown): string {
  const inner = isFormulaError(err) ? (err.details as unknown) : err;
  if (inner instanceof NotComputable) return inner.message;
  if (err instanceof NotComputable) return err.message;
  const detail = inner instanceof Error ? inner : undefined;
  const message = [detail?.message, (err as Error | undefined)?.message].map((m) => (m ?? '').split('\n').find((line) => line.trim()) ?? '').find(Boolean) ?? '';
  const notImplemented = /Function (\w+) is not implemented/.exec(message);
  if (notImplemented) return `the function ${notImplemented[1]} is not supported here`;
  if (detail?.name.endsWith('Exception')) return `the formula could not be parsed here (${message.slice(0, 120)})`;
  return `the formula could not be evaluated${message ? `: ${message.slice(0, 120)}` : ''}`;
}

function rept(text: unknown, times: unknown): string {
  const { FormulaHelpers: H, Types, FormulaError } = FormulaParser;
  const s = String(H.accept(text, Types.STRING));
  const n = Math.trunc(Number(H.accept(times, Types.NUMBER)));
  if (!(n >= 0) || s.length * n > MAX_TEXT) throw FormulaError.VALUE;
  return s.repeat(n);
}

function toScalar(v: unknown): Scalar {
  if (typeof v === 'string' && v.length > MAX_TEXT) return '#VALUE!';
  if (isFormulaError(v)) return v.error ?? '#ERROR!';
  if (Array.isArray(v)) return toScalar(Array.isArray(v[0]) ? v[0][0] : v[0]);
  if (v === undefined) return null;
  if (typeof v === 'number') return Number.isFinite(v) ? Number(v.toPrecision(15)) : '#NUM!';
  if (typeof v === 'string' || typeof v === 'boolean' || v === null) return v;
  return String(v);
}
