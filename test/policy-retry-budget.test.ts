import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError, type TransportName } from '../src/errors.js';
import {
  AdaptiveRetryBudget, createRetryBudget, DEFAULT_RETRY_BUDGET, resolveRetryBudget, TokenRetryBudget,
} from '../src/policy/retry-budget.js';
import { runWithRetry, type RetryRunOptions, type Served } from '../src/policy/retry.js';
import { failure, fastPolicy, scripted } from './helpers/scripted-attempt.js';

const tokens = (maxTokens = 10, tokenRatio = 0.1): TokenRetryBudget => new TokenRetryBudget({ kind: 'tokens', maxTokens, tokenRatio });

/** An adaptive budget on a clock the test moves, refusing whenever its probability is above `draw`. */
function adaptive(draw = 0, options: { multiplier?: number; windowMs?: number; minRequests?: number } = {}) {
  let nowMs = 0;
  const budget = new AdaptiveRetryBudget(
    { kind: 'adaptive', multiplier: options.multiplier ?? 2, windowMs: options.windowMs ?? 10_000, minRequests: options.minRequests ?? 10 },
    () => draw,
    () => nowMs,
  );
  const advance = (ms: number): void => { nowMs += ms; };
  return { budget, advance };
}

describe('adaptive retry budget (client-side adaptive throttling, SRE book)', () => {
  test('is the default: K = 2 over a 10 s window, nothing refused below 10 requests', () => {
    assert.deepEqual(resolveRetryBudget(undefined), DEFAULT_RETRY_BUDGET);
    assert.deepEqual(DEFAULT_RETRY_BUDGET, { kind: 'adaptive', multiplier: 2, windowMs: 10_000, minRequests: 10 });
    assert.ok(createRetryBudget(DEFAULT_RETRY_BUDGET) instanceof AdaptiveRetryBudget);
    assert.equal(resolveRetryBudget(false), undefined);
  });

  test('refuses no retry while half the attempts get through, even when it refuses at every chance', () => {
    const { budget } = adaptive(0);
    for (let i = 0; i < 1000; i++) budget.recordAttempt(i % 2 === 0);
    for (let i = 0; i < 100; i++) assert.equal(budget.allowsRetry(), true);
  });

  test('refuses retries with probability (requests - 2 x accepts) / (requests + 1) when fewer get through', () => {
    // 30 requests, 10 accepted: (30 - 20) / 31 = 0.32.
    const below = adaptive(0.31);
    const above = adaptive(0.33);
    for (const { budget, advance } of [below, above]) {
      for (let i = 0; i < 30; i++) budget.recordAttempt(i % 3 !== 0);
      advance(1000);
    }
    assert.equal(below.budget.allowsRetry(), false, 'a draw under the probability is refused');
    assert.equal(above.budget.allowsRetry(), true, 'a draw over it goes');
  });

  test('refuses almost every retry when nothing gets through', () => {
    const { budget, advance } = adaptive(0.9);
    for (let i = 0; i < 9; i++) budget.recordAttempt(true);
    advance(1000);
    assert.equal(budget.allowsRetry(), true, 'under 10 requests nothing is refused');
    for (let i = 0; i < 11; i++) budget.recordAttempt(true);
    assert.equal(budget.allowsRetry(), false, '20 requests, no accepts: 20 / 21 = 0.95 is above a draw of 0.9');
  });

  test('refuses nothing on less than a second of history: in a burst, failures often come back before successes', () => {
    const { budget, advance } = adaptive(0);
    for (let i = 0; i < 60; i++) budget.recordAttempt(true);
    assert.equal(budget.allowsRetry(), true);
    advance(999);
    assert.equal(budget.allowsRetry(), true);
    advance(1);
    assert.equal(budget.allowsRetry(), false);
  });

  test('refuses nothing below minRequests, so a lone blip of a quiet client is retried', () => {
    const { budget } = adaptive(0);
    for (let i = 0; i < 9; i++) budget.recordAttempt(true);
    assert.equal(budget.allowsRetry(), true);
  });

  test('forgets what is older than its window', () => {
    const { budget, advance } = adaptive(0);
    for (let i = 0; i < 50; i++) budget.recordAttempt(true);
    advance(1000);
    assert.equal(budget.allowsRetry(), false);
    advance(9000);
    assert.equal(budget.allowsRetry(), true, 'the failures left the 10 s window');
  });

  test('bad options throw INVALID_ARGUMENT naming the field and the value', () => {
    assert.throws(() => resolveRetryBudget({ kind: 'adaptive', multiplier: 0.5 }), {
      code: Code.INVALID_ARGUMENT,
      message: '[INVALID_ARGUMENT] retryBudget.multiplier must be a finite number >= 1, got 0.5',
    });
    assert.throws(() => resolveRetryBudget({ kind: 'adaptive', windowMs: 10 }), /retryBudget\.windowMs must be an integer from 1000 to 600000, got 10/);
    assert.throws(() => resolveRetryBudget({ kind: 'token-bucket' } as never), /retryBudget\.kind must be 'adaptive' or 'tokens', got "token-bucket"/);
    assert.throws(() => resolveRetryBudget({ kind: 'tokens', maxTokens: Number.NaN }), /retryBudget\.maxTokens .* got NaN/);
    assert.throws(() => resolveRetryBudget({ kind: 'tokens', tokenRatio: -0.5 }), {
      message: '[INVALID_ARGUMENT] retryBudget.tokenRatio must be a finite number >= 0, got -0.5',
    });
  });
});

