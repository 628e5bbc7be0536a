// Why: the SDK's Server builds an Ajv instance in its constructor (Ajv + ajv-formats: ~30 ms of a ~300 ms start)
// only to check answers to elicitation requests, which arrive long after `initialize`, if ever. The build
// (esbuild.config.mjs) hands the SDK's server this class in place of its `AjvJsonSchemaValidator`: the same
// validator, made on first use. `require` (not `import`) so the bundler evaluates Ajv at that call, not at load.
import type { JsonSchemaType, JsonSchemaValidator, jsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/types.js';
import type { AjvJsonSchemaValidator as SdkAjvValidator } from '@modelcontextprotocol/sdk/validation/ajv';

type SdkAjvModule = { AjvJsonSchemaValidator: typeof SdkAjvValidator };

export class AjvJsonSchemaValidator implements jsonSchemaValidator {
  private real?: jsonSchemaValidator;

  /** `ajv`: a caller's own Ajv instance, as the SDK's constructor takes it (the SDK's server passes none). */
  constructor(private readonly ajv?: ConstructorParameters<typeof SdkAjvValidator>[0]) {}

  getValidator<T>(schema: JsonSchemaType): JsonSchemaValidator<T> {
    if (!this.real) {
      const sdk = require('@modelcontextprotocol/sdk/validation/ajv') as SdkAjvModule;
      this.real = new sdk.AjvJsonSchemaValidator(this.ajv);
    }
    return this.real.getValidator<T>(schema);
  }
}
