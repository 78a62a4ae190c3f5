import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/index.js';
import { batchFiles, completeLines, createNames, runCli, signalAfterRecords, spawnCli, waitFor } from './helpers/cli.js';
import { startTestEmulator } from './helpers/emulator.js';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'lro-cancel-summary-json-')); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

function summaryOf(path: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
}

describe('lro-cancel batch --summary-json', { concurrency: true }, () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  test('writes the run\'s counts by outcome and code, attempts, retries, pauses, wall time, names/s and journal, 0600', async () => {
    const names = createNames(emulator, 120, 'sj-done-');
    const { journal, args } = batchFiles(dir, 'done', [...names, 'not a name', `projects/demo/locations/global/operations/sj-unknown`]);
    const file = join(dir, 'done-summary.json');
    const run = await runCli([...args, '--summary-json', file, '--concurrency', '8', '--transport', 'rest'], { emulator });
    assert.equal(run.code, 0, run.stderr);
    const summary = summaryOf(file);
    assert.equal(summary['v'], 1);
    assert.equal(summary['names'], 122);
    assert.deepEqual(summary['outcomes'], { requested: 120, invalid: 1, not_found: 1 });
    assert.deepEqual(summary['codes'], { OK: 120, INVALID_ARGUMENT: 1, NOT_FOUND: 1 });
    assert.equal(summary['attempts'], 121);
    assert.equal(summary['retries'], 0);
    assert.equal(summary['pauses'], 0);
    assert.deepEqual(summary['attemptsByTransport'], { rest: 121 });
    assert.ok(typeof summary['wallMs'] === 'number' && typeof summary['namesPerSecond'] === 'number' && (summary['namesPerSecond'] as number) > 0);
    assert.deepEqual(summary['journal'], { path: journal, otherRun: null });
    assert.equal(summary['complete'], true);
    assert.equal(summary['stoppedBy'], null);
    assert.equal(summary['exitCode'], 0);
    assert.equal(lstatSync(file).mode & 0o777, 0o600);
    // The summary printed on stderr is made from the same object.
    const wallMs = summary['wallMs'] as number;
    const wall = wallMs < 999.5 ? `${Math.round(wallMs)} ms` : `${(wallMs / 1000).toFixed(1)} s`;
    assert.ok(run.stderr.split('\n').includes(`Done: 122 names in ${wall} (${(summary['namesPerSecond'] as number).toFixed(0)}/s)`), run.stderr);
  });

  test('SIGTERM drains and writes it, stopped by SIGTERM with exit code 143', async () => {
    emulator.setFaults({ latencyMs: 20 });
    try {
      const names = createNames(emulator, 2000, 'sj-term-');
      const { journal, args } = batchFiles(dir, 'term', names, ['--concurrency', '8']);
      const file = join(dir, 'term-summary.json');
      const run = await signalAfterRecords([...args, '--summary-json', file], { emulator }, journal, 50, 'SIGTERM');
      assert.equal(run.code, 143, run.stderr);
      const summary = summaryOf(file);
      assert.equal(summary['stoppedBy'], 'SIGTERM');
      assert.equal(summary['stopped'], 'signal');
      assert.equal(summary['exitCode'], 143);
      assert.equal(summary['complete'], false);
      assert.ok((summary['names'] as number) >= 50 && (summary['names'] as number) < 2000);
    } finally {
      emulator.setFaults({ latencyMs: 0 });
    }
  });

  test('a second signal exits at once, and the summary so far is still written', async () => {
    const names = createNames(emulator, 500, 'sj-twice-');
    const { journal, args } = batchFiles(dir, 'twice', names, ['--concurrency', '4']);
    const file = join(dir, 'twice-summary.json');
    // Every call waits 5 s: the drain after the first SIGINT cannot end before the second one.
    const running = spawnCli([...args, '--summary-json', file, '--drain-timeout', '60s'], { emulator, env: {} });
    await waitFor(() => completeLines(journal) >= 1, 'the journal header');
    await new Promise(resolve => setTimeout(resolve, 300));
    emulator.setFaults({ latencyMs: 5000 });
    await new Promise(resolve => setTimeout(resolve, 200));
    try {
      running.child.kill('SIGINT');
      await new Promise(resolve => setTimeout(resolve, 200));
      running.child.kill('SIGINT');
      const run = await running.done;
      assert.equal(run.code, 130, run.stderr);
    } finally {
      emulator.setFaults({ latencyMs: 0 });
    }
    const summary = summaryOf(file);
    assert.equal(summary['stopped'], 'signal');
    assert.equal(summary['stoppedBy'], 'SIGINT');
    assert.equal(summary['exitCode'], 130);
  });

  test('a summary path that is a folder or the journal is refused before anything is sent, and a link is replaced, never written through', async () => {
    const target = join(dir, 'elsewhere.json');
    const link = join(dir, 'link-summary.json');
    symlinkSync(target, link);
    const names = createNames(emulator, 5, 'sj-bad-');
    const { journal, args } = batchFiles(dir, 'bad', names);
    for (const [path, message] of [[dir, /--summary-json .* is a folder/], [journal, /--journal and --summary-json must be different files/]] as const) {
      const run = await runCli([...args, '--summary-json', path], { emulator });
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, message);
    }
    const linked = await runCli([...args, '--summary-json', link], { emulator });
    assert.equal(linked.code, 0, linked.stderr);
    assert.ok(lstatSync(link).isFile(), 'the link was replaced by the file, nothing written through it');
    assert.throws(() => lstatSync(target));
  });
});
