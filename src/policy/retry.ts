import { Code, codeName } from '../code.js';
import { OperationsError, type AttemptRecord, type TransportName } from '../errors.js';
import { debugLog } from '../log.js';
import { backoffDelayMs } from './backoff.js';
import { attemptDeadline, now } from './deadline.js';
import { isOverloadCode, type RetryBudget } from './retry-budget.js';
import type { RetryPolicy } from './retry-policy.js';
import { abortError, AttemptSignal, isAborted } from './signals.js';
import { sleep } from './sleep.js';

const log = debugLog('retry');

/**
 * What one attempt may use, handed by the retry loop to whatever makes the attempt (a transport): an absolute
 * deadline and a signal that fires on the caller's abort or at that deadline. Defined here, with the loop, because
 * policy is the layer below the transports: they use its deadline and signal helpers, it knows nothing of them.
 */
export interface AttemptContext {
  /** Epoch milliseconds (now() scale) by which this attempt must end. */
  readonly deadline: number;
  readonly signal: AbortSignal;
  /** Extra request headers / metadata for this call only (lower-case names), e.g. emulator fault injection. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * True when nothing but `deadline` can end this attempt early (the caller gave no signal). A transport that enforces
   * `deadline` by itself may then leave `signal` unread: the retry loop makes it only when it is read, and an
   * AbortController, a timer and a listener per call are a measurable share of a cancel's client CPU.
   */
  readonly deadlineOnly?: boolean;
  /** Telemetry of this attempt (spans, metrics, events); undefined when nothing listens, which is the common case. */
  readonly observer?: AttemptObserver | undefined;
}

/** Where a transport sends: the host and port it was configured with (span and metric attributes). */
export interface ServerAddress {
  readonly address: string;
  readonly port: number | undefined;
}

/**
 * Watches one attempt for telemetry. The retry loop makes it through a CallObserver; the transport layer reports the
 * wire it chose and, over REST, the HTTP status it received.
 */
export interface AttemptObserver {
  /** Headers this attempt adds to the call's own (the W3C trace context of its span), or undefined. */
  readonly headers: Readonly<Record<string, string>> | undefined;
  wire(transport: TransportName, server: ServerAddress): void;
  httpStatus(status: number): void;
  /** The attempt ended: OK when `error` is undefined. */
  ended(error: OperationsError | undefined, transport: TransportName | undefined, durationMs: number): void;
}

/**
 * Watches one call's attempts for telemetry. Made only when something listens (an OpenTelemetry SDK, a
 * diagnostics_channel subscriber); defined here, with the loop, which knows nothing of what listens.
 */
export interface CallObserver {
  /** An attempt is about to be sent, `backoffMs` after the previous one failed (0 for the first). */
  attemptStarted(attempt: number, backoffMs: number): AttemptObserver;
  /** The failed `attempt` will be made again after `delayMs`. */
  retrying(attempt: number, error: OperationsError, delayMs: number): void;
  /** The retry budget refused a retry that the policy allowed. */
  retryRefused(attempt: number, error: OperationsError): void;
}

/** What one successful attempt returns: the value and the wire that carried it. */
export interface Served<T> {
  readonly value: T;
  readonly transport: TransportName;
}

/** What one attempt may use: its deadline and signal (from AttemptContext) and its 1-based number. */
export interface AttemptInfo extends AttemptContext {
  readonly attempt: number;
  /**
   * Set by whatever chose the wire when this attempt showed the wire cannot get through and it switched to another
   * (`auto` falling back to REST): the loop then makes the next attempt at once, on the new wire, whatever the code.
   */
  switchedTransport: boolean;
}

/** What a retry decision may look at besides the error. */
export interface RetryDecisionInfo {
  /** The 1-based number of the attempt that failed. */
  readonly attempt: number;
  readonly policy: RetryPolicy;
  /** The failed attempt's deadline (absolute epoch ms). */
  readonly attemptDeadline: number;
  /** The call's total deadline (absolute epoch ms). */
  readonly deadline: number;
  /** When the failed attempt ended (epoch ms). */
  readonly endedAt: number;
}

