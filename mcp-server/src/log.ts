// Structured logs (pino, JSON lines) to stderr: stdout belongs to MCP frames on stdio. Every line passes
// the one secret redactor before it is written. pino is loaded by the first line the level lets through (not at
// start: loading it was ~10 ms of the path to `initialize`); lines below the level are dropped before that, as
// pino would drop them.
import type { Logger as PinoLogger } from 'pino';
import { redactSecrets } from '@suna/shared';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** pino's numbers for our levels: a line is written when its level is at least the logger's. */
const LEVEL_VALUE: Record<LogLevel, number> = { debug: 20, info: 30, warn: 40, error: 50, silent: Infinity };

export function createLogger(level: LogLevel, write: (line: string) => void = (l) => process.stderr.write(l)): Logger {
  let p: PinoLogger | undefined;
  const make = (): PinoLogger => {
    // `require`, not `import`: pino (left out of the bundle, esbuild.config.mjs) is loaded here, on first use.
    const { pino } = require('pino') as typeof import('pino');
    return pino(
      { level, base: { pid: process.pid, name: 'suna-mcp' }, timestamp: pino.stdTimeFunctions.isoTime, formatters: { level: (label) => ({ level: label }) } },
      { write: (line: string) => write(redactSecrets(line)) },
    );
  };
  const at = (lineLevel: Exclude<LogLevel, 'silent'>) => (msg: string, fields?: Record<string, unknown>) => {
    if (LEVEL_VALUE[lineLevel] < LEVEL_VALUE[level]) return;
    (p ??= make())[lineLevel](fields ?? {}, msg);
  };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}
