import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata } from '@grpc/grpc-js';
import fc from 'fast-check';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { loadProtos } from '../src/protos.js';
import { decodeAny, decodeStatusBytes, durationJson, retryDelayMsFromDetails } from '../src/status/details.js';
import { errorFromGrpc } from '../src/status/from-grpc.js';

const PREFIX = 'type.googleapis.com/';

/** Serializes a message of the loaded root the way a server would, from its fields in protobufjs object form. */
function encode(typeName: string, fields: Record<string, unknown>): Uint8Array {
  const type = loadProtos().root.lookupType(typeName);
  return type.encode(type.fromObject(fields)).finish();
}

function any(typeName: string, fields: Record<string, unknown>): { type_url: string; value: Uint8Array } {
  return { type_url: PREFIX + typeName, value: encode(typeName, fields) };
}

const UNKNOWN_ANY = { type_url: `${PREFIX}example.vendor.v1.Custom`, value: Uint8Array.from([8, 150, 1, 18, 2, 104, 105]) };

/** A status as a Google server sends it in the `grpc-status-details-bin` trailer. */
function statusDetailsBin(code: Code, message: string): Buffer {
  return Buffer.from(encode('google.rpc.Status', {
    code,
    message,
    details: [
      any('google.rpc.RetryInfo', { retryDelay: { seconds: 1, nanos: 500_000_000 } }),
      any('google.rpc.ErrorInfo', { reason: 'RATE_LIMIT_EXCEEDED', domain: 'googleapis.com', metadata: { service: 'cloudaicompanion.googleapis.com', quota_limit: 'CancelPerMinute' } }),
      any('google.rpc.BadRequest', { fieldViolations: [{ field: 'name', description: 'bad segment', reason: 'INVALID_NAME', localizedMessage: { locale: 'en-US', message: 'Bad name' } }] }),
      any('google.rpc.QuotaFailure', { violations: [{ subject: 'project:p', description: 'per minute', quotaMetric: 'cloudaicompanion.googleapis.com/cancels', quotaId: 'CancelPerMinute', quotaDimensions: { region: 'us' }, quotaValue: 60 }] }),
      UNKNOWN_ANY,
    ],
  }));
}

const EXPECTED_DETAILS = [
  { '@type': `${PREFIX}google.rpc.RetryInfo`, retryDelay: '1.500s' },
  { '@type': `${PREFIX}google.rpc.ErrorInfo`, reason: 'RATE_LIMIT_EXCEEDED', domain: 'googleapis.com', metadata: { service: 'cloudaicompanion.googleapis.com', quota_limit: 'CancelPerMinute' } },
  { '@type': `${PREFIX}google.rpc.BadRequest`, fieldViolations: [{ field: 'name', description: 'bad segment', reason: 'INVALID_NAME', localizedMessage: { locale: 'en-US', message: 'Bad name' } }] },
  { '@type': `${PREFIX}google.rpc.QuotaFailure`, violations: [{ subject: 'project:p', description: 'per minute', quotaMetric: 'cloudaicompanion.googleapis.com/cancels', quotaId: 'CancelPerMinute', quotaDimensions: { region: 'us' }, quotaValue: '60' }] },
  { '@type': UNKNOWN_ANY.type_url, value: Buffer.from(UNKNOWN_ANY.value).toString('base64') },
];

/** A grpc-js ServiceError as a failed unary call hands it over. */
function serviceError(code: number, details: string, metadata = new Metadata()): { code: number; details: string; message: string; metadata: Metadata } {
  return { code, details, message: `${code} ${Code[code] ?? ''}: ${details}`, metadata };
}

