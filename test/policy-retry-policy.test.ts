import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { DEFAULT_RETRY_POLICY, resolveRetryPolicy, type RetryOptions, type RetryPolicy } from '../src/policy/retry-policy.js';

describe('retry policy', () => {
  test('defaults follow Google\'s Operations service config and AIP-194', () => {
    const { retryableCodes, ...numbers } = DEFAULT_RETRY_POLICY;
    assert.deepEqual(numbers, {
      maxAttempts: 10,
      initialBackoffMs: 500,
      maxBackoffMs: 10_000,
      backoffMultiplier: 2,
      attemptTimeoutMs: 10_000,
      totalTimeoutMs: 60_000,
    });
    assert.deepEqual([...retryableCodes], [Code.UNAVAILABLE]);
  });

  test('the default policy cannot be changed, its retryable codes included', () => {
    assert.ok(Object.isFrozen(DEFAULT_RETRY_POLICY));
    assert.throws(() => { (DEFAULT_RETRY_POLICY as { maxAttempts: number }).maxAttempts = 1; }, TypeError);
    const codes = DEFAULT_RETRY_POLICY.retryableCodes as unknown as { add?: unknown };
    assert.equal(codes.add, undefined, 'a shared policy must not expose Set#add');
    assert.equal(DEFAULT_RETRY_POLICY.retryableCodes.has(Code.UNAVAILABLE), true);
  });

  test('an override changes only the fields it names and returns a new frozen policy', () => {
    const policy = resolveRetryPolicy({ maxAttempts: 2, initialBackoffMs: 0 });
    assert.notEqual(policy, DEFAULT_RETRY_POLICY);
    assert.ok(Object.isFrozen(policy));
    assert.equal(policy.maxAttempts, 2);
    assert.equal(policy.initialBackoffMs, 0, '0 stays 0 (?? not ||)');
    assert.equal(policy.totalTimeoutMs, 60_000);
    assert.notEqual(resolveRetryPolicy(), DEFAULT_RETRY_POLICY, 'even no options give a new object');
  });

  test('a per-call override is resolved against the client policy without changing either input', () => {
    const client: RetryPolicy = { ...resolveRetryPolicy({ maxAttempts: 7 }), retryableCodes: new Set([Code.UNAVAILABLE]) };
    const clientBefore = { ...client, retryableCodes: [...client.retryableCodes] };
    const override: RetryOptions = { attemptTimeoutMs: 1234, retryableCodes: [Code.UNAVAILABLE, Code.ABORTED] };
    const overrideBefore = structuredClone(override);
    const call = resolveRetryPolicy(override, client);
    assert.equal(call.maxAttempts, 7);
    assert.equal(call.attemptTimeoutMs, 1234);
    assert.deepEqual([...call.retryableCodes], [Code.UNAVAILABLE, Code.ABORTED]);
    assert.deepEqual({ ...client, retryableCodes: [...client.retryableCodes] }, clientBefore);
    assert.deepEqual(override, overrideBefore);
    const next = resolveRetryPolicy({}, client);
    assert.equal(next.attemptTimeoutMs, client.attemptTimeoutMs, 'one call\'s override never leaks into the next');
  });

  test('retryable codes are copied, so changing the caller\'s Set later changes nothing', () => {
    const mine = new Set([Code.UNAVAILABLE]);
    const policy = resolveRetryPolicy({ retryableCodes: mine });
    mine.add(Code.INTERNAL);
    assert.equal(policy.retryableCodes.has(Code.INTERNAL), false);
    assert.equal(policy.retryableCodes.size, 1);
  });

  test('undefined fields fall back to the base, and Infinity means no timeout', () => {
    const policy = resolveRetryPolicy({ maxAttempts: undefined, totalTimeoutMs: Infinity, attemptTimeoutMs: Infinity });
    assert.equal(policy.maxAttempts, 10);
    assert.equal(policy.totalTimeoutMs, Infinity);
    assert.equal(policy.attemptTimeoutMs, Infinity);
  });

  test('a policy prints its retryable codes by name in JSON', () => {
    const json = JSON.parse(JSON.stringify(DEFAULT_RETRY_POLICY)) as { retryableCodes: unknown };
    assert.deepEqual(json.retryableCodes, ['UNAVAILABLE']);
  });

  const invalid: readonly [string, unknown, string][] = [
    ['maxAttempts', 0, 'maxAttempts must be an integer >= 1, got 0'],
    ['maxAttempts', 2.5, 'maxAttempts must be an integer >= 1, got 2.5'],
    ['maxAttempts', '3', 'maxAttempts must be an integer >= 1, got "3"'],
    ['initialBackoffMs', -1, 'initialBackoffMs must be a finite number >= 0, got -1'],
    ['maxBackoffMs', Infinity, 'maxBackoffMs must be a finite number >= 0, got Infinity'],
    ['backoffMultiplier', 0.5, 'backoffMultiplier must be a finite number >= 1, got 0.5'],
    ['attemptTimeoutMs', 0, 'attemptTimeoutMs must be a number > 0 (Infinity for none), got 0'],
    ['totalTimeoutMs', Number.NaN, 'totalTimeoutMs must be a number > 0 (Infinity for none), got NaN'],
    ['retryableCodes', [Code.UNAVAILABLE, 99], 'retryableCodes must be an array or Set of codes 1-16 (OK is not an error), got 99'],
    ['retryableCodes', [Code.OK], 'retryableCodes must be an array or Set of codes 1-16 (OK is not an error), got 0'],
    ['retryableCodes', 'UNAVAILABLE', 'retryableCodes must be an array or Set of codes 1-16, got "UNAVAILABLE"'],
  ];
  for (const [option, value, message] of invalid) {
    test(`rejects ${option} = ${JSON.stringify(value) ?? String(value)} with INVALID_ARGUMENT naming the option and the value`, () => {
      assert.throws(() => resolveRetryPolicy({ [option]: value } as RetryOptions), {
        name: 'OperationsError',
        code: Code.INVALID_ARGUMENT,
        message: `[INVALID_ARGUMENT] ${message}`,
      });
    });
  }

  test('rejects an option name it does not know, so a typo is not silently ignored', () => {
    assert.throws(() => resolveRetryPolicy({ maxAttempt: 3 } as RetryOptions), {
      code: Code.INVALID_ARGUMENT,
      message: /unknown retry option "maxAttempt"/,
    });
  });
});
