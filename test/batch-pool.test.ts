import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { runPool } from '../src/batch/pool.js';

const settle = (): Promise<void> => new Promise(resolve => setImmediate(resolve));

/** A source of 0..count-1 that records how many items were pulled and whether it was closed. */
function countingSource(count: number): { items: AsyncGenerator<number>; pulled: () => number; closed: () => boolean } {
  let pulled = 0;
  let closed = false;
  const items = (async function* () {
    try {
      for (let i = 0; i < count; i += 1) {
        pulled += 1;
        yield i;
      }
    } finally {
      closed = true;
    }
  })();
  return { items, pulled: () => pulled, closed: () => closed };
}

/** A promise to hold workers on, and the function that lets them all go. */
function gate(): { wait: Promise<void>; open: () => void } {
  let open = (): void => undefined;
  const wait = new Promise<void>(resolve => {
    open = resolve;
  });
  return { wait, open };
}

describe('runPool', () => {
  test('works every item once with never more than N in flight', async () => {
    const source = countingSource(1000);
    let inFlight = 0;
    let most = 0;
    const done = new Set<number>();
    await runPool(source.items, 8, async item => {
      inFlight += 1;
      most = Math.max(most, inFlight);
      for (let i = 0; i < item % 3; i += 1) await settle();
      inFlight -= 1;
      done.add(item);
    });
    assert.equal(done.size, 1000);
    assert.equal(most, 8);
  });

  test('reads at most N items ahead of the work', async () => {
    const source = countingSource(1000);
    const held = gate();
    let started = 0;
    const running = runPool(source.items, 4, async () => {
      started += 1;
      await held.wait;
    });
    for (let i = 0; i < 20; i += 1) await settle();
    assert.equal(started, 4);
    assert.equal(source.pulled(), 4);
    held.open();
    await running;
    assert.equal(source.pulled(), 1000);
  });

  test('on abort, takes no new items, lets the running ones finish, then closes the source', async () => {
    const source = countingSource(1_000_000);
    const controller = new AbortController();
    let started = 0;
    let finished = 0;
    const running = runPool(source.items, 16, async () => {
      started += 1;
      if (started === 100) controller.abort();
      for (let i = 0; i < 5; i += 1) await settle();
      finished += 1;
    }, { signal: controller.signal });
    await running;
    assert.ok(started >= 100 && started < 100 + 16, `started ${started}`);
    assert.equal(finished, started);
    assert.equal(source.pulled(), started);
    assert.equal(source.closed(), true);
  });

  test('on abort, stops waiting for a source that sends nothing', async () => {
    const controller = new AbortController();
    const silent = (async function* () {
      yield 1;
      await new Promise(() => undefined);
    })();
    const seen: number[] = [];
    const running = runPool(silent, 4, async item => { seen.push(item); }, { signal: controller.signal });
    for (let i = 0; i < 5; i += 1) await settle();
    controller.abort();
    await running;
    assert.deepEqual(seen, [1]);
  });

  test('pulls nothing when the signal has already aborted', async () => {
    const source = countingSource(10);
    await runPool(source.items, 4, async () => undefined, { signal: AbortSignal.abort() });
    assert.equal(source.pulled(), 0);
  });

  test('rethrows a worker failure after the other workers finish, taking no new items', async () => {
    const source = countingSource(1000);
    let finished = 0;
    let started = 0;
    const failure = new Error('worker broke');
    await assert.rejects(runPool(source.items, 8, async item => {
      started += 1;
      if (item === 20) throw failure;
      for (let i = 0; i < 3; i += 1) await settle();
      finished += 1;
    }), error => error === failure);
    assert.equal(finished, started - 1);
    assert.ok(source.pulled() < 20 + 8, `pulled ${source.pulled()}`);
    assert.equal(source.closed(), true);
  });

  test('rethrows a worker failure while another worker waits on a source that sends nothing', async () => {
    const stalls = (async function* () {
      yield 1;
      await new Promise(() => undefined);
    })();
    await assert.rejects(runPool(stalls, 2, async () => {
      await settle();
      throw new Error('worker broke');
    }), /worker broke/);
  });

  test('rethrows a source failure after the running workers finish', async () => {
    const broken = (async function* () {
      yield 1;
      yield 2;
      throw new Error('input unreadable');
    })();
    let finished = 0;
    await assert.rejects(runPool(broken, 4, async () => {
      for (let i = 0; i < 3; i += 1) await settle();
      finished += 1;
    }), /input unreadable/);
    assert.equal(finished, 2);
  });

  test('never calls next() on an iterator while a previous call is pending', async () => {
    let pending = false;
    let next = 0;
    const strict: AsyncIterable<number> = {
      [Symbol.asyncIterator]: () => ({
        async next(): Promise<IteratorResult<number>> {
          assert.equal(pending, false, 'overlapping next()');
          pending = true;
          await settle();
          pending = false;
          next += 1;
          return next > 50 ? { done: true, value: undefined } : { done: false, value: next };
        },
      }),
    };
    let worked = 0;
    await runPool(strict, 8, async () => { worked += 1; });
    assert.equal(worked, 50);
  });

  test('refuses a concurrency that is not a positive integer', async () => {
    for (const concurrency of [0, -1, 1.5, NaN]) {
      await assert.rejects(runPool(countingSource(1).items, concurrency, async () => undefined), (error: unknown) =>
        error instanceof OperationsError && error.code === Code.INVALID_ARGUMENT && /concurrency must be an integer >= 1/.test(error.message));
    }
  });
});
