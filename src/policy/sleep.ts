import { timerDelayMs } from './deadline.js';
import { abortError, subscribeAbort, unsubscribeAbort } from './signals.js';

/** One abortable wait: its own abort subscriber and timer argument, so waiting allocates no closures. */
class Sleeper {
  readonly #signal: AbortSignal;
  readonly #other: AbortSignal | undefined;
  readonly #resolve: () => void;
  readonly #reject: (error: unknown) => void;
  readonly #timer: NodeJS.Timeout;

  constructor(delayMs: number, signal: AbortSignal, other: AbortSignal | undefined, resolve: () => void, reject: (error: unknown) => void) {
    this.#signal = signal;
    this.#other = other;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#timer = setTimeout(Sleeper.#wake, delayMs, this);
    subscribeAbort(signal, this);
    if (other !== undefined) subscribeAbort(other, this);
  }

  /** A signal aborted: stop the timer and reject now, with the reason of the one that fired. */
  handleEvent(): void {
    clearTimeout(this.#timer);
    this.#leave();
    this.#reject(abortError(this.#signal.aborted || this.#other === undefined ? this.#signal : this.#other));
  }

  #leave(): void {
    unsubscribeAbort(this.#signal, this);
    if (this.#other !== undefined) unsubscribeAbort(this.#other, this);
  }

  static #wake(self: Sleeper): void {
    self.#leave();
    self.#resolve();
  }
}

/**
 * Waits `ms` (clamped to MAX_TIMER_MS, so a huge wait cannot overflow into an immediate one). When `signal` (or
 * `other`: a client's close, say) aborts, the promise rejects in that same tick with `abortError` of it (CANCELLED
 * for a caller's abort) and the timer is cleared; when the wait ends, it unsubscribes, so a long-lived signal
 * collects no listeners.
 */
export function sleep(ms: number, signal?: AbortSignal, other?: AbortSignal): Promise<void> {
  const delayMs = timerDelayMs(ms);
  const first = signal ?? other;
  const second = signal === undefined ? undefined : other;
  if (first === undefined) return new Promise(resolve => void setTimeout(resolve, delayMs));
  if (first.aborted) return Promise.reject(abortError(first));
  if (second?.aborted === true) return Promise.reject(abortError(second));
  return new Promise((resolve, reject) => void new Sleeper(delayMs, first, second, resolve, reject));
}
