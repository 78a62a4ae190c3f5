import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { now } from '../src/policy/deadline.js';
import { runWithRetry } from '../src/policy/retry.js';
import { codesOf, failure, fastPolicy, scripted, type Step } from './helpers/scripted-attempt.js';

describe('runWithRetry', () => {
  test('UNAVAILABLE twice then OK returns the value with 3 attempts recorded', async () => {
    const { attempt } = scripted([Code.UNAVAILABLE, Code.UNAVAILABLE, Code.OK]);
    const result = await runWithRetry(attempt, { policy: fastPolicy() });
    assert.equal(result.value, 'done');
    assert.equal(result.transport, 'grpc');
    assert.deepEqual(codesOf(result.attempts), [Code.UNAVAILABLE, Code.UNAVAILABLE, Code.OK]);
    assert.deepEqual(result.attempts.map(a => [a.attempt, a.codeName, a.transport]), [
      [1, 'UNAVAILABLE', 'rest'], [2, 'UNAVAILABLE', 'rest'], [3, 'OK', 'grpc'],
    ]);
    assert.ok(result.attempts.every(a => a.durationMs >= 0));
  });

  test('when retries run out the error is the real last code, UNAVAILABLE, with all 5 attempts listed', async () => {
    const { attempt, calls } = scripted(Array<Step>(10).fill(Code.UNAVAILABLE));
    const error = await failure(runWithRetry(attempt, { policy: fastPolicy({ maxAttempts: 5 }) }));
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(error.transport, 'rest');
    assert.equal(calls.length, 5);
    assert.deepEqual(error.attempts.map(a => [a.attempt, a.code]), [1, 2, 3, 4, 5].map(n => [n, Code.UNAVAILABLE]));
  });

  test('RESOURCE_EXHAUSTED with retryAfterMs 1000 waits at least that long before the next attempt', async () => {
    const throttled = new OperationsError(Code.RESOURCE_EXHAUSTED, 'quota', { transport: 'grpc', retryAfterMs: 1000 });
    const { attempt, calls } = scripted([throttled, Code.OK]);
    const result = await runWithRetry(attempt, { policy: fastPolicy() });
    assert.deepEqual(codesOf(result.attempts), [Code.RESOURCE_EXHAUSTED, Code.OK]);
    const gapMs = (calls[1]?.at ?? 0) - (calls[0]?.at ?? 0);
    // Timers may fire up to ~1 ms short of the request on libuv's cached clock.
    assert.ok(gapMs >= 995, `waited only ${gapMs.toFixed(1)} ms`);
  });

  test('RESOURCE_EXHAUSTED without retryAfterMs is not retried', async () => {
    const { attempt, calls } = scripted([Code.RESOURCE_EXHAUSTED, Code.OK]);
    const error = await failure(runWithRetry(attempt, { policy: fastPolicy() }));
    assert.equal(error.code, Code.RESOURCE_EXHAUSTED);
    assert.equal(calls.length, 1);
    assert.equal(error.attempts.length, 1);
  });

  test('a retryAfterMs beyond the deadline fails at once with RESOURCE_EXHAUSTED', async () => {
    const throttled = new OperationsError(Code.RESOURCE_EXHAUSTED, 'quota', { transport: 'grpc', retryAfterMs: 30_000 });
    const { attempt, calls } = scripted([throttled, Code.OK]);
    const started = performance.now();
    const error = await failure(runWithRetry(attempt, { policy: fastPolicy({ totalTimeoutMs: 5000 }) }));
    assert.ok(performance.now() - started < 1000, 'it must not sleep towards a deadline it cannot make');
    assert.equal(error.code, Code.RESOURCE_EXHAUSTED);
    assert.equal(error.retryAfterMs, 30_000);
    assert.equal(calls.length, 1);
  });

  test('the server\'s delay is a floor for the backoff, also for a retryable code', async () => {
    const unavailable = new OperationsError(Code.UNAVAILABLE, 'draining', { transport: 'rest', retryAfterMs: 200 });
    const { attempt, calls } = scripted([unavailable, Code.OK]);
    await runWithRetry(attempt, { policy: fastPolicy(), random: () => 0 });
    const gapMs = (calls[1]?.at ?? 0) - (calls[0]?.at ?? 0);
    assert.ok(gapMs >= 195, `waited only ${gapMs.toFixed(1)} ms`);
  });

  test('a wait that would reach the deadline ends the call now with the real last code, not DEADLINE_EXCEEDED', async () => {
    const { attempt, calls } = scripted([Code.UNAVAILABLE, Code.OK]);
    const started = performance.now();
    const policy = fastPolicy({ initialBackoffMs: 10_000, maxBackoffMs: 10_000, totalTimeoutMs: 500 });
    const error = await failure(runWithRetry(attempt, { policy, random: () => 0.99 }));
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.equal(calls.length, 1);
    assert.ok(performance.now() - started < 400);
  });

  test('an attempt that times out is retried while the total deadline has room', async () => {
    const { attempt, calls } = scripted(['hang-until-aborted', Code.OK]);
    const result = await runWithRetry(attempt, { policy: fastPolicy({ attemptTimeoutMs: 50, totalTimeoutMs: 5000 }) });
    assert.equal(result.value, 'done');
    assert.deepEqual(codesOf(result.attempts), [Code.DEADLINE_EXCEEDED, Code.OK]);
    const first = calls[0];
    assert.ok(first !== undefined);
    assert.ok((result.attempts[0]?.durationMs ?? 0) >= 40, 'the first attempt ran until its own deadline');
    assert.ok(first.info.deadline - Date.now() < 5000, 'the attempt deadline is the attempt timeout, not the total');
  });

  test('when the total deadline itself passed, DEADLINE_EXCEEDED is not retried', async () => {
    const { attempt, calls } = scripted(['hang-until-aborted', Code.OK]);
    const started = performance.now();
    const error = await failure(runWithRetry(attempt, {
      policy: fastPolicy({ attemptTimeoutMs: 2000 }),
      deadline: Date.now() + 80,
    }));
    assert.equal(error.code, Code.DEADLINE_EXCEEDED);
    assert.equal(calls.length, 1);
    assert.equal(error.attempts.length, 1);
    assert.ok(performance.now() - started < 1500, 'the attempt got only what the total deadline left');
  });

  test('DEADLINE_EXCEEDED is retried only when the attempt had a shorter deadline than the whole call', async () => {
    const own = scripted(['hang-until-aborted', Code.OK]);
    const retried = await runWithRetry(own.attempt, { policy: fastPolicy({ attemptTimeoutMs: 50, totalTimeoutMs: 5000 }) });
    assert.deepEqual(codesOf(retried.attempts), [Code.DEADLINE_EXCEEDED, Code.OK]);
    const whole = scripted(['hang-until-aborted', Code.OK]);
    const error = await failure(runWithRetry(whole.attempt, { policy: fastPolicy({ attemptTimeoutMs: 9000, totalTimeoutMs: 100 }) }));
    assert.equal(error.code, Code.DEADLINE_EXCEEDED);
    assert.equal(whole.calls.length, 1, 'the attempt already had all the time the call had');
  });

  test('a DEADLINE_EXCEEDED that the server sent before the attempt timed out is not retried', async () => {
    const sent = scripted([Code.DEADLINE_EXCEEDED, Code.OK]);
    const error = await failure(runWithRetry(sent.attempt, { policy: fastPolicy({ attemptTimeoutMs: 1000, totalTimeoutMs: 5000 }) }));
    assert.equal(error.code, Code.DEADLINE_EXCEEDED);
    assert.equal(sent.calls.length, 1, "the server's own deadline is its answer, not our timeout");
  });

  test('each attempt gets min(now + attemptTimeoutMs, total deadline), and the headers', async () => {
    const { attempt, calls } = scripted([Code.UNAVAILABLE, Code.OK]);
    const deadline = Date.now() + 3000;
    await runWithRetry(attempt, { policy: fastPolicy({ attemptTimeoutMs: 100_000 }), deadline, headers: { 'x-fault': 'none' } });
    assert.deepEqual(calls.map(c => c.info.deadline), [deadline, deadline]);
    assert.deepEqual(calls.map(c => c.info.attempt), [1, 2]);
    assert.deepEqual(calls[1]?.info.headers, { 'x-fault': 'none' });
    const short = scripted([Code.OK]);
    const before = now();
    await runWithRetry(short.attempt, { policy: fastPolicy({ attemptTimeoutMs: 100 }), deadline: before + 60_000 });
    const attemptDeadline = short.calls[0]?.info.deadline ?? 0;
    assert.ok(attemptDeadline >= before + 100 && attemptDeadline <= now() + 100, 'deadlines are on the library clock, now()');
  });

  const notRetried = [
    Code.NOT_FOUND, Code.PERMISSION_DENIED, Code.UNAUTHENTICATED, Code.INVALID_ARGUMENT, Code.FAILED_PRECONDITION,
    Code.ABORTED, Code.INTERNAL, Code.UNKNOWN, Code.UNIMPLEMENTED, Code.CANCELLED, Code.DATA_LOSS,
  ];

  test(`non-retryable codes are not retried: ${notRetried.map(c => Code[c]).join(', ')}`, async () => {
    for (const code of notRetried) {
      const { attempt, calls } = scripted([code, Code.OK]);
      const error = await failure(runWithRetry(attempt, { policy: fastPolicy() }));
      assert.equal(error.code, code);
      assert.equal(calls.length, 1, `${Code[code]} was retried`);
      assert.deepEqual(codesOf(error.attempts), [code]);
    }
  });

  test('anything an attempt throws becomes an OperationsError (a plain Error is UNKNOWN)', async () => {
    const error = await failure(runWithRetry(() => { throw new Error('boom'); }, { policy: fastPolicy() }));
    assert.equal(error.code, Code.UNKNOWN);
    assert.equal(error.rawMessage, 'boom');
    assert.equal(error.attempts.length, 1);
    assert.equal(error.attempts[0]?.transport, undefined);
  });

  test('a caller\'s isRetryable decides, within the same attempt and deadline limits', async () => {
    const { attempt, calls } = scripted([Code.ABORTED, Code.ABORTED, Code.OK]);
    const result = await runWithRetry(attempt, {
      policy: fastPolicy(),
      isRetryable: (error, info) => error.code === Code.ABORTED && info.attempt < 5,
    });
    assert.equal(result.value, 'done');
    assert.equal(calls.length, 3);
  });

  test('two concurrent runs with different policies each follow their own', async () => {
    const a = scripted(Array<Step>(10).fill(Code.UNAVAILABLE));
    const b = scripted(Array<Step>(10).fill(Code.UNAVAILABLE));
    const [errorA, errorB] = await Promise.all([
      failure(runWithRetry(a.attempt, { policy: fastPolicy({ maxAttempts: 2, attemptTimeoutMs: 111 }) })),
      failure(runWithRetry(b.attempt, { policy: fastPolicy({ maxAttempts: 4, attemptTimeoutMs: 4444 }) })),
    ]);
    assert.equal(errorA.attempts.length, 2);
    assert.equal(errorB.attempts.length, 4);
    assert.ok(a.calls.every(c => c.info.deadline - c.at - performance.timeOrigin <= 111 + 5));
    assert.ok(b.calls.every(c => c.info.deadline - c.at - performance.timeOrigin > 1000));
  });

  test('a deadline already passed makes no attempt and says DEADLINE_EXCEEDED', async () => {
    const { attempt, calls } = scripted([Code.OK]);
    const error = await failure(runWithRetry(attempt, { policy: fastPolicy(), deadline: Date.now() - 1 }));
    assert.equal(error.code, Code.DEADLINE_EXCEEDED);
    assert.equal(calls.length, 0);
  });
});