describe('errorFromGrpc', () => {
  test('decodes every detail of grpc-status-details-bin in a real Metadata into its proto3 JSON form', () => {
    const metadata = new Metadata();
    metadata.set('grpc-status-details-bin', statusDetailsBin(Code.RESOURCE_EXHAUSTED, 'Quota exceeded for cancels.'));
    const error = errorFromGrpc(serviceError(Code.RESOURCE_EXHAUSTED, 'Quota exceeded for cancels.', metadata));
    assert.ok(error instanceof OperationsError);
    assert.equal(error.code, Code.RESOURCE_EXHAUSTED);
    assert.equal(error.message, '[RESOURCE_EXHAUSTED] Quota exceeded for cancels.');
    assert.deepEqual(error.details, EXPECTED_DETAILS);
    assert.equal(error.retryAfterMs, 1500);
    assert.equal(error.transport, 'grpc');
    assert.equal(error.httpStatus, 429);
  });

  test('survives a round trip of the trailer through base64 as the wire carries it', () => {
    const onWire = new Metadata();
    onWire.set('grpc-status-details-bin', statusDetailsBin(Code.RESOURCE_EXHAUSTED, 'q'));
    const received = Metadata.fromHttp2Headers(onWire.toHttp2Headers() as Parameters<typeof Metadata.fromHttp2Headers>[0]);
    assert.deepEqual(errorFromGrpc(serviceError(8, 'q', received)).details, EXPECTED_DETAILS);
  });

  test('without the trailer there are no details and no retryAfterMs', () => {
    const error = errorFromGrpc(serviceError(Code.NOT_FOUND, 'Operation not found'));
    assert.equal(error.code, Code.NOT_FOUND);
    assert.equal(error.rawMessage, 'Operation not found');
    assert.deepEqual(error.details, []);
    assert.equal(error.retryAfterMs, undefined);
    assert.equal(error.httpStatus, 404);
    assert.equal(errorFromGrpc({ code: 14, details: 'down' }).code, Code.UNAVAILABLE);
  });

  test('random bytes in the trailer do not throw and leave the code as sent', () => {
    fc.assert(fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => {
      const metadata = new Metadata();
      metadata.set('grpc-status-details-bin', Buffer.from(bytes));
      const error = errorFromGrpc(serviceError(Code.INTERNAL, 'boom', metadata));
      return error.code === Code.INTERNAL && Array.isArray(error.details);
    }), { numRuns: 500 });
    assert.equal(decodeStatusBytes(Buffer.from([0xff, 0xff, 0xff, 0xff])), undefined);
    assert.equal(decodeStatusBytes(Buffer.from([0x1a, 0x7f, 0x01])), undefined, 'a length past the end');
  });

  test('unknown code numbers, OK as an error, and codes that are not numbers become UNKNOWN', () => {
    for (const code of [17, 99, -1, 1.5, '5', undefined, null, 0]) {
      const error = errorFromGrpc({ code, details: 'odd', message: 'odd' });
      assert.equal(error.code, Code.UNKNOWN, String(code));
      assert.equal(error.httpStatus, 500);
    }
  });

  test('every one of codes 1 to 16 is kept as is', () => {
    for (let code = 1; code <= 16; code++) assert.equal(errorFromGrpc(serviceError(code, 'x')).code, code);
  });

  test('the message falls back to the trailer\'s Status.message, then to grpc-js\'s message without its prefix', () => {
    const metadata = new Metadata();
    metadata.set('grpc-status-details-bin', Buffer.from(encode('google.rpc.Status', { code: 9, message: 'from the trailer' })));
    assert.equal(errorFromGrpc({ code: 9, details: '', message: '9 FAILED_PRECONDITION: ', metadata }).rawMessage, 'from the trailer');
    assert.equal(errorFromGrpc({ code: 14, message: '14 UNAVAILABLE: No connection established' }).rawMessage, 'No connection established');
    assert.equal(errorFromGrpc({ code: 13, details: '', message: '13 INTERNAL: ' }).rawMessage, 'the gRPC server ended the call with status INTERNAL and no message');
    assert.equal(errorFromGrpc({ code: 42 }).rawMessage, 'the gRPC server ended the call with status 42 and no message');
  });

  test('reachedServer is passed through only when known', () => {
    assert.equal(errorFromGrpc(serviceError(14, 'refused'), { reachedServer: false }).reachedServer, false);
    assert.equal(errorFromGrpc(serviceError(14, 'reset')).reachedServer, undefined);
  });

  test('metadata that is not grpc-js Metadata, or holds a string, is ignored', () => {
    assert.deepEqual(errorFromGrpc({ code: 5, details: 'x', metadata: { get: () => ['not bytes'] } }).details, []);
    assert.deepEqual(errorFromGrpc({ code: 5, details: 'x', metadata: { get: () => { throw new Error('no'); } } }).details, []);
  });

  test('credentials in the server\'s message are cut out', () => {
    const error = errorFromGrpc(serviceError(16, 'invalid token ya29.leaked-value'));
    assert.ok(!error.message.includes('leaked-value'));
  });

  test('a channel that could not connect stays UNAVAILABLE, said in one line with the address and the socket error, and a hint', () => {
    const refused = errorFromGrpc({ code: Code.UNAVAILABLE, details: 'No connection established. Last error: Error: connect ECONNREFUSED 127.0.0.1:1. Resolution note: ' });
    assert.deepEqual([refused.code, refused.rawMessage, refused.reachedServer, refused.transport],
      [Code.UNAVAILABLE, 'could not connect to 127.0.0.1:1 (ECONNREFUSED): nothing listens there', false, 'grpc']);
    assert.equal(refused.hint, 'is the endpoint right (--endpoint (grpcEndpoint), or LRO_CANCEL_EMULATOR_HOST)? Is its server, or the emulator, running?');
    const cases: Array<[string, string]> = [
      ['No connection established. Last error: connect ECONNREFUSED ::1:7001', 'could not connect to [::1]:7001 (ECONNREFUSED): nothing listens there'],
      ['No connection established. Last error: Error: connect ETIMEDOUT 10.0.0.1:443. Resolution note: DNS said so', 'could not connect to 10.0.0.1:443 (ETIMEDOUT): no answer in time; DNS said so'],
      ['No connection established. Last error: Error: connect EWHATEVER 10.0.0.1:443. Resolution note: ', 'could not connect to 10.0.0.1:443 (EWHATEVER)'],
    ];
    for (const [details, message] of cases) assert.equal(errorFromGrpc({ code: Code.UNAVAILABLE, details }).rawMessage, message);
    // Text that names no socket error is the server's words, kept as they are.
    assert.equal(errorFromGrpc({ code: Code.UNAVAILABLE, details: 'No connection established. Last error: something else' }).rawMessage,
      'No connection established. Last error: something else');
  });
});

