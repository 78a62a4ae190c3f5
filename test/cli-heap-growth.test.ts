import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { limitHeapGrowthForBatch } from '../src/cli/heap-growth.js';

describe('the batch command\'s heap growth limit', () => {
  test('is set when the user gave no heap growth flag of their own', () => {
    assert.equal(limitHeapGrowthForBatch(['--enable-source-maps'], '--max-old-space-size=4096'), true);
    assert.equal(limitHeapGrowthForBatch([], undefined), true);
  });

  test('is left alone when the user set it on the command line or in NODE_OPTIONS, in either spelling', () => {
    assert.equal(limitHeapGrowthForBatch(['--heap-growing-percent=50'], undefined), false);
    assert.equal(limitHeapGrowthForBatch([], '--trace-warnings --heap_growing_percent=80'), false);
  });
});
