import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulator } from '../src/emulator/index.js';
import { Code } from '../src/code.js';
import { createCanceller } from '../src/index.js';
import { clientFor, WIRES, withClient } from './helpers/client.js';
import { startTestEmulator } from './helpers/emulator.js';
import { startRecorder } from './helpers/recorder.js';

/**
 * Canceller.delete (issue 14, item 3): DeleteOperation with cancel's outcome model, retry and verification rules,
 * against the emulator over each wire; a deleted operation reads NOT_FOUND.
 */
for (const wire of WIRES) {
  describe(`Canceller.delete over ${wire}`, () => {
    let emulator: Emulator;
    before(async () => { emulator = await startTestEmulator(); });
    after(async () => { await emulator.close(); });

    test('deletes a running operation (it is not cancelled), and with verify reads NOT_FOUND: deleted', async () => {
      const [plain, verified] = emulator.createOperations({ count: 2, idPrefix: `${wire}-del-` });
      await withClient(clientFor(emulator, wire), async client => {
        const requested = await client.delete(plain as string);
        assert.deepEqual([requested.accepted, requested.outcome, requested.codeName, requested.transport], [true, 'requested', 'OK', wire]);
        const deleted = await client.delete(verified as string, { verify: true });
        assert.deepEqual([deleted.accepted, deleted.outcome], [true, 'deleted']);
        await assert.rejects(client.get(verified as string), (error: { code?: number }) => error.code === Code.NOT_FOUND);
      });
      assert.equal(emulator.getOperation(verified as string)?.deleted, true);
      assert.equal(emulator.getOperation(plain as string)?.state, 'running', 'deleting does not cancel');
    });

    test('an unknown name is not_found, a malformed one invalid with nothing sent', async () => {
      await withClient(clientFor(emulator, wire), async client => {
        const before = emulator.stats().total;
        const invalid = await client.delete('projects/p/oops');
        assert.deepEqual([invalid.accepted, invalid.outcome, invalid.attempts.length], [false, 'invalid', 0]);
        assert.equal(emulator.stats().total, before);
        const missing = await client.delete('projects/demo/locations/global/operations/never-was');
        assert.deepEqual([missing.accepted, missing.outcome, missing.codeName], [false, 'not_found', 'NOT_FOUND']);
      });
    });

    test('UNAVAILABLE is retried as for a cancel: the delete goes through on the second attempt', async () => {
      const [name] = emulator.createOperations({ count: 1, idPrefix: `${wire}-retry-` });
      await withClient(clientFor(emulator, wire), async client => {
        const result = await client.delete(name as string, { verify: true, headers: { 'x-emulator-fault': 'code=UNAVAILABLE;times=1' } });
        assert.equal(result.outcome, 'deleted');
        assert.deepEqual(result.attempts.map(a => a.codeName), ['UNAVAILABLE', 'OK']);
      });
    });
  });
}

describe('Canceller.delete against a server that accepts the delete and still serves the operation', () => {
  test('stays requested with a verifyError once the verify timeout passes', async () => {
    const recorder = await startRecorder();
    try {
      const client = createCanceller({ grpcEndpoint: recorder.grpcEndpoint, transport: 'grpc', insecure: true });
      await withClient(client, async c => {
        const result = await c.delete('projects/p/locations/l/operations/stays', { verify: true, verifyTimeoutMs: 300 });
        assert.equal(result.outcome, 'requested');
        assert.ok(result.accepted);
        assert.match(result.verifyError?.message ?? '', /could still be read at the verify deadline after DeleteOperation was accepted/);
      });
      assert.ok(recorder.calls.filter(call => call.method === 'GetOperation').length >= 2, 'it was read more than once');
    } finally {
      await recorder.close();
    }
  });
});
