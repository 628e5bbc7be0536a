// Why: sheet_create / sheet_update can take their rows from a CSV or JSON file in the workspace, so data never
// passes through the model. The file was made in the sandbox: it is parsed here, in the sheet worker, under the same
// size and cell limits as a workbook, and its values are data: text that starts with "=" stays text, never a formula.
import { z } from 'zod';
import { firstLine, SheetError } from './errors.js';
import { cellInput, type CellInput, type RowInput } from './inputs.js';
import { SHEET_LIMITS } from './limits.js';
import { MAX_COLS } from './refs.js';
import { loadWorkbook, usedArea } from './workbook.js';

export interface SourceFile {
  name: string;
  data: Uint8Array;
}

export interface SourceRows {
  /** A CSV's first line, or the keys of a JSON array of objects (in first-seen order). */
  header?: string[];
  /** Data rows: arrays (CSV, JSON arrays) or objects keyed by column name (JSON objects). */
  rows: RowInput[];
}

// In inputs.ts (which the tool layer loads) so the tool layer does not load this file, and with it exceljs.
export { sourceKind } from './inputs.js';
import { sourceKind } from './inputs.js';

/** A value from a file is data: "=…" (and "'=…") text is kept as text by the "'=" escape of the sheet tools. */
const asData = (v: CellInput): CellInput => (typeof v === 'string' && (v.startsWith('=') || v.startsWith("'=")) ? `'${v}` : v);

const jsonRows = z.array(z.union([z.array(cellInput).max(MAX_COLS), z.record(z.string().max(1000), cellInput)]));

export async function readSource(src: SourceFile): Promise<SourceRows> {
  const kind = sourceKind(src.name);
  if (kind === 'csv') return csvSource(src);
  if (kind === 'json') return jsonSource(src);
  throw new SheetError(`source ${src.name}: use a .csv file (first line = header) or a .json file (an array of objects or of arrays)`);
}

async function csvSource(src: SourceFile): Promise<SourceRows> {
  const wb = await loadWorkbook(src.data, 'csv', src.name);
  const ws = wb.worksheets[0];
  const used = ws ? usedArea(ws) : undefined;
  if (!ws || !used) throw new SheetError(`source ${src.name} is empty`);
  const lines: CellInput[][] = [];
  for (let r = 1; r <= used.bottom; r++) {
    const row: CellInput[] = [];
    for (let c = 1; c <= used.right; c++) {
      const cell = ws.getCell(r, c);
      const v = cell.value;
      // fromCsv already turned "=…" into a formula object: take its text back, as data.
      row.push(v !== null && typeof v === 'object' && 'formula' in v ? asData(`=${v.formula}`) : asData((v as CellInput | undefined) ?? null));
    }
    lines.push(row);
  }
  const [first, ...rows] = lines;
  return { header: first!.map((h, i) => (h === null || h === '' ? `column ${i + 1}` : String(h))), rows };
}

function jsonSource(src: SourceFile): SourceRows {
  const data = Buffer.from(src.data.buffer, src.data.byteOffset, src.data.byteLength);
  let parsed: unknown;
  try {
    parsed = JSON.parse(data.toString('utf8').replace(/^\uFEFF/, ''));
  } catch (err) {
    throw new SheetError(`source ${src.name} is not valid JSON (${firstLine(err)})`);
  }
  const checked = jsonRows.safeParse(parsed);
  if (!checked.success) {
    const issue = checked.error.issues[0];
    throw new SheetError(`source ${src.name}: expected an array of rows (objects like {"name": "x", "qty": 2}, or arrays of values), each value a string, number, boolean or null; at [${issue?.path.join('][') ?? ''}]: ${issue?.message ?? 'malformed'}`);
  }
  const rows = checked.data;
  const keys = new Set<string>();
  let width = 0;
  for (const r of rows) {
    if (Array.isArray(r)) width = Math.max(width, r.length);
    else for (const k of Object.keys(r)) keys.add(k);
  }
  const cells = rows.length * Math.max(width, keys.size);
  if (cells > SHEET_LIMITS.cells) throw new SheetError(`source ${src.name} has ${rows.length.toLocaleString('en-US')} rows of up to ${Math.max(width, keys.size)} values; the limit of the sheet tools is ${SHEET_LIMITS.cells.toLocaleString('en-US')} cells`);
  if (keys.size > MAX_COLS) throw new SheetError(`source ${src.name} names ${keys.size} different keys; a sheet has at most ${MAX_COLS} columns`);
  const data_ = rows.map((r) => (Array.isArray(r) ? r.map(asData) : Object.fromEntries(Object.entries(r).map(([k, v]) => [k, asData(v)]))));
  return { ...(keys.size ? { header: [...keys] } : {}), rows: data_ };
}
