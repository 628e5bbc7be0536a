// Why: the build hands the SDK's server our lazy Ajv validator in place of its own (start without Ajv). It must
// judge exactly as the SDK's does — same verdicts, same data, same error text — and load Ajv only when first asked.
import assert from 'node:assert/strict';
import { AjvJsonSchemaValidator as SdkValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import type { JsonSchemaType } from '@modelcontextprotocol/sdk/validation/types.js';
import { AjvJsonSchemaValidator as LazyValidator } from '../../src/lazy-json-schema-validator.ts';

const SCHEMA: JsonSchemaType = {
  type: 'object',
  properties: { email: { type: 'string', format: 'email' }, count: { type: 'integer', minimum: 1 }, choice: { type: 'string', enum: ['a', 'b'] } },
  required: ['email'],
  additionalProperties: false,
};

describe('lazy JSON Schema validator (the SDK server\'s, made on first use)', () => {
  it('gives the same verdicts, data and error messages as the SDK\'s Ajv validator', () => {
    const lazy = new LazyValidator().getValidator(SCHEMA);
    const sdk = new SdkValidator().getValidator(SCHEMA);
    const inputs = [
      { email: 'a@example.com' },
      { email: 'a@example.com', count: 2, choice: 'b' },
      { email: 'not an address' },
      { email: 'a@example.com', count: 0 },
      { email: 'a@example.com', extra: true },
      { count: 1 },
      'a string',
      null,
    ];
    for (const input of inputs) assert.deepEqual(lazy(input), sdk(input), JSON.stringify(input));
    assert.equal(lazy({ email: 'a@example.com' }).valid, true);
    assert.equal(lazy({ email: 'nope' }).valid, false);
  });

  it('builds no Ajv until a validator is asked for, then one for every later schema', () => {
    const validator = new LazyValidator() as unknown as { real?: unknown; getValidator: LazyValidator['getValidator'] };
    assert.equal(validator.real, undefined);
    validator.getValidator({ type: 'string' });
    const made = validator.real;
    assert.ok(made);
    validator.getValidator({ type: 'number' });
    assert.equal(validator.real, made);
  });
});
