import { Code } from '../code.js';
import { checkNumber, finiteAtLeast, integerAtLeast, invalidOption } from '../check.js';

/**
 * What keeps a client's retries from becoming a storm: told how every attempt ended, it decides whether a retry may
 * be sent. First attempts are never refused: they are the caller's own calls; the budget bounds what retrying adds.
 */
export interface RetryBudget {
  /** An attempt ended; `overloaded` when its code says the service could not take it (see `isOverloadCode`). */
  recordAttempt(overloaded: boolean): void;
  /** Whether a failed call may be tried again now. A refused retry counts as a request the service did not take. */
  allowsRetry(): boolean;
}

/**
 * Codes that say the service did not take the request: it is down, overloaded or over quota. Everything else (OK,
 * NOT_FOUND, PERMISSION_DENIED...) was an answer, so the service was there to give it.
 */
export function isOverloadCode(code: Code): boolean {
  return code === Code.UNAVAILABLE || code === Code.RESOURCE_EXHAUSTED || code === Code.DEADLINE_EXCEEDED;
}

/** Client-side adaptive throttling (Google SRE book, "Handling Overload"). */
export interface AdaptiveBudgetOptions {
  readonly kind: 'adaptive';
  /**
   * K in the SRE formula: retries are refused with probability max(0, (requests - K x accepts) / (requests + 1)) over
   * the window. @default 2: retrying goes on untouched while at least half the attempts get through (a 30-50%
   * brownout), and stops almost entirely when none do (an outage).
   */
  readonly multiplier?: number | undefined;
  /**
   * How far back requests and accepts are counted, in 1 s steps. @default 10000: short enough that an outage right
   * after a busy healthy minute is seen within seconds (the SRE book counts two minutes for a server's many clients);
   * long enough to hold a few hundred attempts of a busy client.
   */
  readonly windowMs?: number | undefined;
  /**
   * Requests in the window below which nothing is refused. @default 10: a client that makes one call now and then
   * would otherwise refuse the first retry of a lone blip half the time ((1 - 0) / (1 + 1)).
   */
  readonly minRequests?: number | undefined;
}

/** The gRFC A6 token bucket, kept for callers who want grpc-js's own behaviour. */
export interface TokenBudgetOptions {
  readonly kind: 'tokens';
  /** Size of the bucket; it starts full. Retries stop once it holds maxTokens / 2 or less. @default 10 */
  readonly maxTokens?: number | undefined;
  /** Tokens a call the service took puts back (at most 3 decimals count, as in gRFC A6). @default 0.1 */
  readonly tokenRatio?: number | undefined;
}

export type RetryBudgetOptions = AdaptiveBudgetOptions | TokenBudgetOptions;

/** Resolved: every knob present and checked. */
export type ResolvedRetryBudget =
  | { readonly kind: 'adaptive'; readonly multiplier: number; readonly windowMs: number; readonly minRequests: number }
  | { readonly kind: 'tokens'; readonly maxTokens: number; readonly tokenRatio: number };

export const DEFAULT_RETRY_BUDGET: ResolvedRetryBudget = Object.freeze({ kind: 'adaptive', multiplier: 2, windowMs: 10_000, minRequests: 10 });

/**
 * Fills the defaults of a budget option and checks every value. `false` turns budgeting off (undefined); an
 * unknown `kind` or a bad knob is INVALID_ARGUMENT naming the field and the value.
 */
export function resolveRetryBudget(options: RetryBudgetOptions | false | undefined): ResolvedRetryBudget | undefined {
  if (options === false) return undefined;
  if (options === undefined) return DEFAULT_RETRY_BUDGET;
  if (typeof options !== 'object' || options === null) throw invalidOption('retryBudget', "an object with kind 'adaptive' or 'tokens', or false", options);
  if (options.kind === 'adaptive') {
    return Object.freeze({
      kind: 'adaptive',
      multiplier: checkNumber('retryBudget.multiplier', options.multiplier ?? 2, finiteAtLeast(1)),
      windowMs: checkNumber('retryBudget.windowMs', options.windowMs ?? 10_000, integerAtLeast(1000, 600_000)),
      minRequests: checkNumber('retryBudget.minRequests', options.minRequests ?? 10, integerAtLeast(0)),
    });
  }
  if (options.kind === 'tokens') {
    return Object.freeze({
      kind: 'tokens',
      maxTokens: checkNumber('retryBudget.maxTokens', options.maxTokens ?? 10, { text: 'a finite number > 0', ok: n => Number.isFinite(n) && n > 0 }),
      tokenRatio: checkNumber('retryBudget.tokenRatio', options.tokenRatio ?? 0.1, finiteAtLeast(0)),
    });
  }
  throw invalidOption('retryBudget.kind', "'adaptive' or 'tokens'", (options as { kind?: unknown }).kind);
}

/** A budget of the resolved kind, one per client, shared by all its calls. */
export function createRetryBudget(resolved: ResolvedRetryBudget, random: () => number = Math.random, now: () => number = () => performance.now()): RetryBudget {
  return resolved.kind === 'adaptive' ? new AdaptiveRetryBudget(resolved, random, now) : new TokenRetryBudget(resolved);
}

