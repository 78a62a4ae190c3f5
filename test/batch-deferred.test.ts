import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeferredQueue, MAX_PASS_DELAY_MS, passDelayMs, passSchedule, type DeferredEntry } from '../src/batch/deferred.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lro-batch-deferred-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const OP = (i: number): string => `projects/p/locations/l/operations/${i}`;
const UNAVAILABLE = { code: 14, codeName: 'UNAVAILABLE' } as const;

async function drainAll(queue: DeferredQueue): Promise<DeferredEntry[]> {
  const out: DeferredEntry[] = [];
  for await (const entry of queue.drain()) out.push(entry);
  return out;
}

describe('DeferredQueue', () => {
  test('gives back every name added, with its last result, when they fit in memory', async () => {
    const queue = new DeferredQueue({ directory: dir });
    await queue.add(OP(1), UNAVAILABLE);
    await queue.add(OP(2), { code: 8, codeName: 'RESOURCE_EXHAUSTED', message: 'quota' });
    assert.equal(queue.size, 2);
    assert.equal(queue.spilled, false);
    assert.deepEqual(await drainAll(queue), [
      { name: OP(1), lastResult: UNAVAILABLE },
      { name: OP(2), lastResult: { code: 8, codeName: 'RESOURCE_EXHAUSTED', message: 'quota' } },
    ]);
    await queue.close();
    assert.deepEqual(readdirSync(dir), []);
  });

  test('spills past its memory share to a temporary file, drains it all in order, and removes the file on close', async () => {
    const queue = new DeferredQueue({ directory: dir, memoryEntries: 100 });
    for (let i = 0; i < 10_000; i += 1) await queue.add(OP(i), UNAVAILABLE);
    assert.equal(queue.spilled, true);
    assert.equal(queue.size, 10_000);
    const [spillDir] = readdirSync(dir);
    assert.match(spillDir ?? '', /^lro-cancel-deferred-/);
    const drained = await drainAll(queue);
    assert.equal(drained.length, 10_000);
    drained.forEach((entry, i) => assert.deepEqual(entry, { name: OP(i), lastResult: UNAVAILABLE }));
    await queue.close();
    assert.equal(existsSync(join(dir, spillDir ?? '')), false);
    assert.deepEqual(readdirSync(dir), []);
  });

  test('holds 200,000 deferred names in bounded memory', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const queue = new DeferredQueue({ directory: dir });
    gc();
    const baseBytes = process.memoryUsage().heapUsed;
    for (let i = 0; i < 200_000; i += 1) await queue.add(OP(i), UNAVAILABLE);
    gc();
    const grownBytes = process.memoryUsage().heapUsed - baseBytes;
    assert.ok(grownBytes < 8 * 2 ** 20, `heap grew ${grownBytes} bytes for 200,000 deferred names`);
    let drained = 0;
    for await (const entry of queue.drain()) if (entry.name === OP(drained)) drained += 1;
    assert.equal(drained, 200_000);
    await queue.close();
  });

  test('keeps the result it was given, not a later change to it', async () => {
    const queue = new DeferredQueue({ directory: dir });
    const result = { code: 14, codeName: 'UNAVAILABLE' };
    await queue.add(OP(1), result);
    result.code = 0;
    assert.deepEqual((await drainAll(queue))[0]?.lastResult, UNAVAILABLE);
    await queue.close();
  });

  test('is single use: no add after drain, no second drain', async () => {
    const queue = new DeferredQueue({ directory: dir });
    await queue.add(OP(1), UNAVAILABLE);
    await drainAll(queue);
    await assert.rejects(queue.add(OP(2), UNAVAILABLE), /add after drain/);
    await assert.rejects(drainAll(queue), /drained twice/);
    await queue.close();
    await queue.close();
  });

  test('removes the spill file on close even when it was never drained', async () => {
    const queue = new DeferredQueue({ directory: dir, memoryEntries: 0 });
    await queue.add(OP(1), UNAVAILABLE);
    assert.equal(readdirSync(dir).length, 1);
    await queue.close();
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe('passDelayMs', () => {
  test('waits 1 s, 4 s, 16 s, then 60 s after each pass, and nothing before the first', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 100].map(passDelayMs), [0, 1000, 4000, 16_000, 60_000, 60_000, 60_000]);
    assert.equal(MAX_PASS_DELAY_MS, 60_000);
  });

  test('a schedule of one\'s own starts at its first wait, grows x4 and stops at its cap (--pass-delay-ms, --max-pass-delay-ms)', () => {
    assert.deepEqual([0, 1, 2, 3, 4].map(pass => passSchedule(100, 1000)(pass)), [0, 100, 400, 1000, 1000]);
    assert.deepEqual([1, 2].map(pass => passSchedule(0, 0)(pass)), [0, 0]);
  });
});
