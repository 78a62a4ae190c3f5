/**
 * The HTTP `Retry-After` header (RFC 9110 §10.2.3) in ms: delta-seconds, or an HTTP-date taken relative to `nowMs`
 * and clamped at 0 (a date in the past means "now"). Anything else is ignored (undefined) rather than guessed at:
 * the value becomes a floor for the next wait, so a misread would stall or hammer the server.
 */
export function parseRetryAfterMs(value: string | readonly string[] | undefined, nowMs: number = Date.now()): number | undefined {
  const raw = typeof value === 'string' ? value : Array.isArray(value) ? value[0] : undefined;
  if (typeof raw !== 'string' || raw.length > 64) return undefined;
  const text = raw.trim();
  // Delta-seconds; fractions are not in the RFC but some servers send them and they mean the obvious thing.
  if (/^\d{1,12}(?:\.\d{1,9})?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const atMs = httpDateMs(text);
  return atMs === undefined ? undefined : Math.max(0, atMs - nowMs);
}

// IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, RFC 850 `Sunday, 06-Nov-94 08:49:37 GMT`, asctime `Sun Nov  6 08:49:37 1994`.
const imfOrRfc850 = /^[A-Za-z]{3,9}, \d{2}[ -][A-Za-z]{3}[ -]\d{2,4} \d{2}:\d{2}:\d{2} GMT$/;
const asctime = /^[A-Za-z]{3} [A-Za-z]{3} [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/;

/** Only the three HTTP-date forms: Date.parse alone accepts far too much (`"2"` is a year). */
function httpDateMs(text: string): number | undefined {
  let ms = Number.NaN;
  if (imfOrRfc850.test(text)) ms = Date.parse(text.replace(/-/g, ' '));
  else if (asctime.test(text)) ms = Date.parse(`${text} GMT`); // asctime has no zone; HTTP means GMT
  return Number.isFinite(ms) ? ms : undefined;
}

/** A response header by name, whatever the case of the key the HTTP client used. */
export function headerValue(headers: Readonly<Record<string, string | string[] | undefined>>, lowerName: string): string | undefined {
  let value = headers[lowerName];
  if (value === undefined) {
    for (const key of Object.keys(headers)) {
      if (key.length === lowerName.length && key.toLowerCase() === lowerName) {
        value = headers[key];
        break;
      }
    }
  }
  return Array.isArray(value) ? value[0] : value;
}