/**
 * Paces and pauses attempts from outside the call: a batch shares one between all its calls, so cancels, reads and
 * retries draw from one rate and an outage holds them all. Told how each attempt ended, so it can adapt.
 */
export interface AttemptGate {
  /**
   * Resolves with a ticket when an attempt may be sent. Rejects with an OperationsError when `deadline` (absolute
   * epoch ms) comes first (DEADLINE_EXCEEDED) or `signal` aborts; nothing was sent then.
   */
  acquire(deadline: number, signal: AbortSignal | undefined): Promise<number>;
  /** The attempt of `ticket` ended: with `error`, or OK when it is undefined. */
  release(ticket: number, error: OperationsError | undefined): void;
  /** The attempt of `ticket` ended without reaching the service (its wire could not get through): it says nothing of it. */
  releaseUnheard(ticket: number): void;
}

export interface RetryRunOptions {
  readonly policy: RetryPolicy;
  /** Absolute epoch ms for the whole call. @default now + policy.totalTimeoutMs */
  readonly deadline?: number | undefined;
  /** The caller's signal: ends the call at once, in a wait or mid-attempt, with CANCELLED. */
  readonly signal?: AbortSignal | undefined;
  /** The client's retry budget, shared by its calls. @default none (no throttling) */
  readonly budget?: RetryBudget | undefined;
  /** Waited on before every attempt, the first included. @default none */
  readonly gate?: AttemptGate | undefined;
  /**
   * The client's close: aborted, no attempt starts and a wait for a retry ends at once, with this signal's reason
   * (a non-retryable CANCELLED). @default none
   */
  readonly closed?: AbortSignal | undefined;
  /** Passed to every attempt as AttemptContext.headers. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /**
   * Whether a failed attempt is worth repeating; max attempts, the budget, the deadline and the caller's signal are
   * checked apart from it. @default isRetryableByPolicy
   */
  readonly isRetryable?: ((error: OperationsError, info: RetryDecisionInfo) => boolean) | undefined;
  /** Source of jitter, [0, 1). @default Math.random */
  readonly random?: (() => number) | undefined;
  /** Telemetry of the call's attempts. @default none */
  readonly observer?: CallObserver | undefined;
}

export interface RetryResult<T> extends Served<T> {
  /** Every attempt, the successful last one included. */
  readonly attempts: readonly AttemptRecord[];
}

/** Slack for timers that fire a little before `now()` reaches the deadline they were set for. */
const CLOCK_SLACK_MS = 5;

/**
 * The default retry rule (DESIGN.md, "Status normalization"): a code in `policy.retryableCodes`; DEADLINE_EXCEEDED
 * only when the attempt's own timeout ended it (the attempt ran until its deadline, which came before the total one,
 * and the total deadline still has room) and never when a server sent it early; RESOURCE_EXHAUSTED only when the
 * server said how long to wait (whether that fits is checked apart).
 */
export function isRetryableByPolicy(error: OperationsError, info: RetryDecisionInfo): boolean {
  if (info.policy.retryableCodes.has(error.code)) return true;
  if (error.code === Code.DEADLINE_EXCEEDED) {
    return info.attemptDeadline < info.deadline && info.endedAt >= info.attemptDeadline - CLOCK_SLACK_MS && info.endedAt < info.deadline;
  }
  if (error.code === Code.RESOURCE_EXHAUSTED) return error.retryAfterMs !== undefined;
  return false;
}

/**
 * One attempt's AttemptInfo. Its signal is made only when the attempt reads `signal`: with no caller signal (the
 * common case: a batch or a plain `cancel(name)`) the transports never do (`deadlineOnly`), so an attempt allocates
 * this object alone. With a caller signal the link exists from the start, as `race` needs it.
 */
