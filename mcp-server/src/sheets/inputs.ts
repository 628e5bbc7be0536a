// Why: the shapes of sheet requests (cell values, rows, sheets, update operations, filters and aggregations) and
// the file formats, apart from the code that acts on them: the tool layer validates against these without loading
// exceljs, which only the worker thread needs.
import { z } from 'zod';
import { SheetError } from './errors.js';
import { MAX_COLS, MAX_ROWS } from './refs.js';

// Named (`id`) so a tool's JSON schema states each shape once, under `definitions`, and points at it with `$ref`:
// inlined, sheet_update's schema alone was 4 KB of every tools/list.
export const cellInput = z.union([z.string().max(32_767), z.number(), z.boolean(), z.null()]).meta({ id: 'cell' });
export type CellInput = z.infer<typeof cellInput>;
export const rowInput = z.union([z.array(cellInput).max(MAX_COLS), z.record(z.string(), cellInput)]).meta({ id: 'row', description: 'Array of cells, or object keyed by column name' });
export type RowInput = z.infer<typeof rowInput>;

export type SheetFormat = 'xlsx' | 'csv';

export function formatOf(path: string): SheetFormat {
  if (/\.xlsx$/i.test(path)) return 'xlsx';
  if (/\.csv$/i.test(path)) return 'csv';
  throw new SheetError(`${path}: sheet tools read and write .xlsx and .csv files; use a path ending in one of those`);
}

/** What a `source` file is parsed as, by its name; null: neither. */
export const sourceKind = (name: string): 'csv' | 'json' | null => (/\.csv$/i.test(name) ? 'csv' : /\.json$/i.test(name) ? 'json' : null);

/** Rows from a workspace file instead of the call: the data never passes through the model. */
const sourceArg = z
  .string()
  .max(4096)
  .optional()
  .describe('Instead of rows: a workspace .csv (header line first) or .json (array of objects or arrays); values stay data');
const rowsArg = z.array(rowInput).max(100_000).optional();

export const sheetSpec = z.object({
  name: z.string().describe('1–31 characters'),
  columns: z.array(z.string()).max(MAX_COLS).optional().describe('Header row'),
  rows: rowsArg,
  source: sourceArg,
});
export type SheetSpec = z.infer<typeof sheetSpec>;

const atColumn = z.union([z.string(), z.number().int().min(1).max(MAX_COLS)]);
const count = z.number().int().min(1).max(MAX_COLS).optional();
/** What each operation is, checked one by one: the exact shape the worker receives. */
const operationShapes = z.discriminatedUnion('op', [
  z.object({ op: z.literal('set_cell'), cell: z.string(), value: cellInput }),
  z.object({ op: z.literal('set_range'), start: z.string(), values: z.array(z.array(cellInput)).max(100_000) }),
  z.object({ op: z.literal('append_rows'), rows: rowsArg, source: sourceArg }),
  z.object({ op: z.literal('insert_rows'), at: z.number().int().min(1).max(MAX_ROWS), rows: rowsArg, count }),
  z.object({ op: z.literal('delete_rows'), at: z.number().int().min(1).max(MAX_ROWS), count: z.number().int().min(1).max(MAX_ROWS).optional() }),
  z.object({ op: z.literal('insert_columns'), at: atColumn, count }),
  z.object({ op: z.literal('delete_columns'), at: atColumn, count }),
  z.object({ op: z.literal('add_sheet'), ...sheetSpec.shape }),
  z.object({ op: z.literal('rename_sheet'), from: z.string(), to: z.string() }),
]);

/** The operations and their fields, as sheet_update's description states them (the flat schema cannot). */
export const OPERATION_FIELDS =
  'set_cell {cell, value}; set_range {start, values}; append_rows {rows | source}; insert_rows {at, rows? | count?}; ' +
  'delete_rows, insert_columns, delete_columns {at, count?}; add_sheet {name, columns?, rows? | source?}; rename_sheet {from, to}';

/**
 * One flat object in the listed schema (a union of nine shapes was 2.5 KB of every tools/list), each checked
 * against its own shape here: a field an operation needs is refused when missing, by name.
 */
export const operation = z
  .object({
    op: z.enum(operationShapes.options.map((o) => o.shape.op.value) as [Operation['op'], ...Operation['op'][]]),
    cell: z.string().optional().describe('e.g. "B2"'),
    value: cellInput.optional(),
    start: z.string().optional().describe('Top-left cell'),
    values: z.array(z.array(cellInput)).max(100_000).optional().describe('Rows of cells'),
    rows: rowsArg,
    source: sourceArg,
    at: z.union([z.number().int().min(1).max(MAX_ROWS), z.string()]).optional().describe('Row number; for columns a letter ("C") or number'),
    count: z.number().int().min(1).max(MAX_ROWS).optional().describe('Default 1'),
    name: z.string().optional().describe('New sheet, 1–31 characters'),
    columns: z.array(z.string()).max(MAX_COLS).optional().describe('Header row'),
    from: z.string().optional(),
    to: z.string().optional(),
  })
  .transform((flat, ctx): Operation => {
    const checked = operationShapes.safeParse(flat);
    if (checked.success) return checked.data;
    for (const issue of checked.error.issues) ctx.addIssue({ code: 'custom', path: issue.path, message: `${flat.op}: ${issue.message}` });
    return z.NEVER;
  });
export type Operation = z.infer<typeof operationShapes>;

export const filterSpec = z.object({ column: z.string(), op: z.enum(['eq', 'ne', 'gt', 'gte', 'lt', 'lte', 'contains']), value: cellInput });
export const aggregationSpec = z.object({ column: z.string().optional().describe('Omit to count rows'), op: z.enum(['count', 'sum', 'avg', 'min', 'max']) });
export type FilterSpec = z.infer<typeof filterSpec>;
export interface AnalyzeSpec { group_by?: string | string[]; aggregations?: z.infer<typeof aggregationSpec>[]; filter?: FilterSpec[] }
