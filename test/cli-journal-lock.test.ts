import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/index.js';
import { batchFiles, completeLines, createNames, readJsonLines, runCli, spawnCli, waitFor } from './helpers/cli.js';
import { startTestEmulator } from './helpers/emulator.js';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'lro-cancel-cli-lock-')); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

/** A pod restarted while the old one still runs must not interleave its records with the old one's. */
describe('one batch at a time per journal', () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  test('a second run on a journal in use refuses at once with exit 75 naming --journal; after kill -9 of the first a rerun takes it over', async () => {
    const names = createNames(emulator, 400, 'lock-');
    const { journal, output, args } = batchFiles(dir, 'lock', names, ['--concurrency', '2']);
    emulator.setFaults({ latencyMs: 50 });
    const first = spawnCli(args, { emulator, timeoutMs: 60_000 });
    await waitFor(() => completeLines(journal) >= 10, 'the first run to journal 10 names');

    const started = Date.now();
    const second = await runCli(args, { emulator });
    assert.equal(second.code, 75, second.stderr);
    assert.ok(Date.now() - started < 5000, 'refused at once');
    assert.match(second.stderr, /--journal ".*lock-journal\.jsonl" is in use by pid \d+ on .* \(lock file .*lock-journal\.jsonl\.lock\)/);

    first.child.kill('SIGKILL');
    await first.done;
    assert.ok(existsSync(`${journal}.lock`), 'kill -9 leaves the lock file behind');
    emulator.setFaults({ latencyMs: 0 });
    const third = await runCli(args, { emulator });
    assert.equal(third.code, 0, third.stderr);
    assert.equal(existsSync(`${journal}.lock`), false, 'a run that ends removes its lock');
    assert.deepEqual(readJsonLines(output).map(r => r['name']).sort(), [...names].sort(), 'every name once in the output');
  });
});
