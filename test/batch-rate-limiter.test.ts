import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { AdaptiveRateLimiter, type LimiterClock } from '../src/batch/rate-limiter.js';

/** A clock that moves only when told; timers fire in order as it passes them. */
class FakeClock implements LimiterClock {
  nowMs = 0;
  timers: { at: number; wake: () => void }[] = [];

  now(): number {
    return this.nowMs;
  }

  schedule(wake: () => void, delayMs: number): () => void {
    const timer = { at: this.nowMs + delayMs, wake };
    this.timers.push(timer);
    return () => {
      this.timers = this.timers.filter(t => t !== timer);
    };
  }

  /** Moves time forward by `ms`, firing due timers and letting what they resolve run. */
  async advance(ms: number): Promise<void> {
    const end = this.nowMs + ms;
    for (;;) {
      const due = this.timers.filter(t => t.at <= end).sort((a, b) => a.at - b.at)[0];
      if (due === undefined) break;
      this.timers = this.timers.filter(t => t !== due);
      this.nowMs = Math.max(this.nowMs, due.at);
      due.wake();
      await settle();
    }
    this.nowMs = end;
    await settle();
  }
}

const settle = (): Promise<void> => new Promise(resolve => setImmediate(resolve));

/** A burst of pushbacks large enough to be congestion (a tenth of the 2 s window's grants, which is at most 400 here). */
function congest(limiter: AdaptiveRateLimiter, retryAfterMs?: number): void {
  for (let i = 0; i < 40; i += 1) limiter.onPushback(retryAfterMs);
}

/** Offers `perSecond` calls a second for `durationMs`, each reporting success when granted; returns the grants. */
async function offerLoad(limiter: AdaptiveRateLimiter, clock: FakeClock, perSecond: number, durationMs: number): Promise<number> {
  let granted = 0;
  const stepMs = 1000 / perSecond;
  for (let elapsed = 0; elapsed < durationMs; elapsed += stepMs) {
    void limiter.acquire().then(() => {
      granted += 1;
      limiter.onSuccess();
    });
    await clock.advance(stepMs);
  }
  return granted;
}