class Attempt implements AttemptInfo {
  readonly attempt: number;
  readonly deadline: number;
  readonly deadlineOnly: boolean;
  switchedTransport = false;
  declare readonly headers?: Readonly<Record<string, string>>;
  readonly observer: AttemptObserver | undefined;
  #link: AttemptSignal | undefined;

  constructor(attempt: number, deadline: number, parent: AbortSignal | undefined, headers: Readonly<Record<string, string>> | undefined,
    observer: AttemptObserver | undefined) {
    this.attempt = attempt;
    this.deadline = deadline;
    this.deadlineOnly = parent === undefined;
    this.observer = observer;
    const traceHeaders = observer?.headers;
    const all = traceHeaders === undefined ? headers : { ...headers, ...traceHeaders };
    if (all !== undefined) this.headers = all;
    if (parent !== undefined) this.#link = new AttemptSignal(deadline, parent);
  }

  get signal(): AbortSignal {
    this.#link ??= new AttemptSignal(this.deadline);
    return this.#link.signal;
  }

  /** The attempt's promise, raced against the caller's abort when there is a caller signal. */
  race<T>(promise: Promise<T>): Promise<T> {
    return this.#link === undefined ? promise : this.#link.race(promise);
  }

  dispose(): void {
    this.#link?.dispose();
  }
}

/** How a retry decision's debug line starts: which attempt failed, with what, where. */
function attemptFailed(attempt: number, policy: RetryPolicy, error: OperationsError): string {
  return `attempt ${attempt} of ${policy.maxAttempts} failed: ${error.codeName}${error.transport === undefined ? '' : ` over ${error.transport}`} (${error.rawMessage})`;
}

function attemptRecord(attempt: number, code: Code, transport: TransportName | undefined, durationMs: number): AttemptRecord {
  return transport === undefined
    ? { attempt, code, codeName: codeName(code), durationMs }
    : { attempt, code, codeName: codeName(code), transport, durationMs };
}

/**
 * Runs `attemptFn` until it succeeds or the policy says stop. Each attempt gets `min(now + attemptTimeoutMs,
 * deadline)` and a signal that also fires on the caller's abort; whatever it throws becomes an OperationsError.
 * The wait before a retry is the jittered backoff, or the server's retryAfterMs when that is longer; if the wait would
 * reach the deadline, the call ends now. The thrown error is always the last attempt's real error (never a made-up
 * DEADLINE_EXCEEDED) carrying every attempt's record, or CANCELLED when the caller's signal fired.
 */
