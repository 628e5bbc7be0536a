// Output discipline (sanitising, head + tail caps), the secret redactor, and the kind → annotations table:
// the pure pieces every tool result and every log line go through.
import assert from 'node:assert/strict';
import { capExcerpt, capText, clip, sanitizeOutput } from '../src/output.ts';
import { isSecretName, redactSecrets, registerSecret, registerSecretsFromEnv } from '../src/redact.ts';
import { annotationsFor, isReadOnly, type ToolKind } from '../src/tool-kinds.ts';

describe('sanitizeOutput', () => {
  it('strips ANSI colour codes and keeps the text', () => {
    assert.equal(sanitizeOutput('\u001b[1;31mred\u001b[0m and \u001b[32mgreen\u001b[m'), 'red and green');
  });

  it('strips cursor-control CSI sequences such as erase-line', () => {
    assert.equal(sanitizeOutput('\u001b[2K\u001b[1Gprogress 50%'), 'progress 50%');
  });

  it('strips an OSC window-title sequence terminated by BEL', () => {
    assert.equal(sanitizeOutput('\u001b]0;my title\u0007prompt$ '), 'prompt$ ');
  });

  it('strips OSC 8 hyperlinks terminated by ESC \\ and keeps the link text', () => {
    assert.equal(sanitizeOutput('see \u001b]8;;https://example.com\u001b\\the docs\u001b]8;;\u001b\\.'), 'see the docs.');
  });

  it('turns CRLF into LF', () => {
    assert.equal(sanitizeOutput('a\r\nb\r\n'), 'a\nb\n');
  });

  it('turns a lone CR (progress-bar redraw) into LF', () => {
    assert.equal(sanitizeOutput('10%\r20%\r'), '10%\n20%\n');
  });

  it('replaces control bytes with U+FFFD but keeps tabs and newlines', () => {
    assert.equal(sanitizeOutput('a\u0000b\u0007c\u0008d\te\nf'), 'a\uFFFDb\uFFFDc\uFFFDd\te\nf');
  });

  it('replaces DEL and C1 control characters', () => {
    assert.equal(sanitizeOutput('x\u007fy\u009bz'), 'x\uFFFDy\uFFFDz');
  });

  it('replaces a stray ESC that starts no sequence', () => {
    assert.equal(sanitizeOutput('a\u001b'), 'a\uFFFD');
  });

  it('leaves ordinary Unicode text alone', () => {
    const text = 'héllo — 日本語 ✓ 🙂\n\tindented';
    assert.equal(sanitizeOutput(text), text);
  });
});

describe('capText', () => {
  const head = 'H'.repeat(2500);
  const tail = 'T'.repeat(2500);
  const big = head + tail;

  it('returns text under the cap untouched', () => {
    const r = capText('short output\n', 1000);
    assert.deepEqual(r, { text: 'short output\n', truncated: false, omittedChars: 0 });
  });

  it('returns text of exactly the cap untouched', () => {
    const text = 'x'.repeat(1000);
    assert.deepEqual(capText(text, 1000), { text, truncated: false, omittedChars: 0 });
  });

  it('cuts text over the cap to a head and a tail with a marker naming the omitted count', () => {
    const r = capText(big, 1000);
    assert.equal(r.truncated, true);
    const h = r.text.match(/H/g)!.length;
    const t = r.text.match(/T/g)!.length;
    assert.ok(r.text.length <= 1000, `length ${r.text.length}`);
    assert.ok(h > t && t > 0, `head ${h}, tail ${t}`); // the head gets the larger share
    assert.equal(r.omittedChars, 5000 - h - t);
    assert.ok(r.text.startsWith('H'.repeat(h) + `\n\n[… ${(5000 - h - t).toLocaleString('en-US')} characters omitted …]\n\n`), r.text.slice(0, 520));
    assert.ok(r.text.endsWith('\n\n' + 'T'.repeat(t)));
  });

  it('keeps the result within maxChars', () => {
    for (const max of [1000, 2000, 4999, 30_000]) {
      const r = capText('y'.repeat(max * 3), max, { savedTo: '/workspace/.suna/runs/r-123/stdout.txt' });
      assert.ok(r.text.length <= max, `length ${r.text.length} > ${max}`);
    }
  });

  it('names where the full output is saved in the marker', () => {
    const r = capText(big, 1000, { savedTo: '/workspace/.suna/runs/abc/stdout.txt' });
    assert.match(r.text, new RegExp(`\\[… ${r.omittedChars.toLocaleString('en-US')} characters omitted; the full output is in /workspace/\\.suna/runs/abc/stdout\\.txt …\\]`));
  });

  it('counts the omitted part against totalHint when the text is already an excerpt of something bigger', () => {
    const r = capText(big, 1000, { totalHint: 200_000_000 });
    assert.equal(r.truncated, true);
    const shown = r.text.match(/[HT]/g)!.length;
    assert.equal(r.omittedChars, 200_000_000 - shown);
    assert.match(r.text, new RegExp(`\\[… ${(200_000_000 - shown).toLocaleString('en-US')} characters omitted …\\]`));
  });

  it('reports text under the cap as truncated when totalHint says the original was bigger', () => {
    const r = capText('excerpt', 1000, { totalHint: 50_000 });
    assert.deepEqual(r, { text: 'excerpt', truncated: true, omittedChars: 50_000 - 7 });
  });

  it('ignores a totalHint smaller than the text', () => {
    assert.deepEqual(capText('abc', 1000, { totalHint: 1 }), { text: 'abc', truncated: false, omittedChars: 0 });
  });

  it('uses the given unit in the marker', () => {
    assert.match(capText(big, 1000, { unit: 'bytes' }).text, /\d bytes omitted/);
  });

  it('keeps the result within maxChars even when the savedTo path is long', () => {
    const savedTo = '/workspace/.suna/runs/' + 'a'.repeat(200) + '/out.txt';
    const r = capText('x'.repeat(5000), 300, { savedTo });
    assert.ok(r.text.length <= 300, `length ${r.text.length} > 300`);
  });
});

