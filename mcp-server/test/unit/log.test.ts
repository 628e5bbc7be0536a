// Why: the logger makes pino on the first line its level lets through (start does not load it). Lines below the
// level must still be dropped, lines at or above it written as the same JSON as before, secrets redacted.
import assert from 'node:assert/strict';
import { registerSecret } from '@suna/shared';
import { createLogger, type LogLevel } from '../../src/log.ts';

const collect = (level: LogLevel) => {
  const lines: Record<string, unknown>[] = [];
  const log = createLogger(level, (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  return { log, lines };
};

describe('createLogger', () => {
  it('writes the lines at or above its level as pino JSON, with fields, and drops the rest', () => {
    const { log, lines } = collect('info');
    log.debug('not written', { a: 1 });
    log.info('started', { port: 3 });
    log.warn('careful');
    log.error('failed', { error: 'boom' });
    assert.deepEqual(lines.map((l) => [l.level, l.msg]), [['info', 'started'], ['warn', 'careful'], ['error', 'failed']]);
    assert.equal(lines[0]!.port, 3);
    assert.equal(lines[0]!.name, 'suna-mcp');
    assert.equal(lines[0]!.pid, process.pid);
    assert.match(String(lines[0]!.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    assert.equal(lines[2]!.error, 'boom');
  });

  it('honours every level, silent writes nothing', () => {
    const expected: Record<LogLevel, string[]> = { debug: ['debug', 'info', 'warn', 'error'], info: ['info', 'warn', 'error'], warn: ['warn', 'error'], error: ['error'], silent: [] };
    for (const level of Object.keys(expected) as LogLevel[]) {
      const { log, lines } = collect(level);
      for (const l of ['debug', 'info', 'warn', 'error'] as const) log[l](l);
      assert.deepEqual(lines.map((x) => x.msg), expected[level], level);
    }
  });

  it('redacts a known secret in the message and in fields', () => {
    registerSecret('sk-test-logger-secret-123');
    const { log, lines } = collect('debug');
    log.info('key sk-test-logger-secret-123 used', { header: 'Bearer sk-test-logger-secret-123' });
    assert.doesNotMatch(JSON.stringify(lines), /sk-test-logger-secret-123/);
    assert.match(String(lines[0]!.msg), /\[redacted\]/);
  });
});
