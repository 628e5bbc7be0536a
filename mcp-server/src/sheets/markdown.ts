// Why: how cell text is put into a markdown table (clipped, pipes and line breaks escaped), shared by the grid view
// in the worker and the summaries the tool layer prints; no exceljs here, so the tool layer can use it.
import type { Scalar } from './values.js';

export const clip = (s: string, max = 200): string => (s.length > max ? `${s.slice(0, max)}…` : s);
export const mdCell = (s: string): string => clip(s).replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '\\n');

export function markdownTable(columns: string[], rows: Scalar[][]): string {
  const line = (r: Scalar[]) => `| ${r.map((v) => mdCell(v === null ? '' : String(v))).join(' | ')} |`;
  return [line(columns), line(columns.map(() => '---')), ...rows.map(line)].join('\n');
}
