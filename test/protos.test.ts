import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { CLOUDAICOMPANION_V1, loadProtos, profileFor } from '../src/protos.js';

describe('the compiled protos', () => {
  test('the Operations service client is loaded through google-gax\'s loader, with the four methods at their gRPC paths', () => {
    const { OperationsClient } = loadProtos();
    // protoCache is private in gax's types; it is where loadProtoJSON keeps what it loaded.
    const gax = createRequire(import.meta.url)('google-gax') as { GrpcClient: { protoCache: Map<string, unknown> } };
    const cached = [...gax.GrpcClient.protoCache.values()] as { google?: { longrunning?: { Operations?: unknown } } }[];
    assert.ok(cached.some(pkg => pkg.google?.longrunning?.Operations === OperationsClient), 'gax\'s proto cache holds the loaded service');
    const service = OperationsClient.service as unknown as Record<string, { path: string }>;
    for (const method of ['CancelOperation', 'GetOperation', 'ListOperations', 'DeleteOperation']) {
      assert.equal(service[method]?.path, `/google.longrunning.Operations/${method}`);
    }
  });

  test('an Operation round-trips through the service\'s serializers with its error status intact', () => {
    const get = (loadProtos().OperationsClient.service as unknown as Record<string, { responseSerialize(v: object): Buffer; responseDeserialize(b: Buffer): unknown }>)['GetOperation'];
    assert.ok(get !== undefined);
    const operation = get.responseDeserialize(get.responseSerialize({ name: 'projects/p/locations/l/operations/o', done: true, error: { code: 1, message: 'cancelled' } }));
    assert.deepEqual(operation, {
      name: 'projects/p/locations/l/operations/o',
      done: true,
      metadata: null,
      error: { code: 1, message: 'cancelled', details: [] },
      result: 'error',
    });
  });

  test('the full root, read for error details, still has google.rpc\'s detail types', () => {
    const { root } = loadProtos();
    for (const type of ['google.rpc.ErrorInfo', 'google.rpc.RetryInfo', 'google.rpc.Status', 'google.longrunning.Operation']) {
      assert.ok(root.lookupType(type).fullName.endsWith(type));
    }
  });

  test('the cloudaicompanion v1 profile names the cancel rule of the published REST surface', () => {
    const cancel = profileFor(CLOUDAICOMPANION_V1).rules.find(rule => rule.selector === 'google.longrunning.Operations.CancelOperation');
    assert.deepEqual(cancel, { selector: 'google.longrunning.Operations.CancelOperation', method: 'POST', path: '/v1/{name=projects/*/locations/*/operations/*}:cancel', body: '*' });
  });
});
