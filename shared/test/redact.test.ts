// Encoded forms of a registered secret: sandbox code that got hold of a key would print it base64- or
// percent-encoded to get it past a plain-text redactor. Each form is caught, also inside longer text.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { redactSecrets, registerSecret } from '../src/redact.ts';

const SECRET = 'Zq9-secret+/value_ü&=?%42';
registerSecret(SECRET);

/** The secret must not be recoverable: neither the plain value nor any encoded form of it is left. */
function assertGone(out: string): void {
  assert.ok(!out.includes(SECRET), out);
  for (let align = 0; align < 3; align++) {
    const b64 = Buffer.concat([Buffer.alloc(align), Buffer.from(SECRET)]).toString('base64');
    const core = b64.slice(Math.ceil((8 * align) / 6), Math.floor((8 * (align + Buffer.byteLength(SECRET))) / 6));
    assert.ok(!out.includes(core) && !out.includes(core.replace(/\+/g, '-').replace(/\//g, '_')), `alignment ${align}: ${out}`);
  }
  assert.ok(!out.includes(encodeURIComponent(SECRET)), out);
}

describe('redactSecrets: encoded forms of a registered secret', () => {
  it('catches the plain base64 of the secret, with and without padding, standard and URL-safe', () => {
    const std = Buffer.from(SECRET).toString('base64');
    for (const form of [std, std.replace(/=+$/, ''), Buffer.from(SECRET).toString('base64url')]) {
      const out = redactSecrets(`token: ${form} end`);
      assert.match(out, /^token: \[redacted\]=* end$/, form);
      assertGone(out);
    }
  });

  it('catches it at each of the three byte alignments inside a longer base64 blob', () => {
    for (let align = 0; align < 3; align++) {
      for (const encoding of ['base64', 'base64url'] as const) {
        const blob = Buffer.concat([randomBytes(30 + align), Buffer.from(SECRET), randomBytes(17)]).toString(encoding);
        const out = redactSecrets(`Authorization-free dump ${blob}`);
        assert.match(out, /\[redacted\]/, `${encoding} alignment ${align}`);
        assertGone(out);
      }
    }
  });

  it('catches the percent-encoded form, in either hex case and partly encoded', () => {
    const enc = encodeURIComponent(SECRET);
    assert.notEqual(enc, SECRET, 'the fixture has characters that encodeURIComponent changes');
    assert.equal(redactSecrets(`https://x.test/?k=${enc}&y=1`), 'https://x.test/?k=[redacted]&y=1');
    assert.equal(redactSecrets(`k=${enc.toLowerCase().replace(/zq9/g, 'Zq9')}`), 'k=[redacted]');
    const mixed = [...SECRET].map((ch, i) => (i % 2 ? encodeURIComponent(ch) : ch)).join('');
    assert.equal(redactSecrets(`k=${mixed}`), 'k=[redacted]');
    const everyChar = [...Buffer.from(SECRET)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');
    assert.equal(redactSecrets(`k=${everyChar}`), 'k=[redacted]');
  });

  it('leaves other base64 and URL-encoded text alone', () => {
    const text = `blob ${Buffer.from('an ordinary value of the same length!!').toString('base64')} and q=a%20b%26c`;
    assert.equal(redactSecrets(text), text);
  });
});
