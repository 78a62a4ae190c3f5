import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { attemptDeadline, forGrpc, MAX_TIMER_MS, now, timerDelayMs } from '../src/policy/deadline.js';

describe('deadlines', () => {
  test('the largest timer is 2^31-1 ms, the most setTimeout honours', () => {
    assert.equal(MAX_TIMER_MS, 2_147_483_647);
  });

  test('the clock agrees with the wall clock, and does not follow it when it is stepped', () => {
    assert.ok(Math.abs(now() - Date.now()) < 1000);
    const realDateNow = Date.now;
    const before = now();
    Date.now = () => realDateNow() - 30_000;
    try {
      assert.ok(now() >= before, 'a step back of the wall clock does not move it back');
      // grpc-js reads deadlines against Date.now(): the conversion keeps the time left, whatever the wall clock says.
      const deadline = now() + 1000;
      assert.ok(Math.abs(forGrpc(deadline) - Date.now() - 1000) < 50);
      assert.equal(forGrpc(Infinity), Infinity);
    } finally {
      Date.now = realDateNow;
    }
  });

  test('an attempt gets its own timeout, but never more than the total deadline leaves', () => {
    assert.equal(attemptDeadline(10_000, 100_000, 1_000), 11_000);
    assert.equal(attemptDeadline(10_000, 5_000, 1_000), 5_000);
    assert.equal(attemptDeadline(Infinity, Infinity, 1_000), Infinity);
  });

  test('timer delays are clamped to [0, MAX_TIMER_MS], NaN and negatives to 0', () => {
    assert.equal(timerDelayMs(250), 250);
    assert.equal(timerDelayMs(-5), 0);
    assert.equal(timerDelayMs(Number.NaN), 0);
    assert.equal(timerDelayMs(2 ** 40), MAX_TIMER_MS);
    assert.equal(timerDelayMs(Infinity), MAX_TIMER_MS);
  });
});
