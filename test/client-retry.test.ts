import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulator } from '../src/emulator/index.js';
import { Code } from '../src/index.js';
import { startTestEmulator } from './helpers/emulator.js';
import { cancelsReceived, clientFor, WIRES, withClient } from './helpers/client.js';
import { errorOf } from '../src/client/outcome.js';

for (const wire of WIRES) {
  describe(`retry and deadlines over ${wire}`, () => {
    let emulator: Emulator;
    before(async () => { emulator = await startTestEmulator(); });
    after(async () => { await emulator.close(); });
    const fresh = (tag: string): string => emulator.createOperations({ count: 1, idPrefix: `${wire}-${tag}-` })[0] as string;

    test('UNAVAILABLE twice then OK succeeds on the third attempt', async () => {
      const name = fresh('unav2');
      await withClient(clientFor(emulator, wire), async client => {
        const before = cancelsReceived(emulator, wire);
        const result = await client.cancel(name, { verify: true, headers: { 'x-emulator-fault': 'code=UNAVAILABLE;times=2' } });
        assert.equal(result.outcome, 'cancelled');
        assert.equal(result.attempts.length, 3);
        assert.deepEqual(result.attempts.map(a => a.codeName), ['UNAVAILABLE', 'UNAVAILABLE', 'OK']);
        assert.equal(cancelsReceived(emulator, wire) - before, 3);
      });
    });

    test('retries exhausted end in UNAVAILABLE with every attempt listed', async () => {
      const name = fresh('unav');
      await withClient(clientFor(emulator, wire, { retryBudget: false }), async client => {
        const before = cancelsReceived(emulator, wire);
        const result = await client.cancel(name, { headers: { 'x-emulator-fault': 'code=UNAVAILABLE' } });
        assert.equal(result.outcome, 'error');
        assert.equal(result.code, Code.UNAVAILABLE);
        assert.equal(result.attempts.length, 10);
        assert.equal(errorOf(result)?.attempts.length, 10);
        assert.ok(errorOf(result)?.attempts.every(a => a.code === Code.UNAVAILABLE && a.transport === wire));
        assert.equal(cancelsReceived(emulator, wire) - before, 10);
        assert.equal(emulator.getOperation(name)?.state, 'running');
      });
    });

    test('RESOURCE_EXHAUSTED with RetryInfo of 1 s waits at least 1 s before trying again', async () => {
      const name = fresh('re1s');
      await withClient(clientFor(emulator, wire), async client => {
        const started = Date.now();
        const result = await client.cancel(name, { headers: { 'x-emulator-fault': 'code=RESOURCE_EXHAUSTED;times=1;retry-delay-ms=1000' } });
        const elapsed = Date.now() - started;
        assert.equal(result.outcome, 'requested');
        assert.equal(result.attempts.length, 2);
        assert.ok(elapsed >= 1000, `elapsed ${elapsed} ms`);
      });
    });

    test('a Retry-After beyond the deadline fails at once with the real code', async () => {
      const name = fresh('re5s');
      await withClient(clientFor(emulator, wire), async client => {
        const before = cancelsReceived(emulator, wire);
        const started = Date.now();
        const result = await client.cancel(name, { timeoutMs: 2000, headers: { 'x-emulator-fault': 'code=RESOURCE_EXHAUSTED;retry-delay-ms=5000' } });
        assert.ok(Date.now() - started < 1000, `took ${Date.now() - started} ms`);
        assert.equal(result.code, Code.RESOURCE_EXHAUSTED);
        assert.equal(result.httpStatus, 429);
        assert.equal(result.attempts.length, 1);
        assert.ok((errorOf(result)?.retryAfterMs ?? 0) >= 5000);
        assert.equal(cancelsReceived(emulator, wire) - before, 1);
      });
    });

    test('an attempt that times out is tried again and then succeeds', async () => {
      const name = fresh('slow1');
      await withClient(clientFor(emulator, wire), async client => {
        const result = await client.cancel(name, {
          retry: { attemptTimeoutMs: 200 },
          headers: { 'x-emulator-fault': 'delay-ms=1000;times=1' },
        });
        assert.equal(result.outcome, 'requested');
        assert.deepEqual(result.attempts.map(a => a.codeName), ['DEADLINE_EXCEEDED', 'OK']);
      });
    });

    test('the total deadline ends a slow call with DEADLINE_EXCEEDED on time', async () => {
      const name = fresh('slow');
      await withClient(clientFor(emulator, wire), async client => {
        const started = Date.now();
        const result = await client.cancel(name, { timeoutMs: 300, headers: { 'x-emulator-delay-ms': '3000' } });
        const elapsed = Date.now() - started;
        assert.equal(result.code, Code.DEADLINE_EXCEEDED);
        assert.ok(elapsed >= 290 && elapsed < 1500, `elapsed ${elapsed} ms`);
      });
    });

    test('an abort during backoff returns within 50 ms', async () => {
      const name = fresh('abort');
      await withClient(clientFor(emulator, wire, { retry: { initialBackoffMs: 5000, maxBackoffMs: 5000 } }), async client => {
        const controller = new AbortController();
        const pending = client.cancel(name, { signal: controller.signal, headers: { 'x-emulator-fault': 'code=UNAVAILABLE' } });
        await new Promise(resolve => setTimeout(resolve, 150));
        const aborted = Date.now();
        controller.abort();
        const result = await pending;
        assert.ok(Date.now() - aborted < 50, `returned ${Date.now() - aborted} ms after the abort`);
        assert.equal(result.code, Code.CANCELLED);
      });
    });

    test('with the service down the retry budget caps what reaches the server', async () => {
      await withClient(clientFor(emulator, wire), async client => {
        const before = cancelsReceived(emulator, wire);
        for (let i = 0; i < 20; i++) {
          const result = await client.cancel(fresh(`down${i}`), { headers: { 'x-emulator-fault': 'code=UNAVAILABLE' } });
          assert.equal(result.code, Code.UNAVAILABLE);
        }
        const received = cancelsReceived(emulator, wire) - before;
        // Without a budget: 20 x 10 = 200. The adaptive budget judges nothing in its first second (these retries wait
        // 10-50 ms, so about 50 go then), and refuses nearly every retry after it.
        assert.ok(received <= 90, `the server received ${received} cancels`);
      });
    });

    test('concurrent calls with different retry options each follow their own', async () => {
      await withClient(clientFor(emulator, wire, { retryBudget: false }), async client => {
        const fault = { 'x-emulator-fault': 'code=UNAVAILABLE' };
        const [two, four, dflt] = await Promise.all([
          client.cancel(fresh('p2'), { retry: { maxAttempts: 2 }, headers: fault }),
          client.cancel(fresh('p4'), { retry: { maxAttempts: 4 }, headers: fault }),
          client.cancel(fresh('p10'), { headers: fault }),
        ]);
        assert.equal(two?.attempts.length, 2);
        assert.equal(four?.attempts.length, 4);
        assert.equal(dflt?.attempts.length, 10);
        assert.equal(client.retryPolicy.maxAttempts, 10);
      });
    });
  });
}
