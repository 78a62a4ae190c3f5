import assert from 'node:assert/strict';
import { Code } from '../../src/code.js';
import { OperationsError } from '../../src/errors.js';
import { resolveRetryPolicy, type RetryOptions, type RetryPolicy } from '../../src/policy/retry-policy.js';
import type { AttemptInfo, Served } from '../../src/policy/retry.js';
import { abortCode } from '../../src/policy/signals.js';

/** Small delays so a retry test file runs in a few seconds; a test states what it changes. */
export function fastPolicy(overrides: RetryOptions = {}): RetryPolicy {
  return resolveRetryPolicy({ initialBackoffMs: 10, maxBackoffMs: 40, attemptTimeoutMs: 2000, totalTimeoutMs: 5000, ...overrides });
}

export type Step = Code | OperationsError | 'hang' | 'hang-until-aborted';

/**
 * An attempt function that follows a script: OK serves 'done' over gRPC, another code throws it over REST, an error is
 * thrown as is, 'hang' never settles, 'hang-until-aborted' ends only when its signal fires (as a transport would).
 * After the script, every attempt succeeds. `calls` records what each attempt was given and when it started.
 */
export function scripted(steps: readonly Step[]) {
  const calls: { info: AttemptInfo; at: number }[] = [];
  const attempt = async (info: AttemptInfo): Promise<Served<string>> => {
    calls.push({ info, at: performance.now() });
    const step = steps[calls.length - 1] ?? Code.OK;
    if (step === Code.OK) return { value: 'done', transport: 'grpc' };
    if (step === 'hang') return new Promise<never>(() => {});
    if (step === 'hang-until-aborted') {
      return new Promise<never>((_, reject) => {
        info.signal.addEventListener('abort', () => {
          reject(new OperationsError(abortCode(info.signal), 'aborted', { transport: 'grpc' }));
        }, { once: true });
      });
    }
    if (step instanceof OperationsError) throw step;
    throw new OperationsError(step, `scripted ${Code[step]}`, { transport: 'rest' });
  };
  return { attempt, calls };
}

/** The OperationsError `promise` rejects with; fails the test if it resolves or rejects with anything else. */
export async function failure(promise: Promise<unknown>): Promise<OperationsError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof OperationsError, `expected an OperationsError, got ${String(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

export function codesOf(attempts: readonly { code: Code }[]): Code[] {
  return attempts.map(a => a.code);
}
