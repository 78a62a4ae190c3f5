import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { DeferredQueue, MAX_PASS_DELAY_MS, passSchedule } from '../src/batch/deferred.js';
import { now } from '../src/policy/deadline.js';
import type { JsonLineRecord } from '../src/batch/jsonl.js';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lro-batch-deferred-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

const OP = (i: number): string => `projects/p/locations/l/operations/${i}`;
const unavailable = (i: number): JsonLineRecord => ({ name: OP(i), outcome: 'error', code: 14, codeName: 'UNAVAILABLE', attempts: 3 });

async function drainAll(queue: DeferredQueue): Promise<JsonLineRecord[]> {
  const out: JsonLineRecord[] = [];
  for await (const entry of queue.drain()) out.push(entry);
  return out;
}

describe('DeferredQueue', () => {
  test('gives back every record added, when they fit in memory, without a file', async () => {
    const queue = new DeferredQueue({ directory: dir });
    const requested = { name: OP(2), outcome: 'requested', code: 0, codeName: 'OK', attempts: 1, message: 'quota' };
    await queue.add(unavailable(1));
    await queue.add(requested);
    assert.equal(queue.size, 2);
    assert.deepEqual(readdirSync(dir), []);
    assert.deepEqual(await drainAll(queue), [unavailable(1), requested]);
    await queue.close();
    assert.deepEqual(readdirSync(dir), []);
  });

  test('spills past its memory share to a temporary file, drains it all in order, and removes the file on close', async () => {
    const queue = new DeferredQueue({ directory: dir, memoryEntries: 100 });
    for (let i = 0; i < 10_000; i += 1) await queue.add(unavailable(i));
    assert.equal(queue.size, 10_000);
    const [spillDir] = readdirSync(dir);
    assert.match(spillDir ?? '', /^lro-cancel-deferred-/);
    const drained = await drainAll(queue);
    assert.equal(drained.length, 10_000);
    drained.forEach((entry, i) => assert.deepEqual(entry, unavailable(i)));
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
    for (let i = 0; i < 200_000; i += 1) await queue.add(unavailable(i));
    gc();
    const grownBytes = process.memoryUsage().heapUsed - baseBytes;
    assert.ok(grownBytes < 8 * 2 ** 20, `heap grew ${grownBytes} bytes for 200,000 deferred names`);
    let drained = 0;
    for await (const entry of queue.drain()) if (entry.name === OP(drained)) drained += 1;
    assert.equal(drained, 200_000);
    await queue.close();
  });

  test('keeps the record it was given, not a later change to it', async () => {
    const queue = new DeferredQueue({ directory: dir });
    const record = unavailable(1);
    await queue.add(record);
    record['code'] = 0;
    assert.deepEqual((await drainAll(queue))[0], unavailable(1));
    await queue.close();
  });

  test('tells when its latest name was added, so the next pass waits from then and not from the end of this one', async () => {
    const queue = new DeferredQueue({ directory: dir });
    assert.equal(queue.lastAddedAtMs, -Infinity, 'an empty queue asks for no wait');
    const before = now();
    await queue.add(unavailable(1));
    const first = queue.lastAddedAtMs;
    assert.ok(first >= before && first <= now());
    await new Promise(resolve => setTimeout(resolve, 5));
    await queue.add(unavailable(2));
    assert.ok(queue.lastAddedAtMs > first);
    await queue.close();
  });

  test('is single use: no add after drain, no second drain', async () => {
    const queue = new DeferredQueue({ directory: dir });
    await queue.add(unavailable(1));
    await drainAll(queue);
    await assert.rejects(queue.add(unavailable(2)), /add after drain/);
    await assert.rejects(drainAll(queue), /drained twice/);
    await queue.close();
    await queue.close();
  });

  test('removes the spill file on close even when it was never drained', async () => {
    const queue = new DeferredQueue({ directory: dir, memoryEntries: 0 });
    await queue.add(unavailable(1));
    assert.equal(readdirSync(dir).length, 1);
    await queue.close();
    assert.deepEqual(readdirSync(dir), []);
  });
});

describe('passSchedule', () => {
  test('waits 1 s, 2 s, 4 s, ... then 30 s after each pass, and nothing before the first', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 100].map(passSchedule()), [0, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
    assert.equal(MAX_PASS_DELAY_MS, 30_000);
  });

  test('takes its first wait and its cap from the flags', () => {
    assert.deepEqual([0, 1, 2, 3, 4, 5].map(pass => passSchedule(100, 1000)(pass)), [0, 100, 200, 400, 800, 1000]);
    assert.deepEqual([1, 2].map(pass => passSchedule(0, 0)(pass)), [0, 0]);
  });
});
