import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import type { Emulator } from '../src/emulator/index.js';
import { cancelMany, Code, OperationsError, type CancelResult } from '../src/index.js';
import { clientFor, withClient } from './helpers/client.js';
import { startTestEmulator } from './helpers/emulator.js';

const PARENT = 'projects/demo/locations/global';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'lro-cancel-many-')); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

async function collect(results: AsyncIterable<CancelResult>): Promise<CancelResult[]> {
  const all: CancelResult[] = [];
  for await (const result of results) all.push(result);
  return all;
}

/** The client options of a batch against the emulator over one wire. */
function clientOptions(emulator: Emulator, transport: 'grpc' | 'rest'): { grpcEndpoint: string; restEndpoint: string; transport: 'grpc' | 'rest'; insecure: true } {
  return { grpcEndpoint: emulator.grpcAddress, restEndpoint: emulator.restUrl, transport, insecure: true };
}

describe('cancelMany', { concurrency: true }, () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  for (const transport of ['grpc', 'rest'] as const) {
    test(`cancels every name of an array over ${transport}, each result a CancelResult, with a summary of the run`, async () => {
      const names = emulator.createOperations({ count: 200, idPrefix: `array-${transport}-` });
      const run = cancelMany(names, { client: clientOptions(emulator, transport), concurrency: 16 });
      const results = await collect(run);
      assert.deepEqual(results.map(r => r.name).sort(), [...names].sort());
      assert.ok(results.every(r => r.accepted && r.outcome === 'requested' && r.transport === transport && r.attempts.length === 1));
      const summary = await run.summary();
      assert.equal(summary.names, 200);
      assert.deepEqual(summary.outcomes, { requested: 200 });
      assert.deepEqual(summary.codes, { OK: 200 });
      assert.equal(summary.attempts, 200);
      assert.deepEqual(summary.attemptsByTransport, { [transport]: 200 });
      assert.equal(summary.complete, true);
      assert.equal(summary.stopped, null);
      assert.ok(names.every(n => emulator.stats().cancels.byName.get(n)?.received === 1), 'each name sent once');
    });
  }

  test('takes names from an async generator, verifies them, and gives results in completion order', async () => {
    const names = emulator.createOperations({ count: 30, idPrefix: 'async-' });
    async function* slowly(): AsyncGenerator<string> {
      for (const name of names) {
        await delay(1);
        yield name;
      }
    }
    await withClient(clientFor(emulator, 'grpc'), async canceller => {
      const results = await collect(cancelMany(slowly(), { canceller, verify: true, verifyBy: 'get', concurrency: 4 }));
      assert.equal(results.length, 30);
      assert.ok(results.every(r => r.outcome === 'cancelled'), 'verified by reading each back');
      // The given client is the caller's: still usable after the batch.
      assert.equal((await canceller.cancel(names[0] as string)).outcome, 'requested');
    });
  });

  test('an element that is not an operation name is an invalid result naming its position; duplicates are sent once', async () => {
    const [name] = emulator.createOperations({ count: 1, idPrefix: 'odd-' });
    const results = await collect(cancelMany([name as string, 'not a name', 42 as unknown as string, name as string], { client: clientOptions(emulator, 'rest') }));
    const invalid = results.filter(r => r.outcome === 'invalid');
    assert.equal(results.length, 3, 'the duplicate has no result of its own');
    assert.deepEqual(invalid.map(r => !r.accepted && r.error.code), [Code.INVALID_ARGUMENT, Code.INVALID_ARGUMENT]);
    assert.match(invalid.map(r => (r.accepted ? '' : r.error.message)).join('\n'), /name 2: .*invalid operation name[\s\S]*name 3: number, not a string/);
  });

  test('bad options and inputs throw INVALID_ARGUMENT naming them, before anything is sent', () => {
    const bad: Array<[unknown, unknown, RegExp]> = [
      [[], { concurrency: 0 }, /concurrency must be an integer from 1/],
      [[], { giveUpAfterMs: -1 }, /giveUpAfterMs must be a number >= 0/],
      [[], { shard: { index: 3, count: 3 } }, /shard.index must be an integer from 0 to 2/],
      [[], { verifyBy: 'grep' }, /verifyBy must be 'list' or 'get'/],
      [[], { signal: 'stop' }, /signal must be an AbortSignal/],
      [`${PARENT}/operations/one`, {}, /names must be an iterable or async iterable/],
      [undefined, {}, /names must be an iterable/],
    ];
    for (const [names, options, message] of bad) {
      assert.throws(() => cancelMany(names as string[], options as object), (error: unknown) => error instanceof OperationsError && error.code === Code.INVALID_ARGUMENT && message.test(error.message));
    }
  });

  test('a reader that stops reading stops new calls, and one that leaves stops the batch with its calls journaled', async () => {
    const names = emulator.createOperations({ count: 500, idPrefix: 'slow-reader-' });
    const journalPath = join(dir, 'slow-reader.jsonl');
    const sent = (): number => names.filter(n => emulator.stats().cancels.byName.has(n)).length;
    const run = cancelMany(names, { client: clientOptions(emulator, 'rest'), concurrency: 4, journalPath });
    let read = 0;
    for await (const _ of run) {
      read += 1;
      if (read === 2) break;
    }
    const summary = await run.summary();
    const atEnd = sent();
    await delay(300);
    assert.equal(sent(), atEnd, 'nothing sent after the batch ended');
    // 2 read, at most 4 held for the reader, 4 workers waiting with a result each, 4 in flight.
    assert.ok(atEnd <= 2 + 4 + 4 + 4, `${atEnd} names sent`);
    assert.equal(summary.stopped, 'consumer');
    assert.equal(summary.complete, false);
    assert.equal(summary.journal?.path, journalPath);
    // A rerun with the journal sends none of the names already final again.
    const rerun = cancelMany(names, { client: clientOptions(emulator, 'rest'), concurrency: 8, journalPath });
    const rest = await collect(rerun);
    const rerunSummary = await rerun.summary();
    assert.equal(rest.length + rerunSummary.skipped.finalInJournal, 500);
    assert.equal(rerunSummary.skipped.finalInJournal, summary.names);
    assert.ok(names.every(n => emulator.stats().cancels.byName.get(n)?.received === 1), 'no name sent twice across the two runs');
  });

  test('a reader that pauses holds the batch back until it reads again', async () => {
    const names = emulator.createOperations({ count: 100, idPrefix: 'pause-reader-' });
    const sent = (): number => names.filter(n => emulator.stats().cancels.byName.has(n)).length;
    const iterator = cancelMany(names, { client: clientOptions(emulator, 'grpc'), concurrency: 2 })[Symbol.asyncIterator]();
    await iterator.next();
    await delay(200);
    const held = sent();
    await delay(200);
    assert.equal(sent(), held, 'no calls while the reader does not read');
    assert.ok(held < 100);
    let results = 1;
    while (!(await iterator.next()).done) results += 1;
    assert.equal(results, 100);
    assert.equal(sent(), 100);
  });

  test('summary() alone runs the batch, reading and dropping the results', async () => {
    const names = emulator.createOperations({ count: 50, idPrefix: 'summary-only-' });
    const summary = await cancelMany(names, { client: clientOptions(emulator, 'rest') }).summary();
    assert.deepEqual(summary.outcomes, { requested: 50 });
    assert.ok(summary.namesPerSecond > 0 && summary.wallMs >= 0);
  });

  test('the signal stops the batch: calls in flight end and are recorded, the summary says stopped by signal', async () => {
    const names = emulator.createOperations({ count: 300, idPrefix: 'signal-' });
    const controller = new AbortController();
    const run = cancelMany(names, { client: clientOptions(emulator, 'rest'), concurrency: 4, signal: controller.signal, headers: { 'x-emulator-delay-ms': '20' } });
    let read = 0;
    for await (const _ of run) {
      read += 1;
      if (read === 10) controller.abort();
    }
    const summary = await run.summary();
    assert.equal(summary.stopped, 'signal');
    assert.equal(summary.names, read, 'every recorded name was given to the reader');
    assert.ok(read < 300);
  });

  test('a journal in use by another run makes the results reject, and the summary with them', async () => {
    const names = emulator.createOperations({ count: 5, idPrefix: 'busy-' });
    const journalPath = join(dir, 'busy.jsonl');
    const first = cancelMany(names, { client: clientOptions(emulator, 'rest'), journalPath, headers: { 'x-emulator-delay-ms': '300' } });
    const iterator = first[Symbol.asyncIterator]();
    const firstResult = iterator.next();
    await delay(100);
    const second = cancelMany(names, { client: clientOptions(emulator, 'rest'), journalPath });
    await assert.rejects(collect(second), /in use by another batch of this process/);
    await assert.rejects(second.summary(), /in use by another batch of this process/);
    await firstResult;
    await iterator.return?.();
    await first.summary();
  });
});
