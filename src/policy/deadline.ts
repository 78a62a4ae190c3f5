/**
 * Deadlines are absolute milliseconds on the scale of `now()` below, computed once per call, so every attempt and
 * every wait asks "how much is left" instead of adding up relative timeouts that drift. `Infinity` means no deadline.
 */

/**
 * The clock of every deadline in this library: epoch-scale milliseconds that only move forward. `Date.now()` follows
 * the wall clock, which NTP or a person may step back or forward: a 1 s deadline computed before a 30 s step back
 * would then wait 31 s. This starts at the process's start time and adds monotonic time, so it agrees with
 * `Date.now()` until the wall clock is stepped, and ignores the step. grpc-js takes deadlines on `Date.now()`'s
 * scale: `forGrpc` converts at that boundary.
 */
export function now(): number {
  return performance.timeOrigin + performance.now();
}

/** A deadline on `now()`'s scale, as grpc-js reads one (on `Date.now()`'s, which it compares with). */
export function forGrpc(deadline: number): number {
  return deadline === Infinity ? Infinity : Date.now() + (deadline - now());
}

/**
 * The longest delay `setTimeout` honours. Anything above 2^31-1 ms overflows a signed 32-bit integer and Node fires
 * the timer after 1 ms (with a warning), so a long deadline would expire at once; every timer here is clamped to it.
 */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The deadline of one attempt: `attemptTimeoutMs` from now, but never later than the call's total deadline, so the
 * last attempt gets only what is left (AIP-194: each attempt gets `min(attempt timeout, time left)`).
 */
export function attemptDeadline(attemptTimeoutMs: number, totalDeadline: number, at: number = now()): number {
  const own = at + attemptTimeoutMs;
  return own < totalDeadline ? own : totalDeadline;
}

/** A delay safe to hand to `setTimeout`: not negative, not NaN, at most MAX_TIMER_MS. */
export function timerDelayMs(ms: number): number {
  if (!(ms > 0)) return 0;
  return ms < MAX_TIMER_MS ? ms : MAX_TIMER_MS;
}
