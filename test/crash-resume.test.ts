import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJsonLines, type JsonLinesReadCounts } from '../src/batch/jsonl.js';
import type { Emulator } from '../src/emulator/index.js';
import { startTestEmulator } from './helpers/emulator.js';
import { projectRoot } from './helpers/paths.js';

/**
 * The batch killed with SIGKILL at three random points and resumed each time with the same journal and output: the
 * output ends with every name once, and the emulator saw no cancel for a name after the journal had it as final.
 */

const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-crash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** `lro-cancel` as a child: the compiled CLI when the tests run from dist/, the TypeScript one under tsx. */
function cliCommand(): string[] {
  const compiled = fileURLToPath(new URL('../src/cli/main.js', import.meta.url));
  if (import.meta.url.includes('/dist/') && existsSync(compiled)) return [compiled];
  return ['--import', 'tsx', join(projectRoot(), 'src', 'cli', 'main.ts')];
}

function startBatch(emulator: Emulator, args: readonly string[]): ChildProcess {
  return spawn(process.execPath, [...cliCommand(), 'batch', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, LRO_CANCEL_EMULATOR_HOST: emulator.grpcAddress, LRO_CANCEL_EMULATOR_REST: emulator.restUrl },
  });
}

/** Names of the whole records in a journal or output file, and what else the reader found there. */
async function recordsOf(path: string): Promise<{ names: string[]; outcomes: string[]; counts: JsonLinesReadCounts }> {
  const counts: JsonLinesReadCounts = { records: 0, garbled: 0, cutOff: false };
  const names: string[] = [];
  const outcomes: string[] = [];
  for await (const record of readJsonLines(path, { counts })) {
    names.push(record.name);
    outcomes.push(record.outcome);
  }
  return { names, outcomes, counts };
}

function lineCount(path: string): number {
  if (!existsSync(path)) return 0;
  const text = readFileSync(path, 'utf8');
  let lines = 0;
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lines += 1;
  return lines;
}

describe('crash and resume', () => {
  test('killed with SIGKILL three times and resumed with the same journal: every name once, no cancel after final', async () => {
    const total = 1500;
    const concurrency = 16;
    // Each call waits 0-30 ms at the server, so a run takes seconds and the kills land mid-run.
    const emulator = await startTestEmulator({ latencyJitterMs: 30 });
    try {
      const names = emulator.createOperations({ count: total, idPrefix: 'crash-' });
      const input = join(dir, 'names.txt');
      const journal = join(dir, 'journal.jsonl');
      const output = join(dir, 'output.jsonl');
      writeFileSync(input, `${names.join('\n')}\n`);
      const args = ['--input', input, '--journal', journal, '--output', output, '--concurrency', String(concurrency), '--progress', 'none'];

      // Three kill points, random but increasing, as numbers of journal lines; shown in failures to rerun them.
      const points = [Math.random(), Math.random(), Math.random()].map(r => Math.floor((0.1 + 0.75 * r) * total)).sort((a, b) => a - b);
      const frozen = new Map<string, number>();
      for (const point of points) {
        const child = startBatch(emulator, args);
        const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
        while (lineCount(journal) < point && child.exitCode === null) await new Promise(resolve => setTimeout(resolve, 5));
        await new Promise(resolve => setTimeout(resolve, Math.floor(Math.random() * 40)));
        child.kill('SIGKILL');
        const [, signal] = await exited;
        assert.equal(signal, 'SIGKILL', `killed before it finished (kill points ${points.join(', ')})`);
        // Every name the journal has now is final: from here on, the emulator must not see one more cancel for it.
        const received = emulator.stats().cancels.byName;
        for (const name of (await recordsOf(journal)).names) {
          if (!frozen.has(name)) frozen.set(name, received.get(name)?.received ?? 0);
        }
      }
      assert.ok(frozen.size >= (points[0] ?? 0), `${frozen.size} names final after the kills at ${points.join(', ')}`);

      const last = startBatch(emulator, args);
      let stderr = '';
      last.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
      const [code] = await once(last, 'exit') as [number | null];
      assert.equal(code, 0, stderr);
      assert.match(stderr, /already final in the journal/);

      const { names: resultNames, outcomes, counts } = await recordsOf(output);
      assert.equal(new Set(resultNames).size, resultNames.length, 'no name twice in the output');
      assert.deepEqual([...resultNames].sort(), [...names].sort(), 'every input name in the output');
      assert.ok(counts.garbled <= points.length, `at most one cut-off line per kill, found ${counts.garbled}`);
      assert.ok(outcomes.every(outcome => outcome === 'requested'), 'every cancel accepted');

      const stats = emulator.stats().cancels.byName;
      const resent = [...frozen].filter(([name, count]) => (stats.get(name)?.received ?? 0) !== count);
      assert.deepEqual(resent, [], `names final in the journal that were cancelled again (kill points ${points.join(', ')})`);
      for (const name of names) assert.equal(emulator.getOperation(name)?.state, 'cancelled', name);
      // A name in flight at a kill may have been cancelled without the journal knowing; it is sent once more. At a kill
      // that is at most the calls in flight plus the answers of the current event-loop turn not yet written (each
      // freed slot may already carry a new call): 2 x concurrency per kill.
      const twice = names.filter(name => (stats.get(name)?.received ?? 0) > 1);
      assert.ok(twice.length <= points.length * concurrency * 2, `${twice.length} names sent more than once`);
    } finally {
      await emulator.close();
    }
  });
});
