import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { now, timerDelayMs } from '../policy/deadline.js';
import type { AttemptGate } from '../policy/retry.js';
import { abortError, subscribeAbort, unsubscribeAbort } from '../policy/signals.js';
import { statedQuotaPerSecond } from '../status/quota-limit.js';
import { answerOf, Pacer } from './pacer.js';

/** Time as the flow control sees it (monotonic); tests pass a fake one so the timing logic runs without waiting. */
export interface FlowClock {
  now(): number;
  /** Calls `wake` once after `delayMs`; the returned function cancels that. The timer must keep the process alive. */
  schedule(wake: () => void, delayMs: number): () => void;
}

export const systemClock: FlowClock = {
  now: () => performance.now(),
  schedule(wake, delayMs) {
    const timer = setTimeout(wake, timerDelayMs(delayMs));
    return () => clearTimeout(timer);
  },
};

/** Why a batch is holding its calls back; `running` when it is not. Times are epoch ms, for people. */
export type FlowState =
  | { readonly kind: 'running' }
  | {
    readonly kind: 'paused';
    /** `unavailable`: nearly every answer was UNAVAILABLE or DEADLINE_EXCEEDED; `quota`: a refusal without RetryInfo. */
    readonly reason: 'unavailable' | 'quota';
    readonly sinceMs: number;
    readonly nextProbeAtMs: number;
  };

export interface FlowControlOptions {
  /** The most requests per second (cancels, reads, retries together). @default unlimited */
  readonly ceilingPerSecond?: number | undefined;
  /**
   * Attempts in flight until the first OK answer (or twice this many answers of any kind). @default 20: a batch aimed
   * at the wrong host, or without the permission, learns it from 20 calls instead of from `concurrency` of them.
   */
  readonly startupInFlight?: number | undefined;
  /**
   * Processes sharing the quota (`--shard i/n`): a refusal that states the limit (ErrorInfo `quota_limit_value`)
   * sets the rate just under `limit / shards`, each shard's fair share, without the shards talking. @default 1
   */
  readonly shards?: number | undefined;
  /** Longest wait a server's RetryInfo can impose, so one absurd delay cannot stall a batch. @default 60000 */
  readonly maxRetryPauseMs?: number | undefined;
  readonly clock?: FlowClock | undefined;
  /** [0, 1) for the probes' jitter. @default Math.random */
  readonly random?: (() => number) | undefined;
  /** Called when the state changes (a pause begins or ends), for progress and logs. */
  readonly onStateChange?: ((state: FlowState) => void) | undefined;
}

/**
 * An outage: at least this many answers in the last two seconds, at least this share of them UNAVAILABLE or
 * DEADLINE_EXCEEDED, and still so OUTAGE_CONFIRM_MS after it first was. A dropped connection fails every call on it
 * in the same instant, which is not an outage: the calls after it get through.
 */
const OUTAGE_MIN_ANSWERS = 20;
const OUTAGE_SHARE = 0.9;
const OUTAGE_CONFIRM_MS = 300;
/** A brownout: this share of the last two seconds' answers, and enough of them to tell it from chance. */
const BROWNOUT_SHARE = 0.3;
const BROWNOUT_MIN_ANSWERS = 50;
/**
 * RetryInfo pushbacks hold every call back and slow the rate only when they are at least this share of the answers
 * (and enough of them): a server that turns away a steady few percent whatever the rate says so with each, and each
 * call waits its own delay; a real overload is a quota to slow down for.
 */
const RETRY_INFO_CONGESTION_SHARE = 0.1;
const RETRY_INFO_MIN_ANSWERS = 50;
/** Probe waits: doubling from the first to the cap, each drawn from 80-120% so shards do not probe in step. */
const PROBE = { unavailable: { firstMs: 1000, capMs: 30_000 }, quota: { firstMs: 50, capMs: 2000 } } as const;

