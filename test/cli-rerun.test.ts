import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/index.js';
import { batchFiles, createNames, readJsonLines, runCli } from './helpers/cli.js';
import { startTestEmulator } from './helpers/emulator.js';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'lro-cancel-cli-rerun-')); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

const count = (records: ReadonlyArray<Record<string, unknown>>, outcome: string): number => records.filter(r => r['outcome'] === outcome).length;

/**
 * What a Kubernetes Job does after a failure: run the same command with the same journal. The exit code and the
 * output must speak for the whole input every time.
 */
describe('lro-cancel batch rerun with the same journal', () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  test('after an outage longer than --give-up-after the run exits 1, and the rerun finishes every name cancelled and exits 0', async () => {
    const names = createNames(emulator, 300, 'outage-');
    // The same command runs again after the outage, time bound included: long enough for 300 names on a busy machine.
    const { output, args } = batchFiles(dir, 'outage', names, ['--verify', '--give-up-after', '5s', '--progress', 'log']);
    emulator.setFaults({ failRate: 1, failCode: 'UNAVAILABLE' });
    const first = await runCli(args, { emulator });
    emulator.setFaults({ failRate: 0 });
    assert.equal(first.code, 1, first.stderr);
    const failed = readJsonLines(output);
    assert.equal(failed.length, 300, 'the output holds every input name');
    assert.equal(count(failed, 'error'), 300);
    assert.match(first.stderr, /not final: +300 names .* rerun the same command with --journal /);

    const rerun = await runCli(args, { emulator });
    assert.equal(rerun.code, 0, rerun.stderr);
    const records = readJsonLines(output);
    assert.equal(records.length, 300, 'the output is rewritten: one line per name, in its latest state');
    assert.equal(count(records, 'cancelled'), 300);
    assert.ok(names.every(name => emulator.getOperation(name)?.state === 'cancelled'));

    const sentBefore = emulator.stats().cancels.received;
    const third = await runCli(args, { emulator });
    assert.equal(third.code, 0, 'nothing left to do: the exit code is what the finished work deserves');
    assert.match(third.stderr, /skipped: +300 already final in the journal/);
    assert.equal(emulator.stats().cancels.received, sentBefore, 'nothing sent');
    assert.equal(readJsonLines(output).length, 300);
  });

  test('names whose cancel was accepted but not verified exit 1, and the rerun only reads them', async () => {
    const names = createNames(emulator, 40, 'unverified-');
    const { output, args } = batchFiles(dir, 'unverified', names, ['--verify', '--give-up-after', '3s', '--verify-timeout-ms', '300']);
    // Cancels are accepted; every read (listing or GetOperation) fails, so no verification finishes before the bound.
    emulator.setFaults({ failRate: 1, failCode: 'UNAVAILABLE', failMethods: ['GetOperation', 'ListOperations'] });
    const first = await runCli(args, { emulator });
    emulator.setFaults({ failRate: 0, failMethods: ['CancelOperation', 'GetOperation', 'ListOperations', 'DeleteOperation', 'WaitOperation'] });
    assert.equal(first.code, 1, first.stderr);
    assert.equal(count(readJsonLines(output), 'requested'), 40, 'accepted, not proven: requested, and not final under --verify');

    const cancelsBefore = emulator.stats().cancels.received;
    const rerun = await runCli(args, { emulator });
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.equal(count(readJsonLines(output), 'cancelled'), 40);
    assert.equal(emulator.stats().cancels.received, cancelsBefore, 'no second cancel: the rerun only read');
    assert.match(rerun.stderr, /requests: +0 cancel attempts, 0 retries/);
    assert.match(rerun.stderr, /verify: +40 by listing in 1 page, 0 by GetOperation/, 'one page read back all 40');
  });

  test('a journal begun by another input lends only the names of this input to the output, and says so', async () => {
    const names = createNames(emulator, 60, 'foreign-');
    const first = batchFiles(dir, 'foreign-a', names.slice(0, 40));
    assert.equal((await runCli(first.args, { emulator })).code, 0);
    const inputB = join(dir, 'foreign-b.txt');
    writeFileSync(inputB, `${names.slice(30).join('\n')}\n`);
    const output = join(dir, 'foreign-b-output.jsonl');
    const run = await runCli(['batch', '--input', inputB, '--journal', first.journal, '--output', output], { emulator });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stderr, /was begun by another run \(.*foreign-a\.txt \(sha256 [0-9a-f]{12}\)\); only this input's names were used/);
    assert.match(run.stderr, /skipped: +10 already final in the journal/);
    const records = readJsonLines(output);
    assert.deepEqual(records.map(r => r['name']).sort(), names.slice(30).sort(), 'exactly the 30 names of this input');
  });
});
