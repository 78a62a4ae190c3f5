import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { loadProtos } from '../src/protos.js';
import { UnaryCall, type UnaryMethodDefinition } from '../src/transport/grpc-unary.js';
import { withEmulator } from './helpers/emulator.js';

/**
 * UnaryCall straight on a real channel to the emulator: what it resolves with, and the failures that never reach the
 * server. Each settles the caller exactly once with the status it was given to turn into an error.
 */

type Service = Record<'GetOperation' | 'CancelOperation', UnaryMethodDefinition>;

function call(channel: grpc.Client, method: UnaryMethodDefinition, request: object, deadline = Date.now() + 5000): Promise<{ value?: unknown; status?: grpc.StatusObject }> {
  return new Promise(resolve => {
    let settled = 0;
    new UnaryCall(channel.getChannel(), method, request, new grpc.Metadata(), deadline, value => {
      settled += 1;
      assert.equal(settled, 1, 'settled once');
      resolve({ value });
    }, error => {
      settled += 1;
      assert.equal(settled, 1, 'settled once');
      resolve({ status: error as grpc.StatusObject });
    }, status => status);
  });
}

describe('a unary call made on the channel', () => {
  test('resolves with the decoded Operation, and a server status becomes the error with its code and message', async () => {
    await withEmulator({}, async emulator => {
      const [name] = emulator.createOperations({ count: 1 });
      const { OperationsClient } = loadProtos();
      const service = OperationsClient.service as unknown as Service;
      const client = new OperationsClient(emulator.grpcAddress, grpc.credentials.createInsecure());
      try {
        const found = await call(client, service.GetOperation, { name });
        assert.equal((found.value as { name: string }).name, name);
        const missing = await call(client, service.GetOperation, { name: 'projects/p/locations/l/operations/none' });
        assert.equal(missing.status?.code, grpc.status.NOT_FOUND);
        assert.match(missing.status?.details ?? '', /not found/);
      } finally {
        client.close();
      }
    });
  });

  test('a request that cannot be serialized is INTERNAL and nothing is sent', async () => {
    await withEmulator({}, async emulator => {
      const { OperationsClient } = loadProtos();
      const service = OperationsClient.service as unknown as Service;
      const client = new OperationsClient(emulator.grpcAddress, grpc.credentials.createInsecure());
      const throwing: UnaryMethodDefinition = { ...service.CancelOperation, requestSerialize: () => { throw new Error('no bytes'); } };
      try {
        const result = await call(client, throwing, { name: 'x' });
        assert.equal(result.status?.code, grpc.status.INTERNAL);
        assert.match(result.status?.details ?? '', /serialization failure: no bytes/);
        assert.equal(emulator.stats().byMethod.CancelOperation ?? 0, 0);
      } finally {
        client.close();
      }
    });
  });

  test('a channel that was shut down gives UNAVAILABLE at once', async () => {
    const { OperationsClient } = loadProtos();
    const service = OperationsClient.service as unknown as Service;
    const client = new OperationsClient('127.0.0.1:1', grpc.credentials.createInsecure());
    client.close();
    const result = await call(client, service.GetOperation, { name: 'projects/p/locations/l/operations/o' });
    assert.equal(result.status?.code, grpc.status.UNAVAILABLE);
  });
});
