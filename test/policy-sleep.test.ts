import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { sleep } from '../src/policy/sleep.js';

/** What `promise` has settled to by the next macrotask: a timer-free way to ask "did it settle in this tick?". */
async function settledBeforeNextTask(promise: Promise<unknown>): Promise<unknown> {
  return Promise.race([
    promise.then(() => 'resolved', (error: unknown) => error),
    new Promise(resolve => setImmediate(() => resolve('pending'))),
  ]);
}

describe('sleep', () => {
  test('waits about the time asked', async () => {
    const started = performance.now();
    await sleep(30);
    assert.ok(performance.now() - started >= 25);
  });

  test('rejects with CANCELLED in the same tick the signal aborts, and clears its timer', async () => {
    const controller = new AbortController();
    const waiting = sleep(60_000, controller.signal);
    controller.abort();
    const outcome = await settledBeforeNextTask(waiting);
    assert.ok(outcome instanceof OperationsError);
    assert.equal(outcome.code, Code.CANCELLED);
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  test('rejects at once when the signal has already aborted', async () => {
    const outcome = await settledBeforeNextTask(sleep(60_000, AbortSignal.abort()));
    assert.ok(outcome instanceof OperationsError);
    assert.equal(outcome.code, Code.CANCELLED);
  });

  test('keeps the code of a reason that is already an OperationsError', async () => {
    const controller = new AbortController();
    controller.abort(new OperationsError(Code.DEADLINE_EXCEEDED, 'deadline'));
    await assert.rejects(sleep(10, controller.signal), { code: Code.DEADLINE_EXCEEDED });
  });

  test('removes its listener when the wait ends, so a long-lived signal collects none', async () => {
    const controller = new AbortController();
    await Promise.all(Array.from({ length: 100 }, () => sleep(1, controller.signal)));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  test('many waits on one signal share one listener and all reject when it aborts', async () => {
    const controller = new AbortController();
    const waits = Array.from({ length: 64 }, () => sleep(60_000, controller.signal));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 1);
    controller.abort();
    const outcomes = await Promise.allSettled(waits);
    assert.ok(outcomes.every(o => o.status === 'rejected' && (o.reason as OperationsError).code === Code.CANCELLED));
    assert.equal(getEventListeners(controller.signal, 'abort').length, 0);
  });

  test('clamps a wait beyond 2^31-1 ms instead of letting it overflow into an immediate one', async () => {
    const controller = new AbortController();
    const waiting = sleep(2 ** 31 + 1000, controller.signal);
    const early = await Promise.race([waiting.then(() => 'resolved'), sleep(30).then(() => 'still waiting')]);
    controller.abort();
    await assert.rejects(waiting, { code: Code.CANCELLED });
    assert.equal(early, 'still waiting');
  });

  test('a negative or NaN wait ends promptly', async () => {
    const started = performance.now();
    await sleep(-100);
    await sleep(Number.NaN);
    assert.ok(performance.now() - started < 1000);
  });
});
