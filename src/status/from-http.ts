import { STATUS_CODES } from 'node:http';
import { Code, codeFromHttpStatus, codeFromName } from '../code.js';
import { OperationsError, type ErrorDetail, type TransportName } from '../errors.js';
import { decodeJsonDetails, retryDelayMsFromDetails } from './details.js';
import { unreachableRestHint } from './hints.js';
import { isPlaintextAnswer, plaintextAnswerError } from './plaintext.js';
import { headerValue, parseRetryAfterMs } from './retry-after.js';

export interface HttpErrorResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly body: Uint8Array | string | undefined;
}

/** Only this much of a body is read: a Google error body is far smaller, and a proxy's page needs only a snippet. */
const MAX_BODY_CHARS = 64 * 1024;
const MAX_SNIPPET_CHARS = 200;
const MAX_MESSAGE_CHARS = 4096;
const utf8 = new TextDecoder('utf-8', { fatal: true });
const binaryContentType = /^(image|audio|video|font)\/|octet-stream|protobuf|grpc|zip/i;
// C0 controls other than tab, newline, form feed and carriage return, and DEL: text does not have them.
const controlChars = /[\x00-\x08\x0b\x0e-\x1f\x7f]/;

/**
 * A non-2xx response as the one error class (DESIGN.md, "HTTP to code"), undefined for 2xx. In order:
 * (1) a Google JSON error body gives the code by its `status` name, else by its `code` when that is an HTTP status,
 * else by the status line, and its details are decoded; (2) 502, 503 or 504 without such a body came from a proxy or
 * load balancer: UNAVAILABLE; (3) otherwise the inverse of the table. Without a Google body, `reachedServer` is
 * false: whatever answered was not the Operations API. `retryAfterMs` is the
 * longer of RetryInfo and `Retry-After`. Never throws: the body may be anything a proxy can send.
 */
export function errorFromHttp(response: HttpErrorResponse): OperationsError | undefined {
  const { status, headers } = response;
  if (status >= 200 && status < 300) return undefined;
  const text = bodyText(response.body);
  const json = parseJson(text);
  const google = googleErrorOf(json);
  const headerDelayMs = parseRetryAfterMs(headerValue(headers, 'retry-after'));
  if (google !== undefined) {
    const details = decodeJsonDetails(google['details']);
    const bodyDelayMs = retryDelayMsFromDetails(details);
    const message = typeof google['message'] === 'string' && google['message'] !== ''
      ? google['message'].slice(0, MAX_MESSAGE_CHARS)
      : statusLine(status);
    return new OperationsError(googleCode(google, status), message, init(status, details, longer(bodyDelayMs, headerDelayMs)));
  }
  // Without a Google JSON error body the answer came from something in front of the API or from another host (a
  // proxy, a load balancer, a wrong endpoint's HTML 404): it never reached the Operations service.
  const proxied = status === 502 || status === 503 || status === 504;
  const snippet = binaryContentType.test(headerValue(headers, 'content-type') ?? '') ? '' : snippetOf(text, json);
  const message = snippet === '' ? statusLine(status) : `${statusLine(status)}: ${snippet}`;
  return new OperationsError(proxied ? Code.UNAVAILABLE : codeFromHttpStatus(status), message, {
    ...init(status, [], headerDelayMs),
    reachedServer: false,
  });
}

function init(httpStatus: number, details: readonly ErrorDetail[], retryAfterMs: number | undefined) {
  return { httpStatus, details, transport: 'rest' as const, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) };
}

function longer(a: number | undefined, b: number | undefined): number | undefined {
  return a === undefined ? b : b === undefined ? a : Math.max(a, b);
}

function statusLine(status: number): string {
  const reason = STATUS_CODES[status];
  return reason === undefined ? `HTTP ${status}` : `HTTP ${status} ${reason}`;
}

