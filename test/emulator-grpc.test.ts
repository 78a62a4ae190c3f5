import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status, type Client } from '@grpc/grpc-js';
import type { Emulator } from '../src/emulator/index.js';
import { decodeStatusDetails, grpcError, plainGrpcClient, startTestEmulator, unary } from './helpers/emulator.js';

interface Operation {
  name: string;
  done: boolean;
  error?: { code: number; message: string } | null;
  response?: { typeUrl?: string; type_url?: string } | null;
  result?: string;
}

describe('the emulator over gRPC, driven by a plain grpc-js client', () => {
  let emulator: Emulator;
  let client: Client;
  before(async () => {
    emulator = await startTestEmulator();
    client = plainGrpcClient(emulator.grpcAddress);
  });
  after(async () => {
    client.close();
    await emulator.close();
  });

  test('cancels a running operation and GetOperation shows it done with error code 1', async () => {
    const [name] = emulator.createOperations({ count: 1, idPrefix: 'cancel-' });
    assert.deepEqual(await unary(client, 'CancelOperation', { name }), {});
    const op = await unary<Operation>(client, 'GetOperation', { name });
    assert.equal(op.name, name);
    assert.equal(op.done, true);
    assert.equal(op.result, 'error');
    assert.equal(op.error?.code, 1);
    assert.equal(op.error?.message, 'Operation cancelled');
  });

  test('cancelling a done operation answers OK and leaves it as it was', async () => {
    const [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'done-', doneFraction: 1 });
    const before = emulator.getOperation(name);
    assert.deepEqual(await unary(client, 'CancelOperation', { name }), {});
    const op = await unary<Operation>(client, 'GetOperation', { name });
    assert.equal(op.done, true);
    assert.equal(op.result, 'response');
    assert.deepEqual(emulator.getOperation(name), before);
  });

  test('an unknown name is NOT_FOUND and a malformed one INVALID_ARGUMENT with a BadRequest detail', async () => {
    const missing = await grpcError(unary(client, 'CancelOperation', { name: 'projects/demo/locations/global/operations/nope-000001' }));
    assert.equal(missing.code, status.NOT_FOUND);
    const invalid = await grpcError(unary(client, 'GetOperation', { name: 'projects/demo/operations/x' }));
    assert.equal(invalid.code, status.INVALID_ARGUMENT);
    const details = decodeStatusDetails(invalid);
    assert.equal(details.code, status.INVALID_ARGUMENT);
    assert.equal(details.details[0]?.typeUrl, 'type.googleapis.com/google.rpc.BadRequest');
  });

  test('ListOperations with done=false, done=true and no filter pages over every operation exactly once', async () => {
    const parent = 'projects/listing/locations/us-central1';
    const names = emulator.createOperations({ count: 23, parent, doneFraction: 0.5 });
    const seen = async (filter: string): Promise<Operation[]> => {
      const all: Operation[] = [];
      let pageToken = '';
      do {
        const page = await unary<{ operations: Operation[]; nextPageToken: string }>(client, 'ListOperations', { name: parent, filter, pageSize: 4, pageToken });
        assert.ok(page.operations.length <= 4);
        all.push(...page.operations);
        pageToken = page.nextPageToken;
      } while (pageToken !== '');
      return all;
    };
    const running = await seen('done=false');
    const done = await seen('done=true');
    const everything = await seen('');
    assert.ok(running.every(op => !op.done) && done.every(op => op.done));
    assert.ok(running.length > 0 && done.length > 0, 'a 0.5 done fraction over 23 gives both kinds');
    assert.deepEqual([...running, ...done].map(op => op.name).sort(), [...names].sort());
    assert.deepEqual(everything.map(op => op.name), names);
    const bad = await grpcError(unary(client, 'ListOperations', { name: parent, filter: 'metadata.x=1' }));
    assert.equal(bad.code, status.INVALID_ARGUMENT);
  });

  test('DeleteOperation removes it: Get is NOT_FOUND afterwards and List no longer shows it', async () => {
    const parent = 'projects/deleting/locations/global';
    const [first, second] = emulator.createOperations({ count: 2, parent });
    assert.deepEqual(await unary(client, 'DeleteOperation', { name: first }), {});
    assert.equal((await grpcError(unary(client, 'GetOperation', { name: first }))).code, status.NOT_FOUND);
    const page = await unary<{ operations: Operation[] }>(client, 'ListOperations', { name: parent });
    assert.deepEqual(page.operations.map(op => op.name), [second]);
  });

  test('WaitOperation returns when a cancel ends the operation, and at its timeout otherwise', async () => {
    const [name] = emulator.createOperations({ count: 1, idPrefix: 'wait-' });
    const waiting = unary<Operation>(client, 'WaitOperation', { name, timeout: { seconds: 20, nanos: 0 } });
    setTimeout(() => void unary(client, 'CancelOperation', { name }), 50);
    const op = await waiting;
    assert.equal(op.done, true);
    assert.equal(op.error?.code, 1);
    const [other] = emulator.createOperations({ count: 1, idPrefix: 'wait-' });
    const timedOut = await unary<Operation>(client, 'WaitOperation', { name: other, timeout: { seconds: 0, nanos: 100_000_000 } });
    assert.equal(timedOut.done, false);
    const [short] = emulator.createOperations({ count: 1, idPrefix: 'wait-', durationMs: 100 });
    const completed = await unary<Operation>(client, 'WaitOperation', { name: short, timeout: { seconds: 20, nanos: 0 } });
    assert.equal(completed.done, true);
    assert.equal(completed.result, 'response');
  });

  test('an uncancellable operation completes with a response despite the cancel', async () => {
    const [name] = emulator.createOperations({ count: 1, idPrefix: 'stubborn-', uncancellableFraction: 1 });
    await unary(client, 'CancelOperation', { name });
    const op = await unary<Operation>(client, 'GetOperation', { name });
    assert.equal(op.done, true);
    assert.equal(op.result, 'response');
    assert.equal(op.response?.type_url ?? op.response?.typeUrl, 'type.googleapis.com/google.protobuf.Empty');
  });

  test('an injected RESOURCE_EXHAUSTED carries a RetryInfo that decodes from grpc-status-details-bin', async () => {
    const [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'quota-' });
    const error = await grpcError(unary(client, 'CancelOperation', { name }, { 'x-emulator-fault': 'code=RESOURCE_EXHAUSTED;retry-delay-ms=1500' }));
    assert.equal(error.code, status.RESOURCE_EXHAUSTED);
    const retryInfo = decodeStatusDetails(error).details.find(d => d.typeUrl === 'type.googleapis.com/google.rpc.RetryInfo');
    assert.deepEqual(retryInfo?.value, { retryDelay: { seconds: 1, nanos: 500_000_000 } });
    assert.equal(emulator.getOperation(name)?.done, false, 'a failed cancel changes nothing');
  });

  test('per-request fault headers: a status at rate 1, none at rate 0, and DROP seen as UNAVAILABLE', async () => {
    const [name] = emulator.createOperations({ count: 1, idPrefix: 'fault-' });
    assert.equal((await grpcError(unary(client, 'GetOperation', { name }, { 'x-emulator-fault': 'code=UNAVAILABLE;rate=1' }))).code, status.UNAVAILABLE);
    assert.equal((await unary<Operation>(client, 'GetOperation', { name }, { 'x-emulator-fault': 'code=UNAVAILABLE;rate=0' })).name, name);
    const dropClient = plainGrpcClient(emulator.grpcAddress);
    try {
      assert.equal((await grpcError(unary(dropClient, 'GetOperation', { name }, { 'x-emulator-fault': 'code=DROP' }))).code, status.UNAVAILABLE);
    } finally {
      dropClient.close();
    }
    assert.equal((await grpcError(unary(client, 'GetOperation', { name }, { 'x-emulator-fault': 'code=SOMETIMES' }))).code, status.INVALID_ARGUMENT);
    const started = Date.now();
    await unary(client, 'GetOperation', { name }, { 'x-emulator-delay-ms': '150' });
    assert.ok(Date.now() - started >= 140, 'the delay header holds the call');
  });

  test('unimplemented makes CancelOperation answer UNIMPLEMENTED and leaves the operation running', async () => {
    const [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'unimpl-' });
    emulator.setFaults({ unimplemented: true });
    try {
      assert.equal((await grpcError(unary(client, 'CancelOperation', { name }))).code, status.UNIMPLEMENTED);
    } finally {
      emulator.setFaults({ unimplemented: false });
    }
    assert.equal(emulator.getOperation(name)?.state, 'running');
  });

  test('stats count what reached the server per method, transport, code and cancelled name', async () => {
    const [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'stats-' });
    emulator.resetStats();
    await unary(client, 'CancelOperation', { name });
    await unary(client, 'CancelOperation', { name });
    await unary(client, 'GetOperation', { name });
    await grpcError(unary(client, 'GetOperation', { name: 'bad' }));
    const stats = emulator.stats();
    assert.equal(stats.total, 4);
    assert.equal(stats.byMethod.CancelOperation, 2);
    assert.equal(stats.byTransport.grpc, 4);
    assert.equal(stats.byTransport.rest, 0);
    assert.deepEqual(stats.byMethodCode.GetOperation, { OK: 1, INVALID_ARGUMENT: 1 });
    assert.deepEqual(stats.cancels.byName.get(name), { received: 2, afterDone: 1 });
    assert.equal(stats.cancels.afterDone, 1);
  });
});
