/**
 * The credential values this process has sent, so that text can be cleaned of them by value: a server or proxy that
 * echoes a token back may do so in a form no pattern recognises (URL-encoded, base64 inside an error detail's bytes,
 * as a JSON key, without `Bearer ` or `ya29.` beside it, or with characters a pattern does not expect).
 *
 * Why one registry for the process and not one per client: the values are learned where every request's credentials
 * are fetched (`authHeaders` in client/credentials.ts), but errors are built in the transports, and over TLS gRPC the
 * credentials travel as call credentials composed into the channel's, out of reach of the transport that builds the
 * error. A process-wide list reaches every place an error or a line of output is made. What that costs, and the
 * bounds that keep it small:
 * - it holds at most MAX_VALUES values (the most recently sent; a token is renewed about hourly, so that is many hours
 *   of one credential or that many credentials in use at once); an older value is forgotten and then only the
 *   patterns of redact.ts protect it;
 * - a value is cut from every client's output, not only the one that sent it: over-redaction, never a disclosure;
 * - values shorter than MIN_LENGTH are not kept: cutting every occurrence of a short string would cut ordinary words
 *   (an emulator's test token "t1"), and real credentials are far longer.
 */

const MAX_VALUES = 32;
const MIN_LENGTH = 8;

/** Header names whose values are credentials (lower case). */
const CREDENTIAL_HEADERS: ReadonlySet<string> = new Set(['authorization', 'proxy-authorization', 'x-goog-api-key', 'cookie']);

/** Value -> the forms of it to look for; insertion order is recency (a value seen again moves to the end). */
const values = new Map<string, readonly string[]>();
let matcher: RegExp | undefined;

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/**
 * The base64 text that `value` becomes inside any larger base64 string, for each of the three byte offsets it can
 * start at: the groups of 3 bytes that hold only the value's own bytes encode the same whatever surrounds them. The
 * first and last groups, which share bytes with the neighbours, are left out.
 */
function base64Cores(bytes: Buffer): string[] {
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const shifted = Buffer.concat([Buffer.alloc(offset), bytes]);
    const whole = Math.floor(shifted.length / 3) * 4;
    const core = shifted.toString('base64').slice(offset === 0 ? 0 : 4, whole);
    if (core.length >= MIN_LENGTH) cores.push(core, core.replace(/\+/g, '-').replace(/\//g, '_'));
  }
  return cores;
}

/** Every form of one value to cut: as is, URL-encoded (both hex cases), JSON-escaped, and in base64 / base64url. */
function formsOf(value: string): string[] {
  const encoded = encodeURIComponent(value);
  const forms = [value, encoded, encoded.replace(/%[0-9A-F]{2}/g, hex => hex.toLowerCase()), JSON.stringify(value).slice(1, -1)];
  forms.push(...base64Cores(Buffer.from(value, 'utf8')));
  return [...new Set(forms)].filter(form => form.length >= MIN_LENGTH);
}

function remember(value: string): void {
  if (value.length < MIN_LENGTH) return;
  if (values.has(value)) {
    // Most recent last: the oldest value is the one to forget.
    const forms = values.get(value) as readonly string[];
    values.delete(value);
    values.set(value, forms);
    return;
  }
  values.set(value, formsOf(value));
  if (values.size > MAX_VALUES) values.delete(values.keys().next().value as string);
  matcher = undefined;
}

/**
 * Records the credential values among the headers of a request about to be sent: the whole value, and for
 * `Scheme credential` the credential alone (for Basic also what it decodes to, `user:password`). Called on every
 * request, so a value already known costs a map lookup and nothing else.
 */
export function rememberSentCredentials(headers: Readonly<Record<string, string>>): void {
  for (const [name, raw] of Object.entries(headers)) {
    if (!CREDENTIAL_HEADERS.has(name.toLowerCase()) || typeof raw !== 'string') continue;
    const value = raw.trim();
    remember(value);
    const scheme = /^([A-Za-z][A-Za-z0-9-]*)\s+(\S.*)$/.exec(value);
    if (scheme === null) continue;
    const credential = scheme[2] as string;
    remember(credential);
    if ((scheme[1] as string).toLowerCase() === 'basic') {
      const decoded = Buffer.from(credential, 'base64').toString('utf8');
      if (/^[\x20-\x7e]+$/.test(decoded)) remember(decoded);
    }
  }
}

/** `text` with every form of every remembered value replaced by `replacement`. */
export function cutSentCredentials(text: string, replacement: string): string {
  if (values.size === 0) return text;
  if (matcher === undefined) {
    // Longest first, so a value is cut whole before a shorter value inside it could leave its ends behind.
    const forms = [...new Set([...values.values()].flat())].sort((a, b) => b.length - a.length);
    matcher = new RegExp(forms.map(escapeRegExp).join('|'), 'g');
  }
  return text.replace(matcher, replacement);
}
