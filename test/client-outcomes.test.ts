import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulator } from '../src/emulator/index.js';
import { Code } from '../src/index.js';
import { startTestEmulator } from './helpers/emulator.js';
import { cancelsReceived, clientFor, WIRES, withClient } from './helpers/client.js';
import { errorOf } from '../src/client/outcome.js';

for (const wire of WIRES) {
  describe(`cancel outcomes over ${wire}`, () => {
    let emulator: Emulator;
    before(async () => { emulator = await startTestEmulator(); });
    after(async () => { await emulator.close(); });

    test('cancels a running operation and GetOperation shows CANCELLED', async () => {
      const [name] = emulator.createOperations({ count: 1, idPrefix: `${wire}-run-` });
      await withClient(clientFor(emulator, wire), async client => {
        const result = await client.cancel(name as string, { verify: true });
        assert.equal(result.outcome, 'cancelled');
        assert.equal(result.code, Code.OK);
        assert.equal(result.transport, wire);
        assert.equal(result.attempts.length, 1);
        assert.equal(result.operation?.error?.code, Code.CANCELLED);
        assert.equal(emulator.getOperation(name as string)?.state, 'cancelled');
      });
    });

    test('reports requested, not cancelled, when the outcome was not verified', async () => {
      const [name] = emulator.createOperations({ count: 1, idPrefix: `${wire}-req-` });
      await withClient(clientFor(emulator, wire), async client => {
        const result = await client.cancel(name as string);
        assert.equal(result.outcome, 'requested');
        assert.equal(result.operation, undefined);
      });
    });

    test('reports completed when the operation finishes despite the cancel', async () => {
      const [name] = emulator.createOperations({ count: 1, idPrefix: `${wire}-unc-`, uncancellableFraction: 1 });
      await withClient(clientFor(emulator, wire), async client => {
        const result = await client.cancel(name as string, { verify: true });
        assert.equal(result.outcome, 'completed');
        assert.equal(result.operation?.done, true);
        assert.equal(result.operation?.error, undefined);
      });
    });

    test('cancelling an operation that is already done answers OK and changes nothing', async () => {
      const [name] = emulator.createOperations({ count: 1, idPrefix: `${wire}-done-`, doneFraction: 1 });
      await withClient(clientFor(emulator, wire), async client => {
        const result = await client.cancel(name as string, { verify: true });
        assert.equal(result.outcome, 'completed');
        assert.equal(emulator.getOperation(name as string)?.state, 'succeeded');
      });
    });

    test('reports failed when the operation had already ended with another error', async () => {
      const [name] = emulator.createOperations({ count: 1, idPrefix: `${wire}-fail-`, doneFraction: 1, failedFraction: 1 });
      await withClient(clientFor(emulator, wire), async client => {
        const result = await client.cancel(name as string, { verify: true });
        assert.equal(result.outcome, 'failed');
        assert.equal(result.operation?.error?.code, Code.INTERNAL);
      });
    });

    test('reports running when the server accepts the cancel but the operation runs on past the verify deadline', async () => {
      const [name] = emulator.createOperations({ count: 1, idPrefix: `${wire}-ign-`, ignoreCancelFraction: 1 });
      await withClient(clientFor(emulator, wire), async client => {
        const started = Date.now();
        const result = await client.cancel(name as string, { verify: true, verifyTimeoutMs: 400 });
        assert.equal(result.outcome, 'running');
        assert.equal(result.code, Code.OK);
        assert.equal(result.operation?.done, false);
        assert.ok(Date.now() - started < 2000);
      });
    });

    test('an unknown operation is not_found and is not retried', async () => {
      await withClient(clientFor(emulator, wire), async client => {
        const before = cancelsReceived(emulator, wire);
        const result = await client.cancel(`projects/demo/locations/global/operations/${wire}-missing`);
        assert.equal(result.outcome, 'not_found');
        assert.equal(result.code, Code.NOT_FOUND);
        assert.equal(result.httpStatus, 404);
        assert.equal(errorOf(result)?.transport, wire);
        assert.equal(cancelsReceived(emulator, wire) - before, 1);
      });
    });

    test('a server error is reported as error with its real code, not retried', async () => {
      const [name] = emulator.createOperations({ count: 1, idPrefix: `${wire}-int-` });
      await withClient(clientFor(emulator, wire), async client => {
        const result = await client.cancel(name as string, { headers: { 'x-emulator-fault': 'code=INTERNAL' } });
        assert.equal(result.outcome, 'error');
        assert.equal(result.code, Code.INTERNAL);
        assert.equal(result.codeName, 'INTERNAL');
        assert.equal(result.attempts.length, 1);
        assert.equal(emulator.getOperation(name as string)?.state, 'running');
      });
    });

    test('invalid names never reach the server', async () => {
      await withClient(clientFor(emulator, wire), async client => {
        const before = emulator.stats().total;
        for (const bad of ['', 'projects/p/locations/l/operations/../x', 'projects/p/locations/l/operations/a?b', 'projects/p/locations/l/operations/a%2Fb', 'operations/x']) {
          const result = await client.cancel(bad);
          assert.equal(result.outcome, 'invalid', bad);
          assert.equal(result.attempts.length, 0);
          assert.equal(result.transport, undefined);
          assert.match(errorOf(result)?.message ?? '', /expected projects\/\{project\}\/locations\/\{location\}\/operations\/\{operation\}/);
        }
        await assert.rejects(client.get('projects/p/locations/l/operations/a#b'), { code: Code.INVALID_ARGUMENT });
        assert.equal(emulator.stats().total, before);
      });
    });

    test('get, list with a filter and wait read what the server holds', async () => {
      const parent = `projects/${wire}-list/locations/us-central1`;
      const names = emulator.createOperations({ count: 25, parent, doneFraction: 0 });
      await withClient(clientFor(emulator, wire), async client => {
        await client.cancel(names[0] as string);
        const op = await client.get(names[0] as string);
        assert.equal(op.done, true);
        const running: string[] = [];
        for await (const o of client.list(parent, { filter: 'done=false', pageSize: 7 })) running.push(o.name);
        assert.deepEqual(running.sort(), names.slice(1).sort());
        const waited = await client.wait(names[0] as string, { timeoutMs: 1000 });
        assert.equal(waited.error?.code, Code.CANCELLED);
        await assert.rejects(client.wait(names[1] as string, { timeoutMs: 300 }), { code: Code.DEADLINE_EXCEEDED });
      });
    });

    test('wait reads once more just before its timeout, so an operation that ends near the end of the wait is seen done', async () => {
      // Reads at 0, 100, 250, 475, 812 and 1318 ms; the next interval (759 ms) would pass the 2 s timeout, so the
      // last read is moved to just before it, after the operation completed at 1.6 s.
      const [name] = emulator.createOperations({ count: 1, parent: `projects/${wire}-late/locations/l`, durationMs: 1600 });
      await withClient(clientFor(emulator, wire), async client => {
        const started = performance.now();
        const waited = await client.wait(name as string, { timeoutMs: 2000 });
        assert.equal(waited.done, true);
        assert.ok(performance.now() - started >= 1500, 'it waited for the operation');
      });
    });
  });
}

