import { timerDelayMs } from './deadline.js';
import { abortError, subscribeAbort, unsubscribeAbort } from './signals.js';

/** One abortable wait: its own abort subscriber and timer argument, so waiting allocates no closures. */
class Sleeper {
  readonly #signal: AbortSignal;
  readonly #resolve: () => void;
  readonly #reject: (error: unknown) => void;
  readonly #timer: NodeJS.Timeout;

  constructor(delayMs: number, signal: AbortSignal, resolve: () => void, reject: (error: unknown) => void) {
    this.#signal = signal;
    this.#resolve = resolve;
    this.#reject = reject;
    this.#timer = setTimeout(Sleeper.#wake, delayMs, this);
    subscribeAbort(signal, this);
  }

  /** The signal aborted: stop the timer and reject now. */
  handleEvent(): void {
    clearTimeout(this.#timer);
    this.#reject(abortError(this.#signal));
  }

  static #wake(self: Sleeper): void {
    unsubscribeAbort(self.#signal, self);
    self.#resolve();
  }
}

/**
 * Waits `ms` (clamped to MAX_TIMER_MS, so a huge wait cannot overflow into an immediate one). When `signal` aborts,
 * the promise rejects in that same tick with `abortError(signal)` (CANCELLED for a caller's abort) and the timer is
 * cleared; when the wait ends, it unsubscribes, so a long-lived signal collects no listeners.
 */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  const delayMs = timerDelayMs(ms);
  if (signal === undefined) return new Promise(resolve => void setTimeout(resolve, delayMs));
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise((resolve, reject) => void new Sleeper(delayMs, signal, resolve, reject));
}