describe('AdaptiveRateLimiter', () => {
  test('grants at once and reports Infinity when unlimited', async () => {
    const limiter = new AdaptiveRateLimiter({ clock: new FakeClock() });
    for (let i = 0; i < 1000; i += 1) await limiter.acquire();
    assert.equal(limiter.currentRatePerSecond, Infinity);
  });

  test('never grants more than the ceiling (plus a tenth of a second of burst), with one timer at a time', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveRateLimiter({ ratePerSecond: 100, clock });
    let granted = 0;
    for (let i = 0; i < 1000; i += 1) void limiter.acquire().then(() => { granted += 1; });
    await settle();
    assert.equal(granted, 10, 'the burst');
    let mostTimers = 0;
    for (let ms = 0; ms < 2000; ms += 50) {
      await clock.advance(50);
      mostTimers = Math.max(mostTimers, clock.timers.length);
    }
    assert.ok(granted >= 200 && granted <= 211, `granted ${granted} in 2 s at 100/s`);
    assert.equal(mostTimers, 1);
    assert.equal(limiter.waiting, 1000 - granted);
  });

  test('halves the rate on pushback, once per burst of pushbacks, never below the floor', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveRateLimiter({ ratePerSecond: 100, minRatePerSecond: 20, clock });
    await offerLoad(limiter, clock, 100, 2000);
    congest(limiter);
    assert.equal(limiter.currentRatePerSecond, 50);
    congest(limiter);
    assert.equal(limiter.currentRatePerSecond, 50, 'pushbacks within a second are one congestion event');
    await offerLoad(limiter, clock, 50, 1000);
    congest(limiter);
    assert.equal(limiter.currentRatePerSecond, 25);
    await offerLoad(limiter, clock, 25, 1000);
    congest(limiter);
    assert.equal(limiter.currentRatePerSecond, 20);
  });

  test('never raises a ceiling below the floor on pushback', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveRateLimiter({ ratePerSecond: 0.5, clock });
    limiter.onPushback();
    assert.equal(limiter.currentRatePerSecond, 0.5);
  });

  test('halves from the rate actually achieved when that is below the limit', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveRateLimiter({ clock });
    await offerLoad(limiter, clock, 200, 2000);
    congest(limiter);
    const rate = limiter.currentRatePerSecond;
    assert.ok(rate >= 95 && rate <= 105, `unlimited, achieving 200/s, halves to ~100/s, got ${rate}`);
  });

  test('pauses new grants until the server retry delay has passed', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveRateLimiter({ clock });
    limiter.onPushback(5000);
    let granted = false;
    void limiter.acquire().then(() => { granted = true; });
    await clock.advance(4990);
    assert.equal(granted, false);
    await clock.advance(20);
    assert.equal(granted, true);
  });

  test('caps a server retry delay at maxPauseMs', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveRateLimiter({ clock, maxPauseMs: 1000 });
    limiter.onPushback(3_600_000);
    let granted = false;
    void limiter.acquire().then(() => { granted = true; });
    await clock.advance(1001);
    assert.equal(granted, true);
  });

  test('recovers gradually, about 5% a second, up to the ceiling and no further', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveRateLimiter({ ratePerSecond: 100, clock });
    await offerLoad(limiter, clock, 100, 2000);
    congest(limiter);
    assert.equal(limiter.currentRatePerSecond, 50);
    await offerLoad(limiter, clock, 100, 2000);
    assert.equal(limiter.currentRatePerSecond, 50, 'no recovery in the first two seconds');
    await offerLoad(limiter, clock, 100, 4000);
    const afterSix = limiter.currentRatePerSecond;
    assert.ok(afterSix > 58 && afterSix < 63, `50 * 1.05^4 = 60.8, got ${afterSix}`);
    await offerLoad(limiter, clock, 100, 20_000);
    assert.equal(limiter.currentRatePerSecond, 100);
  });

  test('with no ceiling, lifts the limit once it is well above what the batch achieves', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveRateLimiter({ clock });
    await offerLoad(limiter, clock, 100, 2000);
    congest(limiter);
    assert.ok(limiter.currentRatePerSecond <= 55);
    await offerLoad(limiter, clock, 100, 10_000);
    assert.ok(Number.isFinite(limiter.currentRatePerSecond), 'still limited while the limit is what holds the batch back');
    await offerLoad(limiter, clock, 100, 40_000);
    assert.equal(limiter.currentRatePerSecond, Infinity);
  });

  test('a steady few percent of pushback is not congestion: the rate holds, and each retry delay still pauses', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveRateLimiter({ ratePerSecond: 200, clock });
    let granted = 0;
    for (let step = 0; step < 2000; step += 1) {
      void limiter.acquire().then(() => {
        granted += 1;
        // One call in twenty is turned away, at any rate: 5%, under the congestion share.
        if (granted % 20 === 0) limiter.onPushback();
        else limiter.onSuccess();
      });
      await clock.advance(5);
    }
    assert.equal(limiter.currentRatePerSecond, 200, 'never halved');
    assert.ok(granted > 1900, `about 200/s for 10 s, got ${granted}`);
    limiter.onPushback(300);
    let next = false;
    void limiter.acquire().then(() => { next = true; });
    await clock.advance(290);
    assert.equal(next, false, 'paused for the retry delay');
    await clock.advance(20);
    assert.equal(next, true);
  });

  test('serves waiters first come, first served', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveRateLimiter({ ratePerSecond: 10, clock });
    const order: number[] = [];
    for (let i = 0; i < 5; i += 1) void limiter.acquire().then(() => order.push(i));
    await clock.advance(1000);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });

  test('ends a waiting acquire at once when its signal aborts, and leaves no timer behind', async () => {
    const clock = new FakeClock();
    const limiter = new AdaptiveRateLimiter({ ratePerSecond: 1, clock });
    await limiter.acquire();
    const controller = new AbortController();
    const waiting = limiter.acquire(controller.signal);
    const outcome = waiting.then(() => 'granted', (error: unknown) => error);
    assert.equal(clock.timers.length, 1);
    controller.abort();
    const result = await Promise.race([outcome, settle().then(() => 'still waiting')]);
    assert.ok(result instanceof OperationsError, String(result));
    assert.equal(result.code, Code.CANCELLED);
    assert.equal(limiter.waiting, 0);
    assert.equal(clock.timers.length, 0);
    await assert.rejects(limiter.acquire(AbortSignal.abort()), (error: unknown) => error instanceof OperationsError && error.code === Code.CANCELLED);
  });

  test('paces real time with real timers', async () => {
    const limiter = new AdaptiveRateLimiter({ ratePerSecond: 50 });
    const started = performance.now();
    for (let i = 0; i < 10; i += 1) await limiter.acquire();
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs >= 80 && elapsedMs < 2000, `10 calls at 50/s with a burst of 5 took ${elapsedMs} ms`);
  });

  test('refuses a rate that is not positive', () => {
    assert.throws(() => new AdaptiveRateLimiter({ ratePerSecond: 0 }), /ratePerSecond must be a positive number, got 0/);
    assert.throws(() => new AdaptiveRateLimiter({ minRatePerSecond: -1 }), /minRatePerSecond/);
  });
});