describe('decodeAny', () => {
  test('decodes each known google.rpc detail type', () => {
    const cases: ReadonlyArray<readonly [string, Record<string, unknown>, Record<string, unknown>]> = [
      ['google.rpc.DebugInfo', { stackEntries: ['a', 'b'], detail: 'd' }, { stackEntries: ['a', 'b'], detail: 'd' }],
      ['google.rpc.PreconditionFailure', { violations: [{ type: 'STATE', subject: 'op', description: 'done' }] }, { violations: [{ type: 'STATE', subject: 'op', description: 'done' }] }],
      ['google.rpc.RequestInfo', { requestId: 'r-1', servingData: 's' }, { requestId: 'r-1', servingData: 's' }],
      ['google.rpc.ResourceInfo', { resourceType: 'operation', resourceName: 'projects/p/locations/l/operations/o', owner: 'o', description: 'gone' }, { resourceType: 'operation', resourceName: 'projects/p/locations/l/operations/o', owner: 'o', description: 'gone' }],
      ['google.rpc.Help', { links: [{ description: 'docs', url: 'https://cloud.google.com' }] }, { links: [{ description: 'docs', url: 'https://cloud.google.com' }] }],
      ['google.rpc.LocalizedMessage', { locale: 'fr', message: 'introuvable' }, { locale: 'fr', message: 'introuvable' }],
      ['google.rpc.ErrorInfo', { reason: 'R' }, { reason: 'R' }],
      ['google.rpc.RetryInfo', { retryDelay: { seconds: 30 } }, { retryDelay: '30s' }],
      ['google.rpc.RetryInfo', {}, {}],
      ['google.protobuf.Empty', {}, {}],
    ];
    for (const [typeName, fields, json] of cases) {
      assert.deepEqual(decodeAny(any(typeName, fields)), { '@type': PREFIX + typeName, ...json }, typeName);
    }
  });

  test('accepts typeUrl spelling and any host in the type URL', () => {
    const value = encode('google.rpc.ErrorInfo', { reason: 'R' });
    assert.deepEqual(decodeAny({ typeUrl: 'example.com/x/google.rpc.ErrorInfo', value }), { '@type': 'example.com/x/google.rpc.ErrorInfo', reason: 'R' });
  });

  test('keeps the bytes base64 for unknown types and for bytes that do not decode', () => {
    assert.deepEqual(decodeAny(UNKNOWN_ANY), EXPECTED_DETAILS[4]);
    assert.deepEqual(decodeAny({ type_url: `${PREFIX}google.rpc.ErrorInfo`, value: Uint8Array.from([0xff, 0xff]) }), { '@type': `${PREFIX}google.rpc.ErrorInfo`, value: '//8=' });
    assert.deepEqual(decodeAny({ type_url: `${PREFIX}google.rpc.Status`, value: Uint8Array.from([8, 1]) }), { '@type': `${PREFIX}google.rpc.Status`, value: 'CAE=' }, 'only detail types are decoded');
    assert.deepEqual(decodeAny({}), { '@type': '', value: '' });
  });
});

