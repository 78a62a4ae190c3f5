import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { backoffCeilingMs, backoffDelayMs } from '../src/policy/backoff.js';
import { DEFAULT_RETRY_POLICY, resolveRetryPolicy } from '../src/policy/retry-policy.js';

describe('backoff', () => {
  test('the ceiling doubles from 500 ms and stops at 10 s with the default policy', () => {
    const ceilings = [1, 2, 3, 4, 5, 6, 7, 20].map(n => backoffCeilingMs(n, DEFAULT_RETRY_POLICY));
    assert.deepEqual(ceilings, [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });

  test('the ceiling grows by the policy\'s multiplier and is capped at maxBackoffMs', () => {
    const policy = resolveRetryPolicy({ initialBackoffMs: 100, backoffMultiplier: 1.5, maxBackoffMs: 300 });
    assert.deepEqual([1, 2, 3, 4].map(n => backoffCeilingMs(n, policy)), [100, 150, 225, 300]);
  });

  test('maxBackoffMs caps even the first wait', () => {
    assert.equal(backoffCeilingMs(1, { initialBackoffMs: 5000, maxBackoffMs: 1000, backoffMultiplier: 2 }), 1000);
  });

  test('full jitter: the wait is random() times the ceiling', () => {
    assert.equal(backoffDelayMs(3, DEFAULT_RETRY_POLICY, () => 0.5), 1000);
    assert.equal(backoffDelayMs(3, DEFAULT_RETRY_POLICY, () => 0), 0);
    assert.equal(backoffDelayMs(1, DEFAULT_RETRY_POLICY, () => 0.25), 125);
  });

  test('the wait always lies in [0, ceiling), whatever the retry number and random draw', () => {
    fc.assert(fc.property(
      fc.integer({ min: 1, max: 2000 }),
      fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true }),
      (retryNumber, draw) => {
        const ceiling = backoffCeilingMs(retryNumber, DEFAULT_RETRY_POLICY);
        const waitMs = backoffDelayMs(retryNumber, DEFAULT_RETRY_POLICY, () => draw);
        return waitMs >= 0 && (waitMs < ceiling || (waitMs === 0 && ceiling === 0));
      },
    ));
  });

  test('a random source out of range cannot push the wait outside [0, ceiling]', () => {
    assert.equal(backoffDelayMs(1, DEFAULT_RETRY_POLICY, () => 7), 500);
    assert.equal(backoffDelayMs(1, DEFAULT_RETRY_POLICY, () => -1), 0);
    assert.equal(backoffDelayMs(1, DEFAULT_RETRY_POLICY, () => Number.NaN), 0);
  });

  test('an initial backoff of 0 means retry at once, even for huge retry numbers', () => {
    const policy = { initialBackoffMs: 0, maxBackoffMs: 1000, backoffMultiplier: 2 };
    assert.equal(backoffDelayMs(5000, policy, () => 0.9), 0);
  });
});
