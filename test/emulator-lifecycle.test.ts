import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startEmulator } from '../src/emulator/index.js';
import { grpcError, plainGrpcClient, startTestEmulator, unary } from './helpers/emulator.js';

describe('starting and closing the emulator', () => {
  test('listens on 127.0.0.1 only, on free ports, and seeds --ops operations under projects/demo/locations/global', async () => {
    const emulator = await startTestEmulator({ ops: 3, doneFraction: 1 });
    try {
      assert.match(emulator.grpcAddress, /^127\.0\.0\.1:\d+$/);
      assert.match(emulator.restUrl, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(emulator.getOperation('projects/demo/locations/global/operations/op-000003')?.state, 'succeeded');
      assert.equal(emulator.getOperation('projects/demo/locations/global/operations/op-000004'), undefined);
    } finally {
      await emulator.close();
    }
  });

  test('close ends waiting and delayed calls at once, and a second close is harmless', async () => {
    const emulator = await startTestEmulator();
    const [name = ''] = emulator.createOperations({ count: 1 });
    const client = plainGrpcClient(emulator.grpcAddress);
    try {
      const waiting = grpcError(unary(client, 'WaitOperation', { name, timeout: { seconds: 25, nanos: 0 } }, {}, 30_000));
      const delayed = fetch(`${emulator.restUrl}/v1/${name}`, { headers: { 'x-emulator-delay-ms': '60000' } }).then(() => 'answered', () => 'failed');
      await new Promise(resolve => setTimeout(resolve, 100));
      const started = Date.now();
      await emulator.close();
      await emulator.close();
      const [waitError, delayedOutcome] = await Promise.all([waiting, delayed]);
      assert.ok(Date.now() - started < 3000, 'closed promptly');
      assert.ok(waitError.code !== undefined);
      assert.equal(delayedOutcome, 'failed');
      await assert.rejects(fetch(`${emulator.restUrl}/v1/${name}`), TypeError);
    } finally {
      client.close();
    }
  });

  test('bad options are refused naming the option and the value', async () => {
    await assert.rejects(startEmulator({ doneFraction: 1.5 }), /doneFraction.*1\.5/);
    await assert.rejects(startEmulator({ failCode: 'NOPE' as never }), /failCode/);
    await assert.rejects(startEmulator({ grpcPort: 70_000 }), /grpcPort/);
    const emulator = await startTestEmulator();
    try {
      assert.throws(() => emulator.createOperations({ count: 1, parent: 'nope' }), /parent/);
      assert.throws(() => emulator.setFaults({ failRate: -1 }), /failRate/);
    } finally {
      await emulator.close();
    }
  });
});
