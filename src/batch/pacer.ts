import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { RateWindow } from './rate-window.js';

/** What an attempt's answer says about the service, for pacing. */
export type Answer = 'accepted' | 'unavailable' | 'quota';

/**
 * UNAVAILABLE and DEADLINE_EXCEEDED say the service could not answer (down, overloaded, too slow);
 * RESOURCE_EXHAUSTED says it refused on quota; every other answer, errors included, is an answer the service gave.
 * CANCELLED is the batch's own abort: it says nothing about the service.
 */
export function answerOf(code: Code): Answer | undefined {
  switch (code) {
    case Code.UNAVAILABLE:
    case Code.DEADLINE_EXCEEDED: return 'unavailable';
    case Code.RESOURCE_EXHAUSTED: return 'quota';
    case Code.CANCELLED: return undefined;
    default: return 'accepted';
  }
}

/** Calls a full bucket may start at once: a tenth of a second's worth, at least one. */
const BURST_SECONDS = 0.1;
/** Answers of trouble closer together than this are one event: the rate drops once, not once per call in flight. */
const DECREASE_INTERVAL_MS = 1000;
/** The rate grows again only this long after the last drop. */
const RECOVERY_DELAY_MS = 2000;
/**
 * Growth per second once recovering: 2% a second right after a quota refusal, twice that for every 5 s without one
 * (as TCP CUBIC probes slowly near the last loss and faster away from it), so a shard whose neighbours finished
 * takes up the quota they left within seconds; 5% a second when no quota was met in the last minute.
 */
const QUOTA_GROWTH = 0.02;
const QUOTA_GROWTH_DOUBLING_MS = 5000;
const MAX_QUOTA_GROWTH = 0.5;
const GROWTH = 1.05;
const QUOTA_MEMORY_MS = 60_000;
/**
 * Just under the rate the service accepted over the last five seconds (or since the batch began, if sooner) when a
 * quota refusal came. Five seconds span several windows of a per-second quota, so where in a window the batch began
 * does not matter, and the time spent paused at each refusal already keeps the estimate a little under the quota.
 */
const QUOTA_FACTOR = 0.9;
const QUOTA_WINDOW_BUCKETS = 50;
/** Just under a limit the server states: 2% below it leaves room for the clocks of client and server to differ. */
const STATED_FACTOR = 0.98;
/**
 * A share of a stated limit is held this long before the rate probes above it: the share is known, so probing only
 * looks for what other shards may have left (they finished), not for the limit itself.
 */
const STATED_HOLD_MS = 10_000;
/**
 * A brownout drops the rate by this much a second, never below BROWNOUT_FLOOR of the best rate seen: a slower
 * batch helps a service whose failures come from load, and costs at most half the speed when they do not.
 */
const BROWNOUT_FACTOR = 0.85;
const BROWNOUT_FLOOR = 0.5;
/** With no ceiling, the limit is lifted once it is this many times what the batch actually achieves. */
const UNLIMITED_FACTOR = 2;
const MIN_RATE = 1;

/**
 * The rate of a batch: a token bucket whose rate follows how the service answers.
 * - A quota refusal: the rate goes to just under what the service accepted over the last few seconds (the quota,
 *   seen from here), then grows by 2% a second (faster the longer no refusal comes), so it sits at the quota and finds
 *   it again if it moves, instead of halving and climbing back (a sawtooth that wastes a quarter of the quota). Shards sharing one
 *   quota each see their own share of it accepted, so each settles on its share without talking to the others.
 * - A brownout (30% or more of the last two seconds' answers UNAVAILABLE or DEADLINE_EXCEEDED): the rate drops 15%
 *   a second, never below half the best rate seen, and grows again by 5% a second once it passes.
 * The pauses (outage, quota, RetryInfo) are the flow control's; this only keeps the rate and the counts.
 */
export class Pacer {
  readonly ceiling: number;
  readonly #grants = new RateWindow(20);
  readonly #acceptedRecently = new RateWindow(QUOTA_WINDOW_BUCKETS);
  readonly #answers = { accepted: new RateWindow(20), unavailable: new RateWindow(20), quota: new RateWindow(20) };
  #rate: number;
  #tokens: number;
  #refilledAt: number;
  #peakGrantRate = 0;
  #lastDecreaseAt = -Infinity;
  #lastQuotaAt = -Infinity;
  #recoveredAt = -Infinity;
  #lastStatedAt = -Infinity;

  constructor(ceilingPerSecond: number | undefined, now: number) {
    const ceiling = ceilingPerSecond ?? Infinity;
    if (!(ceiling > 0)) throw new OperationsError(Code.INVALID_ARGUMENT, `ratePerSecond must be a positive number, got ${ceiling}`);
    this.ceiling = ceiling;
    this.#rate = ceiling;
    this.#refilledAt = now;
    this.#tokens = this.#burst();
  }

  /** The limit now, in requests per second; Infinity when unlimited. */
  get ratePerSecond(): number {
    return this.#rate;
  }

