import { Code, codeName, isCode, type CodeName } from '../code.js';
import { checkNumber, finiteAtLeast, integerAtLeast, invalidOption, POSITIVE_OR_INFINITE } from '../check.js';
import { OperationsError } from '../errors.js';

/**
 * A resolved retry policy: every field present and checked. Produced only by `resolveRetryPolicy`, frozen, and never
 * changed afterwards, so a client's policy and any call's policy can be shared between concurrent calls safely.
 */
export interface RetryPolicy {
  readonly maxAttempts: number;
  readonly initialBackoffMs: number;
  readonly maxBackoffMs: number;
  readonly backoffMultiplier: number;
  readonly attemptTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly retryableCodes: ReadonlySet<Code>;
}

/**
 * Retry settings of a client or of one call. Every field is optional; what is left out comes from the client's policy
 * (for a call) or from DEFAULT_RETRY_POLICY (for a client). The defaults are those of Google's service config for
 * google.longrunning.Operations and AIP-194.
 */
export interface RetryOptions {
  /**
   * Attempts per call, the first one included; 1 turns retrying off. The total timeout bounds them too.
   * @default 10: with 30% of attempts failing, 5 attempts still lose one call in 400 (0.3^5), 10 one in 170,000; the
   * backoff (0.5 s doubling to 10 s) keeps 10 attempts within the 60 s total, and the client's retry budget stops
   * retrying when nearly nothing gets through, so an outage is not turned into a storm.
   */
  readonly maxAttempts?: number | undefined;
  /**
   * The backoff ceiling before the first retry; each wait is random between 0 and the ceiling (full jitter).
   * @default 500: long enough for a restarting backend or a new connection, short enough that one lost packet
   * costs well under a second.
   */
  readonly initialBackoffMs?: number | undefined;
  /**
   * The largest backoff ceiling; it caps every wait, the first included. A server's RetryInfo / Retry-After may ask
   * for longer and is honoured (it is a floor) as long as it fits the deadline.
   * @default 10000: with 5 attempts the ceiling never gets there; it matters when maxAttempts is raised.
   */
  readonly maxBackoffMs?: number | undefined;
  /**
   * How much the backoff ceiling grows after each retry.
   * @default 2: 500 ms, 1 s, 2 s, 4 s, 8 s, then 10 s; spreads retries out fast while a service is down.
   */
  readonly backoffMultiplier?: number | undefined;
  /**
   * Time one attempt may take; the attempt gets `min(attemptTimeoutMs, time left)`. An attempt that times out while
   * the total deadline still has room is retried (DEADLINE_EXCEEDED from the attempt timeout only). Infinity: none.
   * @default 10000: a cancel or a read answers in milliseconds; 10 s means a stuck connection, better tried again.
   */
  readonly attemptTimeoutMs?: number | undefined;
  /**
   * Time for the whole call, every attempt and wait included. No retry starts if its wait would reach it; the call
   * then ends with the last real error, not a made-up DEADLINE_EXCEEDED. Infinity: none.
   * @default 60000: Google's total timeout for Operations methods.
   */
  readonly totalTimeoutMs?: number | undefined;
  /**
   * Codes retried with backoff. DEADLINE_EXCEEDED (attempt timeout) and RESOURCE_EXHAUSTED (when the server says
   * how long to wait) are retried by their own rules and need not be listed.
   * @default [UNAVAILABLE]: the only code that says the request was not processed; CancelOperation is safe to repeat,
   * but retrying INTERNAL or UNKNOWN would only hide a server bug.
   */
  readonly retryableCodes?: readonly Code[] | ReadonlySet<Code> | undefined;
}

/** An immutable set of codes: `Object.freeze` cannot stop `Set#add`, and a shared policy must not change. */
class CodeSet implements ReadonlySet<Code> {
  readonly #codes: Set<Code>;

  constructor(codes: Iterable<Code>) {
    this.#codes = new Set(codes);
    Object.freeze(this);
  }

  get size(): number {
    return this.#codes.size;
  }

