/**
 * Credentials must never reach a log line, a journal, a results file or an error message. Everything that turns a
 * server or library message into text for people passes through here, so a token echoed back by a proxy or embedded
 * in a library's error is cut out before it can be written anywhere.
 *
 * Two nets: by value, every credential this process has sent, in the forms an echo may take (sent-credentials.ts),
 * which catches a token whatever surrounds it; and by pattern, what looks like a credential (a bearer token, a Google
 * access token or API key, a private key, `access_token=...`), which also catches secrets this process never sent
 * (a refresh token in a credential source's error, a key file's private key).
 */
import { printable } from './printable.js';
import { cutSentCredentials } from './sent-credentials.js';

const REDACTED = '[REDACTED]';

// The PEM block goes first: the key=value rule below would otherwise cut only "-----BEGIN" from a service account's
// `"private_key": "-----BEGIN PRIVATE KEY-----\n..."` and leave the key itself in the text. The scheme rule takes the
// credential up to whatever cannot be in one (whitespace, quotes, brackets, separators), also after a URL-encoded
// space (`Bearer%20...`, `Bearer+...`). `ya29.` tokens are found anywhere, also glued to `%20` or `=`.
const patterns: readonly RegExp[] = [
  /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(-----END [A-Z ]*PRIVATE KEY-----|$)/g,
  /\b(Bearer|Basic)(\s+|%20|\+)(?!\[REDACTED)[^\s"'`<>()[\]{},;&\\]+/gi,
  /ya29\.[A-Za-z0-9._~%-]+/g,
  /\bAIza[A-Za-z0-9_-]{35}/g,
  /\b(access_token|refresh_token|id_token|client_secret|private_key|token|password|authorization|proxy-authorization|api_?key)("?\s*[:=]\s*"?)(?!\[REDACTED|Bearer\b|Basic\b)[^"&\s,}]+/gi,
];

export function redact(text: string): string {
  let out = cutSentCredentials(text, REDACTED);
  for (const pattern of patterns) {
    out = out.replace(pattern, (match, first: unknown, second: unknown) => {
      if (match.startsWith('-----BEGIN')) return '[REDACTED PRIVATE KEY]';
      if (typeof first === 'string' && /^(bearer|basic)$/i.test(first)) return `${first} ${REDACTED}`;
      if (typeof first === 'string' && typeof second === 'string') return `${first}${second}${REDACTED}`;
      return REDACTED;
    });
  }
  return out;
}

/** Keys whose values are credentials whatever they look like (a bare token has no pattern to find). */
const secretKeys = /^(authorization|proxy-authorization|cookie|set-cookie|x-goog-api-key|api[-_]?key|(access|refresh|id|bearer)[-_]?token|token|client[-_]?secret|private[-_]?key|password|secret)$/i;
/** Google error details are a few levels deep; anything past this is cut, not passed through unread. */
export const MAX_DEPTH = 32;
const CUT = `[CUT: nested deeper than ${MAX_DEPTH} levels]`;

/** A string fit to be shown: credentials cut out, terminal and bidi controls escaped. */
function showable(text: string): string {
  return printable(redact(text));
}

/**
 * A copy of structured data from a server (error details: ErrorInfo metadata, DebugInfo, ...) fit to be shown: every
 * string and every key made showable as above, the value of any key that names a credential replaced whole, and
 * anything nested deeper than MAX_DEPTH replaced by a marker. A server or proxy that echoes the request's
 * Authorization header into its error details must not put the token into results or logs.
 */
export function redactStructure<T>(value: T): T {
  return redactValue(value, 0) as T;
}

function redactValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return showable(value);
  if (typeof value !== 'object' || value === null) return value;
  if (depth >= MAX_DEPTH) return CUT;
  if (Array.isArray(value)) return value.map(item => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [rawKey, item] of Object.entries(value)) {
    const key = showable(rawKey);
    const shown = secretKeys.test(rawKey) && item !== '' && item !== null && item !== undefined ? REDACTED : redactValue(item, depth + 1);
    // defineProperty: a key "__proto__" (JSON.parse makes it an own key) must stay a key, not set the prototype.
    Object.defineProperty(out, key, { value: shown, enumerable: true, writable: true, configurable: true });
  }
  return out;
}
