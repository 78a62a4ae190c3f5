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
  /\b(access_token|refresh_token|id_token|client_secret|private_key)("?\s*[:=]\s*"?)(?!\[REDACTED)[^"&\s,}]+/gi,
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
