import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulator } from '../src/emulator/index.js';
import { createCanceller } from '../src/index.js';
import { startTestEmulator } from './helpers/emulator.js';
import { WIRES, withClient } from './helpers/client.js';
import { errorOf } from '../src/client/outcome.js';

/**
 * The library with its default options (retry policy, retry budget, verification) against a service in a brownout:
 * 30% of cancels and of reads fail UNAVAILABLE. Every verified cancel must still end proven cancelled, at a cost
 * close to 1 / 0.7 = 1.43x the requests of a healthy service.
 */
for (const wire of WIRES) {
  describe(`the library's defaults through a 30% brownout over ${wire}`, () => {
    let emulator: Emulator;
    before(async () => { emulator = await startTestEmulator({ seed: wire === 'grpc' ? 7 : 8 }); });
    after(async () => { await emulator.close(); });

    test('200 verified cancels all end cancelled, and the server receives at most 1.6x the requests of a healthy run', async () => {
      const names = emulator.createOperations({ count: 200, idPrefix: `brownout-${wire}-` });
      emulator.setFaults({ failRate: 0.3, failCode: 'UNAVAILABLE' });
      const client = createCanceller({
        ...(wire === 'grpc' ? { grpcEndpoint: emulator.grpcAddress } : { restEndpoint: emulator.restUrl }),
        insecure: true,
      });
      const before = emulator.stats().total;
      const results = await withClient(client, c => Promise.all(names.map(name => c.cancel(name, { verify: true }))));
      const received = emulator.stats().total - before;
      const outcomes = new Map<string, number>();
      for (const result of results) outcomes.set(result.outcome, (outcomes.get(result.outcome) ?? 0) + 1);
      assert.deepEqual(Object.fromEntries(outcomes), { cancelled: 200 });
      // Healthy: one cancel and one read each (the emulator cancels at once, so the first read sees it done).
      assert.ok(received <= 1.6 * 400, `the server received ${received} requests for 400 healthy ones`);
      assert.ok(names.every(name => emulator.getOperation(name)?.state === 'cancelled'));
    });
  });
}

describe('a caller deadline given as AbortSignal.timeout()', () => {
  test('ends a call still waiting on the server as DEADLINE_EXCEEDED, on either wire', async () => {
    const emulator = await startTestEmulator({ latencyMs: 2000 });
    try {
      const [name = ''] = emulator.createOperations({ count: 1 });
      for (const wire of WIRES) {
        const client = createCanceller({
          ...(wire === 'grpc' ? { grpcEndpoint: emulator.grpcAddress } : { restEndpoint: emulator.restUrl }), insecure: true,
        });
        const result = await withClient(client, c => c.cancel(name, { signal: AbortSignal.timeout(100) }));
        assert.equal(result.codeName, 'DEADLINE_EXCEEDED', `${wire}: ${errorOf(result)?.message ?? ''}`);
        assert.ok(result.latencyMs < 1500, `${wire}: ${result.latencyMs} ms`);
      }
    } finally {
      await emulator.close();
    }
  });
});

describe('per-call options are checked before anything is sent', () => {
  test('a NaN, zero or negative timeout, a bad signal or header is INVALID_ARGUMENT naming it, and the process lives', async () => {
    const emulator = await startTestEmulator();
    try {
      const [name = ''] = emulator.createOperations({ count: 1 });
      for (const wire of WIRES) {
        const client = createCanceller({
          ...(wire === 'grpc' ? { grpcEndpoint: emulator.grpcAddress } : { restEndpoint: emulator.restUrl }), insecure: true,
        });
        await withClient(client, async c => {
          await c.get(name); // a warm channel: the NaN deadline used to reach grpc-js and throw out of its timer
          const bad: Array<[Record<string, unknown>, RegExp]> = [
            [{ timeoutMs: Number.NaN }, /timeoutMs must be a number > 0 \(Infinity for none\), got NaN/],
            [{ timeoutMs: -5 }, /timeoutMs must be a number > 0 .*got -5/],
            [{ verify: true, verifyTimeoutMs: Number.NaN }, /verifyTimeoutMs must be a number > 0 .*got NaN/],
            [{ signal: 'stop' }, /signal must be an AbortSignal/],
            [{ headers: { 'Bad Name': 'x' } }, /headers: "Bad Name" is not a header name/],
            [{ headers: { 'x-goog-request-params': 'name=projects/other' } }, /"x-goog-request-params" is set by the client itself/],
            [{ headers: { 'x-trace': 'a\r\nb' } }, /the value of "x-trace" must be a string of printable ASCII/],
          ];
          for (const [options, message] of bad) {
            await assert.rejects(c.cancel(name, options as never), (error: unknown) => error instanceof Error && 'code' in error && error.code === 3 && message.test(error.message), JSON.stringify(options));
          }
          await assert.rejects(c.get(name, { timeoutMs: Number.NaN }), /timeoutMs must be a number > 0/);
        });
      }
      assert.equal(emulator.stats().byMethod.CancelOperation, 0, 'nothing was sent for a bad option');
    } finally {
      await emulator.close();
    }
  });
});

