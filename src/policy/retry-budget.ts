import { invalidOption } from './retry-policy.js';

export interface RetryBudgetOptions {
  /**
   * Size of the bucket; it starts full. Retries stop once it holds maxTokens / 2 or less.
   * @default 10 (gRFC A6's example): five failures in a row with nothing succeeding in between turn retries off.
   */
  readonly maxTokens?: number | undefined;
  /**
   * Tokens a success puts back (at most 3 decimals count, as in gRFC A6).
   * @default 0.1: ten successes pay for one failure, so retries come back once most calls succeed again.
   */
  readonly tokenRatio?: number | undefined;
}

/** Tokens are kept in thousandths, as grpc-js does, so ten successes of 0.1 are exactly one token, never 0.9999. */
const MILLI = 1000;

function checkedNumber(option: string, value: number, rule: string, ok: boolean): number {
  if (!ok) throw invalidOption(option, rule, value);
  return value;
}

/**
 * Retry throttling per gRFC A6, one bucket per client shared by all its calls: each failed attempt with a retryable
 * code takes a token, each success puts back `tokenRatio`, and retries are allowed only while more than half the
 * tokens are left. When a service is down, a client with thousands of calls in flight then sends each call once
 * instead of five times; first attempts are never refused.
 */
export class RetryBudget {
  readonly maxTokens: number;
  readonly tokenRatio: number;
  readonly #maxMilli: number;
  readonly #ratioMilli: number;
  #milli: number;

  constructor(options: RetryBudgetOptions = {}) {
    const maxTokens = options.maxTokens ?? 10;
    const tokenRatio = options.tokenRatio ?? 0.1;
    this.maxTokens = checkedNumber('retryBudget.maxTokens', maxTokens, 'a finite number > 0', Number.isFinite(maxTokens) && maxTokens > 0);
    this.tokenRatio = checkedNumber('retryBudget.tokenRatio', tokenRatio, 'a finite number >= 0', Number.isFinite(tokenRatio) && tokenRatio >= 0);
    this.#maxMilli = Math.round(maxTokens * MILLI);
    this.#ratioMilli = Math.round(tokenRatio * MILLI);
    this.#milli = this.#maxMilli;
  }

  /** Tokens left, to 3 decimals. */
  get tokens(): number {
    return this.#milli / MILLI;
  }

  /** An attempt failed with a code that would be retried. */
  recordFailure(): void {
    this.#milli = this.#milli > MILLI ? this.#milli - MILLI : 0;
  }

  recordSuccess(): void {
    const next = this.#milli + this.#ratioMilli;
    this.#milli = next < this.#maxMilli ? next : this.#maxMilli;
  }

  /** Whether a failed call may be tried again now: more than maxTokens / 2 left. */
  allowsRetry(): boolean {
    return this.#milli * 2 > this.#maxMilli;
  }
}
