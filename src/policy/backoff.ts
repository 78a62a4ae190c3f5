import type { RetryPolicy } from './retry-policy.js';

/** The fields of a policy that shape the backoff. */
export type BackoffPolicy = Pick<RetryPolicy, 'initialBackoffMs' | 'maxBackoffMs' | 'backoffMultiplier'>;

/**
 * The ceiling of the wait before retry number `retryNumber` (1: the wait before the second attempt):
 * `initialBackoffMs * backoffMultiplier^(retryNumber - 1)`, capped at `maxBackoffMs`.
 */
export function backoffCeilingMs(retryNumber: number, policy: BackoffPolicy): number {
  if (!(policy.initialBackoffMs > 0)) return 0;
  const grown = policy.initialBackoffMs * policy.backoffMultiplier ** (retryNumber > 1 ? retryNumber - 1 : 0);
  return grown < policy.maxBackoffMs ? grown : policy.maxBackoffMs;
}

/**
 * The wait before retry number `retryNumber`: uniformly random in [0, ceiling), "full jitter" as gRPC's retry design
 * (gRFC A6) and gax-nodejs use. Of the usual jitter schemes it spreads the retries of many clients that failed
 * together (a batch of cancels hitting one UNAVAILABLE backend) the most, which matters more here than the expected
 * wait: a server that needs longer says so with RetryInfo / Retry-After, and the retry loop takes that as a floor.
 * Pure: `random` (returning [0, 1)) is injectable for tests.
 */
export function backoffDelayMs(retryNumber: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  const unit = random();
  if (!(unit > 0)) return 0;
  return (unit < 1 ? unit : 1) * backoffCeilingMs(retryNumber, policy);
}