describe('capExcerpt', () => {
  it('joins head and tail directly when nothing was left out and they fit', () => {
    assert.equal(capExcerpt('hello ', 'world', 11, 1000), 'hello world');
  });

  it('counts bytes, not characters, when deciding whether anything was left out', () => {
    // "é" is two bytes in UTF-8: 4 bytes shown of 4.
    assert.equal(capExcerpt('é', 'é', 4, 1000), 'éé');
  });

  it('puts a marker with the omitted byte count between head and tail', () => {
    assert.equal(capExcerpt('head', 'tail', 1_000_008, 1000), 'head\n\n[… 1,000,000 bytes omitted …]\n\ntail');
  });

  it('names where the whole stream is saved', () => {
    assert.equal(
      capExcerpt('head', 'tail', 108, 1000, '/workspace/.suna/runs/r1/stdout'),
      'head\n\n[… 100 bytes omitted; the full output is in /workspace/.suna/runs/r1/stdout …]\n\ntail',
    );
  });

  it('cuts a complete stream that is longer than maxChars to a head and a tail within maxChars', () => {
    const out = capExcerpt('H'.repeat(3000), 'T'.repeat(3000), 6000, 1000, '/workspace/.suna/runs/r1/stdout');
    assert.ok(out.length <= 1000, `length ${out.length}`);
    assert.ok(out.startsWith('H'.repeat(480) + '\n\n[… 5,200 bytes omitted; the full output is in /workspace/.suna/runs/r1/stdout …]\n\n'));
    assert.ok(out.endsWith('\n\n' + 'T'.repeat(320)));
  });

  it('gives the budget a short head leaves unused to the tail', () => {
    const out = capExcerpt('abc', 'T'.repeat(5000), 5003, 1000);
    assert.ok(out.startsWith('abc\n\n[… 4,203 bytes omitted …]'), out.slice(0, 60));
    assert.equal(out.match(/T/g)!.length, 797);
    assert.ok(out.length <= 1000);
  });

  it('counts the omitted part in bytes when the text is multi-byte', () => {
    const out = capExcerpt('é'.repeat(1000), '', 2000, 500);
    // 300 characters of budget, 180 for the head: 360 bytes shown of 2000.
    assert.equal(out, 'é'.repeat(180) + '\n\n[… 1,640 bytes omitted …]\n\n');
  });
});

describe('redactSecrets', () => {
  it('hides a registered secret wherever it appears', () => {
    registerSecret('s3cr3t-value-for-redact-test');
    assert.equal(
      redactSecrets('token=s3cr3t-value-for-redact-test and again s3cr3t-value-for-redact-test.'),
      'token=[redacted] and again [redacted].',
    );
  });

  it('does not register values shorter than 6 characters, which would redact ordinary words', () => {
    registerSecret('abc12');
    assert.equal(redactSecrets('abc12 stays'), 'abc12 stays');
  });

  it('hides a Bearer token', () => {
    assert.equal(redactSecrets('sent Bearer abcdEFGH1234.xyz_-~+/='), 'sent Bearer [redacted]');
  });

  it('hides an Authorization header value, with or without the Bearer scheme', () => {
    assert.equal(redactSecrets('Authorization: Bearer abcdefghijkl'), 'Authorization: Bearer [redacted]');
    assert.equal(redactSecrets('authorization=opaque-value-123'), 'authorization=[redacted]');
  });

  it('hides a Bearer token inside a JSON-quoted Authorization header', () => {
    assert.equal(redactSecrets('{"Authorization":"Bearer abcdefghijklmnop"}'), '{"Authorization":"Bearer [redacted]"}');
  });

  it('hides the credential of a non-Bearer Authorization header (Basic, token)', () => {
    assert.doesNotMatch(redactSecrets('Authorization: Basic dXNlcjpwYXNzd29yZA=='), /dXNlcjpwYXNzd29yZA/);
    assert.doesNotMatch(redactSecrets('-H "Authorization: token ghp_abcdefghijklmnop1234"'), /ghp_abcdefghijklmnop1234/);
  });

  it('hides Anthropic, OpenAI, Tavily and Firecrawl keys and keeps their prefix', () => {
    assert.equal(redactSecrets('key sk-ant-api03-AbCdEfGh12345678'), 'key sk-ant-[redacted]');
    assert.equal(redactSecrets('key sk-proj-AbCdEfGh12345678'), 'key sk-[redacted]');
    assert.equal(redactSecrets('key tvly-AbCdEfGh12345678'), 'key tvly-[redacted]');
    assert.equal(redactSecrets('key fc-0123456789abcdef'), 'key fc-[redacted]');
  });

  it('leaves short look-alikes such as "sk-1" and ordinary text alone', () => {
    const text = 'use the sk-1 flag; see fc-2 and a normal sentence';
    assert.equal(redactSecrets(text), text);
  });
});

