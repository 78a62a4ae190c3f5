import { Code } from '../code.js';
import { OperationsError, type TransportName } from '../errors.js';
import { MAX_TIMER_MS, now, timerDelayMs } from './deadline.js';

/**
 * The code an aborted signal stands for. The signals this library makes abort with an OperationsError as the reason
 * (DEADLINE_EXCEEDED when the attempt's deadline passed, the caller's code otherwise), so a transport that sees its
 * signal fire can say which it was. A caller's `AbortSignal.timeout()` aborts with a TimeoutError: DEADLINE_EXCEEDED,
 * as the caller set a deadline. Any other reason is the caller giving up: CANCELLED, whatever the reason says.
 */
export function abortCode(signal: AbortSignal): Code {
  const reason: unknown = signal.reason;
  if (reason instanceof OperationsError) return reason.code;
  return isTimeoutReason(reason) ? Code.DEADLINE_EXCEEDED : Code.CANCELLED;
}

function isTimeoutReason(reason: unknown): boolean {
  return typeof reason === 'object' && reason !== null && (reason as { name?: unknown }).name === 'TimeoutError';
}

/** The error to throw for an aborted signal: its reason when that is already an OperationsError, else by `abortCode`. */
export function abortError(signal: AbortSignal): OperationsError {
  const reason: unknown = signal.reason;
  if (reason instanceof OperationsError) return reason;
  if (isTimeoutReason(reason)) return new OperationsError(Code.DEADLINE_EXCEEDED, "the caller's signal timed out", { cause: reason });
  return new OperationsError(Code.CANCELLED, 'the call was cancelled by the caller', { cause: reason });
}

/**
 * Whether `signal` has fired: a function, not `signal?.aborted`, because a signal changes across awaits and
 * TypeScript's narrowing after a first look cannot know.
 */
export function isAborted(signal: AbortSignal | undefined): boolean {
  return signal?.aborted === true;
}

/** The error a transport ends an attempt with when its deadline passed or its caller aborted (`code` says which). */
export function transportAbortError(code: Code, transport: TransportName): OperationsError {
  const message = code === Code.DEADLINE_EXCEEDED ? `deadline exceeded before the ${transport === 'grpc' ? 'gRPC' : 'REST'} call finished` : 'the call was aborted by the caller';
  return new OperationsError(code, message, { transport });
}

/** Anything with a `handleEvent()`: an object that is its own listener needs no closure. */
export interface AbortSubscriber {
  handleEvent(): void;
}

/**
 * Many calls share one caller's signal (a batch passes its SIGINT signal to every call, 64 at a time). Giving each
 * attempt and each wait its own `abort` listener would trip Node's "possible EventTarget memory leak" warning past 10
 * and make every abort walk a long list; instead the signal gets one listener that fans out to a Set, and the listener
 * is removed when the last subscriber leaves, so an idle long-lived signal holds nothing of ours.
 */
class AbortFanOut implements AbortSubscriber {
  readonly #signal: AbortSignal;
  readonly subscribers = new Set<AbortSubscriber>();

  constructor(signal: AbortSignal) {
    this.#signal = signal;
    signal.addEventListener('abort', this, { once: true });
  }