  has(code: Code): boolean {
    return this.#codes.has(code);
  }

  forEach(callback: (value: Code, key: Code, set: ReadonlySet<Code>) => void, thisArg?: unknown): void {
    for (const code of this.#codes) callback.call(thisArg, code, code, this);
  }

  entries(): SetIterator<[Code, Code]> {
    return this.#codes.entries();
  }

  keys(): SetIterator<Code> {
    return this.#codes.keys();
  }

  values(): SetIterator<Code> {
    return this.#codes.values();
  }

  [Symbol.iterator](): SetIterator<Code> {
    return this.#codes.values();
  }

  /** Names in JSON output (`--json`, logs of the effective policy): `["UNAVAILABLE"]`. */
  toJSON(): CodeName[] {
    return Array.from(this.#codes, codeName);
  }
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = Object.freeze({
  maxAttempts: 10,
  initialBackoffMs: 500,
  maxBackoffMs: 10_000,
  backoffMultiplier: 2,
  attemptTimeoutMs: 10_000,
  totalTimeoutMs: 60_000,
  retryableCodes: new CodeSet([Code.UNAVAILABLE]),
});

const optionNames: ReadonlySet<string> = new Set<keyof RetryOptions>([
  'maxAttempts', 'initialBackoffMs', 'maxBackoffMs', 'backoffMultiplier', 'attemptTimeoutMs', 'totalTimeoutMs',
  'retryableCodes',
]);

function codeSet(value: unknown): ReadonlySet<Code> {
  if (value instanceof CodeSet) return value;
  const rule = 'an array or Set of codes 1-16';
  if (typeof value !== 'object' || value === null || !(Symbol.iterator in value)) throw invalidOption('retryableCodes', rule, value);
  const codes = Array.from(value as Iterable<unknown>);
  for (const code of codes) {
    if (!isCode(code) || code === Code.OK) throw invalidOption('retryableCodes', `${rule} (OK is not an error)`, code);
  }
  return new CodeSet(codes as Code[]);
}

/**
 * Fills every field of `options` from `base` (the client's policy for a per-call override, DEFAULT_RETRY_POLICY for
 * a client), checks each value, and returns a new frozen policy. Neither input is changed, so one call's override
 * can never leak into the client or into the next call (as gax's CallSettings.merge does).
 * @throws OperationsError INVALID_ARGUMENT naming the option and the value received, e.g.
 * `maxAttempts must be an integer >= 1, got 0`; also for an option name this library does not know (a typo).
 */
export function resolveRetryPolicy(options: RetryOptions = {}, base: RetryPolicy = DEFAULT_RETRY_POLICY): RetryPolicy {
  if (typeof options !== 'object' || options === null) throw invalidOption('retry options', 'an object', options);
  for (const key of Object.keys(options)) {
    if (!optionNames.has(key)) throw new OperationsError(Code.INVALID_ARGUMENT, `unknown retry option ${JSON.stringify(key)}; known: ${[...optionNames].join(', ')}`);
  }
  return Object.freeze({
    maxAttempts: checkNumber('maxAttempts', options.maxAttempts ?? base.maxAttempts, integerAtLeast(1)),
    initialBackoffMs: checkNumber('initialBackoffMs', options.initialBackoffMs ?? base.initialBackoffMs, finiteAtLeast(0)),
    maxBackoffMs: checkNumber('maxBackoffMs', options.maxBackoffMs ?? base.maxBackoffMs, finiteAtLeast(0)),
    backoffMultiplier: checkNumber('backoffMultiplier', options.backoffMultiplier ?? base.backoffMultiplier, finiteAtLeast(1)),
    attemptTimeoutMs: checkNumber('attemptTimeoutMs', options.attemptTimeoutMs ?? base.attemptTimeoutMs, POSITIVE_OR_INFINITE),
    totalTimeoutMs: checkNumber('totalTimeoutMs', options.totalTimeoutMs ?? base.totalTimeoutMs, POSITIVE_OR_INFINITE),
    retryableCodes: codeSet(options.retryableCodes ?? base.retryableCodes),
  });
}
