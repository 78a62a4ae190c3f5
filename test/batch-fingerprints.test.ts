import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { FingerprintSet, INITIAL_FINGERPRINT_SLOTS, MAX_FINGERPRINT_SLOTS } from '../src/batch/fingerprints.js';

const OP = (id: number): string => `projects/p${id % 37}/locations/us-central1/operations/operation-${id}`;

describe('FingerprintSet', () => {
  test('remembers 3,300,000 distinct names, past the 3,145,728 a fixed table of 2^22 slots held, growing from its small start, with no false negative and no false positive', () => {
    // 3.3 million is past the old table's 75% of 2^22 slots, so the set grows to 2^23 slots (64 MiB) on the way.
    const names = 3_300_000;
    const seen = new FingerprintSet();
    let reportedNew = 0;
    for (let i = 0; i < names; i += 1) if (seen.add(OP(i))) reportedNew += 1;
    assert.equal(reportedNew, names);
    assert.equal(seen.size, names);
    assert.equal(seen.full, false);
    assert.equal(seen.dropped, 0);
    let lost = 0;
    for (let i = 0; i < names; i += 1) if (!seen.has(OP(i))) lost += 1;
    assert.equal(lost, 0, 'every name added is found');
    let again = 0;
    for (let i = 0; i < names; i += 97) if (!seen.add(OP(i))) again += 1;
    assert.equal(again, Math.ceil(names / 97), 'a name added again (every 97th tried) is a duplicate');
    let falsePositives = 0;
    for (let i = names; i < names + 500_000; i += 1) if (seen.has(OP(i))) falsePositives += 1;
    assert.equal(falsePositives, 0, 'no name never added is found');
    assert.equal(seen.size, names);
  });

  test('reports a duplicate once it has been added, and tells names apart that differ in one character', () => {
    const seen = new FingerprintSet({ initialSlots: 1024 });
    assert.equal(seen.add('projects/p/locations/l/operations/a'), true);
    assert.equal(seen.add('projects/p/locations/l/operations/b'), true);
    assert.equal(seen.add('projects/p/locations/l/operations/a'), false);
    assert.equal(seen.has('projects/p/locations/l/operations/A'), false);
    assert.equal(seen.has('projects/p/locations/l/operations/é'), false);
    assert.equal(seen.add(''), true);
    assert.equal(seen.add(''), false);
    assert.equal(seen.size, 3);
  });

  test('keeps every name across its growths', () => {
    const seen = new FingerprintSet({ initialSlots: 2 });
    for (let i = 0; i < 5000; i += 1) assert.equal(seen.add(OP(i)), true);
    for (let i = 0; i < 5000; i += 1) assert.equal(seen.has(OP(i)), true, `name ${i} lost in a growth`);
    assert.equal(seen.has(OP(5000)), false);
    assert.equal(seen.size, 5000);
  });

  test('when full at its largest, still finds the names it holds, reports new ones as new and says it is full', () => {
    const seen = new FingerprintSet({ initialSlots: 8, maxSlots: 16 });
    for (let i = 0; i < 12; i += 1) assert.equal(seen.add(OP(i)), true);
    assert.equal(seen.full, false);
    assert.equal(seen.add(OP(100)), true);
    assert.equal(seen.add(OP(100)), true, 'a name not remembered is new again: cancelled twice, never skipped');
    assert.equal(seen.full, true);
    assert.equal(seen.dropped, 2);
    assert.equal(seen.size, 12);
    for (let i = 0; i < 12; i += 1) assert.equal(seen.add(OP(i)), false);
    assert.equal(seen.has(OP(100)), false);
  });

  test('starts at 512 KiB, grows to at most 1 GiB, and refuses a size that is not a power of two', () => {
    assert.equal(INITIAL_FINGERPRINT_SLOTS * 8, 512 * 2 ** 10);
    assert.equal(MAX_FINGERPRINT_SLOTS * 8, 2 ** 30);
    for (const initialSlots of [0, 1000, 1.5, 2 ** 31]) {
      assert.throws(() => new FingerprintSet({ initialSlots }), (error: unknown) =>
        error instanceof OperationsError && error.code === Code.INVALID_ARGUMENT && /initialSlots must be a power of two/.test(error.message));
    }
  });
});
