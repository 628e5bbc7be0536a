// Why: sheet_analyze's grouping: row 1 names the columns, rows below are filtered, grouped and aggregated here,
// on the values a reader sees (formula cells count with their cached result).
import type { Worksheet } from 'exceljs';
import { SheetError } from './errors.js';
import { columnLetter } from './refs.js';
import type { AnalyzeSpec, FilterSpec } from './inputs.js';
import type { WorkbookValues } from './evaluate.js';
import { toNumber, type Scalar } from './values.js';
import { findColumn, headerNames, quoted, usedArea } from './workbook.js';

// ---------- grouping ----------
export interface AnalyzeResult {
  columns: string[];
  rows: Scalar[][];
  matched: number;
  total: number;
  /** Columns with formula cells that could not be computed: how many, and the first one with its reason. */
  uncomputed: { column: string; cells: number; example: string }[];
}

function matches(v: Scalar, f: FilterSpec): boolean {
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
export function analyzeSheet(ws: Worksheet, spec: AnalyzeSpec, cells: WorkbookValues): AnalyzeResult {
  const used = usedArea(ws);
  const headers = headerNames(ws, used?.right ?? 0);
  const groupBy = typeof spec.group_by === 'string' ? [spec.group_by] : (spec.group_by ?? []);
  const groupCols = groupBy.map((g) => findColumn(headers, g));
  const aggs = (spec.aggregations?.length ? spec.aggregations : [{ op: 'count' as const }]).map((a, i) => {
    if (a.column === undefined && a.op !== 'count') throw new SheetError(`aggregations[${i}]: ${a.op} needs a column; the columns are: ${quoted(headers)}`);
    const col = a.column === undefined ? undefined : findColumn(headers, a.column);
    return { op: a.op, col, label: col === undefined ? 'count' : `${a.op}(${headers[col]})` };
  });
  const filters = (spec.filter ?? []).map((f) => ({ f, col: findColumn(headers, f.column) }));
  const groups = new Map<string, { key: Scalar[]; rows: Scalar[][]; unknown: Set<number> }>();
  const uncomputed = new Map<number, { cells: number; why: string }>();
  let total = 0;
  let matched = 0;
  for (let r = 2; r <= (used?.bottom ?? 0); r++) {
    const outcomes = headers.map((_, c) => cells.outcome(ws, ws.getCell(r, c + 1)));
    const values = outcomes.map((o) => o.value);
    if (outcomes.every((o) => !o.problem && (o.value === null || o.value === ''))) continue;
    total++;
    if (!filters.every(({ f, col }) => matches(values[col], f))) continue;
    matched++;
    const key = groupCols.map((c) => values[c]);
    const id = JSON.stringify(key);
    if (!groups.has(id)) groups.set(id, { key, rows: [], unknown: new Set() });
    const group = groups.get(id)!;
    group.rows.push(values);
    outcomes.forEach((o, c) => {
      if (!o.problem) return;
      group.unknown.add(c);
      uncomputed.set(c, { cells: (uncomputed.get(c)?.cells ?? 0) + 1, why: uncomputed.get(c)?.why ?? `${columnLetter(c + 1)}${r}: ${o.problem}` });
    });
  }
  if (!groupCols.length && !groups.size) groups.set('[]', { key: [], rows: [], unknown: new Set() });
  // A group with a value that could not be computed has no sum (or min, …) of that column: empty, never a guess.
  const rows = [...groups.values()]
    .sort((x, y) => compareKeys(x.key, y.key))
    .map((g) => [...g.key, ...aggs.map((a) => (a.col !== undefined && a.op !== 'count' && g.unknown.has(a.col) ? null : aggregate(a.op, a.col === undefined ? undefined : g.rows.map((v) => v[a.col!]), g.rows.length)))]);
  const notes = [...uncomputed].map(([c, u]) => ({ column: headers[c], cells: u.cells, example: u.why }));
  return { columns: [...groupCols.map((c) => headers[c]), ...aggs.map((a) => a.label)], rows, matched, total, uncomputed: notes };
}
