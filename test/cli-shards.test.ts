import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/index.js';
import { createNames, readJsonLines, runCli, type CliOptions } from './helpers/cli.js';
import { startTestEmulator } from './helpers/emulator.js';

const SHARDS = 4;

/**
 * Runs the four shards of one input at once, each with its own output, and checks what a user of an Indexed Job
 * relies on: the outputs together hold every input line once (invalid lines included), no shard is empty, and the
 * server received one cancel per valid name.
 */
async function runShards(
  emulator: Emulator,
  prefix: string,
  shardArgs: (index: number) => { args: string[]; env?: CliOptions['env'] },
): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), `lro-cancel-cli-${prefix}`));
  try {
    const names = createNames(emulator, 400, prefix);
    const invalid = ['bad line one', 'bad line two', '{"name": 1}'];
    const input = join(dir, 'names.txt');
    writeFileSync(input, `${[...names, ...invalid, names[0]].join('\n')}\n`);
    const runs = await Promise.all(Array.from({ length: SHARDS }, async (_, index) => {
      const { args, env } = shardArgs(index);
      const output = join(dir, `shard-${index}.jsonl`);
      const run = await runCli(['batch', '--input', input, '--output', output, '--progress', 'none', ...args], { emulator, env });
      return { run, records: readJsonLines(output) };
    }));
    for (const [index, { run, records }] of runs.entries()) {
      assert.equal(run.code, 0, `shard ${index}: ${run.stderr}`);
      assert.ok(records.length > 40, `shard ${index} took a fair part (${records.length})`);
      assert.match(run.stderr, /skipped: .*\d+ in other shards/);
    }
    const all = runs.flatMap(r => r.records.map(record => String(record['name'])));
    assert.equal(new Set(all).size, all.length, 'no line in two shards');
    assert.deepEqual(all.sort(), [...names, ...invalid].sort(), 'the shards together cover the input');
    const received = emulator.stats().cancels.byName;
    assert.ok(names.every(n => received.get(n)?.received === 1), 'each valid name sent once across the shards');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('lro-cancel batch shards', { concurrency: true }, () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  test('--shard 0/4 .. 3/4 together cover the input exactly once', async () => {
    await runShards(emulator, 'flag-', index => ({ args: ['--shard', `${index}/${SHARDS}`] }));
  });

  test('JOB_COMPLETION_INDEX with --shard-count (Kubernetes) and CLOUD_RUN_TASK_INDEX/COUNT (Cloud Run) pick the same shards', async () => {
    // Shards 0 and 1 from an Indexed Job's variable, 2 and 3 from a Cloud Run Job's: one mechanism ignored or off by
    // one shows up as an overlap or a gap.
    await runShards(emulator, 'env-', index => (index < 2
      ? { args: ['--shard-count', String(SHARDS)], env: { JOB_COMPLETION_INDEX: String(index) } }
      : { args: [], env: { CLOUD_RUN_TASK_INDEX: String(index), CLOUD_RUN_TASK_COUNT: String(SHARDS) } }));
  });

  test('JOB_COMPLETION_INDEX without a shard count is bad usage, not every pod taking everything', async () => {
    const run = await runCli(['batch', '--input', '-'], { emulator, env: { JOB_COMPLETION_INDEX: '2' }, stdin: 'x\n' });
    assert.equal(run.code, 2);
    assert.match(run.stderr, /JOB_COMPLETION_INDEX=2 is set .* pass --shard-count N/);
  });
});