export async function runWithRetry<T>(
  attemptFn: (info: AttemptInfo) => Promise<Served<T>>,
  options: RetryRunOptions,
): Promise<RetryResult<T>> {
  const { policy, signal, budget, gate, headers, closed, observer } = options;
  const deadline = options.deadline ?? now() + policy.totalTimeoutMs;
  const attempts: AttemptRecord[] = [];
  let lastError: OperationsError | undefined;
  /** The backoff slept before the attempt about to go (telemetry only). */
  let backoffMs = 0;
  for (let attempt = 1; ; attempt++) {
    if (signal !== undefined && isAborted(signal)) throw abortError(signal).withAttempts(attempts);
    if (closed !== undefined && isAborted(closed)) throw abortError(closed).withAttempts(attempts);
    if (now() >= deadline) {
      throw lastError?.withAttempts(attempts)
        ?? new OperationsError(Code.DEADLINE_EXCEEDED, 'the deadline had passed before the first attempt');
    }
    let ticket = 0;
    if (gate !== undefined) {
      try {
        ticket = await gate.acquire(deadline, signal);
      } catch (caught) {
        if (signal !== undefined && isAborted(signal)) throw abortError(signal).withAttempts(attempts);
        const refused = OperationsError.from(caught);
        // The gate's deadline ran out: the last real answer says more. The gate stopped (its batch is stopping): say so.
        throw (refused.code === Code.CANCELLED ? refused : lastError ?? refused).withAttempts(attempts);
      }
    }
    const startedAt = now();
    const attemptEnd = attemptDeadline(policy.attemptTimeoutMs, deadline, startedAt);
    const watch = observer?.attemptStarted(attempt, backoffMs);
    backoffMs = 0;
    const info = new Attempt(attempt, attemptEnd, signal, headers, watch);
    let error: OperationsError;
    try {
      const served = await info.race(attemptFn(info));
      const durationMs = now() - startedAt;
      attempts.push(attemptRecord(attempt, Code.OK, served.transport, durationMs));
      watch?.ended(undefined, served.transport, durationMs);
      budget?.recordAttempt(false);
      gate?.release(ticket, undefined);
      return { value: served.value, transport: served.transport, attempts };
    } catch (caught) {
      error = OperationsError.from(caught);
    } finally {
      info.dispose();
    }
    const endedAt = now();
    if (signal !== undefined && isAborted(signal)) {
      const cancelled = abortError(signal);
      attempts.push(attemptRecord(attempt, cancelled.code, error.transport, endedAt - startedAt));
      watch?.ended(cancelled, error.transport, endedAt - startedAt);
      gate?.release(ticket, cancelled);
      throw cancelled.withAttempts(attempts);
    }
    if (closed !== undefined && isAborted(closed)) {
      const stopped = abortError(closed);
      attempts.push(attemptRecord(attempt, Code.CANCELLED, error.transport, endedAt - startedAt));
      watch?.ended(stopped, error.transport, endedAt - startedAt);
      gate?.release(ticket, error);
      throw stopped.withAttempts(attempts);
    }
    attempts.push(attemptRecord(attempt, error.code, error.transport, endedAt - startedAt));
    watch?.ended(error, error.transport, endedAt - startedAt);
    lastError = error;
    if (info.switchedTransport) {
      gate?.releaseUnheard(ticket);
      // The wire could not get through and another was chosen: the same call goes there at once. Not a retry of the
      // service, so the budget neither counts it nor is asked.
      if (attempt >= policy.maxAttempts) throw error.withAttempts(attempts);
      continue;
    }
    gate?.release(ticket, error);
    budget?.recordAttempt(isOverloadCode(error.code));
    const retryable = (options.isRetryable ?? isRetryableByPolicy)(error, { attempt, policy, attemptDeadline: attemptEnd, deadline, endedAt });
    if (!retryable || attempt >= policy.maxAttempts) {
      if (log.enabled) log.debug(`${attemptFailed(attempt, policy, error)}: stop, ${retryable ? 'no attempt left' : 'not retryable'}`);
      throw error.withAttempts(attempts);
    }
    const waitMs = Math.max(backoffDelayMs(attempt, policy, options.random), error.retryAfterMs ?? 0);
    if (now() + waitMs >= deadline) {
      if (log.enabled) log.debug(`${attemptFailed(attempt, policy, error)}: stop, a wait of ${Math.round(waitMs)} ms would pass the deadline`);
      throw error.withAttempts(attempts);
    }
    if (log.enabled) log.debug(`${attemptFailed(attempt, policy, error)}: retry in ${Math.round(waitMs)} ms`);
    observer?.retrying(attempt, error, waitMs);
    try {
      await sleep(waitMs, signal, closed);
    } catch (caught) {
      throw OperationsError.from(caught).withAttempts(attempts);
    }
    // Asked when the retry is about to go, as the SRE book's throttle is: in a burst of calls the failures often come
    // back first (a server fails fast), and a budget asked at once would see only them.
    if (budget?.allowsRetry() === false) {
      if (log.enabled) log.debug(`${attemptFailed(attempt, policy, error)}: stop after the wait, the retry budget is spent`);
      observer?.retryRefused(attempt, error);
      throw error.withAttempts(attempts);
    }
    backoffMs = waitMs;
  }
}
