import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError, type AttemptRecord } from '../src/errors.js';

/** The cause may be a redacted copy (so util.inspect cannot print secrets), but it keeps the name and message. */
function assertCauseLike(cause: unknown, original: Error): void {
  assert.ok(cause instanceof Error, 'the cause is an Error');
  assert.equal(cause.name, original.name);
  assert.equal(cause.message, original.message);
}

describe('OperationsError', () => {
  test('the message leads with [CODE_NAME] and rawMessage keeps the words without it', () => {
    const error = new OperationsError(Code.NOT_FOUND, 'operation projects/p/locations/l/operations/o not found');
    assert.equal(error.message, '[NOT_FOUND] operation projects/p/locations/l/operations/o not found');
    assert.equal(error.rawMessage, 'operation projects/p/locations/l/operations/o not found');
    assert.equal(error.code, Code.NOT_FOUND);
    assert.equal(error.codeName, 'NOT_FOUND');
    assert.equal(error.name, 'OperationsError');
    assert.ok(error instanceof Error);
  });

  test('httpStatus is the code\'s own unless the real one is given', () => {
    assert.equal(new OperationsError(Code.UNAVAILABLE, 'x').httpStatus, 503);
    assert.equal(new OperationsError(Code.UNAVAILABLE, 'x', { httpStatus: 502 }).httpStatus, 502);
  });

  test('a number that is not a code becomes UNKNOWN', () => {
    const error = new OperationsError(42 as Code, 'strange');
    assert.equal(error.code, Code.UNKNOWN);
    assert.match(error.message, /^\[UNKNOWN\] strange$/);
  });

  describe('from', () => {
    test('an OperationsError passes through as the same object', () => {
      const error = new OperationsError(Code.PERMISSION_DENIED, 'no', { transport: 'grpc' });
      assert.equal(OperationsError.from(error), error);
      assert.equal(OperationsError.from(error, Code.INTERNAL).code, Code.PERMISSION_DENIED);
    });

    test('an AbortError becomes CANCELLED and keeps what it said as cause', () => {
      const abort = new DOMException('This operation was aborted', 'AbortError');
      const error = OperationsError.from(abort);
      assert.equal(error.code, Code.CANCELLED);
      assert.equal(error.rawMessage, 'This operation was aborted');
      assertCauseLike(error.cause, abort);
    });

    test('a TimeoutError becomes DEADLINE_EXCEEDED', () => {
      assert.equal(OperationsError.from(new DOMException('timed out', 'TimeoutError')).code, Code.DEADLINE_EXCEEDED);
    });

    test('a plain Error becomes UNKNOWN, or the fallback code, with its message', () => {
      const plain = new Error('socket went away');
      const error = OperationsError.from(plain);
      assert.equal(error.code, Code.UNKNOWN);
      assert.equal(error.message, '[UNKNOWN] socket went away');
      assertCauseLike(error.cause, plain);
      assert.equal(OperationsError.from(plain, Code.INTERNAL).code, Code.INTERNAL);
    });

    test('a string becomes the message, and other values their String form', () => {
      assert.equal(OperationsError.from('boom').message, '[UNKNOWN] boom');
      assert.equal(OperationsError.from('bad name', Code.INVALID_ARGUMENT).code, Code.INVALID_ARGUMENT);
      assert.equal(OperationsError.from(undefined).rawMessage, 'undefined');
      assert.equal(OperationsError.from(7).rawMessage, '7');
    });

    test('credentials in a caught error\'s message are cut out', () => {
      const error = OperationsError.from(new Error('request with Authorization: Bearer ya29.secret-token failed'));
      assert.ok(!error.message.includes('secret-token'));
      assert.ok(!error.rawMessage.includes('ya29.'));
    });
  });

  test('toJSON carries the code, name, status, message and details, and no stack or cause', () => {
    const error = new OperationsError(Code.RESOURCE_EXHAUSTED, 'slow down', {
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' }],
      transport: 'rest',
      httpStatus: 429,
      cause: new Error('inner with a stack'),
    });
    const json = error.toJSON();
    assert.deepEqual(json, {
      code: Code.RESOURCE_EXHAUSTED,
      codeName: 'RESOURCE_EXHAUSTED',
      httpStatus: 429,
      message: 'slow down',
      details: [{ '@type': 'type.googleapis.com/google.rpc.RetryInfo', retryDelay: '2s' }],
      transport: 'rest',
      attempts: [],
    });
    const text = JSON.stringify(error);
    assert.ok(!text.includes('stack'));
    assert.ok(!text.includes('inner with a stack'));
    assert.ok(!text.includes('    at '));
  });

  test('withAttempts keeps the code, message and fields and adds the attempts, leaving the original unchanged', () => {
    const original = new OperationsError(Code.UNAVAILABLE, 'backend down', {
      transport: 'grpc', retryAfterMs: 250, reachedServer: false, httpStatus: 503,
      details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'DOWN' }],
    });
    const attempts: AttemptRecord[] = [
      { attempt: 1, code: Code.UNAVAILABLE, codeName: 'UNAVAILABLE', transport: 'grpc', durationMs: 12 },
      { attempt: 2, code: Code.UNAVAILABLE, codeName: 'UNAVAILABLE', transport: 'grpc', durationMs: 9 },
    ];
    const withAttempts = original.withAttempts(attempts);
    assert.notEqual(withAttempts, original);
    assert.equal(withAttempts.code, Code.UNAVAILABLE);
    assert.equal(withAttempts.message, original.message);
    assert.deepEqual(withAttempts.attempts, attempts);
    assert.deepEqual(withAttempts.details, original.details);
    assert.equal(withAttempts.transport, 'grpc');
    assert.equal(withAttempts.retryAfterMs, 250);
    assert.equal(withAttempts.reachedServer, false);
    assert.equal(withAttempts.httpStatus, 503);
    assert.deepEqual(original.attempts, []);
    assert.deepEqual(withAttempts.toJSON()['attempts'], attempts);
  });
});
