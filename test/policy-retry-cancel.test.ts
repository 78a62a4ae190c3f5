import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import type { OperationsError } from '../src/errors.js';
import { runWithRetry } from '../src/policy/retry.js';
import { codesOf, failure, fastPolicy, scripted } from './helpers/scripted-attempt.js';

/** Aborts 30 ms into `running`, then returns its error and how long after the abort it came. */
async function abortMidway(controller: AbortController, running: Promise<OperationsError>) {
  await new Promise(resolve => setTimeout(resolve, 30));
  const abortedAt = performance.now();
  controller.abort();
  const error = await running;
  return { error, afterAbortMs: performance.now() - abortedAt };
}

describe('runWithRetry and the caller\'s AbortSignal', () => {
  test('an abort during backoff returns within 50 ms with CANCELLED and the attempts so far', async () => {
    const controller = new AbortController();
    const { attempt, calls } = scripted([Code.UNAVAILABLE, Code.OK]);
    const policy = fastPolicy({ initialBackoffMs: 5000, maxBackoffMs: 5000, totalTimeoutMs: 60_000 });
    const { error, afterAbortMs } = await abortMidway(controller, failure(runWithRetry(attempt, { policy, signal: controller.signal, random: () => 0.99 })));
    assert.ok(afterAbortMs < 50, `returned ${afterAbortMs.toFixed(1)} ms after the abort`);
    assert.equal(error.code, Code.CANCELLED);
    assert.deepEqual(codesOf(error.attempts), [Code.UNAVAILABLE]);
    assert.equal(calls.length, 1);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  test('an abort during an attempt returns promptly even if the attempt ignores its signal', async () => {
    const controller = new AbortController();
    const { attempt } = scripted(['hang']);
    const { error, afterAbortMs } = await abortMidway(controller, failure(runWithRetry(attempt, { policy: fastPolicy(), signal: controller.signal })));
    assert.ok(afterAbortMs < 50, `returned ${afterAbortMs.toFixed(1)} ms after the abort`);
    assert.equal(error.code, Code.CANCELLED);
    assert.deepEqual(codesOf(error.attempts), [Code.CANCELLED]);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  test('an attempt that honours the abort ends CANCELLED too, not as a retryable failure', async () => {
    const controller = new AbortController();
    const { attempt, calls } = scripted(['hang-until-aborted', Code.OK]);
    setTimeout(() => controller.abort(), 20);
    const error = await failure(runWithRetry(attempt, { policy: fastPolicy(), signal: controller.signal }));
    assert.equal(error.code, Code.CANCELLED);
    assert.equal(calls.length, 1);
    assert.deepEqual(codesOf(error.attempts), [Code.CANCELLED]);
  });

  test('a signal already aborted makes no attempt', async () => {
    const { attempt, calls } = scripted([Code.OK]);
    const error = await failure(runWithRetry(attempt, { policy: fastPolicy(), signal: AbortSignal.abort() }));
    assert.equal(error.code, Code.CANCELLED);
    assert.equal(calls.length, 0);
    assert.deepEqual(error.attempts, []);
  });

  test('a caller signal that lives across many calls collects no listeners', async () => {
    const controller = new AbortController();
    for (let i = 0; i < 50; i++) {
      const { attempt } = scripted(i % 2 === 0 ? [Code.OK] : [Code.UNAVAILABLE, Code.OK]);
      await runWithRetry(attempt, { policy: fastPolicy({ initialBackoffMs: 0 }), signal: controller.signal });
    }
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });
});
