// Why: the sheets core reports bad input and refused workbooks with its own error type, so it does not depend on
// the tool layer; tools/sheets.ts maps these to ToolError, and the worker carries them across the thread boundary.

/** A problem with the workbook or the request that the caller can fix; the message says how. */
export class SheetError extends Error {
  override readonly name = 'SheetError';
}

/** The first line of any error, for messages that quote a parser's complaint. */
export const firstLine = (err: unknown): string => (err instanceof Error ? err.message : String(err)).split('\n')[0];
