import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { status, type Client } from '@grpc/grpc-js';
import fc from 'fast-check';
import type { Emulator } from '../src/emulator/index.js';
import { grpcError, plainGrpcClient, startTestEmulator, unary } from './helpers/emulator.js';

/** Sends one raw HTTP/1.1 request and returns status and body; never rejects (a dropped socket gives status 0). */
function send(url: string, method: string, path: string, headers: Record<string, string>, body: string | undefined): Promise<{ status: number; body: string }> {
  return new Promise(resolve => {
    const req = httpRequest(`${url}${path}`, { method, headers, agent: false }, res => {
      let text = '';
      res.on('data', (chunk: Buffer) => { text += chunk.toString(); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      res.on('error', () => resolve({ status: 0, body: '' }));
    });
    req.on('error', () => resolve({ status: 0, body: '' }));
    if (body !== undefined) req.write(body);
    req.end();
  });
}

function sendRaw(port: number, bytes: Uint8Array): Promise<void> {
  return new Promise(resolve => {
    const socket = connect(port, '127.0.0.1', () => socket.end(bytes));
    socket.on('data', () => undefined);
    socket.on('close', () => resolve());
    socket.on('error', () => resolve());
    socket.setTimeout(2000, () => socket.destroy());
  });
}

const pathPiece = fc.oneof(
  fc.constantFrom('v1', 'projects', 'demo', 'locations', 'global', 'operations', 'op-000001', ':cancel', '..', '.', '', '%', '%2F', '%zz', '%E2%82', 'é', '{name}', 'emulator', 'stats'),
  fc.string({ maxLength: 12 }),
);
const path = fc.array(pathPiece, { maxLength: 9 }).map(parts => `/${parts.join('/')}`.replace(/[\s#?]/g, '%20'));

describe('the emulator does not crash on anything a client sends', () => {
  let emulator: Emulator;
  let client: Client;
  let name = '';
  before(async () => {
    emulator = await startTestEmulator();
    client = plainGrpcClient(emulator.grpcAddress);
    [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'robust-' });
  });
  after(async () => {
    client.close();
    await emulator.close();
  });

  test('random REST requests get a JSON answer (or a dropped socket when asked) and it keeps serving', async () => {
    await fc.assert(fc.asyncProperty(
      fc.constantFrom('GET', 'POST', 'DELETE', 'PUT', 'PATCH', 'OPTIONS'),
      path,
      fc.option(fc.string({ maxLength: 40 }), { nil: undefined }),
      fc.option(fc.oneof(fc.constant('{}'), fc.string({ maxLength: 40 }), fc.json()), { nil: undefined }),
      fc.option(fc.constantFrom('code=UNAVAILABLE', 'code=DROP', 'rate=x', 'code=OK', ';;', 'code=RESOURCE_EXHAUSTED;retry-delay-ms=5'), { nil: undefined }),
      async (method, requestPath, query, body, fault) => {
        const headers: Record<string, string> = fault === undefined ? {} : { 'x-emulator-fault': fault };
        const target = query === undefined ? requestPath : `${requestPath}?${encodeURIComponent(query)}`;
        const answer = await send(emulator.restUrl, method, target, headers, body);
        if (answer.status === 0) {
          assert.equal(fault, 'code=DROP');
          return;
        }
        const parsed = JSON.parse(answer.body) as { error?: { code: number; status: string } };
        if (answer.status !== 200) assert.equal(parsed.error?.code, answer.status);
      },
    ), { numRuns: 300 });
    assert.equal((await send(emulator.restUrl, 'GET', `/v1/${name}`, {}, undefined)).status, 200);
  });

  test('random bytes on both ports are refused and both keep serving', async () => {
    const restPort = Number(new URL(emulator.restUrl).port);
    const grpcPort = Number(emulator.grpcAddress.split(':')[1]);
    await fc.assert(fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), fc.boolean(), async (bytes, toGrpc) => {
      await sendRaw(toGrpc ? grpcPort : restPort, bytes);
    }), { numRuns: 60 });
    await sendRaw(restPort, Buffer.from('GET / HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n'));
    await sendRaw(grpcPort, Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n\x00\x00\x04\x08\x00\x00\x00\x00\x00garbage'));
    assert.equal((await send(emulator.restUrl, 'GET', `/v1/${name}`, {}, undefined)).status, 200);
    assert.equal((await unary<{ name: string }>(client, 'GetOperation', { name })).name, name);
  });

  test('random gRPC request fields end with a status, never a hang, and it keeps serving', async () => {
    await fc.assert(fc.asyncProperty(
      fc.oneof(fc.string({ maxLength: 60 }), fc.constant(name), fc.constant('projects/demo/locations/global'), fc.constant('x'.repeat(100_000))),
      fc.string({ maxLength: 20 }),
      fc.integer({ min: -2_147_483_648, max: 2_147_483_647 }),
      fc.string({ maxLength: 12 }),
      fc.constantFrom('GetOperation', 'ListOperations', 'DeleteOperation', 'WaitOperation'),
      async (requestName, filter, pageSize, pageToken, method) => {
        const request = { name: requestName, filter, pageSize, pageToken, timeout: { seconds: 0, nanos: 1_000_000 } };
        const target = method === 'DeleteOperation' && requestName === name ? 'GetOperation' : method;
        try {
          await unary(client, target, request);
        } catch (error) {
          assert.notEqual((error as { code: number }).code, status.INTERNAL, (error as Error).message);
          assert.notEqual((error as { code: number }).code, status.DEADLINE_EXCEEDED);
        }
      },
    ), { numRuns: 200 });
    const huge = await grpcError(unary(client, 'CancelOperation', { name: 'é'.repeat(500_000) }));
    assert.equal(huge.code, status.INVALID_ARGUMENT);
    assert.ok(huge.details.length < 2000, 'the message does not echo a huge name');
    assert.equal((await unary<{ name: string }>(client, 'GetOperation', { name })).name, name);
  });
});
