import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Metadata } from '@grpc/grpc-js';
import fc from 'fast-check';
import { Code, isCode } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { loadProtos } from '../src/protos.js';
import { decodeAny, decodeStatusBytes, durationJson, retryDelayMsFromDetails } from '../src/status/details.js';
import { errorFromGrpc } from '../src/status/from-grpc.js';

/**
 * `grpc-status-details-bin` is bytes a server (or anything between it and us) chose. Well-formed Status messages
 * carrying garbage in their details, extreme Durations, unknown and known type URLs, and plain random bytes must all
 * decode to details in proto3 JSON form or to nothing, never throw, and never give a negative or endless wait.
 */

const KNOWN = ['google.rpc.RetryInfo', 'google.rpc.ErrorInfo', 'google.rpc.QuotaFailure', 'google.rpc.BadRequest', 'google.rpc.DebugInfo',
  'google.rpc.PreconditionFailure', 'google.rpc.RequestInfo', 'google.rpc.ResourceInfo', 'google.rpc.Help', 'google.rpc.LocalizedMessage'];

const root = loadProtos().root;
const statusType = root.lookupType('google.rpc.Status');
const retryInfoType = root.lookupType('google.rpc.RetryInfo');

const int64 = fc.oneof(fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n }).map(String), fc.integer().map(String), fc.constantFrom('0', '1', '-1', '9223372036854775807'));
const retryInfoBytes = fc.record({ seconds: int64, nanos: fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }) })
  .map(delay => retryInfoType.encode(retryInfoType.fromObject({ retryDelay: delay })).finish());
const typeUrl = fc.oneof(
  fc.constantFrom(...KNOWN).map(name => `type.googleapis.com/${name}`),
  fc.constantFrom(...KNOWN),
  fc.string({ maxLength: 60 }),
  fc.constantFrom('', '/', 'type.googleapis.com/', 'type.googleapis.com/google.rpc.Status', 'type.googleapis.com/google.protobuf.Duration'),
);
const detail = fc.oneof(
  fc.record({ type_url: fc.constant('type.googleapis.com/google.rpc.RetryInfo'), value: retryInfoBytes }),
  fc.record({ type_url: typeUrl, value: fc.uint8Array({ maxLength: 200 }) }),
);
const statusBytes = fc.record({
  code: fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }),
  message: fc.string({ maxLength: 100, unit: 'binary' }),
  details: fc.array(detail, { maxLength: 8 }),
}).map(status => statusType.encode(statusType.fromObject(status)).finish());
/** A well-formed Status, one with some bytes flipped or cut, or noise. */
const trailer = fc.oneof(
  statusBytes,
  fc.tuple(statusBytes, fc.nat(), fc.integer({ min: 0, max: 255 })).map(([bytes, at, value]) => {
    const copy = Uint8Array.from(bytes);
    if (copy.length > 0) copy[at % copy.length] = value;
    return copy;
  }),
  fc.tuple(statusBytes, fc.nat()).map(([bytes, cut]) => bytes.subarray(0, cut % (bytes.length + 1))),
  fc.uint8Array({ maxLength: 400 }),
);

function checkDetails(details: readonly { readonly '@type': string }[]): void {
  for (const item of details) assert.equal(typeof item['@type'], 'string');
  assert.doesNotThrow(() => JSON.stringify(details), 'details are plain JSON (no BigInt, no cycles)');
  const waitMs = retryDelayMsFromDetails(details);
  assert.ok(waitMs === undefined || (Number.isFinite(waitMs) && waitMs >= 0), `a wait of ${waitMs} ms`);
}

describe('grpc-status-details-bin under random input', () => {
  test('any trailer bytes decode to a Status in JSON form or to nothing, and never throw', () => {
    fc.assert(fc.property(trailer, bytes => {
      const status = decodeStatusBytes(bytes);
      if (status === undefined) return;
      assert.equal(typeof status.code, 'number');
      assert.equal(typeof status.message, 'string');
      checkDetails(status.details);
    }), { numRuns: 3000 });
  });

  test('a failed call with any trailer, code and details text is one OperationsError with a real code', () => {
    fc.assert(fc.property(trailer, fc.oneof(fc.integer({ min: -3, max: 20 }), fc.anything()), fc.oneof(fc.string({ maxLength: 50 }), fc.anything()), (bytes, code, details) => {
      const metadata = new Metadata();
      metadata.set('grpc-status-details-bin', Buffer.from(bytes));
      const error = errorFromGrpc({ code, details, message: 'm', metadata });
      assert.ok(error instanceof OperationsError);
      assert.ok(isCode(error.code) && error.code !== Code.OK);
      assert.equal(error.transport, 'grpc');
      checkDetails(error.details);
      assert.ok(error.retryAfterMs === undefined || (Number.isFinite(error.retryAfterMs) && error.retryAfterMs >= 0));
    }), { numRuns: 2000 });
  });

  test('one Any with any type URL and any value decodes or keeps its bytes', () => {
    fc.assert(fc.property(typeUrl, fc.oneof(fc.uint8Array({ maxLength: 100 }), fc.string(), fc.constant(null), fc.constant(undefined)), (url, value) => {
      const detailJson = decodeAny({ type_url: url, value });
      assert.equal(detailJson['@type'], url);
      checkDetails([detailJson]);
    }), { numRuns: 2000 });
  });

  test('any Duration as protobufjs decodes it (int64 seconds as text, int32 nanos) is written in proto3 JSON form', () => {
    fc.assert(fc.property(fc.oneof(int64, fc.integer()), fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }), (seconds, nanos) => {
      assert.match(durationJson({ seconds, nanos }), /^-?\d+(\.\d{3}|\.\d{6}|\.\d{9})?s$/);
    }), { numRuns: 2000 });
  });
});