describe('registerSecretsFromEnv', () => {
  it('registers values of *_API_KEY, *_TOKEN, *_SECRET and *_PASSWORD variables and ignores the rest', () => {
    registerSecretsFromEnv({
      MY_SERVICE_API_KEY: 'apikey-value-from-env-1',
      GITHUB_TOKEN: 'token-value-from-env-2',
      CLIENT_SECRET: 'secret-value-from-env-3',
      DB_PASSWORD: 'password-value-from-env-4',
      HOME: '/home/not-a-secret-user',
      TOKENIZERS_PARALLELISM: 'parallel-not-secret',
    });
    assert.equal(
      redactSecrets('apikey-value-from-env-1 token-value-from-env-2 secret-value-from-env-3 password-value-from-env-4'),
      '[redacted] [redacted] [redacted] [redacted]',
    );
    assert.equal(redactSecrets('/home/not-a-secret-user parallel-not-secret'), '/home/not-a-secret-user parallel-not-secret');
  });

  it('treats secret-looking names consistently with isSecretName', () => {
    for (const name of ['OPENAI_API_KEY', 'ANTHROPIC_APIKEY', 'SUNA_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'api_key'])
      assert.equal(isSecretName(name), true, name);
    for (const name of ['PATH', 'HOME', 'TOKENIZERS_PARALLELISM', 'AUTHOR_NAME', 'KEYBOARD'])
      assert.equal(isSecretName(name), false, name);
  });
});

describe('annotationsFor (tool kinds)', () => {
  it('marks a read tool read-only, idempotent and closed-world', () => {
    assert.deepEqual(annotationsFor('read'), { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false });
  });

  it('marks a write tool as neither read-only nor destructive', () => {
    const a = annotationsFor('write');
    assert.equal(a.readOnlyHint, false);
    assert.equal(a.destructiveHint, false);
  });

  it('marks a destructive tool destructive', () => {
    const a = annotationsFor('destructive');
    assert.equal(a.destructiveHint, true);
    assert.equal(a.readOnlyHint, false);
  });

  it('marks an exec tool open-world and destructive', () => {
    const a = annotationsFor('exec');
    assert.equal(a.openWorldHint, true);
    assert.equal(a.destructiveHint, true);
    assert.equal(a.readOnlyHint, false);
  });

  it('marks an external tool read-only but open-world', () => {
    const a = annotationsFor('external');
    assert.equal(a.readOnlyHint, true);
    assert.equal(a.openWorldHint, true);
  });

  it('marks a publish tool open-world and not read-only', () => {
    const a = annotationsFor('publish');
    assert.equal(a.openWorldHint, true);
    assert.equal(a.readOnlyHint, false);
  });

  it('adds the title only when one is given', () => {
    assert.equal(annotationsFor('read', 'Read a file').title, 'Read a file');
    assert.equal('title' in annotationsFor('read'), false);
  });

  it('returns a fresh object each time, so a caller cannot change the table', () => {
    const a = annotationsFor('read');
    a.readOnlyHint = false;
    assert.equal(annotationsFor('read').readOnlyHint, true);
  });
});

describe('isReadOnly', () => {
  it('agrees with readOnlyHint for every kind', () => {
    const kinds: ToolKind[] = ['read', 'write', 'destructive', 'exec', 'external', 'publish'];
    const readOnly = kinds.filter((k) => isReadOnly(annotationsFor(k)));
    assert.deepEqual(readOnly, ['read', 'external']);
  });

  it('treats missing annotations or a missing hint as not read-only (the spec default)', () => {
    assert.equal(isReadOnly(undefined), false);
    assert.equal(isReadOnly({}), false);
    assert.equal(isReadOnly({ destructiveHint: false }), false);
  });
});

describe('clip', () => {
  it('leaves short text alone and cuts long text at the limit with one "…"', () => {
    assert.equal(clip('short', 5), 'short');
    assert.equal(clip('longer text', 6), 'longer…');
    assert.equal(clip('', 0), '');
  });
});
