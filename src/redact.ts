/**
 * Credentials must never reach a log line, a journal, a results file or an error message. Everything that turns a
 * server or library message into text for people passes through here, so a token echoed back by a proxy or embedded
 * in a library's error is cut out before it can be written anywhere.
 */
// The PEM block goes first: the key=value rule below would otherwise cut only "-----BEGIN" from a service account's
// `"private_key": "-----BEGIN PRIVATE KEY-----\n..."` and leave the key itself in the text.
const patterns: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]+/gi,
  /\bya29\.[A-Za-z0-9._-]+/g,
  /\bAIza[A-Za-z0-9_-]{35}/g,
  /\b(access_token|refresh_token|id_token|client_secret|private_key|token|password)("?\s*[:=]\s*"?)(?!\[REDACTED)[^"&\s,}]+/gi,
];

export function redact(text: string): string {
  let out = text;
  for (const pattern of patterns) {
    out = out.replace(pattern, (match, first: unknown, second: unknown) => {
      if (match.startsWith('-----BEGIN')) return '[REDACTED PRIVATE KEY]';
      if (typeof first === 'string' && typeof second === 'string') return `${first}${second}[REDACTED]`;
      if (typeof first === 'string' && /^(bearer|basic)$/i.test(first)) return `${first} [REDACTED]`;
      return '[REDACTED]';
    });
  }
  return out;
}

/** Keys whose values are credentials whatever they look like (a bare token has no pattern to find). */
const secretKeys = /^(authorization|proxy-authorization|cookie|set-cookie|x-goog-api-key|api[-_]?key|(access|refresh|id|bearer)[-_]?token|token|client[-_]?secret|private[-_]?key|password|secret)$/i;
const MAX_DEPTH = 32;

/**
 * A copy of structured data from a server (error details: ErrorInfo metadata, DebugInfo, ...) fit to be shown: every
 * string redacted as above, and the value of any key that names a credential replaced whole. A server or proxy that
 * echoes the request's Authorization header into its error details must not put the token into results or logs.
 */
export function redactStructure<T>(value: T): T {
  return redactValue(value, 0) as T;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return redact(value);
  if (typeof value !== 'object' || value === null || depth > MAX_DEPTH) return value;
  if (Array.isArray(value)) return value.map(item => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] = secretKeys.test(key) && item !== '' && item !== null && item !== undefined ? '[REDACTED]' : redactValue(item, depth + 1);
  }
  return out;
}
