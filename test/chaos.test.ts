import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { projectRoot } from './helpers/paths.js';

/**
 * Bounded runs of the degraded-service scenarios (scripts/chaos.ts; `npm run chaos` runs them at full size): the real
 * batch command against the emulator in its own process, with faults changed while it runs. Each scenario's own
 * checks (every name cancelled, exit 0, what the server received) run in the script; these tests read its figures.
 */

function chaosCommand(): string[] {
  const compiled = fileURLToPath(new URL('../scripts/chaos.js', import.meta.url));
  if (import.meta.url.includes('/dist/') && existsSync(compiled)) return [compiled];
  return ['--import', 'tsx', join(projectRoot(), 'scripts', 'chaos.ts')];
}

interface Result {
  readonly figures: Record<string, unknown> & { names: number; exitCode: number; outcomes: Record<string, number>; cancels: number; gets: number };
  readonly problems: string[];
}

async function chaos(scenario: string, scale: number): Promise<Result> {
  const child = spawn(process.execPath, [...chaosCommand(), '--scenario', scenario, '--scale', String(scale), '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  await new Promise(resolve => child.once('exit', resolve));
  const last = stdout.trim().split('\n').at(-1) ?? '';
  assert.ok(last.startsWith('{'), `the scenario printed its figures:\n${stderr}`);
  const result = (JSON.parse(last) as Record<string, Result>)[scenario];
  assert.ok(result !== undefined, stderr);
  assert.deepEqual(result.problems, [], stderr);
  return result;
}

describe('degraded-service scenarios, bounded', () => {
  test('a 50% brownout on cancels and reads: every name cancelled, exit 0, each method at most 2.6x the names', async () => {
    const { figures } = await chaos('brownout-50', 0.05);
    assert.deepEqual(figures.outcomes, { cancelled: figures.names });
    assert.ok(figures.cancels <= 2.6 * figures.names && figures.gets <= 2.6 * figures.names, JSON.stringify(figures));
  });

  test('a total outage mid-batch: every name cancelled, exit 0, few calls meet it, and the batch ends soon after the recovery', async () => {
    const { figures } = await chaos('outage', 0.1);
    assert.deepEqual(figures.outcomes, { cancelled: figures.names });
    assert.ok(Number(figures['metOutage']) <= 2000, `${String(figures['metOutage'])} calls met the outage`);
    assert.ok(Number(figures['pauses']) >= 1, 'the batch paused');
  });

  test('a quota answered without RetryInfo: every name cancelled, exit 0, cancels at most 1.3x the names', async () => {
    const { figures } = await chaos('quota', 0.1);
    assert.deepEqual(figures.outcomes, { cancelled: figures.names });
    assert.ok(figures.cancels <= 1.3 * figures.names, JSON.stringify(figures));
  });
});