describe('a server without cancellation', () => {
  for (const wire of WIRES) {
    test(`answers UNIMPLEMENTED over ${wire}, reported as unimplemented`, async () => {
      const emulator = await startTestEmulator({ unimplemented: true });
      const [name] = emulator.createOperations({ count: 1 });
      const client = clientFor(emulator, wire);
      try {
        const result = await client.cancel(name as string, { verify: true });
        assert.equal(result.outcome, 'unimplemented');
        assert.equal(result.code, Code.UNIMPLEMENTED);
        assert.equal(result.httpStatus, 501);
        assert.equal(result.attempts.length, 1);
      } finally {
        await client.close();
        await emulator.close();
      }
    });
  }
});

describe('an operation reads the same on both wires', () => {
  test("a completed operation's response is one AnyMessage shape: the same @type and fields over gRPC and REST", async () => {
    const emulator = await startTestEmulator();
    try {
      const [name = ''] = emulator.createOperations({ count: 1, doneFraction: 1 });
      const seen = [];
      for (const wire of WIRES) {
        seen.push(await withClient(clientFor(emulator, wire), client => client.get(name)));
      }
      const [grpc, rest] = seen;
      assert.equal(grpc?.response?.['@type'], 'type.googleapis.com/google.protobuf.Empty');
      assert.equal(rest?.response?.['@type'], grpc?.response?.['@type']);
      assert.deepEqual(grpc?.response?.fields, {});
      assert.deepEqual(rest?.response?.fields, grpc?.response?.fields, 'decoded fields on both wires');
      assert.equal(typeof grpc?.response?.bytes, 'string', 'gRPC keeps the bytes it carried');
    } finally {
      await emulator.close();
    }
  });
});
