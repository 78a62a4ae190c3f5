import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
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

  test('google-gax\'s GrpcClient comes from its grpc module without loading gax\'s index, and is the class the index exports', () => {
    // src/protos.ts takes build/src/grpc.js by file path (gax's "exports" do not list it) to skip the index's LRO, IAM
    // and fallback clients at every CLI start. A gax release that moves the file makes protos.ts fall back to the
    // index, which works but slowly; this is the test that notices. A fresh process, loaded as this test is.
    const loaders = process.execArgv.flatMap((flag, i, all) =>
      (flag === '--require' || flag === '--import') && all[i + 1] !== undefined ? [flag, all[i + 1] as string] : []);
    const code = `const { createRequire } = await import('node:module');
      const protos = await import(process.env.PROTOS_MODULE);
      protos.loadProtos();
      const require = createRequire(process.env.PROTOS_MODULE);
      const index = require.resolve('google-gax');
      const grpcModule = require('node:path').join(require('node:path').dirname(index), 'grpc.js');
      const report = { indexLoaded: index in require.cache, grpcModuleLoaded: grpcModule in require.cache };
      const gax = require(index);
      report.sameGrpcClient = require.cache[grpcModule]?.exports.GrpcClient === gax.GrpcClient;
      report.sameProtobuf = protos.protobuf.Root === gax.protobuf.Root;
      process.stdout.write(JSON.stringify({ report, version: gax.version }));`;
    const out = execFileSync(process.execPath, [...loaders, '--input-type=module', '-e', code], {
      env: { ...process.env, PROTOS_MODULE: new URL('../src/protos.js', import.meta.url).href },
      encoding: 'utf8',
    });
    const { report, version } = JSON.parse(out) as { report: unknown; version: string };
    assert.deepEqual(report, { indexLoaded: false, grpcModuleLoaded: true, sameGrpcClient: true, sameProtobuf: true },
      `google-gax ${version}: build/src/grpc.js is no longer where src/protos.ts finds GrpcClient, or no longer its home`);
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
