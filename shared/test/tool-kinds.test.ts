// The annotations tools/list sends: shorter than the full table, never less cautious for a client that applies the
// spec's defaults or one that reads a missing hint as false.
import assert from 'node:assert/strict';
import { annotationsFor, compactAnnotations, type ToolKind } from '../src/tool-kinds.ts';

const KINDS: ToolKind[] = ['read', 'write', 'destructive', 'exec', 'external', 'browse', 'publish'];
const SPEC_DEFAULTS = { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: true };

describe('compactAnnotations', () => {
  for (const kind of KINDS) {
    it(`${kind}: both readings of the compact form agree with the full annotations`, () => {
      const full = annotationsFor(kind);
      const compact = compactAnnotations(kind);
      const spec = { ...SPEC_DEFAULTS, ...compact };
      const naive = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false, ...compact };
      assert.equal(spec.readOnlyHint, full.readOnlyHint);
      assert.equal(naive.readOnlyHint, full.readOnlyHint);
      assert.equal(spec.openWorldHint, full.openWorldHint);
      assert.equal(naive.openWorldHint, full.openWorldHint);
      if (!full.readOnlyHint) {
        // the spec gives these meaning only for tools that are not read-only
        assert.equal(spec.destructiveHint, full.destructiveHint);
        assert.equal(naive.destructiveHint, full.destructiveHint);
        assert.equal(spec.idempotentHint, full.idempotentHint);
        assert.equal(naive.idempotentHint, full.idempotentHint);
      }
    });
  }
});
