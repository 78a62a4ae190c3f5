import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { BATCH_HEAP_GROWING_PERCENT, BATCH_MAX_SEMI_SPACE_MB, missingBatchNodeFlags } from '../src/cli/heap-growth.js';
import { spawnCli, waitFor } from './helpers/cli.js';
import { withEmulator } from './helpers/emulator.js';

describe('the batch command\'s node flags (young generation and heap growth, given at start-up)', () => {
  const flag = `--max-semi-space-size=${BATCH_MAX_SEMI_SPACE_MB}`;
  const growth = `--heap-growing-percent=${BATCH_HEAP_GROWING_PERCENT}`;

  test('are asked for at start-up when neither node\'s command line nor NODE_OPTIONS chose them', () => {
    assert.deepEqual(missingBatchNodeFlags([], undefined), [flag, growth]);
    assert.deepEqual(missingBatchNodeFlags(['--max-old-space-size=4096', '--enable-source-maps'], '--trace-warnings'), [flag, growth]);
  });

  test('the young generation is left alone when the user sized it or the whole heap, in any spelling and either place', () => {
    for (const [execArgv, nodeOptions] of [
      [['--max-semi-space-size=64'], undefined], [['--max_semi_space_size=8'], undefined], [['--min-semi-space-size=4'], undefined],
      [[], '--trace-warnings --max-semi-space-size=32'], [['--max-heap-size=512'], undefined], [[], '--max-heap-size=512'],
    ] as Array<[string[], string | undefined]>) {
      assert.deepEqual(missingBatchNodeFlags(execArgv, nodeOptions), [growth], `${execArgv.join(' ')} | ${nodeOptions ?? ''}`);
    }
  });

  test('the heap growth is left alone when the user gave it to node, in any spelling V8 accepts', () => {
    for (const given of ['--heap-growing-percent=50', '--heap_growing_percent=80', '-heap-growing-percent=30']) {
      assert.deepEqual(missingBatchNodeFlags(['--trace-warnings', given], undefined), [flag], given);
    }
  });

  test('a running batch has the flag, in the same process the caller started', { skip: existsSync('/proc/self/cmdline') ? false : 'no /proc' }, async () => {
    await withEmulator({}, async emulator => {
      const running = spawnCli(['batch', '--input', '-', '--json'], { emulator, env: { NODE_OPTIONS: undefined }, keepStdinOpen: true });
      const cmdline = (): string[] => {
        try {
          return readFileSync(`/proc/${running.child.pid}/cmdline`, 'utf8').split('\0');
        } catch {
          return [];
        }
      };
      await waitFor(() => cmdline().includes(flag) && cmdline().includes(growth), `the batch's command line to carry ${flag} and ${growth}`);
      const [name] = emulator.createOperations({ count: 1 });
      running.child.stdin?.end(`${name}\n`);
      const run = await running.done;
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /"outcome":"requested"/);
    });
  });
});
