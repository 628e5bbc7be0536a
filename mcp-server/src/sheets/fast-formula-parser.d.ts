// Why: fast-formula-parser ships no types; this declares the part evaluate.ts uses.
declare module 'fast-formula-parser' {
  interface CellRef { sheet: string; row: number; col: number }
  interface RangeRef { sheet: string; from: { row: number; col: number }; to: { row: number; col: number } }
  class FormulaError extends Error {
    readonly error: string;
    readonly details?: unknown;
    static readonly VALUE: FormulaError;
  }
  class FormulaParser {
    constructor(config: { onCell?: (ref: CellRef) => unknown; onRange?: (ref: RangeRef) => unknown[][]; functions?: Record<string, (...args: unknown[]) => unknown> });
    parse(formula: string, position: CellRef, allowReturnArray?: boolean): unknown;
    static FormulaError: typeof FormulaError;
    static FormulaHelpers: { accept(param: unknown, type: number): unknown };
    static Types: { NUMBER: number; STRING: number };
  }
  export default FormulaParser;
}
