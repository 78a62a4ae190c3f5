import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { Code, isCode } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { errorFromHttp, errorFromNetwork, type HttpErrorResponse } from '../src/status/from-http.js';

/**
 * The HTTP error parser meets whatever a server, a proxy or a broken network sends: random statuses, headers and
 * bodies (Google JSON error bodies with fields of any type, HTML, truncated JSON, binary, invalid UTF-8, megabytes).
 * It must give an OperationsError (undefined for 2xx), never throw, stay bounded and finish fast.
 */

const codeNames = Object.keys(Code).filter(key => Number.isNaN(Number(key)));
const anything = fc.anything({ withNullPrototype: true, withBigInt: true, withBoxedValues: true, withMap: true, withSet: true, withObjectString: true, withSparseArray: true, withTypedArray: true });
/** What JSON.parse can give: bodies are JSON text. */
const json = fc.jsonValue();

const duration = fc.oneof(
  fc.tuple(fc.integer({ min: -5, max: 1e12 }), fc.integer({ min: 0, max: 999_999_999 })).map(([s, n]) => `${s}.${String(n).padStart(9, '0')}s`),
  fc.constantFrom('1s', '0.5s', '-1s', '1e9s', 'NaNs', 's', '', '999999999999999999999s', '1.5', '1.0000000001s'),
  fc.record({ seconds: fc.oneof(fc.integer(), fc.string(), fc.constant(null)), nanos: fc.oneof(fc.integer(), fc.double(), fc.string()) }, { requiredKeys: [] }),
  json,
);
const detail = fc.oneof(
  fc.record({ '@type': fc.constantFrom('type.googleapis.com/google.rpc.RetryInfo', 'google.rpc.RetryInfo', 'x/google.rpc.RetryInfo', 'type.googleapis.com/google.rpc.RetryInfoX'), retryDelay: duration }),
  fc.record({ '@type': fc.oneof(fc.string(), json), reason: fc.string(), metadata: json }, { requiredKeys: [] }),
  json,
);
const googleError = fc.record({
  code: fc.oneof(fc.integer({ min: -1000, max: 1000 }), json),
  message: fc.oneof(fc.string({ maxLength: 200 }), fc.string({ maxLength: 20 }).map(s => s.repeat(500)), json),
  status: fc.oneof(fc.constantFrom(...codeNames), fc.string({ maxLength: 20 }), json),
  details: fc.oneof(fc.array(detail, { maxLength: 6 }), json),
}, { requiredKeys: [] });
const googleBody = fc.oneof(
  googleError.map(error => JSON.stringify({ error })),
  googleError.map(error => JSON.stringify([{ error }])),
  json.map(value => JSON.stringify(value)),
);
const html = fc.array(fc.oneof(
  fc.constantFrom('<html>', '<body>', '<h1>', '</h1>', '<script>', '</script>', '<style>', '</style>', '<!--', '-->', '<', '>', '&amp;', '&lt;', '&#39;', '<p', '<a href="x">'),
  fc.string({ maxLength: 30 }),
), { maxLength: 40 }).map(parts => parts.join(''));
const truncated = fc.tuple(googleBody, fc.nat()).map(([body, cut]) => body.slice(0, cut % (body.length + 1)));
const textBody = fc.oneof(googleBody, html, truncated, fc.string({ maxLength: 300, unit: 'binary' }));
const body: fc.Arbitrary<HttpErrorResponse['body']> = fc.oneof(
  textBody,
  textBody.map(text => new TextEncoder().encode(text)),
  fc.uint8Array({ maxLength: 600 }),
  fc.tuple(textBody, fc.uint8Array({ minLength: 1, maxLength: 4 })).map(([text, junk]) => Buffer.concat([Buffer.from(text), Buffer.from(junk.map(b => b | 0x80))])),
  fc.constant(undefined),
);
const headerValue = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.nat({ max: 100_000 }).map(String),
  fc.date({ noInvalidDate: true }).map(date => date.toUTCString()),
  fc.constantFrom('120', '1.5', '-1', '1e3', 'Sun, 06 Nov 1994 08:49:37 GMT', 'Sunday, 06-Nov-94 08:49:37 GMT', 'Sun Nov  6 08:49:37 1994', 'x'.repeat(100)),
);
const headers = fc.dictionary(
  fc.constantFrom('retry-after', 'Retry-After', 'RETRY-AFTER', 'content-type', 'Content-Type', 'x-other'),
  fc.oneof(headerValue, fc.array(headerValue, { maxLength: 3 }), fc.constantFrom('application/json', 'text/html; charset=utf-8', 'application/octet-stream', 'image/png')),
);
const status = fc.oneof(fc.integer({ min: 100, max: 999 }), fc.constantFrom(200, 204, 400, 401, 403, 404, 409, 429, 499, 500, 502, 503, 504), fc.integer({ min: -10, max: 100_000 }));