/** One caller of `acquire` waiting; its own abort subscriber, so waiting allocates no closures. */
class Waiter {
  cancelDeadline: (() => void) | undefined;
  constructor(
    readonly flow: FlowControl,
    readonly resolve: (ticket: number) => void,
    readonly reject: (error: unknown) => void,
    readonly signal: AbortSignal | undefined,
  ) {}

  handleEvent(): void {
    this.flow.abandon(this, abortError(this.signal as AbortSignal));
  }
}

/**
 * The gate every attempt of a batch passes (AttemptGate): cancels, verifying reads and retries draw from one rate, so
 * `--rps` is an honest ceiling and verification never takes quota from cancels unseen. It reads every answer:
 * - nearly every answer UNAVAILABLE (an outage): new attempts stop; one probe goes 1 s later, then 2, 4, ... 30 s
 *   apart, and the first answer the service gives resumes full speed;
 * - a quota refusal without RetryInfo: the rate drops to just under what the service accepted (Pacer) and attempts
 *   stop until a probe, 50 ms later and then up to 2 s apart, is accepted: the quota's window has turned;
 * - RetryInfo delays on a tenth or more of the answers: new attempts wait the delay out (fewer: each call waits its
 *   own, in its retry loop);
 * - a brownout: the rate drops while it lasts, down to half the best rate seen.
 * Waiters are served in order by one timer; one whose deadline passes first, or whose signal aborts, leaves at once.
 */
export class FlowControl implements AttemptGate {
  readonly #pacer: Pacer;
  readonly #clock: FlowClock;
  readonly #random: () => number;
  readonly #startupInFlight: number;
  readonly #shards: number;
  readonly #maxRetryPauseMs: number;
  readonly #onStateChange: ((state: FlowState) => void) | undefined;
  readonly #waiters: Waiter[] = [];
  #head = 0;
  #cancelTimer: (() => void) | undefined;
  #inFlight = 0;
  /** True once the start-up cap is lifted: an OK answer came, or enough answers that were not stopped on. */
  #everAccepted = false;
  #answered = 0;
  #retryPauseUntil = -Infinity;
  #state: FlowState = { kind: 'running' };
  #probeDelayMs = 0;
  #nextProbeAt = 0;
  #probeTicket: number | undefined;
  #nextTicket = 1;
  #pauses = 0;
  #outageSuspectedAt: number | undefined;
  #stopped: OperationsError | undefined;

  constructor(options: FlowControlOptions = {}) {
    this.#clock = options.clock ?? systemClock;
    this.#random = options.random ?? Math.random;
    this.#pacer = new Pacer(options.ceilingPerSecond, this.#clock.now());
    this.#startupInFlight = options.startupInFlight ?? 20;
    this.#shards = options.shards ?? 1;
    this.#maxRetryPauseMs = options.maxRetryPauseMs ?? 60_000;
    this.#onStateChange = options.onStateChange;
  }

  get state(): FlowState {
    return this.#state;
  }

  /** The rate limit now, in requests per second; Infinity when unlimited. */
  get ratePerSecond(): number {
    return this.#pacer.ratePerSecond;
  }

  /** Times the flow paused (an outage or a quota refusal without RetryInfo). */
  get pauses(): number {
    return this.#pauses;
  }

  /** Attempts waiting to be let through. */
  get waiting(): number {
    return this.#waiters.length - this.#head;
  }