/** The body's first 64 KiB as text; undefined when it is not text (invalid UTF-8 or control characters). */
function bodyText(body: Uint8Array | string | undefined): string | undefined {
  if (typeof body === 'string') return controlChars.test(body.slice(0, MAX_BODY_CHARS)) ? undefined : body.slice(0, MAX_BODY_CHARS);
  if (!(body instanceof Uint8Array) || body.length === 0) return '';
  let end = Math.min(body.length, MAX_BODY_CHARS);
  while (end > 0 && end < body.length && ((body[end] ?? 0) & 0xc0) === 0x80) end--; // do not cut a character in two
  try {
    const text = utf8.decode(body.subarray(0, end));
    return controlChars.test(text) ? undefined : text;
  } catch {
    return undefined;
  }
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined || !/^\s*[[{]/.test(text)) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** `{"error": {...}}`, also inside the one-element array some Google front ends send; it must say something. */
function googleErrorOf(json: unknown): Record<string, unknown> | undefined {
  const top = Array.isArray(json) ? (json as unknown[])[0] : json;
  if (!isObject(top)) return undefined;
  const error = top['error'];
  if (!isObject(error)) return undefined;
  const says = typeof error['status'] === 'string' || typeof error['message'] === 'string' || typeof error['code'] === 'number';
  return says ? error : undefined;
}

/** By `status` name; a missing or unknown name falls back to `code` when it is an HTTP error status, then the status line. */
function googleCode(error: Record<string, unknown>, httpStatus: number): Code {
  const byName = typeof error['status'] === 'string' ? codeFromName(error['status']) : undefined;
  if (byName !== undefined && byName !== Code.OK) return byName;
  const bodyStatus = error['code'];
  if (typeof bodyStatus === 'number' && Number.isInteger(bodyStatus) && bodyStatus >= 400 && bodyStatus <= 599) return codeFromHttpStatus(bodyStatus);
  const byLine = codeFromHttpStatus(httpStatus);
  return byLine === Code.OK ? Code.UNKNOWN : byLine;
}

/**
 * A short single line for people: `{"error": "..."}` (OAuth, some proxies) gives its words; anything else its visible
 * text, tags, scripts and styles left out, whitespace collapsed, cut at 200 characters. Linear in what it reads.
 */
function snippetOf(text: string | undefined, json: unknown): string {
  if (text === undefined || text === '') return '';
  if (isObject(json) && typeof json['error'] === 'string') {
    const description = json['error_description'];
    return clip(typeof description === 'string' ? `${json['error']}: ${description}` : json['error']);
  }
  let out = '';
  let i = 0;
  while (i < text.length && out.length <= MAX_SNIPPET_CHARS * 2) {
    const ch = text.charCodeAt(i);
    if (ch === 60 /* < */ && /[A-Za-z/!?]/.test(text[i + 1] ?? '')) {
      const close = text.indexOf('>', i);
      if (close === -1) break;
      const tag = text.slice(i + 1, Math.min(close, i + 8)).toLowerCase();
      i = close + 1;
      const skipTo = tag.startsWith('script') ? scriptEnd : tag.startsWith('style') ? styleEnd : undefined;
      if (skipTo !== undefined) {
        skipTo.lastIndex = i;
        const end = skipTo.exec(text);
        if (end === null) break;
        i = end.index;
      }
      out += ' ';
      continue;
    }
    out += ch <= 32 ? ' ' : text.charAt(i);
    i++;
  }
  return clip(decodeEntities(out));
}

const scriptEnd = /<\/script/gi;
const styleEnd = /<\/style/gi;
const entities: Readonly<Record<string, string>> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", '#39': "'", nbsp: ' ' };

function decodeEntities(text: string): string {
  return text.replace(/&(amp|lt|gt|quot|apos|#39|nbsp);/g, (_, name: string) => entities[name] ?? '');
}

function clip(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > MAX_SNIPPET_CHARS ? `${line.slice(0, MAX_SNIPPET_CHARS - 1)}…` : line;
}

const notReached = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN', 'EADDRNOTAVAIL', 'UND_ERR_CONNECT_TIMEOUT']);
const mayHaveReached = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'ERR_STREAM_PREMATURE_CLOSE']);
const timedOut = new Set(['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']);

/**
 * A failure before any response: refused or unresolvable connections are UNAVAILABLE and provably reached no server
 * (`reachedServer: false`); a connection that broke mid-call is UNAVAILABLE but may have been processed; undici's
 * header and body timeouts are DEADLINE_EXCEEDED; a TLS handshake that met a plaintext server is FAILED_PRECONDITION
 * with the fix (status/plaintext.ts); anything else UNKNOWN. Looks through `cause` (undici and fetch wrap).
 */
export function errorFromNetwork(error: unknown, transport: TransportName): OperationsError {
  if (error instanceof OperationsError) return error;
  const messages: string[] = [];
  let code: Code = Code.UNKNOWN;
  let reachedServer: boolean | undefined;
  let errno: string | undefined;
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current !== undefined && current !== null; depth++) {
    const { code: rawCode, message, name, cause } = current as { code?: unknown; message?: unknown; name?: unknown; cause?: unknown };
    if (typeof message === 'string' && message !== '' && !messages.includes(message)) messages.push(message);
    else if (typeof current === 'string' && current !== '') messages.push(current);
    if (isPlaintextAnswer(rawCode) || isPlaintextAnswer(message)) return plaintextAnswerError(transport, error);
    if (code === Code.UNKNOWN && typeof rawCode === 'string') {
      errno = rawCode;
      if (notReached.has(rawCode)) [code, reachedServer] = [Code.UNAVAILABLE, false];
      else if (mayHaveReached.has(rawCode)) code = Code.UNAVAILABLE;
      else if (timedOut.has(rawCode)) code = Code.DEADLINE_EXCEEDED;
    }
    if (code === Code.UNKNOWN && name === 'TimeoutError') code = Code.DEADLINE_EXCEEDED;
    if (code === Code.UNKNOWN && name === 'AbortError') code = Code.CANCELLED;
    current = cause === current ? undefined : cause;
  }
  let said = messages.join(': ');
  if (errno !== undefined && !said.includes(errno)) said = said === '' ? errno : `${said} (${errno})`;
  const wire = transport === 'grpc' ? 'gRPC' : 'REST';
  // Nothing listens, or the name does not resolve: where the address came from is the likely fix.
  const unreachable = reachedServer === false && transport === 'rest';
  return new OperationsError(code, `${wire} request failed before a response: ${said === '' ? 'no reason given' : said}`, {
    transport,
    ...(reachedServer === undefined ? {} : { reachedServer }),
    ...(unreachable ? { hint: unreachableRestHint() } : {}),
    cause: error,
  });
}
