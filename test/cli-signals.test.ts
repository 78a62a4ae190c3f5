import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/index.js';
import { batchFiles, completeLines, createNames, jsonLines, readJsonLines, runCli, signalAfterRecords, spawnCli, waitFor } from './helpers/cli.js';
import { startTestEmulator } from './helpers/emulator.js';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'lro-cancel-cli-signals-')); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

/** Input names the emulator has received a cancel for. */
function sentNames(emulator: Emulator, names: readonly string[]): string[] {
  const received = emulator.stats().cancels.byName;
  return names.filter(name => (received.get(name)?.received ?? 0) > 0);
}

describe('lro-cancel batch and SIGINT or SIGTERM', () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  test('SIGINT drains: exit 130, a summary, whole JSON lines, every call sent recorded; a rerun finishes the rest, each name once', async () => {
    emulator.setFaults({ latencyMs: 40 });
    const names = createNames(emulator, 1500, 'int-');
    const { journal, output, args } = batchFiles(dir, 'int', names, ['--concurrency', '16']);
    const interrupted = await signalAfterRecords(args, { emulator }, journal, 100, 'SIGINT');
    assert.equal(interrupted.code, 130, interrupted.stderr);
    assert.match(interrupted.stderr, /^\[batch\] stopping: draining calls in flight; a second signal exits at once$/m);
    assert.match(interrupted.stderr, /^Interrupted: \d+ names in /m);
    assert.match(interrupted.stderr, /^  transports: grpc \d+ \(attempts\)$/m, 'the attempts of an interrupted run are counted by wire');
    assert.match(interrupted.stderr, /^  unfinished: \d+ names read but not recorded, and the input after them: rerun the same command with --journal /m);
    const journaled = readJsonLines(journal); // throws on a line that is not one whole JSON object
    const written = readJsonLines(output);
    assert.ok(written.length >= 100 && written.length < 1500, `stopped mid-batch (${written.length})`);
    assert.deepEqual(journaled.map(r => r['name']).sort(), written.map(r => r['name']).sort());
    // The calls in flight at the SIGINT were finished and recorded, not abandoned: what the server got is what the
    // output says (the emulator counts a call when it answers it, so every answered call is counted by now).
    assert.deepEqual(sentNames(emulator, names).sort(), written.map(r => String(r['name'])).sort());

    emulator.setFaults({ latencyMs: 0 });
    const resumed = await runCli(args, { emulator });
    assert.equal(resumed.code, 0, resumed.stderr);
    const records = readJsonLines(output);
    assert.deepEqual(records.map(r => r['name']).sort(), [...names].sort(), 'every name once in the output');
    const received = emulator.stats().cancels.byName;
    assert.ok(names.every(name => received.get(name)?.received === 1), 'every name sent exactly once over both runs');
  });

  test('SIGTERM drains as SIGINT does: exit 143, a summary, every call sent recorded; a rerun finishes each name once', async () => {
    emulator.setFaults({ latencyMs: 40 });
    const names = createNames(emulator, 1500, 'term-');
    const { journal, output, args } = batchFiles(dir, 'term', names, ['--concurrency', '16']);
    const terminated = await signalAfterRecords(args, { emulator }, journal, 100, 'SIGTERM');
    assert.equal(terminated.code, 143, terminated.stderr);
    assert.match(terminated.stderr, /^Interrupted: \d+ names in /m);
    const written = readJsonLines(output);
    assert.ok(written.length >= 100 && written.length < 1500, `stopped mid-batch (${written.length})`);
    assert.deepEqual(sentNames(emulator, names).sort(), written.map(r => String(r['name'])).sort());

    emulator.setFaults({ latencyMs: 0 });
    const resumed = await runCli(args, { emulator });
    assert.equal(resumed.code, 0, resumed.stderr);
    assert.deepEqual(readJsonLines(output).map(r => r['name']).sort(), [...names].sort());
    const received = emulator.stats().cancels.byName;
    assert.ok(names.every(name => received.get(name)?.received === 1), 'every name sent exactly once over both runs');
  });

  test('after SIGTERM, calls that outlast --drain-timeout are abandoned and the run still exits 143 with its journal whole', async () => {
    emulator.setFaults({ latencyMs: 0 });
    const names = createNames(emulator, 200, 'grace-');
    const { journal, args } = batchFiles(dir, 'grace', names, ['--concurrency', '4', '--drain-timeout', '500ms']);
    const child = spawnCli(args, { emulator, timeoutMs: 30_000 });
    await waitFor(() => completeLines(journal) >= 20, 'the journal to hold 20 records');
    emulator.setFaults({ latencyMs: 20_000 });
    await new Promise(resolve => setTimeout(resolve, 200));
    const termAt = Date.now();
    child.child.kill('SIGTERM');
    const run = await child.done;
    emulator.setFaults({ latencyMs: 0 });
    assert.equal(run.code, 143, run.stderr);
    assert.ok(Date.now() - termAt < 5000, `exited ${Date.now() - termAt} ms after SIGTERM`);
    assert.ok(readJsonLines(journal).length >= 19, 'every journal line is a whole record');
  });

  test('a second SIGINT exits at once, calls still in flight, and the journal stays readable', async () => {
    emulator.setFaults({ latencyMs: 0 });
    const names = createNames(emulator, 2000, 'twice-');
    const { input, journal } = batchFiles(dir, 'twice', names);
    const child = spawnCli(['batch', '--input', input, '--journal', journal, '--concurrency', '8', '--rps', '500'], { emulator, timeoutMs: 30_000 });
    await waitFor(() => completeLines(journal) >= 50, 'the journal to hold 50 records');
    emulator.setFaults({ latencyMs: 20_000 }); // the calls sent from now on hang
    await new Promise(resolve => setTimeout(resolve, 200));
    child.child.kill('SIGINT');
    await new Promise(resolve => setTimeout(resolve, 300));
    assert.equal(child.child.exitCode, null, 'the first SIGINT waits for the calls in flight');
    const secondAt = Date.now();
    child.child.kill('SIGINT');
    const run = await child.done;
    assert.equal(run.code, 130);
    assert.ok(Date.now() - secondAt < 5000, `exited ${Date.now() - secondAt} ms after the second SIGINT, not after the calls`);
    assert.ok(readJsonLines(journal).length >= 50, 'every journal line is a whole record');
    emulator.setFaults({ latencyMs: 0 });
  });

  test('SIGINT while stdin is still open stops reading, reports what was done, and exits 130', async () => {
    emulator.setFaults({ latencyMs: 0 });
    const names = createNames(emulator, 30, 'pipe-');
    const child = spawnCli(['batch', '--input', '-', '--json'], { emulator, stdin: `${names.join('\n')}\n`, keepStdinOpen: true });
    let stdout = '';
    child.child.stdout?.on('data', (text: string) => { stdout += text; });
    await waitFor(() => stdout.split('\n').length > 30, 'a record for each name written so far');
    child.child.kill('SIGINT');
    const run = await child.done;
    assert.equal(run.code, 130, run.stderr);
    assert.deepEqual(jsonLines(run.stdout).map(r => r['name']).sort(), [...names].sort());
    assert.match(run.stderr, /^Interrupted: 30 names in /m);
    assert.match(run.stderr, /run with --journal FILE so that a rerun resumes/);
    assert.doesNotMatch(run.stderr, /rerun the same command with --journal/, 'no resume hint for a journal that was not given');
  });

  test('SIGINT while the batch is paused for an outage exits at once, sends nothing more, and a rerun sends the names', async () => {
    emulator.setFaults({ failRate: 1, failCode: 'UNAVAILABLE' });
    const names = createNames(emulator, 25, 'wait-');
    const journal = join(dir, 'wait-journal.jsonl');
    const args = ['batch', '--input', '-', '--journal', journal, '--max-attempts', '1', '--progress', 'log'];
    const child = spawnCli(args, { emulator, stdin: names.join('\n') });
    let stderr = '';
    child.child.stderr?.on('data', (text: string) => { stderr += text; });
    await waitFor(() => stderr.includes('service unavailable since'), 'the pause');
    const sentBefore = emulator.stats().cancels.received;
    const stoppedAt = Date.now();
    child.child.kill('SIGINT');
    const run = await child.done;
    assert.equal(run.code, 130, run.stderr);
    assert.ok(Date.now() - stoppedAt < 3000, `exited ${Date.now() - stoppedAt} ms after SIGINT: nothing on the wire to drain`);
    assert.ok(emulator.stats().cancels.received - sentBefore <= 1, 'at most the probe already sent');
    assert.match(run.stderr, /^\[batch\] service unavailable since \d\d:\d\d:\d\d UTC: paused, next probe in \d+ s, \d+ names waiting$/m);
    assert.match(run.stderr, /unfinished: \d+ names read but not recorded/);
    assert.ok(readJsonLines(journal).every(r => r['outcome'] !== 'cancelled' && r['outcome'] !== 'requested'), 'nothing final journaled');

    emulator.setFaults({ failRate: 0 });
    const rerun = await runCli(args, { emulator, stdin: names.join('\n') });
    assert.equal(rerun.code, 0, rerun.stderr);
    assert.deepEqual(readJsonLines(journal).filter(r => r['outcome'] === 'requested').map(r => r['name']).sort(), [...names].sort());
  });

  test('a reader that closes stdout (| head) stops the batch as SIGINT does, with a summary and no crash', async () => {
    emulator.setFaults({ latencyMs: 5 });
    const names = createNames(emulator, 2000, 'epipe-');
    const journal = join(dir, 'epipe-journal.jsonl');
    const child = spawnCli(['batch', '--input', '-', '--json', '--journal', journal], { emulator, stdin: `${names.join('\n')}\n` });
    child.child.stdout?.once('data', () => child.child.stdout?.destroy());
    const run = await child.done;
    assert.equal(run.code, 130, run.stderr);
    assert.doesNotMatch(run.stderr, /EPIPE|Unhandled/);
    assert.match(run.stderr, /^Interrupted: \d+ names in /m);
    const journaled = readJsonLines(journal);
    assert.ok(journaled.length > 0 && journaled.length < 2000, `stopped early (${journaled.length} of 2000)`);
    emulator.setFaults({ latencyMs: 0 });
  });
});
