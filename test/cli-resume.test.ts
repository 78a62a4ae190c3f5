import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/index.js';
import { batchFiles, createNames, readJsonLines, runCli, signalAfterRecords } from './helpers/cli.js';
import { startTestEmulator } from './helpers/emulator.js';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'lro-cancel-cli-resume-')); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

/** The names of the whole records in a journal a kill may have cut: a last partial line is not a record. */
function journaledNames(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').flatMap(line => {
    try {
      const record = JSON.parse(line) as { name?: unknown };
      return typeof record.name === 'string' ? [record.name] : [];
    } catch {
      return [];
    }
  });
}

function receivedByName(emulator: Emulator): Map<string, number> {
  return new Map([...emulator.stats().cancels.byName].map(([name, count]) => [name, count.received]));
}

describe('lro-cancel batch resume with the same --journal', () => {
  let emulator: Emulator;
  // Latency keeps calls in flight when the kill lands.
  before(async () => { emulator = await startTestEmulator({ latencyMs: 5 }); });
  after(async () => { await emulator.close(); });

  test('after SIGKILL mid-batch, a rerun finishes: every input name once in the output, nothing journaled sent again', async () => {
    const names = createNames(emulator, 3000, 'kill-');
    const { journal, output, args } = batchFiles(dir, 'kill', ['# 3000 names, a duplicate', ...names, names[10] as string, 'not-a-name'], ['--concurrency', '16']);
    const killed = await signalAfterRecords(args, { emulator }, journal, 300, 'SIGKILL');
    assert.equal(killed.signal, 'SIGKILL');
    const journaled = journaledNames(journal);
    assert.ok(journaled.length >= 300 && journaled.length < 3000, `killed mid-batch (${journaled.length} journaled)`);
    const before = receivedByName(emulator);

    const resumed = await runCli(args, { emulator });
    assert.equal(resumed.code, 0, resumed.stderr);
    const records = readJsonLines(output);
    const outputNames = records.map(r => String(r['name']));
    assert.equal(new Set(outputNames).size, outputNames.length, 'no name twice in the output');
    assert.deepEqual(outputNames.sort(), [...names, 'not-a-name'].sort(), 'every input name in the output');

    const after = receivedByName(emulator);
    const resent = journaled.filter(name => after.get(name) !== before.get(name));
    assert.deepEqual(resent, [], 'names final in the journal before the resume were not sent again');
    assert.ok(names.every(name => (after.get(name) ?? 0) >= 1), 'every name was sent');
    assert.match(resumed.stderr, new RegExp(`skipped: +1 duplicate, ${new Set(journaled).size} already final in the journal`));
  });

  test('a journal whose last line a crash cut off still reads, and a rerun of a finished batch sends nothing', async () => {
    const names = createNames(emulator, 200, 'cut-');
    const { journal, output, args } = batchFiles(dir, 'cut', names, ['--concurrency', '16']);
    // What a crash in the middle of a write leaves: a record for names[0] and half of one for names[1].
    writeFileSync(journal, `${JSON.stringify({ name: names[0], outcome: 'requested', code: 0 })}\n{"name":"${names[1]}","outc`);

    const run = await runCli(args, { emulator });
    assert.equal(run.code, 0, run.stderr);
    const received = emulator.stats().cancels.byName;
    assert.equal(received.get(names[0] as string)?.received, undefined, 'the whole record counted as final');
    assert.equal(received.get(names[1] as string)?.received, 1, 'the cut record did not');
    assert.deepEqual(readJsonLines(output).map(r => r['name']).sort(), [...names].sort());
    assert.equal(journaledNames(journal).length, 200, 'the cut line stays one garbled line; every record after it is whole');

    const total = emulator.stats().cancels.received;
    const again = await runCli(args, { emulator });
    assert.equal(again.code, 0, again.stderr);
    assert.equal(emulator.stats().cancels.received, total, 'a finished batch sends nothing when rerun');
    assert.match(again.stderr, /skipped: +200 already final in the journal/);
    assert.equal(readJsonLines(output).length, 200, 'and its output still has every name once');
  });

  test('a later run without --journal starts its --output afresh', async () => {
    const names = createNames(emulator, 20, 'fresh-');
    const output = join(dir, 'fresh.jsonl');
    appendFileSync(output, '{"name":"left over","outcome":"requested"}\n');
    const run = await runCli(['batch', '--input', '-', '--output', output], { emulator, stdin: names.join('\n') });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(readJsonLines(output).map(r => r['name']).sort(), [...names].sort());
  });
});