  /** Takes a token if one is there now. */
  take(now: number): boolean {
    this.#refill(now);
    if (this.#rate !== Infinity) {
      if (this.#tokens < 1) return false;
      this.#tokens -= 1;
    }
    this.#grants.add(now);
    return true;
  }

  /** When the next token will be there. */
  nextTokenAt(now: number): number {
    if (this.#rate === Infinity) return now;
    this.#refill(now);
    return this.#tokens >= 1 ? now : now + ((1 - this.#tokens) * 1000) / this.#rate;
  }

  /** Counts an answer; an accepted one lets the rate grow back. */
  record(answer: Answer, now: number): void {
    this.#answers[answer].add(now);
    if (answer !== 'accepted') return;
    this.#acceptedRecently.add(now);
    this.#recover(now);
  }

  /** The answers of the last two seconds. */
  answers(now: number): { readonly total: number; readonly unavailable: number; readonly quota: number } {
    const unavailable = this.#answers.unavailable.count(now);
    const quota = this.#answers.quota.count(now);
    return { total: this.#answers.accepted.count(now) + unavailable + quota, unavailable, quota };
  }

  /** Forgets the answers seen (not the rate): after a pause, new answers are the evidence. */
  forgetAnswers(): void {
    this.#answers.accepted = new RateWindow(20);
    this.#answers.unavailable = new RateWindow(20);
    this.#answers.quota = new RateWindow(20);
  }

  /**
   * A quota refusal: just under what the service accepted lately, once per DECREASE_INTERVAL_MS. With too few
   * accepted answers to say (the quota was spent before this batch began) the rate stays; the pause finds the reset.
   */
  quotaReached(now: number): void {
    this.#lastQuotaAt = now;
    if (now - this.#lastDecreaseAt < DECREASE_INTERVAL_MS) return;
    const accepted = this.#acceptedRecently.ratePerSecond(now);
    if (accepted === undefined) return;
    this.#lastDecreaseAt = now;
    this.#setRate(now, Math.min(this.#rate, Math.max(MIN_RATE, accepted * QUOTA_FACTOR), this.ceiling));
  }

  /**
   * A quota refusal that states the limit (`perSecond`, this process's share of it): the rate goes to just under that
   * share, up or down, once per DECREASE_INTERVAL_MS. Shards that share a quota all reset to the same share at each
   * refusal, so they stay fair however they started, and growth past the share takes up what finished shards left.
   */
  quotaStated(perSecond: number, now: number): void {
    this.#lastQuotaAt = now;
    this.#lastStatedAt = now;
    if (now - this.#lastDecreaseAt < DECREASE_INTERVAL_MS) return;
    this.#lastDecreaseAt = now;
    this.#setRate(now, Math.min(this.ceiling, Math.max(MIN_RATE, perSecond * STATED_FACTOR)));
  }

  /** A brownout: 15% slower, once per DECREASE_INTERVAL_MS, not below half the best rate seen. */
  degraded(now: number): void {
    if (now - this.#lastDecreaseAt < DECREASE_INTERVAL_MS) return;
    this.#lastDecreaseAt = now;
    const achieved = this.#grants.ratePerSecond(now) ?? this.#rate;
    const base = Math.min(this.#rate, achieved);
    if (!Number.isFinite(base)) return;
    const floor = Math.max(MIN_RATE, this.#peakGrantRate * BROWNOUT_FLOOR);
    this.#setRate(now, Math.max(Math.min(floor, this.#rate), base * BROWNOUT_FACTOR));
  }

  /** After a pause: no burst of saved-up tokens. */
  drainTokens(now: number): void {
    this.#refill(now);
    this.#tokens = Math.min(this.#tokens, 1);
  }

  #recover(now: number): void {
    const achieved = this.#grants.ratePerSecond(now);
    if (achieved !== undefined && achieved > this.#peakGrantRate) this.#peakGrantRate = achieved;
    if (this.#rate === this.ceiling) return;
    const holdUntil = Math.max(this.#lastDecreaseAt + RECOVERY_DELAY_MS, this.#lastStatedAt + STATED_HOLD_MS);
    if (now < holdUntil) return;
    const since = Math.max(this.#recoveredAt, holdUntil);
    this.#recoveredAt = now;
    if (now <= since) return;
    const sinceQuotaMs = now - this.#lastQuotaAt;
    const nearQuota = sinceQuotaMs < QUOTA_MEMORY_MS;
    const growth = nearQuota ? 1 + Math.min(MAX_QUOTA_GROWTH, QUOTA_GROWTH * 2 ** (sinceQuotaMs / QUOTA_GROWTH_DOUBLING_MS)) : GROWTH;
    let rate = Math.min(this.ceiling, this.#rate * growth ** ((now - since) / 1000));
    // Lifting the limit near a quota would send a burst into it; elsewhere a limit far above what the batch achieves
    // limits nothing.
    if (this.ceiling === Infinity && !nearQuota && (achieved === undefined || rate > achieved * UNLIMITED_FACTOR)) rate = Infinity;
    this.#setRate(now, rate);
  }

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
}
