import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import fc from 'fast-check';
import { request } from 'undici';
import { Code, codeName, httpStatusOf, type CodeName } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { decodeJsonDetails } from '../src/status/details.js';
import { errorFromHttp, errorFromNetwork } from '../src/status/from-http.js';
import { parseRetryAfterMs } from '../src/status/retry-after.js';

type Headers = Readonly<Record<string, string | string[] | undefined>>;

function http(status: number, body?: Uint8Array | string, headers: Headers = {}): OperationsError {
  const error = errorFromHttp({ status, headers, body });
  assert.ok(error instanceof OperationsError, `HTTP ${status} gives an OperationsError`);
  assert.equal(error.transport, 'rest');
  assert.equal(error.httpStatus, status, 'httpStatus is the status received');
  return error;
}

function googleBody(status: number, name: string, message: string, details?: unknown[]): string {
  return JSON.stringify({ error: { code: status, message, status: name, ...(details === undefined ? {} : { details }) } });
}

const RETRY_INFO = { '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '1.500s' };
const QUOTA_FAILURE = {
  '@type': 'type.googleapis.com/google.rpc.QuotaFailure',
  violations: [{ subject: 'project:p', description: 'Quota exceeded for requests per minute', quotaValue: '60' }],
};
const ERROR_INFO = {
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo',
  reason: 'RATE_LIMIT_EXCEEDED', domain: 'googleapis.com', metadata: { service: 'cloudaicompanion.googleapis.com' },
};

const GOOGLE_502_PAGE = `<!DOCTYPE html>
<html lang=en>
  <meta charset=utf-8>
  <title>Error 502 (Server Error)!!1</title>
  <style>*{margin:0;padding:0}html,code{font:15px/22px arial,sans-serif}</style>
  <script>var secretNotShown = "<b>";</script>
  <a href=//www.google.com/><span id=logo aria-label=Google></span></a>
  <p><b>502.</b> <ins>That&#39;s an error.</ins>
  <p>The server encountered a temporary error and could not complete your request.<p>Please try again in 30 seconds.  <ins>That’s all we know.</ins>`;

describe('errorFromHttp, rule 1: a Google JSON error body', () => {
  for (let code = 1 as Code; code <= 16; code++) {
    const name = codeName(code);
    test(`status "${name}" gives ${name} with the body's message`, () => {
      const status = httpStatusOf(code);
      const error = http(status, googleBody(status, name, `the server says ${name}`));
      assert.equal(error.code, code);
      assert.equal(error.message, `[${name}] the server says ${name}`);
      assert.equal(error.rawMessage, `the server says ${name}`);
    });
  }

  test('status "OK" is not an error code: the status line decides', () => {
    assert.equal(http(500, googleBody(500, 'OK', 'odd')).code, Code.INTERNAL);
  });

  test('the status name wins over the HTTP status line', () => {
    assert.equal(http(400, googleBody(400, 'FAILED_PRECONDITION', 'not running')).code, Code.FAILED_PRECONDITION);
    assert.equal(http(400, googleBody(400, 'OUT_OF_RANGE', 'page')).code, Code.OUT_OF_RANGE);
    assert.equal(http(500, googleBody(500, 'DATA_LOSS', 'lost')).code, Code.DATA_LOSS);
    assert.equal(http(409, googleBody(409, 'ALREADY_EXISTS', 'dup')).code, Code.ALREADY_EXISTS);
  });

  test('a missing or unknown status name falls back to error.code when it is an HTTP status, then to the status line', () => {
    assert.equal(http(400, JSON.stringify({ error: { code: 404, message: 'gone' } })).code, Code.NOT_FOUND);
    assert.equal(http(403, JSON.stringify({ error: { code: 403, message: 'no', status: 'NOPE' } })).code, Code.PERMISSION_DENIED);
    assert.equal(http(401, JSON.stringify({ error: { code: 5, message: 'a gRPC number, not HTTP' } })).code, Code.UNAUTHENTICATED);
    assert.equal(http(429, JSON.stringify({ error: { message: 'slow down' } })).code, Code.RESOURCE_EXHAUSTED);
  });

  test('a 503 with a Google body is the server speaking: reachedServer stays unknown', () => {
    const error = http(503, googleBody(503, 'UNAVAILABLE', 'The service is currently unavailable.'));
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(error.reachedServer, undefined);
    assert.equal(error.rawMessage, 'The service is currently unavailable.');
  });

  test('the one-element array form some front ends send is read too', () => {
    const error = http(404, `[${googleBody(404, 'NOT_FOUND', 'missing')}]`);
    assert.equal(error.code, Code.NOT_FOUND);
    assert.equal(error.rawMessage, 'missing');
  });

  test('a Google body without a message says the status line', () => {
    assert.equal(http(403, JSON.stringify({ error: { status: 'PERMISSION_DENIED' } })).rawMessage, 'HTTP 403 Forbidden');
  });

  test('a UTF-8 byte body with a BOM, charset and non-ASCII message is read', () => {
    const body = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(googleBody(400, 'INVALID_ARGUMENT', 'nom invalide « é »'))]);
    const error = http(400, body, { 'content-type': 'application/json; charset=UTF-8' });
    assert.equal(error.code, Code.INVALID_ARGUMENT);
    assert.equal(error.rawMessage, 'nom invalide « é »');
  });

  test('credentials echoed in a Google body\'s message are cut out', () => {
    const error = http(401, googleBody(401, 'UNAUTHENTICATED', 'bad token Bearer ya29.leaked-token-value'));
    assert.ok(!JSON.stringify(error).includes('leaked-token-value'));
    assert.ok(!error.message.includes('leaked-token-value'));
  });
});