/**
 * The SRE book's client-side adaptive throttling, applied to retries: over the window, `requests` counts attempts
 * (and refused retries), `accepts` the attempts the service took, and a retry is refused with probability
 * max(0, (requests - K x accepts) / (requests + 1)). While at least 1/K of the attempts get through the probability
 * is 0, so a brownout of 30-50% failures is ridden out with every retry sent; when nothing gets through it tends to
 * 1, so an outage costs about one attempt per call. A gRFC A6 bucket of 10 tokens stops retrying at about one
 * failure in eleven, which turns a mild brownout into failed calls.
 */
export class AdaptiveRetryBudget implements RetryBudget {
  static readonly BUCKET_MS = 1000;
  /**
   * Nothing is refused on less than this much history: when a burst of calls meets a brownout, the failures often
   * come back first (a server fails fast) and the successes a few milliseconds later, and a budget that judged the
   * first few milliseconds would refuse the retries of a service that is mostly up.
   */
  static readonly MIN_SPAN_MS = 1000;
  readonly #multiplier: number;
  readonly #minRequests: number;
  readonly #random: () => number;
  readonly #now: () => number;
  readonly #requests: Float64Array;
  readonly #accepts: Float64Array;
  /** Index (time / BUCKET_MS) of the newest bucket. */
  #latest = -Infinity;
  /** When the first attempt now in the window was recorded (Infinity: the window is empty). */
  #firstAt = Infinity;

  constructor(options: Extract<ResolvedRetryBudget, { kind: 'adaptive' }>, random: () => number, now: () => number) {
    this.#multiplier = options.multiplier;
    this.#minRequests = options.minRequests;
    this.#random = random;
    this.#now = now;
    const buckets = Math.max(1, Math.round(options.windowMs / AdaptiveRetryBudget.BUCKET_MS));
    this.#requests = new Float64Array(buckets);
    this.#accepts = new Float64Array(buckets);
  }

  recordAttempt(overloaded: boolean): void {
    const slot = this.#advance();
    if (this.#firstAt === Infinity) this.#firstAt = this.#now();
    this.#requests[slot] = (this.#requests[slot] as number) + 1;
    if (!overloaded) this.#accepts[slot] = (this.#accepts[slot] as number) + 1;
  }

  allowsRetry(): boolean {
    const slot = this.#advance();
    let requests = 0;
    let accepts = 0;
    for (let i = 0; i < this.#requests.length; i += 1) {
      requests += this.#requests[i] as number;
      accepts += this.#accepts[i] as number;
    }
    if (requests < this.#minRequests || this.#now() - this.#firstAt < AdaptiveRetryBudget.MIN_SPAN_MS) return true;
    const refuse = (requests - this.#multiplier * accepts) / (requests + 1);
    if (refuse <= 0 || this.#random() >= refuse) return true;
    this.#requests[slot] = (this.#requests[slot] as number) + 1;
    return false;
  }

  /** The slot for now, with buckets older than the window emptied. */
  #advance(): number {
    const size = this.#requests.length;
    const index = Math.floor(this.#now() / AdaptiveRetryBudget.BUCKET_MS);
    if (index > this.#latest) {
      if (index - this.#latest >= size) this.#firstAt = Infinity;
      const stale = Math.min(index - this.#latest, size);
      for (let bucket = index - stale + 1; bucket <= index; bucket += 1) {
        this.#requests[bucket % size] = 0;
        this.#accepts[bucket % size] = 0;
      }
      this.#latest = index;
    }
    return index % size;
  }
}

/** Tokens are kept in thousandths, as grpc-js does, so ten successes of 0.1 are exactly one token, never 0.9999. */
const MILLI = 1000;

/**
 * Retry throttling per gRFC A6: each overloaded attempt takes a token, each attempt the service took puts back
 * `tokenRatio`, and retries are allowed only while more than half the tokens are left.
 */
export class TokenRetryBudget implements RetryBudget {
  readonly #maxMilli: number;
  readonly #ratioMilli: number;
  #milli: number;

  constructor(options: Extract<ResolvedRetryBudget, { kind: 'tokens' }>) {
    this.#maxMilli = Math.round(options.maxTokens * MILLI);
    this.#ratioMilli = Math.round(options.tokenRatio * MILLI);
    this.#milli = this.#maxMilli;
  }

  /** Tokens left, to 3 decimals. */
  get tokens(): number {
    return this.#milli / MILLI;
  }

  recordAttempt(overloaded: boolean): void {
    if (overloaded) {
      this.#milli = this.#milli > MILLI ? this.#milli - MILLI : 0;
      return;
    }
    const next = this.#milli + this.#ratioMilli;
    this.#milli = next < this.#maxMilli ? next : this.#maxMilli;
  }

  allowsRetry(): boolean {
    return this.#milli * 2 > this.#maxMilli;
  }
}
