import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { seededRandom } from '../src/emulator/random.js';
import { OperationStore } from '../src/emulator/store.js';

const defaults = { doneFraction: 0, durationMs: 600_000, uncancellableFraction: 0 };
const PARENT = 'projects/demo/locations/global';

function newStore(seed = 7): OperationStore {
  return new OperationStore(seededRandom(seed), defaults);
}

describe('the operation store', () => {
  test('names are op-000001 style, stable, sortable and found again from the name alone', () => {
    const store = newStore();
    const first = store.create({ count: 3 }, 0);
    assert.deepEqual(store.namesFrom(first, 3), [`${PARENT}/operations/op-000001`, `${PARENT}/operations/op-000002`, `${PARENT}/operations/op-000003`]);
    const more = store.create({ count: 2, idPrefix: 'x_' }, 0);
    const again = store.create({ count: 1 }, 0);
    assert.deepEqual(store.namesFrom(more, 2), [`${PARENT}/operations/x_000001`, `${PARENT}/operations/x_000002`]);
    assert.deepEqual(store.namesFrom(again, 1), [`${PARENT}/operations/op-000004`]);
    assert.equal(store.find(PARENT, 'op-000004'), again);
    assert.equal(store.find(PARENT, 'x_000002'), more + 1);
    for (const id of ['op-000005', 'op-00001', 'op-0000001', 'op-', 'x_000003', 'zz-000001']) assert.equal(store.find(PARENT, id), -1, id);
    assert.equal(store.find('projects/other/locations/global', 'op-000001'), -1);
  });

  test('refuses a prefix that ends in a digit, a bad parent and a negative count, naming the field', () => {
    const store = newStore();
    assert.throws(() => store.create({ count: 1, idPrefix: 'op1' }, 0), /idPrefix/);
    assert.throws(() => store.create({ count: 1, parent: 'projects/x' }, 0), /parent/);
    assert.throws(() => store.create({ count: -1 }, 0), /count/);
    assert.throws(() => store.create({ count: 1, doneFraction: 2 }, 0), /doneFraction/);
  });

  test('a running operation completes by itself at its time, computed on access, with no timer', () => {
    const store = newStore();
    const i = store.create({ count: 1, durationMs: 1000 }, 10_000);
    assert.equal(store.isDone(i, 10_999), false);
    assert.equal(store.isDone(i, 11_000), true);
    assert.equal(store.record(i, 11_000).state, 'succeeded');
  });

  test('cancel: running becomes cancelled, uncancellable becomes completed, done stays unchanged', () => {
    const store = newStore();
    const plain = store.create({ count: 1 }, 0);
    const stubborn = store.create({ count: 1, uncancellableFraction: 1 }, 0);
    const finished = store.create({ count: 1, doneFraction: 1 }, 0);
    assert.equal(store.cancel(plain, 5), 'cancelled');
    assert.equal(store.cancel(plain, 6), 'unchanged');
    assert.equal(store.record(plain, 6).state, 'cancelled');
    assert.equal(store.cancel(stubborn, 5), 'completed');
    assert.equal(store.record(stubborn, 6).state, 'succeeded');
    assert.equal(store.cancel(finished, 5), 'unchanged');
    assert.equal(store.record(finished, 6).state, 'succeeded');
  });

  test('the same seed gives the same done and uncancellable operations', () => {
    const states = (seed: number): string => {
      const store = newStore(seed);
      const first = store.create({ count: 200, doneFraction: 0.3, uncancellableFraction: 0.3 }, 0);
      return Array.from({ length: 200 }, (_, k) => `${store.isDone(first + k, 0)}${store.record(first + k, 0).uncancellable}`).join();
    };
    assert.equal(states(1), states(1));
    assert.notEqual(states(1), states(2));
  });

  test('list skips deleted operations, filters on done and ends with next -1 exactly at the last match', () => {
    const store = newStore();
    const first = store.create({ count: 6 }, 0);
    store.create({ count: 2, parent: 'projects/elsewhere/locations/global' }, 0);
    store.create({ count: 2, idPrefix: 'b-' }, 0);
    store.cancel(first + 1, 1);
    store.delete(first + 2);
    assert.deepEqual(store.list(PARENT, 0, true, 10, 2), { indices: [first + 1], next: -1 });
    const page = store.list(PARENT, 0, false, 3, 2);
    assert.deepEqual(page, { indices: [0, 3, 4], next: 5 });
    assert.deepEqual(store.list(PARENT, page.next, false, 3, 2), { indices: [5, 8, 9], next: -1 });
  });

  test('holds a million operations in a few tens of megabytes', () => {
    const before = process.memoryUsage();
    const store = newStore();
    const first = store.create({ count: 1_000_000, doneFraction: 0.5 }, 0);
    const after = process.memoryUsage();
    const grownBytes = (after.heapUsed + after.arrayBuffers) - (before.heapUsed + before.arrayBuffers);
    assert.ok(grownBytes < 40 * 1024 * 1024, `grew ${Math.round(grownBytes / 1024 / 1024)} MiB`);
    assert.equal(store.find(PARENT, 'op-999999'), first + 999_998);
    assert.equal(store.find(PARENT, 'op-1000000'), first + 999_999);
    assert.equal(store.names.nameAt(first + 999_999), `${PARENT}/operations/op-1000000`);
  });
});