/** The checks every answer must pass. */
function checkAnswer(response: HttpErrorResponse, error: OperationsError | undefined): void {
  if (response.status >= 200 && response.status < 300) {
    assert.equal(error, undefined);
    return;
  }
  assert.ok(error instanceof OperationsError);
  assert.ok(isCode(error.code) && error.code !== Code.OK, `a real error code, got ${error.code}`);
  assert.equal(error.httpStatus, response.status);
  assert.equal(error.transport, 'rest');
  assert.ok(error.message.length <= 4200, `a bounded message, got ${error.message.length} characters`);
  assert.ok(error.retryAfterMs === undefined || (Number.isFinite(error.retryAfterMs) && error.retryAfterMs >= 0), `retryAfterMs ${error.retryAfterMs}`);
  for (const item of error.details) assert.ok(typeof item['@type'] === 'string' && item['@type'] !== '');
  assert.doesNotThrow(() => JSON.stringify(error.toJSON()));
}

describe('the HTTP error parser under random input', () => {
  test('any status, headers and body give an OperationsError (or undefined for 2xx) and never throw', () => {
    fc.assert(fc.property(status, headers, body, (code, head, content) => {
      const response = { status: code, headers: head, body: content };
      checkAnswer(response, errorFromHttp(response));
    }), { numRuns: 3000 });
  });

  test('a RetryInfo or Retry-After never gives a negative, infinite or NaN wait', () => {
    fc.assert(fc.property(fc.array(detail, { maxLength: 4 }), fc.option(headerValue, { nil: undefined }), (details, retryAfter) => {
      const response = {
        status: 429,
        headers: retryAfter === undefined ? {} : { 'retry-after': retryAfter },
        body: JSON.stringify({ error: { code: 429, status: 'RESOURCE_EXHAUSTED', message: 'slow down', details } }),
      };
      const error = errorFromHttp(response);
      checkAnswer(response, error);
      assert.equal(error?.code, Code.RESOURCE_EXHAUSTED);
    }), { numRuns: 2000 });
  });

  test('huge bodies of every kind are handled in bounded time with a short message', () => {
    const makers: Array<[string, (megabytes: number) => string | Uint8Array]> = [
      ['JSON', mb => JSON.stringify({ error: { code: 500, status: 'INTERNAL', message: 'x'.repeat(mb * 1024 * 1024) } })],
      ['HTML', mb => `<html>${'<div><script>var a = "<p>";</script>text &amp; more</div>'.repeat(mb * 17_000)}`],
      ['unclosed tags', mb => '<a'.repeat(mb * 512 * 1024)],
      ['truncated JSON', mb => `{"error": {"message": "${'y'.repeat(mb * 1024 * 1024)}`],
      ['binary', mb => new Uint8Array(mb * 1024 * 1024).map((_, i) => (i * 7919) & 0xff)],
    ];
    for (const [label, make] of makers) {
      const content = make(12);
      const started = performance.now();
      const error = errorFromHttp({ status: 500, headers: {}, body: content });
      const elapsedMs = performance.now() - started;
      checkAnswer({ status: 500, headers: {}, body: content }, error);
      assert.ok(elapsedMs < 1000, `${label}: ${elapsedMs} ms`);
    }
  });

  test('anything thrown by a network stack becomes an OperationsError with a transport and a bounded chain walk', () => {
    fc.assert(fc.property(anything, fc.constantFrom('grpc' as const, 'rest' as const), (thrown, transport) => {
      const error = errorFromNetwork(thrown, transport);
      assert.ok(error instanceof OperationsError);
      assert.equal(error.transport, thrown instanceof OperationsError ? thrown.transport : transport);
    }), { numRuns: 1000 });
    const a: { message: string; code: string; cause?: unknown } = { message: 'a', code: 'ECONNRESET' };
    const b = { message: 'b', cause: a };
    a.cause = b;
    assert.equal(errorFromNetwork(a, 'rest').code, Code.UNAVAILABLE, 'a cycle of causes ends');
  });

  test('regression (found by fuzzing): a thrown object without a prototype or with a throwing toString does not make from() throw', () => {
    const bare = OperationsError.from(Object.create(null));
    assert.equal(bare.code, Code.UNKNOWN);
    assert.equal(bare.rawMessage, '[object Object]');
    const hostile = { toString() { throw new Error('no'); } };
    assert.equal(OperationsError.from(hostile, Code.UNAVAILABLE).code, Code.UNAVAILABLE);
  });

  test('OperationsError.from turns any thrown value into an OperationsError', () => {
    fc.assert(fc.property(anything, fc.integer({ min: -5, max: 30 }), (thrown, fallback) => {
      const error = OperationsError.from(thrown, fallback as Code);
      assert.ok(error instanceof OperationsError);
      assert.ok(isCode(error.code));
      assert.equal(typeof error.message, 'string');
    }), { numRuns: 1000 });
  });
});