describe('token retry budget (gRFC A6)', () => {
  test('each overloaded attempt takes a token and retries stop once half the tokens are gone', () => {
    const budget = tokens();
    for (let i = 0; i < 4; i++) budget.recordAttempt(true);
    assert.equal(budget.tokens, 6);
    assert.equal(budget.allowsRetry(), true);
    budget.recordAttempt(true);
    assert.equal(budget.tokens, 5);
    assert.equal(budget.allowsRetry(), false, 'exactly maxTokens / 2 left is not enough');
  });

  test('tokens never go below 0 nor above maxTokens', () => {
    const budget = tokens(3, 1);
    for (let i = 0; i < 10; i++) budget.recordAttempt(true);
    assert.equal(budget.tokens, 0);
    for (let i = 0; i < 10; i++) budget.recordAttempt(false);
    assert.equal(budget.tokens, 3);
  });

  test('ten answers of 0.1 pay back exactly one token, so recovery is not lost to rounding', () => {
    const budget = tokens();
    for (let i = 0; i < 5; i++) budget.recordAttempt(true);
    assert.equal(budget.allowsRetry(), false);
    for (let i = 0; i < 10; i++) budget.recordAttempt(false);
    assert.equal(budget.tokens, 6);
    assert.equal(budget.allowsRetry(), true);
  });
});

describe('the retry budget in the retry loop', () => {
  const down = (): Promise<Served<string>> => Promise.reject(new OperationsError(Code.UNAVAILABLE, 'down', { transport: 'grpc' }));
  const up = (): Promise<Served<string>> => Promise.resolve({ value: 'ok', transport: 'grpc' as TransportName });

  test('a token budget stops retrying once tokens fall to half, and answers bring retries back', async () => {
    const budget = tokens();
    const options: RetryRunOptions = { policy: fastPolicy({ maxAttempts: 10, initialBackoffMs: 1, maxBackoffMs: 1 }), budget };
    const first = await failure(runWithRetry(down, options));
    assert.equal(first.attempts.length, 5, 'tokens 10 -> 5: the fifth failure leaves exactly half, so no more retries');
    const second = await failure(runWithRetry(down, options));
    assert.equal(second.attempts.length, 1, 'with the budget spent, a failing call is sent once');
    for (let i = 0; i < 25; i++) await runWithRetry(up, options);
    assert.equal(budget.tokens, 6.5);
    const third = await failure(runWithRetry(down, options));
    assert.equal(third.attempts.length, 2, 'recovered: one retry before the bucket is at half again');
  });

  test('an adaptive budget lets every call through a 40% brownout and sends about one attempt per call in an outage', async () => {
    const budget = createRetryBudget(DEFAULT_RETRY_BUDGET);
    const options: RetryRunOptions = { policy: fastPolicy({ maxAttempts: 10, initialBackoffMs: 0, maxBackoffMs: 0 }), budget };
    let draw = 0;
    const brownout = (): Promise<Served<string>> => ((draw++ * 7919) % 100 < 40 ? down() : up());
    for (let i = 0; i < 200; i++) assert.equal((await runWithRetry(brownout, options)).value, 'ok');
    let attempts = 0;
    const counted = (): Promise<Served<string>> => { attempts += 1; return down(); };
    // The outage lasts: each attempt takes 10 ms of a clock the budget reads, so it has more than a second to judge.
    const outage: RetryRunOptions = { ...options, budget: createRetryBudget(DEFAULT_RETRY_BUDGET, Math.random, () => attempts * 10) };
    for (let i = 0; i < 200; i++) await failure(runWithRetry(counted, outage));
    assert.ok(attempts < 200 * 1.5, `an outage of 200 calls sent ${attempts} attempts`);
  });

  test('non-overload failures count as answers the service gave', async () => {
    const budget = tokens();
    budget.recordAttempt(true);
    const { attempt } = scripted([Code.NOT_FOUND]);
    await failure(runWithRetry(attempt, { policy: fastPolicy(), budget }));
    assert.equal(budget.tokens, 9.1);
  });
});
