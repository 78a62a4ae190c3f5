import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { timerDelayMs } from '../policy/deadline.js';
import { abortError, subscribeAbort, unsubscribeAbort } from '../policy/signals.js';
import { RateWindow } from './rate-window.js';

/** Time as the limiter sees it; tests pass a fake one so the timing logic runs without waiting. */
export interface LimiterClock {
  now(): number;
  /** Calls `wake` once after `delayMs`; the returned function cancels that. The timer must keep the process alive. */
  schedule(wake: () => void, delayMs: number): () => void;
}

export const systemClock: LimiterClock = {
  now: () => performance.now(),
  schedule(wake, delayMs) {
    const timer = setTimeout(wake, timerDelayMs(delayMs));
    return () => clearTimeout(timer);
  },
};

export interface AdaptiveRateLimiterOptions {
  /** The ceiling, in calls per second: recovery climbs back to it, never above. @default undefined (unlimited) */
  readonly ratePerSecond?: number | undefined;
  /** Pushback never takes the rate below this (nor above the ceiling). @default 1 */
  readonly minRatePerSecond?: number | undefined;
  /** Longest pause a server's retry delay can impose, so one absurd RetryInfo cannot stall a batch. @default 60_000 */
  readonly maxPauseMs?: number | undefined;
  readonly clock?: LimiterClock | undefined;
}

/** Calls a full bucket may start at once: a tenth of a second's worth, at least one. */
const BURST_SECONDS = 0.1;
/** Pushbacks closer together than this are one congestion event: the rate halves once, not once per call in flight. */
const DECREASE_INTERVAL_MS = 1000;
/** Recovery starts this long after the last pushback. */
const RECOVERY_DELAY_MS = 2000;
/** Recovery: the rate grows 5% per second of calls without pushback (compounded over the time between successes). */
const RECOVERY_PER_SECOND = 1.05;
/** With no ceiling, the limit is lifted once it is this many times what the batch actually achieves. */
const UNLIMITED_FACTOR = 2;
/**
 * Pushbacks are congestion only when they are at least this share of the calls granted in the last two seconds.
 * A server that turns away a steady few percent of calls whatever the rate (a hot shard, a flaky quota backend) does
 * so just as much at 10 calls a second as at 1,000: halving on each of them drove the rate to about one pushback per
 * two seconds (10/s for 5%) and kept it there, a batch 50 times slower for nothing. A real overload (a quota passed
 * by a tenth or more) still halves the rate, and every pushback still pauses new calls for its retry delay.
 */
const CONGESTION_SHARE = 0.1;

/** One caller of `acquire` waiting for a token; its own abort subscriber, so waiting allocates no closures. */
class Waiter {
  constructor(
    readonly abandon: (waiter: Waiter) => void,
    readonly resolve: () => void,
    readonly reject: (error: unknown) => void,
    readonly signal: AbortSignal | undefined,
  ) {}

  handleEvent(): void {
    this.abandon(this);
  }
}

/**
 * The pace of a batch: a token bucket whose rate adapts to the server (AIMD). RESOURCE_EXHAUSTED or RetryInfo on a
 * tenth or more of the recent calls halves the rate, starting from what the batch actually achieved in the last 2 s
 * when that is lower than the current limit (halving an unlimited or unreachable limit would change nothing); every
 * server retry delay also pauses new calls until it has passed. Then the rate climbs back 5% a second toward `ratePerSecond`, or, with no ceiling,
 * to unlimited once the limit is well above what the batch achieves. Waiters are served first come, first served by
 * one timer, never a polling loop; an aborted waiter leaves at once.
 */
export class AdaptiveRateLimiter {
  readonly #ceiling: number;
  readonly #floor: number;
  readonly #maxPauseMs: number;
  readonly #clock: LimiterClock;
  readonly #grants = new RateWindow();
  readonly #pushbacks = new RateWindow();
  #rate: number;
  #tokens: number;
  #refilledAt: number;
  #pausedUntil = -Infinity;
  #lastDecreaseAt = -Infinity;
  #lastPushbackAt = -Infinity;
  #recoveredAt = -Infinity;
  readonly #waiters: Waiter[] = [];
  #head = 0;
  #cancelTimer: (() => void) | undefined;

