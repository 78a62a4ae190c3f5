import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { startEmulator, type EmulatorOptions } from '../src/emulator/index.js';
import { MAX_CREATE_COUNT, MAX_SEED_OPS } from '../src/emulator/options.js';
import { OperationsError } from '../src/errors.js';
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

  test('every bad option is OperationsError INVALID_ARGUMENT naming the option and the value, never a RangeError', async () => {
    const refused = (field: string, got: string) => (error: unknown): boolean => {
      assert.ok(error instanceof OperationsError, `${field}: ${String(error)}`);
      assert.ok(!(error instanceof RangeError));
      assert.equal(error.code, Code.INVALID_ARGUMENT, error.message);
      assert.ok(error.message.includes(field) && error.message.includes(`got ${got}`), error.message);
      return true;
    };
    const cases: Array<[EmulatorOptions, string, string]> = [
      [{ ops: -1 }, 'ops', '-1'],
      [{ ops: 1.5 }, 'ops', '1.5'],
      [{ ops: MAX_SEED_OPS + 1 }, 'ops', String(MAX_SEED_OPS + 1)],
      [{ grpcPort: 70_000 }, 'grpcPort', '70000'],
      [{ restPort: -1 }, 'restPort', '-1'],
      [{ doneFraction: 1.5 }, 'doneFraction', '1.5'],
      [{ uncancellableFraction: Number.NaN }, 'uncancellableFraction', 'NaN'],
      [{ waitCapMs: Number.POSITIVE_INFINITY }, 'waitCapMs', 'Infinity'],
      [{ durationMs: -1 }, 'durationMs', '-1'],
      [{ seed: -1 }, 'seed', '-1'],
      [{ latencyMs: 600_001 }, 'latencyMs', '600001'],
      [{ failRate: 2 }, 'failRate', '2'],
      [{ failCode: 'NOPE' as never }, 'failCode', '"NOPE"'],
      [{ failMix: { UNAVAILABLE: 2 } }, 'failMix.UNAVAILABLE', '2'],
      [{ failMethods: ['Nope' as never] }, 'failMethods', '["Nope"]'],
      [{ failReason: 'NOPE' as never }, 'failReason', '"NOPE"'],
      [{ quotaRetryInfo: 'yes' as never }, 'quotaRetryInfo', '"yes"'],
      [{ requireAuth: 'yes' as never }, 'requireAuth', '"yes"'],
      [{ unimplemented: 1 as never }, 'unimplemented', '1'],
      [{ stateFile: '' }, 'stateFile', '""'],
      [{ stateIntervalMs: 5 }, 'stateIntervalMs', '5'],
    ];
    for (const [options, field, got] of cases) await assert.rejects(startEmulator(options), refused(field, got));
    const emulator = await startTestEmulator();
    try {
      assert.throws(() => emulator.setFaults({ failRate: -1 }), refused('failRate', '-1'));
      assert.throws(() => emulator.setFaults({ unimplemented: 'yes' as never }), refused('unimplemented', '"yes"'));
      assert.throws(() => emulator.createOperations({ count: MAX_CREATE_COUNT + 1 }), refused('count', String(MAX_CREATE_COUNT + 1)));
      assert.throws(() => emulator.createOperations({ count: 1, doneFraction: 2 }), refused('doneFraction', '2'));
      assert.throws(() => emulator.createOperations({ count: 1, parent: 'nope' }), (error: unknown) =>
        error instanceof OperationsError && error.code === Code.INVALID_ARGUMENT && /parent name "nope"/.test(error.message));
    } finally {
      await emulator.close();
    }
  });
});
