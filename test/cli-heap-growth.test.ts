import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { limitHeapGrowthForBatch } from '../src/cli/heap-growth.js';

describe('the batch command\'s heap growth limit', () => {
  test('is set when the user gave no heap growth flag of their own', () => {
    assert.equal(limitHeapGrowthForBatch(['--enable-source-maps', '--max-old-space-size=4096']), true);
    assert.equal(limitHeapGrowthForBatch([]), true);
  });

  test('is left alone when the user gave it to node, in any spelling V8 accepts', () => {
    for (const given of ['--heap-growing-percent=50', '--heap_growing_percent=80', '-heap-growing-percent=30']) {
      assert.equal(limitHeapGrowthForBatch(['--trace-warnings', given]), false, given);
    }
  });
});