  handleEvent(): void {
    fanOuts.delete(this.#signal);
    const subscribers = [...this.subscribers];
    this.subscribers.clear();
    for (const subscriber of subscribers) subscriber.handleEvent();
  }

  remove(subscriber: AbortSubscriber): void {
    if (!this.subscribers.delete(subscriber) || this.subscribers.size > 0) return;
    this.#signal.removeEventListener('abort', this);
    fanOuts.delete(this.#signal);
  }
}

const fanOuts = new WeakMap<AbortSignal, AbortFanOut>();

/**
 * Calls `subscriber.handleEvent()` when `signal` aborts, through the signal's one shared listener. Check
 * `signal.aborted` first: a signal that has already fired fires no more.
 */
export function subscribeAbort(signal: AbortSignal, subscriber: AbortSubscriber): void {
  let fanOut = fanOuts.get(signal);
  if (fanOut === undefined) {
    fanOut = new AbortFanOut(signal);
    fanOuts.set(signal, fanOut);
  }
  fanOut.subscribers.add(subscriber);
}

/** Undoes `subscribeAbort`; harmless when the subscriber is gone already (the signal fired, or it was called twice). */
export function unsubscribeAbort(signal: AbortSignal, subscriber: AbortSubscriber): void {
  fanOuts.get(signal)?.remove(subscriber);
}

function deadlineReason(): OperationsError {
  return new OperationsError(Code.DEADLINE_EXCEEDED, 'the deadline passed before the attempt finished');
}

/**
 * One attempt's signal: aborts when the caller's signal aborts or when the attempt deadline passes, whichever comes
 * first. Built for the hot path: the object is its own abort subscriber (`handleEvent`) and the timer gets it as an
 * argument, so there are no closures; and the AbortController and its deadline timer are made only when `signal` is
 * first read. A transport that enforces the deadline itself and is told the caller has no signal
 * (`AttemptContext.deadlineOnly`) never reads it, which saves an AbortController, a timer and two listener changes per
 * call: about a tenth of a gRPC cancel's client CPU in `npm run bench`. Read late, the signal is as it would have been:
 * aborted if the deadline has passed or the caller aborted. `dispose()` must be called when the attempt is over
 * (success or not): it unsubscribes from the caller's signal, which may live for a whole batch, and clears the timer.
 */
export class AttemptSignal {
  #controller: AbortController | undefined;
  readonly #deadline: number;
  #parent: AbortSignal | undefined;
  #timer: NodeJS.Timeout | undefined;
  /** True while the armed timer was cut to MAX_TIMER_MS, so firing means "not yet", not "deadline passed". */
  #clamped = false;
  /** The caller's abort, once it happened; the signal (now or when made) aborts with it. */
  #callerReason: OperationsError | undefined;
  #disposed = false;
  #wake: ((reason: unknown) => void) | undefined;

  /** `deadline` is absolute, on the library's clock (Infinity: none). */
  constructor(deadline: number, parent?: AbortSignal) {
    this.#deadline = deadline;
    if (parent !== undefined) {
      if (parent.aborted) {
        this.#callerReason = abortError(parent);
        return;
      }
      subscribeAbort(parent, this);
      this.#parent = parent;
    }
  }

  /** Aborts on the caller's abort (its code) or at the deadline (DEADLINE_EXCEEDED). Made on first read. */
  get signal(): AbortSignal {
    if (this.#controller !== undefined) return this.#controller.signal;
    const controller = new AbortController();
    this.#controller = controller;
    if (this.#callerReason !== undefined) controller.abort(this.#callerReason);
    else if (!this.#disposed) this.#arm(now());
    return controller.signal;
  }

  /** The caller's signal fired. Public only because the abort fan-out calls it. */
  handleEvent(): void {
    const parent = this.#parent;
    if (parent === undefined) return;
    const reason = abortError(parent);
    const wake = this.#wake;
    this.dispose();
    this.#callerReason = reason;
    this.#controller?.abort(reason);
    wake?.(reason);
  }

  /**
   * `promise`, unless the caller's signal fires first: then a rejection with the abort reason at once, so the retry
   * loop returns promptly even when a transport is slow to honour its signal. The attempt's own deadline is left to
   * the transport (it reports which wire timed out). Without a caller's signal this returns `promise` itself.
   */
  race<T>(promise: Promise<T>): Promise<T> {
    if (this.#parent === undefined) {
      if (this.#callerReason === undefined) return promise;
      promise.catch(ignore);
      return Promise.reject(this.#callerReason);
    }
    return new Promise<T>((resolve, reject) => {
      this.#wake = reject;
      promise.then(resolve, reject);
    });
  }

  /** Unsubscribes from the caller's signal and clears the timer. Safe to call twice. */
  dispose(): void {
    this.#disposed = true;
    if (this.#timer !== undefined) {
      clearTimeout(this.#timer);
      this.#timer = undefined;
    }
    if (this.#parent !== undefined) {
      unsubscribeAbort(this.#parent, this);
      this.#parent = undefined;
    }
    this.#wake = undefined;
  }

  #arm(now: number): void {
    if (this.#deadline === Infinity) return;
    const leftMs = this.#deadline - now;
    if (leftMs <= 0) {
      this.#expire();
      return;
    }
    this.#clamped = leftMs > MAX_TIMER_MS;
    this.#timer = setTimeout(AttemptSignal.#onTimer, timerDelayMs(leftMs), this);
  }

  /** The deadline passed. The caller's subscription stays until dispose, so a later abort still wakes `race`. */
  #expire(): void {
    this.#timer = undefined;
    this.#controller?.abort(deadlineReason());
  }

  static #onTimer(self: AttemptSignal): void {
    if (self.#clamped) self.#arm(now());
    else self.#expire();
  }
}

function ignore(): void {}