  constructor(options: AdaptiveRateLimiterOptions = {}) {
    this.#ceiling = options.ratePerSecond ?? Infinity;
    // A ceiling below the default floor (`--rps 0.5`) lowers the floor with it: pushback must never raise the rate.
    this.#floor = Math.min(options.minRatePerSecond ?? 1, this.#ceiling);
    this.#maxPauseMs = options.maxPauseMs ?? 60_000;
    this.#clock = options.clock ?? systemClock;
    if (!(this.#ceiling > 0)) throw invalid('ratePerSecond', this.#ceiling);
    if (!(this.#floor > 0 && Number.isFinite(this.#floor))) throw invalid('minRatePerSecond', this.#floor);
    if (!(this.#maxPauseMs >= 0)) throw invalid('maxPauseMs', this.#maxPauseMs);
    this.#rate = this.#ceiling;
    this.#refilledAt = this.#clock.now();
    this.#tokens = this.#burst();
  }

  /** The limit now, in calls per second; Infinity when unlimited. */
  get currentRatePerSecond(): number {
    return this.#rate;
  }

  /** Calls waiting for a token. */
  get waiting(): number {
    return this.#waiters.length - this.#head;
  }

  /** Waits for a token. Rejects with the signal's abort error (CANCELLED for a caller's abort) as soon as it aborts. */
  acquire(signal?: AbortSignal): Promise<void> {
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    const now = this.#clock.now();
    if (this.waiting === 0 && this.#take(now)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const waiter = new Waiter(this.#abandon, resolve, reject, signal);
      if (signal !== undefined) subscribeAbort(signal, waiter);
      this.#waiters.push(waiter);
      this.#pump();
    });
  }

  /**
   * A call met RESOURCE_EXHAUSTED or carried a retry delay: pause until `retryAfterMs` has passed, and slow down when
   * such calls are not rare (CONGESTION_SHARE of the calls of the last two seconds).
   */
  onPushback(retryAfterMs?: number | undefined): void {
    const now = this.#clock.now();
    if (retryAfterMs !== undefined && retryAfterMs > 0) {
      this.#pausedUntil = Math.max(this.#pausedUntil, now + Math.min(retryAfterMs, this.#maxPauseMs));
    }
    this.#pushbacks.add(now);
    const granted = this.#grants.count(now);
    if (granted >= RateWindow.MIN_EVENTS && this.#pushbacks.count(now) < CONGESTION_SHARE * granted) {
      this.#pump();
      return;
    }
    this.#lastPushbackAt = now;
    if (now - this.#lastDecreaseAt >= DECREASE_INTERVAL_MS) {
      this.#lastDecreaseAt = now;
      this.#refill(now);
      const observed = this.#grants.ratePerSecond(now);
      const base = Math.min(this.#rate, observed ?? this.#rate);
      if (Number.isFinite(base)) this.#setRate(now, Math.max(this.#floor, base * 0.5));
      this.#tokens = Math.min(this.#tokens, 0);
    }
    this.#pump();
  }

  /** A call finished without pushback: the rate creeps back up. */
  onSuccess(): void {
    if (this.#rate === this.#ceiling) return;
    const now = this.#clock.now();
    if (now - this.#lastPushbackAt < RECOVERY_DELAY_MS) return;
    const since = Math.max(this.#recoveredAt, this.#lastPushbackAt + RECOVERY_DELAY_MS);
    this.#recoveredAt = now;
    if (now <= since) return;
    this.#refill(now);
    let rate = Math.min(this.#ceiling, this.#rate * RECOVERY_PER_SECOND ** ((now - since) / 1000));
    if (this.#ceiling === Infinity) {
      const observed = this.#grants.ratePerSecond(now);
      if (observed === undefined || rate > observed * UNLIMITED_FACTOR) rate = Infinity;
    }
    this.#setRate(now, rate);
  }

  /** A waiter's signal aborted: it leaves the queue and rejects now. */
  readonly #abandon = (waiter: Waiter): void => {
    const index = this.#waiters.indexOf(waiter, this.#head);
    if (index === -1) return;
    this.#waiters.splice(index, 1);
    waiter.reject(abortError(waiter.signal as AbortSignal));
    if (this.waiting === 0) this.#stopTimer();
  };

  #burst(): number {
    return this.#rate === Infinity ? Infinity : Math.max(1, this.#rate * BURST_SECONDS);
  }

  #setRate(now: number, rate: number): void {
    this.#refill(now);
    this.#rate = rate;
    this.#tokens = Math.min(this.#tokens, this.#burst());
  }

  #refill(now: number): void {
    if (this.#rate !== Infinity) {
      this.#tokens = Math.min(this.#burst(), this.#tokens + ((now - this.#refilledAt) * this.#rate) / 1000);
    }
    this.#refilledAt = now;
  }

  /** Takes a token if one is there now (and no pause is on). */
  #take(now: number): boolean {
    if (now < this.#pausedUntil) return false;
    this.#refill(now);
    if (this.#rate !== Infinity) {
      if (this.#tokens < 1) return false;
      this.#tokens -= 1;
    }
    this.#grants.add(now);
    return true;
  }

  /** Serves waiters in order while tokens last, then sets one timer for when the next can go. */
  #pump(): void {
    this.#stopTimer();
    const now = this.#clock.now();
    while (this.waiting > 0 && this.#take(now)) {
      const waiter = this.#waiters[this.#head] as Waiter;
      this.#head += 1;
      if (waiter.signal !== undefined) unsubscribeAbort(waiter.signal, waiter);
      waiter.resolve();
    }
    if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
      this.#waiters.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.waiting === 0) return;
    const tokenAt = this.#rate === Infinity ? now : now + ((1 - this.#tokens) * 1000) / this.#rate;
    const wakeAt = Math.max(tokenAt, this.#pausedUntil);
    this.#cancelTimer = this.#clock.schedule(() => this.#pump(), Math.max(1, Math.ceil(wakeAt - now)));
  }

  #stopTimer(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }
}

function invalid(option: string, value: number): OperationsError {
  return new OperationsError(Code.INVALID_ARGUMENT, `AdaptiveRateLimiter ${option} must be a positive number, got ${value}`);
}
