// Why: how cell text is put into a markdown table (clipped, pipes and line breaks escaped), shared by the grid view
// in the worker and the summaries the tool layer prints; no exceljs here, so the tool layer can use it.
import { clip } from '@suna/shared/output';
import type { Scalar } from './values.js';

/** Most characters of one cell shown in a table. */
export const CELL_CHARS = 200;
export const mdCell = (s: string): string => clip(s, CELL_CHARS).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '\\n');

export function markdownTable(columns: string[], rows: Scalar[][]): string {
  const line = (r: Scalar[]) => `| ${r.map((v) => mdCell(v === null ? '' : String(v))).join(' | ')} |`;
  return [line(columns), line(columns.map(() => '---')), ...rows.map(line)].join('\n');
}
