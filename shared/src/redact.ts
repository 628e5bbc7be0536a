// The one secret redactor: used by the logger and by every error message that leaves the server.

const SECRET_ENV = /(^|_)(API_?KEY|TOKEN|SECRET|PASSWORD|AUTH)($|_)/i;
const known = new Set<string>();

/** Remember a secret value (e.g. the HTTP bearer token) so it is redacted wherever it appears. */
export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) known.add(value);
}

/** Secret-looking environment variables of this process are registered once at start-up. */
export function registerSecretsFromEnv(env: NodeJS.ProcessEnv = process.env): void {
  for (const [k, v] of Object.entries(env)) if (SECRET_ENV.test(k)) registerSecret(v);
}

export function isSecretName(name: string): boolean {
  return SECRET_ENV.test(name);
}

export function redactSecrets(text: string): string {
  let out = text;
  for (const s of known) if (out.includes(s)) out = out.split(s).join('[redacted]');
  return out
    // the whole header value, whatever the scheme (Bearer, Basic, token …)
    .replace(/(authorization["']?\s*[:=]\s*["']?)((?:bearer|basic|token|digest)\s+)?[^"'\s,}]+/gi, '$1$2[redacted]')
    .replace(/\b(bearer\s+)[A-Za-z0-9._~+/=-]{8,}/gi, '$1[redacted]')
    .replace(/\b(sk-ant-|sk-|tvly-|fc-)[A-Za-z0-9_-]{8,}/g, '$1[redacted]');
}
