// Why: how a sheet is shown to the model: the grid of a range with row numbers and column letters (markdown, or
// CSV when too wide) with formula values (evaluate.ts), capped so no result outgrows a client's message limit.
import type { Cell, Worksheet } from 'exceljs';
import { isFormula } from './formulas.js';
import { clip } from '@suna/shared/output';
import { CELL_CHARS, mdCell } from './markdown.js';
import { columnLetter, parseRange, type Area } from './refs.js';
import type { WorkbookValues } from './evaluate.js';
import { type Scalar } from './values.js';
import { usedArea } from './workbook.js';

// ---------- the grid view ----------
const csvCell = (s: string): string => (/[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);

const MAX_VIEW_CHARS = 300_000;
const MAX_CELL_TEXT = 32_767;

export interface GridView {
  area: Area;
  /** Rows of `area` not shown because of max_rows. */
  moreRows: number;
  /** Markdown table, or CSV when the table would be too wide. */
  table: string;
  tableFormat: 'markdown' | 'csv';
  rows: Scalar[][];
  /** Formula cells in view: the cached result, or one computed here (`computed`), or why there is none (`not_computed`). */
  formulas: { cell: string; formula: string; value: Scalar; computed?: true; not_computed?: string }[];
}

/** "=A1+B1 → 3" for a formula with a value, "=A1+B1 → (not computed: why)" without one, else the value. */
function shown(ws: Worksheet, cell: Cell, values: WorkbookValues): { text: string; value: Scalar; formula?: GridView['formulas'][number] } {
  const o = { ...values.outcome(ws, cell) };
  if (typeof o.value === 'string' && o.value.length > MAX_CELL_TEXT) o.value = `${o.value.slice(0, MAX_CELL_TEXT)}…`; // a file may hold more than Excel allows
  if (!isFormula(cell)) return { text: o.value === null ? '' : String(o.value), value: o.value };
  const formula = { cell: cell.address, formula: `=${cell.formula}`, value: o.value, ...(o.computed ? { computed: true as const } : {}), ...(o.problem ? { not_computed: o.problem } : {}) };
  const result = o.problem ? `(not computed: ${o.problem})` : o.value === null ? '' : String(o.value);
  return { text: `=${cell.formula}${result === '' ? '' : ` → ${result}`}`, value: o.value, formula };
}

/** `range` or the used range (clamped to the data and to 50 columns), first `maxRows` rows, row numbers and column letters shown. */
export function viewGrid(ws: Worksheet, range: string | undefined, maxRows: number, values: WorkbookValues): GridView | undefined {
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
    const cells = cols.map((c) => shown(ws, ws.getCell(r, c), values));
    texts.push([String(shownBottom), ...cells.map((c) => c.text)]);
    rows.push(cells.map((c) => c.value));
    for (const c of cells) if (c.formula) formulas.push(c.formula);
    size += JSON.stringify(rows.at(-1)).length + texts.at(-1)!.join('').length;
  }
  const head = ['', ...cols.map(columnLetter)];
  const md = [head, head.map(() => '---'), ...texts].map((r) => `| ${r.map(mdCell).join(' | ')} |`);
  const wide = md.some((l) => l.length > 400);
  const table = wide ? [head, ...texts].map((r) => r.map((s) => csvCell(clip(s, CELL_CHARS))).join(',')).join('\n') : md.join('\n');
  return { area: { ...area, bottom: shownBottom }, moreRows: area.bottom - shownBottom, table, tableFormat: wide ? 'csv' : 'markdown', rows, formulas };
}
