import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError, type ErrorDetail } from '../src/errors.js';
import { errorFromGrpc } from '../src/status/from-grpc.js';
import { errorFromNetwork } from '../src/status/from-http.js';
import { commandLineHint, hintFor } from '../src/status/hints.js';
import { isPlaintextAnswer } from '../src/status/plaintext.js';

const errorInfo = (reason: string, metadata: Record<string, unknown> = {}): ErrorDetail => ({
  '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason, domain: 'googleapis.com', metadata,
});

test('a hint comes from the ErrorInfo reason and its metadata, and there is none without a known reason', () => {
  assert.equal(hintFor(Code.PERMISSION_DENIED, []), undefined);
  assert.equal(hintFor(Code.PERMISSION_DENIED, [errorInfo('SOMETHING_NEW')]), undefined);
  assert.equal(hintFor(Code.PERMISSION_DENIED, [{ '@type': 'type.googleapis.com/google.rpc.DebugInfo', detail: 'x' }]), undefined);
  assert.equal(
    hintFor(Code.PERMISSION_DENIED, [errorInfo('IAM_PERMISSION_DENIED', { permission: 'cloudaicompanion.operations.get', resource: '//cloudaicompanion.googleapis.com/projects/p1/locations/l/operations/o' })]),
    'grant cloudaicompanion.operations.get to the caller on projects/p1 (roles/cloudaicompanion.user, or a custom role)',
  );
  const rate = hintFor(Code.RESOURCE_EXHAUSTED, [errorInfo('RATE_LIMIT_EXCEEDED', { quota_limit: 'PerMinute', quota_limit_value: '600' })]);
  assert.equal(rate, 'slow down (the limit is 600 for PerMinute): try again later; a batch goes slower with a lower --rps (ratePerSecond) or --concurrency; or ask for a higher quota');
  assert.equal(commandLineHint(rate ?? ''), 'slow down (the limit is 600 for PerMinute): try again later; a batch goes slower with a lower --rps or --concurrency; or ask for a higher quota');
});

test('a URL a server sent is shown only when it is https and holds no spaces or quotes; long values are cut', () => {
  const disabled = (url: string) => hintFor(Code.PERMISSION_DENIED, [errorInfo('SERVICE_DISABLED', { service: 'x.googleapis.com', consumer: 'projects/42', activationUrl: url })]);
  assert.match(disabled('https://console.developers.google.com/apis/api/x.googleapis.com/overview?project=42') ?? '', /, or open https:\/\/console/);
  assert.doesNotMatch(disabled('http://evil.example/') ?? '', /open/);
  assert.doesNotMatch(disabled('https://a" onclick="x') ?? '', /open/);
  const long = hintFor(Code.PERMISSION_DENIED, [errorInfo('IAM_PERMISSION_DENIED', { permission: 'p'.repeat(5000) })]) ?? '';
  assert.ok(long.length < 400, `${long.length} characters`);
});

test('OperationsError carries the hint from its details, keeps it across copies and in JSON, and never shows a credential in it', () => {
  const error = new OperationsError(Code.PERMISSION_DENIED, 'denied', {
    details: [errorInfo('IAM_PERMISSION_DENIED', { permission: 'Bearer ya29.secret-token-value', resource: 'projects/p' })],
  });
  assert.doesNotMatch(error.hint ?? '', /secret-token/);
  assert.match(error.hint ?? '', /^grant Bearer \[REDACTED\] to the caller on projects\/p$/);
  assert.equal(error.withAttempts([]).hint, error.hint);
  assert.equal(error.toJSON()['hint'], error.hint);
  assert.equal(new OperationsError(Code.UNAVAILABLE, 'down').toJSON()['hint'], undefined);
  assert.equal(new OperationsError(Code.INTERNAL, 'x', { hint: 'do this' }).hint, 'do this');
});

test('OpenSSL\'s words for a plaintext answer are found in each version\'s spelling, and only there', () => {
  for (const text of ['ERR_SSL_WRONG_VERSION_NUMBER', 'ssl3_get_record:wrong version number', 'SSL routines::packet length too long', 'SSL routines::record layer failure']) {
    assert.ok(isPlaintextAnswer(text), text);
  }
  for (const text of ['certificate has expired', 'ECONNRESET', 'self-signed certificate', undefined, 42]) assert.equal(isPlaintextAnswer(text), false, String(text));
});

test('TLS to a plaintext port is FAILED_PRECONDITION that reached no server, with the fix, on both wires; a server\'s own words are not rewritten', () => {
  const rest = errorFromNetwork(Object.assign(new Error('fetch failed'), { cause: Object.assign(new Error('80CC...:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:...'), { code: 'ERR_SSL_WRONG_VERSION_NUMBER' }) }), 'rest');
  const grpc = errorFromGrpc({ code: Code.UNAVAILABLE, details: 'No connection established. Last error: Error: 80AC...:error:0A00010B:SSL routines:ssl3_get_record:wrong version number:../deps/openssl/openssl/ssl/record/ssl3_record.c:350:\n' });
  for (const error of [rest, grpc]) {
    assert.deepEqual([error.codeName, error.reachedServer, error.rawMessage], ['FAILED_PRECONDITION', false, 'the server answered in plaintext: for an emulator use --insecure']);
    assert.match(error.hint ?? '', /for an emulator use --insecure/);
  }
  assert.deepEqual([rest.transport, grpc.transport], ['rest', 'grpc']);
  assert.match(rest.hint ?? '', /use --insecure \(or LRO_CANCEL_EMULATOR_REST\)/);
  assert.match(grpc.hint ?? '', /use --insecure \(or LRO_CANCEL_EMULATOR_HOST\)/);
  const served = errorFromGrpc({ code: Code.UNAVAILABLE, details: 'backend said: wrong version number' });
  assert.equal(served.codeName, 'UNAVAILABLE');
});