  acquire(deadline: number, signal: AbortSignal | undefined): Promise<number> {
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    if (this.#stopped !== undefined) return Promise.reject(this.#stopped);
    if (this.waiting === 0 && this.#grantable(this.#clock.now())) return Promise.resolve(this.#grant());
    return new Promise<number>((resolve, reject) => {
      const waiter = new Waiter(this, resolve, reject, signal);
      if (signal !== undefined) subscribeAbort(signal, waiter);
      const leftMs = deadline - now();
      if (leftMs <= 0) {
        reject(deadlineError());
        return;
      }
      if (Number.isFinite(leftMs)) waiter.cancelDeadline = this.#clock.schedule(() => this.abandon(waiter, deadlineError()), leftMs);
      this.#waiters.push(waiter);
      this.#pump();
    });
  }

  release(ticket: number, error: OperationsError | undefined): void {
    this.#inFlight -= 1;
    if (this.#stopped !== undefined) return;
    const code = error?.code ?? Code.OK;
    const answer = answerOf(code);
    if (answer !== undefined) this.#learn(ticket, code, answer, error);
    else this.#unheard(ticket);
    this.#pump();
  }

  releaseUnheard(ticket: number): void {
    this.#inFlight -= 1;
    if (this.#stopped !== undefined) return;
    this.#unheard(ticket);
    this.#pump();
  }

  /** An attempt that said nothing of the service; a probe that did so is followed by another at the next probe time. */
  #unheard(ticket: number): void {
    if (ticket !== this.#probeTicket || this.#state.kind !== 'paused') return;
    this.#probeTicket = undefined;
    this.#scheduleProbe(this.#clock.now(), this.#state.reason);
  }

  /**
   * Lets nothing more through: every waiter and every later `acquire` rejects with CANCELLED at once. A batch that
   * was told to stop drains only the attempts already on the wire; nothing waiting for a pause or a token is sent.
   */
  stop(): void {
    if (this.#stopped !== undefined) return;
    this.#stopped = new OperationsError(Code.CANCELLED, 'the batch is stopping: nothing more is sent');
    this.#stopTimer();
    for (const waiter of this.#waiters.splice(this.#head)) {
      this.#forget(waiter);
      waiter.reject(this.#stopped);
    }
    this.#waiters.length = 0;
    this.#head = 0;
  }

  /** A waiter leaves the queue (its signal aborted or its deadline passed) and rejects now. Public for Waiter. */
  abandon(waiter: Waiter, error: OperationsError): void {
    const index = this.#waiters.indexOf(waiter, this.#head);
    if (index === -1) return;
    this.#waiters.splice(index, 1);
    this.#forget(waiter);
    waiter.reject(error);
    if (this.waiting === 0) this.#stopTimer();
  }

  #learn(ticket: number, code: Code, answer: 'accepted' | 'unavailable' | 'quota', error: OperationsError | undefined): void {
    const now = this.#clock.now();
    this.#pacer.record(answer, now);
    this.#answered += 1;
    if (code === Code.OK || this.#answered >= 2 * this.#startupInFlight) this.#everAccepted = true;
    if (this.#state.kind === 'paused') {
      const probe = ticket === this.#probeTicket;
      if (probe) this.#probeTicket = undefined;
      if (answer === 'accepted') this.#resume(now);
      else if (probe) this.#scheduleProbe(now, this.#state.reason);
      return;
    }
    const answers = this.#pacer.answers(now);
    const outage = answers.total >= OUTAGE_MIN_ANSWERS && answers.unavailable >= OUTAGE_SHARE * answers.total;
    if (!outage) this.#outageSuspectedAt = undefined;
    if (answer === 'quota') {
      const retryAfterMs = error?.retryAfterMs;
      const stated = error === undefined ? undefined : statedQuotaPerSecond(error.details);
      const slowDown = (): void => {
        if (stated === undefined) this.#pacer.quotaReached(now);
        else this.#pacer.quotaStated(stated / this.#shards, now);
      };
      if (retryAfterMs !== undefined && retryAfterMs > 0) {
        if (answers.total >= RETRY_INFO_MIN_ANSWERS && answers.quota >= RETRY_INFO_CONGESTION_SHARE * answers.total) {
          this.#retryPauseUntil = Math.max(this.#retryPauseUntil, now + Math.min(retryAfterMs, this.#maxRetryPauseMs));
          slowDown();
        }
        return;
      }
      slowDown();
      this.#pause(now, 'quota');
      return;
    }
    if (answer === 'unavailable') {
      if (outage) {
        this.#outageSuspectedAt ??= now;
        if (now - this.#outageSuspectedAt >= OUTAGE_CONFIRM_MS) this.#pause(now, 'unavailable');
      } else if (answers.total >= BROWNOUT_MIN_ANSWERS && answers.unavailable >= BROWNOUT_SHARE * answers.total) {
        this.#pacer.degraded(now);
      }
    }
  }

  #pause(now: number, reason: 'unavailable' | 'quota'): void {
    this.#pauses += 1;
    this.#outageSuspectedAt = undefined;
    this.#probeDelayMs = 0;
    this.#probeTicket = undefined;
    this.#state = { kind: 'paused', reason, sinceMs: Date.now(), nextProbeAtMs: Date.now() };
    this.#scheduleProbe(now, reason);
  }

  #scheduleProbe(now: number, reason: 'unavailable' | 'quota'): void {
    const { firstMs, capMs } = PROBE[reason];
    this.#probeDelayMs = this.#probeDelayMs === 0 ? firstMs : Math.min(capMs, this.#probeDelayMs * 2);
    const delayMs = this.#probeDelayMs * (0.8 + 0.4 * this.#random());
    this.#nextProbeAt = now + delayMs;
    const sinceMs = this.#state.kind === 'paused' ? this.#state.sinceMs : Date.now();
    this.#state = { kind: 'paused', reason, sinceMs, nextProbeAtMs: Date.now() + delayMs };
    this.#onStateChange?.(this.#state);
  }

  #resume(now: number): void {
    this.#state = { kind: 'running' };
    this.#probeTicket = undefined;
    this.#pacer.forgetAnswers();
    this.#pacer.drainTokens(now);
    this.#onStateChange?.(this.#state);
  }

  #grantable(now: number): boolean {
    if (this.#state.kind === 'paused') return this.#probeTicket === undefined && now >= this.#nextProbeAt;
    if (now < this.#retryPauseUntil) return false;
    if (!this.#everAccepted && this.#inFlight >= this.#startupInFlight) return false;
    return this.#pacer.take(now);
  }

  #grant(): number {
    const ticket = this.#nextTicket++;
    this.#inFlight += 1;
    if (this.#state.kind === 'paused') this.#probeTicket = ticket;
    return ticket;
  }

  /** When a waiter could go next; Infinity when only a release can change that (a probe or the start-up cap). */
  #nextChanceAt(now: number): number {
    if (this.#state.kind === 'paused') return this.#probeTicket === undefined ? this.#nextProbeAt : Infinity;
    if (now < this.#retryPauseUntil) return this.#retryPauseUntil;
    if (!this.#everAccepted && this.#inFlight >= this.#startupInFlight) return Infinity;
    return this.#pacer.nextTokenAt(now);
  }

  /** Serves waiters in order while the state and the rate allow, then sets one timer for the next chance. */
  #pump(): void {
    this.#stopTimer();
    const now = this.#clock.now();
    while (this.waiting > 0 && this.#grantable(now)) {
      const waiter = this.#waiters[this.#head] as Waiter;
      this.#head += 1;
      this.#forget(waiter);
      waiter.resolve(this.#grant());
    }
    if (this.#head > 1024 && this.#head * 2 > this.#waiters.length) {
      this.#waiters.splice(0, this.#head);
      this.#head = 0;
    }
    if (this.waiting === 0) return;
    const at = this.#nextChanceAt(now);
    if (at === Infinity) return;
    this.#cancelTimer = this.#clock.schedule(() => this.#pump(), Math.max(1, Math.ceil(at - now)));
  }

  #forget(waiter: Waiter): void {
    if (waiter.signal !== undefined) unsubscribeAbort(waiter.signal, waiter);
    waiter.cancelDeadline?.();
    waiter.cancelDeadline = undefined;
  }

  #stopTimer(): void {
    this.#cancelTimer?.();
    this.#cancelTimer = undefined;
  }
}

function deadlineError(): OperationsError {
  return new OperationsError(Code.DEADLINE_EXCEEDED, 'the deadline passed while the batch held this call back (paused or rate-limited)');
}
