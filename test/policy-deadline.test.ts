import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { attemptDeadline, deadlineAfter, MAX_TIMER_MS, timeLeftMs, timerDelayMs } from '../src/policy/deadline.js';

describe('deadlines', () => {
  test('the largest timer is 2^31-1 ms, the most setTimeout honours', () => {
    assert.equal(MAX_TIMER_MS, 2_147_483_647);
  });

  test('a deadline is absolute, and an infinite timeout gives no deadline', () => {
    assert.equal(deadlineAfter(1500, 10_000), 11_500);
    assert.equal(deadlineAfter(Infinity, 10_000), Infinity);
  });

  test('time left counts down to 0 and never goes negative', () => {
    assert.equal(timeLeftMs(10_500, 10_000), 500);
    assert.equal(timeLeftMs(10_000, 10_000), 0);
    assert.equal(timeLeftMs(9_000, 10_000), 0);
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
