import { getEventListeners } from 'node:events';
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { abortCode, abortError, AttemptSignal } from '../src/policy/signals.js';
import { sleep } from '../src/policy/sleep.js';

function listeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

describe('attempt signals', () => {
  test('abort with DEADLINE_EXCEEDED when the attempt deadline passes', async () => {
    const link = new AttemptSignal(Date.now() + 20);
    assert.equal(link.signal.aborted, false);
    await sleep(60);
    assert.equal(link.signal.aborted, true);
    assert.equal(abortCode(link.signal), Code.DEADLINE_EXCEEDED);
    link.dispose();
  });

  test('abort with CANCELLED when the caller aborts, keeping the caller\'s reason as the cause', () => {
    const caller = new AbortController();
    const link = new AttemptSignal(Date.now() + 60_000, caller.signal);
    caller.abort('user pressed ^C');
    assert.equal(link.signal.aborted, true);
    assert.equal(abortCode(link.signal), Code.CANCELLED);
    assert.equal((link.signal.reason as OperationsError).cause, 'user pressed ^C');
    assert.equal(listeners(caller.signal), 0);
    link.dispose();
  });

  test('dispose removes the listener from the caller\'s signal and clears the timer', async () => {
    const caller = new AbortController();
    const link = new AttemptSignal(Date.now() + 20, caller.signal);
    assert.equal(listeners(caller.signal), 1);
    link.dispose();
    link.dispose();
    assert.equal(listeners(caller.signal), 0);
    await sleep(50);
    assert.equal(link.signal.aborted, false, 'a disposed attempt signal must not fire later');
  });

  test('a thousand attempts on one long-lived caller signal leave no listeners behind', () => {
    const caller = new AbortController();
    for (let i = 0; i < 1000; i++) new AttemptSignal(Date.now() + 10_000, caller.signal).dispose();
    assert.equal(listeners(caller.signal), 0);
  });

  test('sixty-four attempts at once on one caller signal add one listener, and its abort reaches them all', async () => {
    const warnings: string[] = [];
    const onWarning = (warning: Error): void => void warnings.push(warning.name);
    process.on('warning', onWarning);
    try {
      const caller = new AbortController();
      const links = Array.from({ length: 64 }, () => new AttemptSignal(Date.now() + 60_000, caller.signal));
      assert.equal(listeners(caller.signal), 1);
      caller.abort();
      assert.ok(links.every(link => link.signal.aborted && abortCode(link.signal) === Code.CANCELLED));
      assert.equal(listeners(caller.signal), 0);
      for (const link of links) link.dispose();
      await new Promise(resolve => setImmediate(resolve));
      assert.deepEqual(warnings, [], 'no MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });

  test('a deadline already passed aborts at once, with DEADLINE_EXCEEDED', () => {
    const link = new AttemptSignal(Date.now() - 1);
    assert.equal(link.signal.aborted, true);
    assert.equal(abortCode(link.signal), Code.DEADLINE_EXCEEDED);
  });

  test('a caller signal already aborted aborts at once and gets no listener', () => {
    const caller = new AbortController();
    caller.abort();
    const link = new AttemptSignal(Date.now() + 10_000, caller.signal);
    assert.equal(link.signal.aborted, true);
    assert.equal(abortCode(link.signal), Code.CANCELLED);
    assert.equal(listeners(caller.signal), 0);
  });

  test('a caller reason that is an OperationsError keeps its code through the link', () => {
    const caller = new AbortController();
    const link = new AttemptSignal(Infinity, caller.signal);
    caller.abort(new OperationsError(Code.DEADLINE_EXCEEDED, 'outer deadline'));
    assert.equal(abortCode(link.signal), Code.DEADLINE_EXCEEDED);
  });

  test('a deadline beyond 2^31-1 ms does not fire early (no timer overflow)', async () => {
    const link = new AttemptSignal(Date.now() + 2 ** 31 + 5_000);
    await sleep(30);
    assert.equal(link.signal.aborted, false);
    link.dispose();
  });

  test('race rejects as soon as the caller aborts, even if the attempt never settles', async () => {
    const caller = new AbortController();
    const link = new AttemptSignal(Date.now() + 60_000, caller.signal);
    const racing = link.race(new Promise<never>(() => {}));
    setTimeout(() => caller.abort(), 10);
    await assert.rejects(racing, { code: Code.CANCELLED });
    link.dispose();
  });

  test('race still wakes on a caller abort after the attempt deadline fired but the attempt kept going', async () => {
    const caller = new AbortController();
    const link = new AttemptSignal(Date.now() + 10, caller.signal);
    const racing = link.race(new Promise<never>(() => {}));
    await sleep(30);
    assert.equal(abortCode(link.signal), Code.DEADLINE_EXCEEDED);
    caller.abort();
    await assert.rejects(racing, { code: Code.CANCELLED });
    link.dispose();
    assert.equal(listeners(caller.signal), 0);
  });

  test('race passes the attempt\'s own result through', async () => {
    const caller = new AbortController();
    const link = new AttemptSignal(Date.now() + 60_000, caller.signal);
    assert.equal(await link.race(Promise.resolve('served')), 'served');
    await assert.rejects(link.race(Promise.reject(new OperationsError(Code.NOT_FOUND, 'x'))), { code: Code.NOT_FOUND });
    link.dispose();
    const alone = new AttemptSignal(Date.now() + 60_000);
    const promise = Promise.resolve(1);
    assert.equal(alone.race(promise), promise, 'without a caller signal there is nothing to race');
    alone.dispose();
  });
});

describe('abortCode and abortError', () => {
  test('a foreign abort reason is the caller cancelling', () => {
    assert.equal(abortCode(AbortSignal.abort()), Code.CANCELLED);
    assert.equal(abortCode(AbortSignal.abort('why not')), Code.CANCELLED);
    const error = abortError(AbortSignal.abort('why not'));
    assert.equal(error.code, Code.CANCELLED);
    assert.equal(error.cause, 'why not');
  });

  test('an OperationsError reason is returned as it is', () => {
    const reason = new OperationsError(Code.DEADLINE_EXCEEDED, 'late');
    const controller = new AbortController();
    controller.abort(reason);
    assert.equal(abortError(controller.signal), reason);
  });
});

describe('a caller\'s AbortSignal.timeout()', () => {
  test('ends as DEADLINE_EXCEEDED, not CANCELLED: the caller set a deadline', async () => {
    const signal = AbortSignal.timeout(1);
    await new Promise(resolve => setTimeout(resolve, 20));
    assert.equal(abortCode(signal), Code.DEADLINE_EXCEEDED);
    assert.equal(abortError(signal).code, Code.DEADLINE_EXCEEDED);
    const controller = new AbortController();
    controller.abort();
    assert.equal(abortError(controller.signal).code, Code.CANCELLED);
  });
});