describe('durations', () => {
  test('durationJson writes 0, 3, 6 or 9 fraction digits as proto3 JSON does', () => {
    assert.equal(durationJson({ seconds: '1' }), '1s');
    assert.equal(durationJson({ seconds: '1', nanos: 500_000_000 }), '1.500s');
    assert.equal(durationJson({ seconds: 0, nanos: 1500 }), '0.000001500s');
    assert.equal(durationJson({ seconds: '0', nanos: 10_000 }), '0.000010s');
    assert.equal(durationJson({}), '0s');
    assert.equal(durationJson({ seconds: '-2', nanos: -250_000_000 }), '-2.250s');
    assert.equal(durationJson({ seconds: '315576000000' }), '315576000000s');
  });

  test('retryDelayMsFromDetails reads string and object forms, rounding up, and takes the longest', () => {
    const info = (retryDelay: unknown): { '@type': string; retryDelay: unknown } => ({ '@type': `${PREFIX}google.rpc.RetryInfo`, retryDelay });
    assert.equal(retryDelayMsFromDetails([info('1.5s')]), 1500);
    assert.equal(retryDelayMsFromDetails([info('1s')]), 1000);
    assert.equal(retryDelayMsFromDetails([info('0.123s')]), 123);
    assert.equal(retryDelayMsFromDetails([info('0.000001s')]), 1);
    assert.equal(retryDelayMsFromDetails([info({ seconds: 2, nanos: 5_000_000 })]), 2005);
    assert.equal(retryDelayMsFromDetails([info({ seconds: '3' })]), 3000);
    assert.equal(retryDelayMsFromDetails([info('1s'), info('4s'), info('2s')]), 4000);
    assert.equal(retryDelayMsFromDetails([]), undefined);
    for (const bad of ['-1s', '1', '1.5', 's', 'abc', '1.0000000001s', { seconds: -1 }, { seconds: 'x' }, { nanos: -5 }, null, 5]) {
      assert.equal(retryDelayMsFromDetails([info(bad)]), undefined, JSON.stringify(bad));
    }
    assert.equal(retryDelayMsFromDetails([{ '@type': `${PREFIX}google.rpc.NotRetryInfo`, retryDelay: '1s' }]), undefined);
    assert.equal(retryDelayMsFromDetails([{ '@type': 'x.google.rpc.RetryInfo', retryDelay: '1s' }]), undefined);
    assert.equal(retryDelayMsFromDetails([{ '@type': 'google.rpc.RetryInfo', retryDelay: '1s' }]), 1000);
  });
});
