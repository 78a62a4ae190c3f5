import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { status, type Client } from '@grpc/grpc-js';
import type { Emulator } from '../src/emulator/index.js';
import { decodeStatusDetails, grpcError, plainGrpcClient, startTestEmulator, unary } from './helpers/emulator.js';

const CANCELLER = 'token-that-may-cancel';
const READER = 'token-that-may-only-read';

describe('the emulator with --require-auth and a token table', () => {
  let emulator: Emulator;
  let client: Client;
  before(async () => {
    emulator = await startTestEmulator({
      requireAuth: true,
      tokens: {
        [CANCELLER]: ['cloudaicompanion.operations.cancel', 'cloudaicompanion.operations.get'],
        [READER]: ['cloudaicompanion.operations.get'],
      },
    });
    client = plainGrpcClient(emulator.grpcAddress);
  });
  after(async () => {
    client.close();
    await emulator.close();
  });

  const restCancel = (name: string, token?: string): Promise<Response> => fetch(`${emulator.restUrl}/v1/${name}:cancel`, {
    method: 'POST', body: '{}', headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });

  test('REST: 401 without a token, 403 without the permission, OK with it; no message echoes the token', async () => {
    const [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'auth-rest-' });
    const missing = await restCancel(name);
    assert.equal(missing.status, 401);
    assert.match(missing.headers.get('www-authenticate') ?? '', /^Bearer/);
    assert.equal((await missing.json() as { error: { status: string } }).error.status, 'UNAUTHENTICATED');
    const unknown = await restCancel(name, 'not-a-known-token');
    assert.equal(unknown.status, 401);
    assert.doesNotMatch(await unknown.text(), /not-a-known-token/);
    const denied = await restCancel(name, READER);
    assert.equal(denied.status, 403);
    const deniedText = await denied.text();
    assert.match(deniedText, /"status":"PERMISSION_DENIED"/);
    assert.match(deniedText, /cloudaicompanion\.operations\.cancel/);
    assert.doesNotMatch(deniedText, new RegExp(READER));
    assert.equal(emulator.getOperation(name)?.state, 'running');
    const allowed = await restCancel(name, CANCELLER);
    assert.equal(allowed.status, 200);
    assert.equal(emulator.getOperation(name)?.state, 'cancelled');
  });

  test('gRPC: UNAUTHENTICATED without a token, PERMISSION_DENIED with ErrorInfo without the permission, OK with it', async () => {
    const [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'auth-grpc-' });
    assert.equal((await grpcError(unary(client, 'CancelOperation', { name }))).code, status.UNAUTHENTICATED);
    const denied = await grpcError(unary(client, 'CancelOperation', { name }, { authorization: `Bearer ${READER}` }));
    assert.equal(denied.code, status.PERMISSION_DENIED);
    assert.doesNotMatch(denied.details, new RegExp(READER));
    const info = decodeStatusDetails(denied).details.find(d => d.typeUrl.endsWith('ErrorInfo'));
    assert.equal(info?.value['reason'], 'IAM_PERMISSION_DENIED');
    assert.equal(emulator.getOperation(name)?.state, 'running');
    await unary(client, 'CancelOperation', { name }, { authorization: `Bearer ${CANCELLER}` });
    assert.equal(emulator.getOperation(name)?.state, 'cancelled');
    const read = await unary<{ done: boolean }>(client, 'GetOperation', { name }, { authorization: `Bearer ${READER}` });
    assert.equal(read.done, true);
  });

  test('rejected calls are counted with their codes', async () => {
    emulator.resetStats();
    const [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'auth-stats-' });
    await restCancel(name);
    await restCancel(name, READER);
    assert.deepEqual(emulator.stats().byMethodCode.CancelOperation, { UNAUTHENTICATED: 1, PERMISSION_DENIED: 1 });
  });
});
