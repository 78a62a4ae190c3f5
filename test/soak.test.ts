import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SoakFigures } from '../scripts/soak-verify.js';
import { projectRoot } from './helpers/paths.js';

/**
 * The short runs of the fault soak (scripts/soak.ts; `npm run soak` is the long one): the real batch command against
 * the emulator in its own process, every claim checked on the emulator's side by the script.
 */

function soakCommand(): string[] {
  const compiled = fileURLToPath(new URL('../scripts/soak.js', import.meta.url));
  if (import.meta.url.includes('/dist/') && existsSync(compiled)) return [compiled];
  return ['--import', 'tsx', join(projectRoot(), 'scripts', 'soak.ts')];
}

/** What scripts/soak.ts prints with --json: the verifier's figures, the restarts it made and what failed. */
type Figures = SoakFigures & { restarts: number; problems: string[] };

async function runSoak(args: readonly string[]): Promise<{ figures: Figures; stderr: string }> {
  const child = spawn(process.execPath, [...soakCommand(), ...args, '--json'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const code = await new Promise<number | null>(resolve => child.once('exit', resolve));
  const last = stdout.trim().split('\n').at(-1) ?? '';
  assert.ok(last.startsWith('{'), `the soak printed its figures (exit ${String(code)}):\n${stderr}`);
  const figures = JSON.parse(last) as Figures;
  assert.deepEqual(figures.problems, [], stderr);
  assert.equal(code, 0, stderr);
  return { figures, stderr };
}

const QUICK = ['--pass-delay-ms', '100', '--max-pass-delay-ms', '500', '--snapshot-ms', '500', '--timeout-ms', '100000'];

describe('fault soak, short runs', () => {
  test('5,000 names under 20% UNAVAILABLE, 5% RESOURCE_EXHAUSTED, dropped connections, jitter and an emulator restart', async () => {
    const mix = 'UNAVAILABLE=0.2,RESOURCE_EXHAUSTED=0.05,DROP=0.002';
    const { figures, stderr } = await runSoak(['--names', '5000', '--restarts', '1', '--down-ms', '500', '--fail-mix', mix, ...QUICK]);
    assert.equal(figures.names, 5000);
    assert.equal(figures.restarts, 1);
    assert.equal(figures.resultsMissing, 0);
    assert.equal(figures.resultsDuplicated, 0);
    assert.equal(figures.resultsUnknown, 0);
    assert.equal(figures.storeDisagreements, 0);
    assert.equal(figures.cancelledAfterFinal, 0);
    assert.ok(figures.namesWatchedAfterFinal > 2500, `names watched after they were final: ${figures.namesWatchedAfterFinal}`);
    assert.ok(figures.faults.unavailable > 500 && figures.faults.resourceExhausted > 100 && figures.faults.dropped > 0, JSON.stringify(figures.faults));
    assert.deepEqual(Object.keys(figures.outcomes), ['cancelled'], stderr);
  });

  test('with no restart and no dropped connection every attempt arrives, so the cancels received are exactly those sent', async () => {
    const { figures } = await runSoak(['--names', '1000', '--restarts', '0', '--fail-mix', 'UNAVAILABLE=0.2,RESOURCE_EXHAUSTED=0.05', ...QUICK]);
    assert.equal(figures.cancelsReceived, figures.cancelAttemptsSent, 'every cancel attempt the batch counts arrived, and no other');
    // 25% of attempts fail, so about 1 / 0.75 = 1.33 attempts per call, and one cancel and one read per name.
    assert.ok(figures.requestsReceived <= 2 * 1.6 * figures.names, `${figures.requestsReceived} requests for ${figures.names} names`);
    assert.deepEqual(Object.keys(figures.outcomes), ['cancelled']);
    assert.equal(figures.cancelledAfterFinal, 0);
    assert.equal(figures.resultsMissing, 0);
  });
});
