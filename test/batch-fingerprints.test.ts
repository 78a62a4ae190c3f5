import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { DEFAULT_FINGERPRINT_SLOTS, FingerprintSet } from '../src/batch/fingerprints.js';

const OP = (id: number): string => `projects/p${id % 37}/locations/us-central1/operations/operation-${id}`;

describe('FingerprintSet', () => {
  test('remembers 1,000,000 distinct names with no false negative and no false positive', () => {
    const seen = new FingerprintSet();
    let reportedNew = 0;
    for (let i = 0; i < 1_000_000; i += 1) if (seen.add(OP(i))) reportedNew += 1;
    assert.equal(reportedNew, 1_000_000);
    assert.equal(seen.size, 1_000_000);
    let found = 0;
    for (let i = 0; i < 1_000_000; i += 1) if (seen.has(OP(i))) found += 1;
    assert.equal(found, 1_000_000);
    let again = 0;
    for (let i = 0; i < 1_000_000; i += 1) if (!seen.add(OP(i))) again += 1;
    assert.equal(again, 1_000_000);
    assert.equal(seen.has(OP(1_000_001)), false);
    assert.equal(seen.full, false);
  });

  test('reports a duplicate once it has been added, and tells names apart that differ in one character', () => {
    const seen = new FingerprintSet({ slots: 1024 });
    assert.equal(seen.add('projects/p/locations/l/operations/a'), true);
    assert.equal(seen.add('projects/p/locations/l/operations/b'), true);
    assert.equal(seen.add('projects/p/locations/l/operations/a'), false);
    assert.equal(seen.has('projects/p/locations/l/operations/A'), false);
    assert.equal(seen.has('projects/p/locations/l/operations/é'), false);
    assert.equal(seen.add(''), true);
    assert.equal(seen.add(''), false);
    assert.equal(seen.size, 3);
  });

  test('when full, still finds the names it holds, reports new ones as new and says it is full', () => {
    const seen = new FingerprintSet({ slots: 16 });
    assert.equal(seen.capacity, 12);
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

  test('takes 32 MiB by default and refuses a size that is not a power of two', () => {
    assert.equal(DEFAULT_FINGERPRINT_SLOTS * 8, 32 * 2 ** 20);
    assert.equal(new FingerprintSet().capacity, 3_145_728);
    for (const slots of [0, 1000, 1.5, 2 ** 31]) {
      assert.throws(() => new FingerprintSet({ slots }), (error: unknown) =>
        error instanceof OperationsError && error.code === Code.INVALID_ARGUMENT && /slots must be a power of two/.test(error.message));
    }
  });
});
