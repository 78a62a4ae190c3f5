import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError, type TransportName } from '../src/errors.js';
import { RetryBudget } from '../src/policy/retry-budget.js';
import { runWithRetry, type RetryRunOptions, type Served } from '../src/policy/retry.js';
import { failure, fastPolicy, scripted } from './helpers/scripted-attempt.js';

describe('retry budget (gRFC A6 token bucket)', () => {
  test('starts full with 10 tokens and a ratio of 0.1 by default', () => {
    const budget = new RetryBudget();
    assert.equal(budget.maxTokens, 10);
    assert.equal(budget.tokenRatio, 0.1);
    assert.equal(budget.tokens, 10);
    assert.equal(budget.allowsRetry(), true);
  });

  test('each failure takes a token and retries stop once half the tokens are gone', () => {
    const budget = new RetryBudget({ maxTokens: 10 });
    for (let i = 0; i < 4; i++) budget.recordFailure();
    assert.equal(budget.tokens, 6);
    assert.equal(budget.allowsRetry(), true);
    budget.recordFailure();
    assert.equal(budget.tokens, 5);
    assert.equal(budget.allowsRetry(), false, 'exactly maxTokens / 2 left is not enough');
  });

  test('tokens never go below 0 nor above maxTokens', () => {
    const budget = new RetryBudget({ maxTokens: 3, tokenRatio: 1 });
    for (let i = 0; i < 10; i++) budget.recordFailure();
    assert.equal(budget.tokens, 0);
    for (let i = 0; i < 10; i++) budget.recordSuccess();
    assert.equal(budget.tokens, 3);
  });

  test('ten successes of 0.1 pay back exactly one token, so recovery is not lost to rounding', () => {
    const budget = new RetryBudget();
    for (let i = 0; i < 5; i++) budget.recordFailure();
    assert.equal(budget.allowsRetry(), false);
    for (let i = 0; i < 10; i++) budget.recordSuccess();
    assert.equal(budget.tokens, 6);
    assert.equal(budget.allowsRetry(), true);
  });

  test('a ratio of 0 never recovers; more than 3 decimals of ratio do not count', () => {
    const none = new RetryBudget({ tokenRatio: 0 });
    for (let i = 0; i < 6; i++) none.recordFailure();
    for (let i = 0; i < 100; i++) none.recordSuccess();
    assert.equal(none.tokens, 4);
    const fine = new RetryBudget({ tokenRatio: 0.0004 });
    fine.recordFailure();
    fine.recordSuccess();
    assert.equal(fine.tokens, 9);
  });

  test('bad options throw INVALID_ARGUMENT naming the option and the value', () => {
    assert.throws(() => new RetryBudget({ maxTokens: 0 }), {
      code: Code.INVALID_ARGUMENT,
      message: '[INVALID_ARGUMENT] retryBudget.maxTokens must be a finite number > 0, got 0',
    });
    assert.throws(() => new RetryBudget({ tokenRatio: -0.5 }), {
      code: Code.INVALID_ARGUMENT,
      message: '[INVALID_ARGUMENT] retryBudget.tokenRatio must be a finite number >= 0, got -0.5',
    });
    assert.throws(() => new RetryBudget({ maxTokens: Number.NaN }), /retryBudget\.maxTokens .* got NaN/);
  });
});

describe('the retry budget in the retry loop', () => {
  test('a shared budget stops retrying once tokens fall to half, and successes bring retries back', async () => {
    const budget = new RetryBudget({ maxTokens: 10, tokenRatio: 0.1 });
    const options: RetryRunOptions = { policy: fastPolicy({ maxAttempts: 10, initialBackoffMs: 1, maxBackoffMs: 1 }), budget };
    const down = (): Promise<Served<string>> => Promise.reject(new OperationsError(Code.UNAVAILABLE, 'down', { transport: 'grpc' }));

    const first = await failure(runWithRetry(down, options));
    assert.equal(first.attempts.length, 5, 'tokens 10 -> 5: the fifth failure leaves exactly half, so no more retries');
    assert.equal(budget.tokens, 5);
    const second = await failure(runWithRetry(down, options));
    assert.equal(second.attempts.length, 1, 'with the budget spent, a failing call is sent once');
    assert.equal(second.code, Code.UNAVAILABLE);
    assert.equal(budget.tokens, 4);

    const up = (): Promise<Served<string>> => Promise.resolve({ value: 'ok', transport: 'grpc' as TransportName });
    for (let i = 0; i < 25; i++) await runWithRetry(up, options);
    assert.equal(budget.tokens, 6.5);
    const third = await failure(runWithRetry(down, options));
    assert.equal(third.attempts.length, 2, 'recovered: one retry before the bucket is at half again');
  });

  test('non-retryable failures do not spend the budget', async () => {
    const budget = new RetryBudget();
    const { attempt } = scripted([Code.NOT_FOUND]);
    await failure(runWithRetry(attempt, { policy: fastPolicy(), budget }));
    assert.equal(budget.tokens, 10);
  });
});
