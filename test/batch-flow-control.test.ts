import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { FlowControl, type FlowClock, type FlowState } from '../src/batch/flow-control.js';

/** A clock that moves only when told; timers fire in order as it passes them. */
class FakeClock implements FlowClock {
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

/** The error an attempt ended with (undefined for OK), as the retry loop hands it to the gate. */
function errorOf(code: Code, retryAfterMs?: number, details: OperationsError['details'] = []): OperationsError | undefined {
  if (code === Code.OK) return undefined;
  return new OperationsError(code, 'answer', { details, ...(retryAfterMs === undefined ? {} : { retryAfterMs }) });
}
/** No deadline: waiters then need no timer of their own. */
const FAR = Infinity;

function flow(options: { ceiling?: number; startupInFlight?: number } = {}) {
  const clock = new FakeClock();
  const states: FlowState[] = [];
  const gate = new FlowControl({
    clock, random: () => 0.5, ceilingPerSecond: options.ceiling, startupInFlight: options.startupInFlight ?? 1000,
    onStateChange: state => states.push(state),
  });
  return { clock, gate, states };
}

/** Offers `perSecond` attempts a second for `ms`; each granted one ends at once with `answer(i)`. Returns the grants. */
async function offer(gate: FlowControl, clock: FakeClock, perSecond: number, ms: number, answer: (i: number) => [Code, number?]): Promise<number> {
  let granted = 0;
  const stepMs = 1000 / perSecond;
  for (let elapsed = 0; elapsed < ms; elapsed += stepMs) {
    void gate.acquire(FAR, undefined).then(ticket => {
      const [code, retryAfterMs] = answer(granted);
      granted += 1;
      gate.release(ticket, errorOf(code, retryAfterMs));
    }, () => undefined);
    await clock.advance(stepMs);
  }
  return granted;
}

describe('batch flow control', () => {
  test('lets everything through at once with no ceiling and a healthy service', async () => {
    const { gate, clock } = flow();
    assert.equal(await offer(gate, clock, 1000, 1000, () => [Code.OK]), 1000);
    assert.equal(gate.ratePerSecond, Infinity);
  });

  test('holds requests to the ceiling (--rps), whatever they are', async () => {
    const { gate, clock } = flow({ ceiling: 100 });
    const granted = await offer(gate, clock, 1000, 2000, i => [i % 2 === 0 ? Code.OK : Code.NOT_FOUND]);
    assert.ok(granted >= 190 && granted <= 215, `${granted} grants in 2 s at 100/s`);
  });

  test('an outage pauses all attempts, probes 1 s then 2 s apart, and the first answer resumes full speed', async () => {
    const { gate, clock, states } = flow();
    let down = true;
    const granted = await offer(gate, clock, 200, 1000, () => [down ? Code.UNAVAILABLE : Code.OK]);
    assert.equal(gate.state.kind, 'paused');
    assert.equal(gate.state.kind === 'paused' ? gate.state.reason : '', 'unavailable');
    assert.ok(granted < 100, `${granted} attempts met the outage in its first second`);
    const during = await offer(gate, clock, 200, 2500, () => [Code.UNAVAILABLE]);
    assert.ok(during <= 2, `${during} probes in 2.5 s of outage`);
    down = false;
    await clock.advance(5000);
    assert.equal(gate.state.kind, 'running', 'a probe got through and the batch resumed');
    assert.equal(await offer(gate, clock, 200, 500, () => [Code.OK]), 100, 'full speed again');
    assert.equal(gate.pauses, 1);
    assert.ok(states.some(s => s.kind === 'paused') && states.at(-1)?.kind === 'running');
  });

  test('a burst of failures from one dropped connection does not pause: the answers after it get through', async () => {
    const { gate, clock } = flow();
    const tickets = await Promise.all(Array.from({ length: 64 }, () => gate.acquire(FAR, undefined)));
    for (const ticket of tickets) gate.release(ticket, errorOf(Code.UNAVAILABLE));
    await offer(gate, clock, 400, 500, () => [Code.OK]);
    assert.equal(gate.state.kind, 'running');
    assert.equal(gate.pauses, 0);
  });

  test('a quota refusal without RetryInfo sets the rate just under what the service accepted, and waits for the window', async () => {
    const { gate, clock } = flow();
    // A quota of 300 per fixed one-second window, offered 1000/s.
    let windowStart = 0;
    let inWindow = 0;
    const quota = (): [Code] => {
      if (clock.nowMs - windowStart >= 1000) {
        windowStart = clock.nowMs - (clock.nowMs % 1000);
        inWindow = 0;
      }
      inWindow += 1;
      return [inWindow <= 300 ? Code.OK : Code.RESOURCE_EXHAUSTED];
    };
    let refused = 0;
    const granted = await offer(gate, clock, 600, 10_000, () => {
      const [code] = quota();
      if (code !== Code.OK) refused += 1;
      return [code];
    });
    assert.ok(gate.ratePerSecond >= 250 && gate.ratePerSecond <= 320, `settled at ${gate.ratePerSecond.toFixed(0)}/s`);
    assert.ok(granted - refused >= 0.85 * 3000, `${granted - refused} accepted in 10 s of a 300/s quota`);
    assert.ok(refused <= 0.05 * granted, `${refused} refused of ${granted}`);
  });

  test('shards sharing a quota that states its limit each settle at their share, however unevenly they start', async () => {
    const clock = new FakeClock();
    const gates = [0, 1, 2, 3].map(() => new FlowControl({ clock, random: () => 0.5, shards: 4, startupInFlight: 1000 }));
    const limit = [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'RATE_LIMIT_EXCEEDED', metadata: { quota_limit: 'RequestsPerSecondPerProject', quota_limit_value: '400' } }];
    let windowStart = 0;
    let inWindow = 0;
    const accepted = [0, 0, 0, 0];
    let refused = 0;
    // Shard i offers (i + 1) x 150 requests a second: 150 to 600, 1,500 in all against 400 allowed.
    const owed = [0, 0, 0, 0];
    for (let tick = 0; tick < 10_000; tick += 1) {
      gates.forEach((gate, i) => {
        owed[i] = (owed[i] ?? 0) + (i + 1) * 0.3;
        if ((owed[i] ?? 0) < 1) return;
        owed[i] = (owed[i] ?? 0) - 1;
        void gate.acquire(FAR, undefined).then(ticket => {
          if (clock.nowMs - windowStart >= 1000) {
            windowStart = clock.nowMs - (clock.nowMs % 1000);
            inWindow = 0;
          }
          inWindow += 1;
          if (inWindow <= 400) {
            if (clock.nowMs >= 10_000) accepted[i] = (accepted[i] ?? 0) + 1;
            gate.release(ticket, undefined);
          } else {
            refused += 1;
            gate.release(ticket, errorOf(Code.RESOURCE_EXHAUSTED, undefined, limit));
          }
        }, () => undefined);
      });
      await clock.advance(2);
    }
    // The last 10 s: each shard near 100/s, together near the quota.
    const rates = accepted.map(n => n / 10);
    assert.ok(rates.every(rate => rate >= 80 && rate <= 120), `shard rates ${rates.join(', ')}`);
    const total = rates.reduce((a, b) => a + b, 0);
    assert.ok(total >= 0.9 * 400, `together ${total}/s`);
    assert.ok(refused < 0.05 * 20 * 400, `${refused} refused`);
  });

  test('RetryInfo on a tenth of the answers holds new attempts for the delay; on a few percent it does not', async () => {
    const sparse = flow();
    let i = 0;
    const few = await offer(sparse.gate, sparse.clock, 1000, 1000, () => [i++ % 50 === 0 ? Code.RESOURCE_EXHAUSTED : Code.OK, 200]);
    assert.ok(few >= 990, `${few} of 1000 went: a steady 2% of pushbacks holds nothing`);
    const dense = flow();
    let j = 0;
    const many = await offer(dense.gate, dense.clock, 1000, 1000, () => [j++ % 4 === 0 ? Code.RESOURCE_EXHAUSTED : Code.OK, 200]);
    assert.ok(many < 700, `${many} of 1000 went: 25% of pushbacks with a 200 ms delay hold new attempts`);
  });

  test('before the first OK only `startupInFlight` attempts are in flight', async () => {
    const { gate } = flow({ startupInFlight: 3 });
    const first = await Promise.all([gate.acquire(FAR, undefined), gate.acquire(FAR, undefined), gate.acquire(FAR, undefined)]);
    let fourth = false;
    void gate.acquire(FAR, undefined).then(() => { fourth = true; });
    await settle();
    assert.equal(fourth, false, 'the fourth waits');
    gate.release(first[0] as number, errorOf(Code.PERMISSION_DENIED));
    await settle();
    assert.equal(fourth, true, 'one answered, one more goes');
  });

  test('stop rejects every waiter and every later acquire with CANCELLED', async () => {
    const { gate } = flow({ startupInFlight: 1 });
    await gate.acquire(FAR, undefined);
    const waiting = gate.acquire(FAR, undefined);
    gate.stop();
    await assert.rejects(waiting, (error: unknown) => error instanceof OperationsError && error.code === Code.CANCELLED);
    await assert.rejects(gate.acquire(FAR, undefined), (error: unknown) => error instanceof OperationsError && error.code === Code.CANCELLED);
  });

  test('a waiter whose deadline passes leaves with DEADLINE_EXCEEDED; one whose signal aborts, with its abort', async () => {
    const { gate, clock } = flow({ startupInFlight: 1 });
    await gate.acquire(FAR, undefined);
    const late = assert.rejects(gate.acquire(Date.now() + 50, undefined), (error: unknown) => error instanceof OperationsError && error.code === Code.DEADLINE_EXCEEDED);
    await clock.advance(60);
    await late;
    const controller = new AbortController();
    const aborted = gate.acquire(FAR, controller.signal);
    controller.abort();
    await assert.rejects(aborted, (error: unknown) => error instanceof OperationsError && error.code === Code.CANCELLED);
    assert.equal(gate.waiting, 0);
  });
});
