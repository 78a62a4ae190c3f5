import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import { lro } from 'google-gax';
import type { Emulator } from '../src/emulator/index.js';
import { startTestEmulator } from './helpers/emulator.js';

/** gax types requests as its generated message classes; a plain object with the fields is what it sends. */
const request = (fields: Record<string, string>): never => fields as never;

/** A client none of us wrote: google-gax's own OperationsClient over gRPC must work against the emulator. */
describe('google-gax OperationsClient against the emulator', () => {
  let emulator: Emulator;
  let client: ReturnType<ReturnType<typeof lro>['operationsClient']>;
  before(async () => {
    // No credentials are used (insecure channel); keep google-auth-library from probing for a GCE metadata server.
    process.env['METADATA_SERVER_DETECTION'] = 'none';
    emulator = await startTestEmulator();
    const port = Number(emulator.grpcAddress.split(':')[1]);
    client = lro({}).operationsClient({ servicePath: '127.0.0.1', port, sslCreds: grpc.credentials.createInsecure() });
  });
  after(async () => {
    client.close();
    await emulator.close();
  });

  test('cancelOperation then getOperation shows the operation done with error code 1', async () => {
    const [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'gax-' });
    await client.cancelOperation(request({ name }));
    const [operation] = await client.getOperation(request({ name }));
    assert.equal(operation.name, name);
    assert.equal(operation.done, true);
    assert.equal(operation.error?.code, 1);
    assert.equal(emulator.stats().byTransportMethod.grpc.CancelOperation, 1);
  });

  test('getOperation of an unknown name rejects with NOT_FOUND', async () => {
    await assert.rejects(client.getOperation(request({ name: 'projects/demo/locations/global/operations/gax-missing' })), (error: { code?: number }) => {
      assert.equal(error.code, grpc.status.NOT_FOUND);
      return true;
    });
  });

  test('listOperations with a filter returns only the running ones of a parent', async () => {
    const parent = 'projects/gax/locations/global';
    const names = emulator.createOperations({ count: 3, parent });
    await client.cancelOperation(request({ name: names[0] ?? '' }));
    const response = await client.listOperations(request({ name: parent, filter: 'done=false' })) as unknown;
    // gax returns either the page's operations or a [operations, request, response] tuple depending on autoPaginate.
    const operations = (Array.isArray(response) ? response[0] : (response as { operations: unknown[] }).operations) as Array<{ name: string }>;
    assert.deepEqual(operations.map(op => op.name), names.slice(1));
  });
});
