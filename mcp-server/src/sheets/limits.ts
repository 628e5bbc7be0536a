// Why: every bound the sheet tools put on a workbook lives here, so one file answers "how big a sheet can the server
// be made to load, and what stops a bigger one": file size, unpacked bytes and cells, checked before exceljs
// allocates anything, and the worker's heap and wall-clock limits behind them (sheets/worker-host.ts).
import type { Worksheet } from 'exceljs';
import { SheetError } from './errors.js';
import { areaCells, areaText, type Area } from './refs.js';
import { censusXlsx, CorruptWorkbookError } from './xlsx-census.js';

export const SHEET_LIMITS = {
  /** Bytes read from the sandbox for one sheet file. */
  fileBytes: 20 * 1024 * 1024,
  /** Bytes an .xlsx may really unpack to (counted while inflating, not taken from the zip's claims). */
  unzippedBytes: 128 * 1024 * 1024,
  /** Cells one workbook may declare (used ranges, cell elements, merged ranges) or a CSV hold (rows × widest row). */
  cells: 1_000_000,
  /** Old-generation heap of the worker thread that parses workbooks. */
  workerHeapMb: 512,
  /** Wall-clock limit of one sheet task in the worker. */
  taskMs: 60_000,
  /** Cells all formulas computed for one request may read together (evaluate.ts). */
  formulaReads: 500_000,
  /** Formulas without cached results that one formula may wait on in a chain (each level needs its own parser). */
  formulaDepth: 32,
} as const;

const ADVICE = 'Nothing was loaded; process it with a streaming reader in shell_exec (python3 with csv or openpyxl read_only) instead';

const count = (n: number): string => n.toLocaleString('en-US');

function overCells(name: string, cells: number, why: string, maxCells: number): SheetError {
  return new SheetError(`${name}: the workbook declares ${count(cells)} cells (${why}); the limit of the sheet tools is ${count(maxCells)}. ${ADVICE}.`);
}

/** Refuses an .xlsx whose real unpacked size or declared cells are over the limits, before it is parsed. */
export async function checkXlsxBudget(data: Uint8Array, name: string, limits = SHEET_LIMITS): Promise<void> {
  let parts;
  try {
    parts = await censusXlsx(data, { maxUnzippedBytes: limits.unzippedBytes, maxCells: limits.cells });
  } catch (err) {
    if (err instanceof CorruptWorkbookError) throw new SheetError(`${name} is a corrupt .xlsx workbook and could not be parsed (${err.message})`);
    if (err instanceof SheetError) throw new SheetError(`${name}: ${err.message}. ${ADVICE}.`);
    throw err;
  }
  const total = parts.reduce((n, p) => n + p.cells, 0);
  if (total <= limits.cells) return;
  const biggest = parts.reduce((a, b) => (b.cells > a.cells ? b : a));
  throw overCells(name, total, `${biggest.why} in ${biggest.part}`, limits.cells);
}

/** The cells a CSV text makes: its rows times its widest row (quoted commas and line breaks do not count). */
export function csvCells(text: string): { rows: number; width: number } {
  let rows = 0;
  let width = 0;
  let fields = 1;
  let quoted = false;
  let any = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    any = true;
    if (ch === 34) quoted = !quoted;
    else if (quoted) continue;
    else if (ch === 44) fields++;
    else if (ch === 10) {
      rows++;
      width = Math.max(width, fields);
      fields = 1;
      any = false;
    }
  }
  if (any) (rows++, (width = Math.max(width, fields)));
  return { rows, width };
}

export function checkCsvBudget(text: string, name: string, limits = SHEET_LIMITS): void {
  const { rows, width } = csvCells(text);
  if (rows * width > limits.cells) throw overCells(name, rows * width, `${count(rows)} rows, the widest with ${count(width)} fields`, limits.cells);
}

/** After loading: the used range bounds every row × column loop (grid views, grouping), so it must fit too. */
export function checkUsedArea(ws: Worksheet, used: Area | undefined, name: string, limits = SHEET_LIMITS): void {
  if (used && areaCells(used) > limits.cells) throw overCells(name, areaCells(used), `sheet "${ws.name}" uses ${areaText(used)}`, limits.cells);
}