describe('errorFromHttp: 404', () => {
  test('404 with a Google body is NOT_FOUND with the server\'s message', () => {
    const error = http(404, googleBody(404, 'NOT_FOUND', 'Operation projects/p/locations/l/operations/o not found.'));
    assert.equal(error.code, Code.NOT_FOUND);
    assert.equal(error.rawMessage, 'Operation projects/p/locations/l/operations/o not found.');
  });

  test('404 without a body is NOT_FOUND (not UNIMPLEMENTED as the gRPC-web table says)', () => {
    const error = http(404, '');
    assert.equal(error.code, Code.NOT_FOUND);
    assert.equal(error.rawMessage, 'HTTP 404 Not Found');
  });

  test('404 with a plain text body shows the text', () => {
    assert.equal(http(404, 'Not Found\n').rawMessage, 'HTTP 404 Not Found: Not Found');
  });
});

describe('errorFromHttp, rule 2: 502, 503, 504 without a Google body came from a proxy', () => {
  test('a 502 HTML page is UNAVAILABLE, reached no server, and its message is a short tag-free snippet', () => {
    const error = http(502, Buffer.from(GOOGLE_502_PAGE), { 'content-type': 'text/html; charset=UTF-8' });
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(error.reachedServer, false);
    assert.match(error.rawMessage, /^HTTP 502 Bad Gateway: Error 502 \(Server Error\)!!1 502\. That's an error\. The server encountered a temporary error/);
    assert.doesNotMatch(error.rawMessage, /[<>]|margin|secretNotShown|\n/);
    assert.ok(error.rawMessage.length <= 'HTTP 502 Bad Gateway: '.length + 200);
  });

  test('an empty 503 is UNAVAILABLE with the status line as message', () => {
    const error = http(503, undefined);
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(error.reachedServer, false);
    assert.equal(error.message, '[UNAVAILABLE] HTTP 503 Service Unavailable');
    assert.equal(http(503, new Uint8Array(0)).rawMessage, 'HTTP 503 Service Unavailable');
  });

  test('a 504 text answer is UNAVAILABLE, not DEADLINE_EXCEEDED', () => {
    const error = http(504, 'upstream request timeout');
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(error.rawMessage, 'HTTP 504 Gateway Timeout: upstream request timeout');
  });

  test('a 503 with Retry-After carries the wait', () => {
    assert.equal(http(503, '', { 'retry-after': '2' }).retryAfterMs, 2000);
  });
});

describe('errorFromHttp, rule 3: the inverse of the table', () => {
  test('bare statuses map as codeFromHttpStatus says, and did not come from the API (reachedServer false)', () => {
    const cases: ReadonlyArray<readonly [number, CodeName]> = [
      [400, 'INVALID_ARGUMENT'], [401, 'UNAUTHENTICATED'], [403, 'PERMISSION_DENIED'], [409, 'ABORTED'], [416, 'OUT_OF_RANGE'],
      [429, 'RESOURCE_EXHAUSTED'], [499, 'CANCELLED'], [500, 'INTERNAL'], [501, 'UNIMPLEMENTED'], [405, 'FAILED_PRECONDITION'],
      [418, 'FAILED_PRECONDITION'], [505, 'INTERNAL'], [302, 'UNKNOWN'],
    ];
    for (const [status, name] of cases) {
      const error = http(status, '');
      assert.equal(error.codeName, name, String(status));
      assert.equal(error.reachedServer, false, 'without a Google error body, whatever answered was not the Operations API');
    }
  });

  test('an unknown status has no reason phrase', () => {
    assert.equal(http(599, '').rawMessage, 'HTTP 599');
  });

  test('{"error": "string"} (OAuth, some proxies) shows its words', () => {
    const error = http(401, JSON.stringify({ error: 'invalid_token', error_description: 'Token expired' }));
    assert.equal(error.code, Code.UNAUTHENTICATED);
    assert.equal(error.rawMessage, 'HTTP 401 Unauthorized: invalid_token: Token expired');
    assert.equal(http(429, '{"error":"rate limited"}').code, Code.RESOURCE_EXHAUSTED);
  });
});

describe('errorFromHttp: Retry-After and RetryInfo', () => {
  test('429 with Retry-After in seconds', () => {
    const error = http(429, '', { 'retry-after': '7' });
    assert.equal(error.code, Code.RESOURCE_EXHAUSTED);
    assert.equal(error.retryAfterMs, 7000);
  });

  test('429 with Retry-After as an HTTP-date, taken relative to now', () => {
    const at = new Date(Date.now() + 60_000).toUTCString();
    const error = http(429, '', { 'Retry-After': at });
    assert.ok(error.retryAfterMs !== undefined && error.retryAfterMs > 55_000 && error.retryAfterMs <= 60_000, String(error.retryAfterMs));
  });

  test('an HTTP-date in the past means no wait', () => {
    assert.equal(http(429, '', { 'retry-after': 'Sun, 06 Nov 1994 08:49:37 GMT' }).retryAfterMs, 0);
  });

  test('a non-numeric Retry-After is ignored and the error is still RESOURCE_EXHAUSTED', () => {
    for (const value of ['soon', '-5', '1e3', '', '12abc', 'Sun, 06 Nov 1994', ' ']) {
      const error = http(429, '', { 'retry-after': value });
      assert.equal(error.code, Code.RESOURCE_EXHAUSTED);
      assert.equal(error.retryAfterMs, undefined, value);
    }
  });

  test('429 JSON with RetryInfo: details decoded and retryAfterMs from RetryInfo', () => {
    const error = http(429, googleBody(429, 'RESOURCE_EXHAUSTED', 'Quota exceeded', [ERROR_INFO, QUOTA_FAILURE, RETRY_INFO]));
    assert.equal(error.code, Code.RESOURCE_EXHAUSTED);
    assert.deepEqual(error.details, [ERROR_INFO, QUOTA_FAILURE, RETRY_INFO]);
    assert.equal(error.retryAfterMs, 1500);
  });

  test('with both RetryInfo and Retry-After the longer wins', () => {
    const body = googleBody(429, 'RESOURCE_EXHAUSTED', 'q', [RETRY_INFO]);
    assert.equal(http(429, body, { 'retry-after': '3' }).retryAfterMs, 3000);
    assert.equal(http(429, body, { 'retry-after': '1' }).retryAfterMs, 1500);
  });

  test('details that are not objects with a string @type are dropped', () => {
    const error = http(429, googleBody(429, 'RESOURCE_EXHAUSTED', 'q', [RETRY_INFO, 5, null, 'x', [], { retryDelay: '9s' }, { '@type': 7 }, { '@type': '' }]));
    assert.deepEqual(error.details, [RETRY_INFO]);
    assert.deepEqual(http(400, JSON.stringify({ error: { status: 'INVALID_ARGUMENT', details: { '@type': 'x' } } })).details, []);
  });
});

describe('errorFromHttp: success', () => {
  test('200 {} and 204 give undefined', () => {
    assert.equal(errorFromHttp({ status: 200, headers: {}, body: '{}' }), undefined);
    assert.equal(errorFromHttp({ status: 204, headers: {}, body: undefined }), undefined);
    assert.equal(errorFromHttp({ status: 200, headers: {}, body: googleBody(404, 'NOT_FOUND', 'x') }), undefined);
  });
});

describe('errorFromHttp: bodies a proxy or broken server can send', () => {
  test('truncated JSON gives the status line\'s code and a snippet', () => {
    const error = http(404, '{"error":{"code":404,"message":"Operation not fo');
    assert.equal(error.code, Code.NOT_FOUND);
    assert.match(error.rawMessage, /^HTTP 404 Not Found: \{"error"/);
  });

  test('binary garbage gives the status line and never the bytes', () => {
    const garbage = Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256);
    const error = http(500, garbage);
    assert.equal(error.code, Code.INTERNAL);
    assert.equal(error.rawMessage, 'HTTP 500 Internal Server Error');
  });

  test('text with NUL or other control characters is treated as binary', () => {
    assert.equal(http(502, 'abc\u0000def').rawMessage, 'HTTP 502 Bad Gateway');
    assert.equal(http(502, Buffer.from('abc\u0001def')).rawMessage, 'HTTP 502 Bad Gateway');
  });

  test('non-UTF-8 bytes are not shown', () => {
    assert.equal(http(500, Buffer.from('caf\xe9 cr\xe8me', 'latin1')).rawMessage, 'HTTP 500 Internal Server Error');
  });

  test('a body of a binary content type is not shown even when it looks like text', () => {
    assert.equal(http(502, 'grpc-status: 14', { 'content-type': 'application/grpc' }).rawMessage, 'HTTP 502 Bad Gateway');
  });

  test('a 10 MB body is handled quickly with a 200-character snippet', () => {
    const huge = Buffer.alloc(10 * 1024 * 1024, 'x');
    const startedMs = performance.now();
    const error = http(413, huge);
    assert.ok(performance.now() - startedMs < 500, 'reads only the first 64 KiB');
    assert.equal(error.code, Code.FAILED_PRECONDITION);
    assert.equal(error.rawMessage, `HTTP 413 Payload Too Large: ${'x'.repeat(199)}…`);
  });

  test('a Google body longer than 64 KiB is cut and read as text, not as a Google body', () => {
    const error = http(400, googleBody(400, 'FAILED_PRECONDITION', 'm'.repeat(70_000)));
    assert.equal(error.code, Code.INVALID_ARGUMENT);
    assert.ok(error.rawMessage.length < 300);
  });

  test('a multi-byte character cut at the 64 KiB boundary does not make the text binary', () => {
    const body = Buffer.from(`${'a'.repeat(64 * 1024 - 1)}é and more`);
    assert.match(http(500, body).rawMessage, /^HTTP 500 Internal Server Error: a{199}…$/);
  });

  test('JSON that is not a Google error body', () => {
    for (const body of ['null', '42', '"text"', '[]', '[1,2]', '{"error":null}', '{"error":{}}', '{"error":[1]}', '{"message":"m"}', '{"error":{"code":"404"}}']) {
      const error = http(404, body);
      assert.equal(error.code, Code.NOT_FOUND, body);
      assert.deepEqual(error.details, []);
    }
  });

  test('an HTML page with unclosed tags, comments and entities gives readable text', () => {
    const error = http(500, '<html><!-- hidden --><body><h1>Oops &amp; sorry</h1><p>a &lt; b<p>unclosed <div');
    assert.equal(error.rawMessage, 'HTTP 500 Internal Server Error: Oops & sorry a < b unclosed');
  });

  test('many unclosed <script> tags are still handled in linear time', () => {
    const startedMs = performance.now();
    const error = http(502, `<p>start</p>${'<script>'.repeat(8000)}`);
    assert.ok(performance.now() - startedMs < 500);
    assert.equal(error.rawMessage, 'HTTP 502 Bad Gateway: start');
  });

  test('never throws, and always gives an OperationsError with the status received, for any bytes, text or status', () => {
    fc.assert(fc.property(
      fc.integer({ min: 300, max: 999 }),
      fc.oneof(fc.uint8Array({ maxLength: 512 }), fc.string({ maxLength: 256 }), fc.json(), fc.constant(undefined)),
      fc.dictionary(fc.constantFrom('retry-after', 'Retry-After', 'content-type', 'x'), fc.oneof(fc.string(), fc.array(fc.string()))),
      (status, body, headers) => {
        const error = errorFromHttp({ status, headers, body });
        return error instanceof OperationsError && error.httpStatus === status && error.message.startsWith(`[${error.codeName}] `);
      },
    ), { numRuns: 500 });
  });
});

describe('parseRetryAfterMs', () => {
  const nowMs = Date.parse('1994-11-06T08:49:07Z');
  test('reads delta-seconds and the three HTTP-date forms', () => {
    assert.equal(parseRetryAfterMs('0', nowMs), 0);
    assert.equal(parseRetryAfterMs('120', nowMs), 120_000);
    assert.equal(parseRetryAfterMs(' 5 ', nowMs), 5000);
    assert.equal(parseRetryAfterMs('1.5', nowMs), 1500);
    assert.equal(parseRetryAfterMs('Sun, 06 Nov 1994 08:49:37 GMT', nowMs), 30_000);
    assert.equal(parseRetryAfterMs('Sunday, 06-Nov-94 08:49:37 GMT', nowMs), 30_000);
    assert.equal(parseRetryAfterMs('Sun Nov  6 08:49:37 1994', nowMs), 30_000);
    assert.equal(parseRetryAfterMs(['4', '9'], nowMs), 4000);
  });

  test('clamps a past date at 0 and ignores anything else', () => {
    assert.equal(parseRetryAfterMs('Sun, 06 Nov 1994 08:00:00 GMT', nowMs), 0);
    for (const value of [undefined, '', 'soon', '-1', '1e3', '0x10', 'Infinity', '2 apples', 'tomorrow', '1994-11-06T08:49:37Z', '9'.repeat(400)]) {
      assert.equal(parseRetryAfterMs(value, nowMs), undefined, String(value));
    }
  });
});

describe('decodeJsonDetails', () => {
  test('keeps objects with a non-empty string @type and drops the rest', () => {
    assert.deepEqual(decodeJsonDetails([RETRY_INFO, 1, null, { '@type': '' }, ERROR_INFO]), [RETRY_INFO, ERROR_INFO]);
    assert.deepEqual(decodeJsonDetails(undefined), []);
    assert.deepEqual(decodeJsonDetails({ '@type': 'x' }), []);
  });
});

describe('errorFromNetwork', () => {
  let server: Server;
  let port: number;
  before(async () => {
    // Answers every request by dropping the connection: a real reset, as a crashing backend gives.
    server = createServer((req) => req.socket.destroy());
    await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    await new Promise<void>(resolve => server.close(() => resolve()));
  });

  test('a real connection refused is UNAVAILABLE and reached no server', async () => {
    const closed = createServer();
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve));
    const closedPort = (closed.address() as AddressInfo).port;
    await new Promise<void>(resolve => closed.close(() => resolve()));
    const caught = await request(`http://127.0.0.1:${closedPort}/v1/x`).then(() => undefined, (e: unknown) => e);
    const error = errorFromNetwork(caught, 'rest');
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(error.reachedServer, false);
    assert.equal(error.transport, 'rest');
    assert.match(error.message, /^\[UNAVAILABLE\] REST request failed before a response: .*ECONNREFUSED/);
    assert.ok(error.cause instanceof Error && error.cause.message === (caught as Error).message, 'keeps the cause');
  });

  test('a real connection dropped mid-request is UNAVAILABLE and may have reached the server', async () => {
    const caught = await request(`http://127.0.0.1:${port}/v1/x`, { method: 'POST', body: '' }).then(() => undefined, (e: unknown) => e);
    const error = errorFromNetwork(caught, 'rest');
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(error.reachedServer, undefined);
  });

  test('ECONNREFUSED and ECONNRESET errors as Node raises them', () => {
    const refused = Object.assign(new Error('connect ECONNREFUSED 10.0.0.1:443'), { code: 'ECONNREFUSED', syscall: 'connect' });
    assert.equal(errorFromNetwork(refused, 'grpc').reachedServer, false);
    assert.equal(errorFromNetwork(refused, 'grpc').code, Code.UNAVAILABLE);
    assert.match(errorFromNetwork(refused, 'grpc').message, /^\[UNAVAILABLE\] gRPC request failed before a response: connect ECONNREFUSED 10\.0\.0\.1:443$/);
    const reset = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
    assert.equal(errorFromNetwork(reset, 'rest').code, Code.UNAVAILABLE);
    assert.equal(errorFromNetwork(reset, 'rest').reachedServer, undefined);
    for (const code of ['ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH']) {
      const error = errorFromNetwork(Object.assign(new Error(`getaddrinfo ${code} x`), { code }), 'rest');
      assert.equal(error.code, Code.UNAVAILABLE, code);
      assert.equal(error.reachedServer, false, code);
    }
  });

  test('an undici-style wrapped error is read through its cause', () => {
    const socket = Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' });
    const error = errorFromNetwork(new TypeError('fetch failed', { cause: socket }), 'rest');
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(error.rawMessage, 'REST request failed before a response: fetch failed: other side closed (UND_ERR_SOCKET)');
    const refused = new TypeError('fetch failed', { cause: Object.assign(new AggregateError([], ''), { code: 'ECONNREFUSED' }) });
    assert.equal(errorFromNetwork(refused, 'rest').reachedServer, false);
    assert.match(errorFromNetwork(refused, 'rest').rawMessage, /fetch failed \(ECONNREFUSED\)$/);
  });

  test('undici header and body timeouts are DEADLINE_EXCEEDED', () => {
    for (const code of ['UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT']) {
      assert.equal(errorFromNetwork(Object.assign(new Error('timeout'), { code }), 'rest').code, Code.DEADLINE_EXCEEDED);
    }
  });

  test('anything else is UNKNOWN, with credentials cut from the message', () => {
    const error = errorFromNetwork(new Error('weird failure with access_token=abc123'), 'rest');
    assert.equal(error.code, Code.UNKNOWN);
    assert.ok(!error.message.includes('abc123'));
    assert.equal(errorFromNetwork('a string', 'rest').rawMessage, 'REST request failed before a response: a string');
    assert.equal(errorFromNetwork(undefined, 'rest').code, Code.UNKNOWN);
    assert.equal(errorFromNetwork(null, 'grpc').code, Code.UNKNOWN);
    const loop: { message: string; cause?: unknown } = { message: 'loop' };
    loop.cause = loop;
    assert.equal(errorFromNetwork(loop, 'rest').code, Code.UNKNOWN);
  });

  test('an OperationsError passes through', () => {
    const given = new OperationsError(Code.DEADLINE_EXCEEDED, 'deadline', { transport: 'rest' });
    assert.equal(errorFromNetwork(given, 'rest'), given);
  });
});