describe('close() is a hard stop', () => {
  for (const wire of WIRES) {
    test(`over ${wire}: a call in flight and a call waiting to retry end at once with CANCELLED, and a call after close sends nothing`, async () => {
      const emulator = await startTestEmulator();
      try {
        const [slow = '', failing = '', later = ''] = emulator.createOperations({ count: 3 });
        const client = createCanceller({
          ...(wire === 'grpc' ? { grpcEndpoint: emulator.grpcAddress } : { restEndpoint: emulator.restUrl }), insecure: true,
          retry: { initialBackoffMs: 5000, maxBackoffMs: 5000 },
        });
        await client.get(slow); // connected
        const inFlight = client.cancel(slow, { headers: { 'x-emulator-delay-ms': '5000' } });
        const retrying = client.cancel(failing, { headers: { 'x-emulator-fault': 'code=UNAVAILABLE' }, retry: { initialBackoffMs: 4000, maxBackoffMs: 4000 } });
        await new Promise(resolve => setTimeout(resolve, 300));
        const closedAt = Date.now();
        await client.close();
        const [first, second] = await Promise.all([inFlight, retrying]);
        assert.ok(Date.now() - closedAt < 1000, `ended ${Date.now() - closedAt} ms after close()`);
        for (const result of [first, second]) {
          assert.equal(result.codeName, 'CANCELLED', errorOf(result)?.message);
          assert.match(errorOf(result)?.message ?? '', /the client is closed/);
        }
        const sentBefore = emulator.stats().byMethod.CancelOperation;
        const after = await client.cancel(later);
        assert.equal(after.codeName, 'CANCELLED');
        assert.equal(after.attempts.length, 0);
        assert.equal(emulator.stats().byMethod.CancelOperation, sentBefore, 'nothing sent after close');
        await client.close();
      } finally {
        await emulator.close();
      }
    });
  }
});

describe('deadlines keep time on a monotonic clock', () => {
  test('a 1 s timeout ends at 1 s on both wires even when the wall clock is stepped back 30 s mid-call', async () => {
    const emulator = await startTestEmulator({ latencyMs: 5000 });
    const realDateNow = Date.now;
    try {
      const [name = ''] = emulator.createOperations({ count: 1 });
      for (const wire of WIRES) {
        const client = createCanceller({
          ...(wire === 'grpc' ? { grpcEndpoint: emulator.grpcAddress } : { restEndpoint: emulator.restUrl }), insecure: true,
          retry: { maxAttempts: 1 },
        });
        await withClient(client, async c => {
          const started = performance.now();
          const pending = c.cancel(name, { timeoutMs: 1000 });
          await new Promise(resolve => setTimeout(resolve, 100));
          Date.now = () => realDateNow() - 30_000;
          const result = await pending;
          Date.now = realDateNow;
          const tookMs = performance.now() - started;
          assert.equal(result.codeName, 'DEADLINE_EXCEEDED', wire);
          assert.ok(tookMs < 2000, `${wire}: ended after ${tookMs.toFixed(0)} ms`);
        });
      }
    } finally {
      Date.now = realDateNow;
      await emulator.close();
    }
  });
});
