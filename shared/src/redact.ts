// The one secret redactor: used by the logger and by every error message that leaves the server. A
// registered secret is caught as it is, base64-encoded (standard or URL-safe, at any of the three byte
// alignments inside a longer base64 blob) and percent-encoded (encodeURIComponent, or any mix of
// encoded and plain characters): sandbox code that got hold of a key would print it in one of those.

const SECRET_ENV = /(^|_)(API_?KEY|TOKEN|SECRET|PASSWORD|AUTH)($|_)/i;

interface KnownSecret {
  value: string;
  /** Encoded forms, longest first, each replaced as a whole. */
  forms: string[];
  /** Matches the secret with any of its characters percent-encoded (case-insensitive hex); null when nothing to encode. */
  percent: RegExp | null;
}

const known = new Map<string, KnownSecret>();

/** Remember a secret value (e.g. the HTTP bearer token) so it is redacted wherever it appears. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6 && !known.has(value)) known.set(value, { value, forms: encodedForms(value), percent: percentPattern(value) });
}

/** Secret-looking environment variables of this process are registered once at start-up. */
export function registerSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  for (const [k, v] of Object.entries(env)) if (SECRET_ENV.test(k)) registerSecret(v);
}

export function isSecretName(name: string): boolean {
  return SECRET_ENV.test(name);
}

const toUrlSafe = (b64: string) => b64.replace(/\+/g, '-').replace(/\//g, '_');

/**
 * The base64 text that encodes `value` wherever it sits in a longer byte stream: for each alignment (0, 1
 * or 2 bytes before it in its 3-byte group) the characters whose 6 bits all come from the secret. Whole
 * encodings (with and without padding) come first, so a secret encoded alone leaves no stray characters.
 */
function encodedForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const forms = new Set<string>();
  const whole = bytes.toString('base64');
  forms.add(whole);
  forms.add(whole.replace(/=+$/, ''));
  for (let align = 0; align < 3; align++) {
    const b64 = Buffer.concat([Buffer.alloc(align), bytes]).toString('base64');
    const first = Math.ceil((8 * align) / 6);
    const end = Math.floor((8 * (align + bytes.length)) / 6); // exclusive: the last char fully inside
    const core = b64.slice(first, end);
    if (core.length >= 6) forms.add(core);
  }
  for (const f of [...forms]) forms.add(toUrlSafe(f));
  return [...forms].filter((f) => f !== value).sort((a, b) => b.length - a.length);
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

function percentPattern(value: string): RegExp {
  // Every character may appear plain or percent-encoded (its UTF-8 bytes), in any mix and hex case.
  const parts = [...value].map((ch) => {
    const enc = [...Buffer.from(ch, 'utf8')].map((b) => `%${b.toString(16).padStart(2, '0')}`).join('');
    return `(?:${escapeRegExp(ch)}|${enc.replace(/[0-9a-f]/g, (d) => (/[a-f]/.test(d) ? `[${d}${d.toUpperCase()}]` : d))})`;
  });
  return new RegExp(parts.join(''), 'g');
}

export function redactSecrets(text: string): string {
  let out = text;
  for (const s of known.values()) {
    if (out.includes(s.value)) out = out.split(s.value).join('[redacted]');
    for (const f of s.forms) if (out.includes(f)) out = out.split(f).join('[redacted]');
    if (s.percent && out.includes('%')) out = out.replace(s.percent, '[redacted]');
  }
  return out
    // the whole header value, whatever the scheme (Bearer, Basic, token …)
    .replace(/(authorization["']?\s*[:=]\s*["']?)((?:bearer|basic|token|digest)\s+)?[^"'\s,}]+/gi, '$1$2[redacted]')
    .replace(/\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1[redacted]')
    .replace(/\b(sk-ant-|sk-|tvly-|fc-)[A-Za-z0-9_-]{8,}/g, '$1[redacted]');
}
