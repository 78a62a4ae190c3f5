/**
 * Deadlines are absolute epoch milliseconds (the `Date.now()` scale), computed once per call, so every attempt and
 * every wait asks "how much is left" instead of adding up relative timeouts that drift. `Infinity` means no deadline.
 */

/**
 * The longest delay `setTimeout` honours. Anything above 2^31-1 ms overflows a signed 32-bit integer and Node fires
 * the timer after 1 ms (with a warning), so a long deadline would expire at once; every timer here is clamped to it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** The absolute deadline `timeoutMs` from `now`; an infinite timeout gives an infinite deadline. */
export function deadlineAfter(timeoutMs: number, now: number = Date.now()): number {
  return now + timeoutMs;
}

/** Milliseconds until `deadline`, never negative (0 once it has passed). */
export function timeLeftMs(deadline: number, now: number = Date.now()): number {
  return deadline > now ? deadline - now : 0;
}

/**
 * The deadline of one attempt: `attemptTimeoutMs` from now, but never later than the call's total deadline, so the
 * last attempt gets only what is left (AIP-194: each attempt gets `min(attempt timeout, time left)`).
 */
export function attemptDeadline(attemptTimeoutMs: number, totalDeadline: number, now: number = Date.now()): number {
  const own = now + attemptTimeoutMs;
  return own < totalDeadline ? own : totalDeadline;
}

/** A delay safe to hand to `setTimeout`: not negative, not NaN, at most MAX_TIMER_MS. */
export function timerDelayMs(ms: number): number {
  if (!(ms > 0)) return 0;
  return ms < MAX_TIMER_MS ? ms : MAX_TIMER_MS;
}
