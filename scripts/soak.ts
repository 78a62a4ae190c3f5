/**
 * Fault soak: the real `lro-cancel batch` against the emulator in its own process, under faults, with the emulator
 * stopped and started again mid-run (on the same ports, with its state file), then every claim checked on the
 * server's side: each input name has exactly one result; the store agrees with each result (cancelled and requested
 * are done with code 1 there); no name received a cancel after it was final in the journal; requests beyond one per
 * call stay within the gRFC A6 retry budget (10 tokens, ratio 0.1: at most 5 + 0.1 x OK answers).
 *
 *   npm run soak                                      100,000 names, 2 restarts (build, then this)
 *   node dist/scripts/soak.js --names 5000 --restarts 1     the short run test/soak.test.ts makes
 *
 * Flags (defaults): --names 100000 --restarts 2 --concurrency 256 --fail-mix UNAVAILABLE=0.2,RESOURCE_EXHAUSTED=0.05,
 * DROP=0.0005 --latency-jitter-ms 200 --retry-delay-ms 20 --give-up-after 10m --pass-delay-ms 250 --max-pass-delay-ms 2000
 * --down-ms 1000 (each restart) --seed 1 --verify true --timeout-ms 1800000 --dir DIR (default a fresh temp dir)
 * --json (a last stdout line with the figures). Exit 0 when every check passed, 1 otherwise; the directory (names,
 * journal, output, state, logs) is kept when a check fails.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  cancelsByName, JournalFollower, startBatchProcess, startEmulatorProcess, stopProcess, type RunningEmulator,
} from './soak-processes.js';
import { verifySoak, type SoakFigures } from './soak-verify.js';

const DEFAULTS = {
  names: '100000', restarts: '2', concurrency: '256', 'fail-mix': 'UNAVAILABLE=0.2,RESOURCE_EXHAUSTED=0.05,DROP=0.0005',
  'latency-jitter-ms': '200', 'retry-delay-ms': '20', 'give-up-after': '10m', 'pass-delay-ms': '250', 'max-pass-delay-ms': '2000',
  'down-ms': '1000', seed: '1', verify: 'true', 'timeout-ms': '1800000', 'snapshot-ms': '3000', dir: '', json: 'false',
};
type Flag = keyof typeof DEFAULTS;

function parseFlags(argv: readonly string[]): Record<Flag, string> {
  const flags: Record<Flag, string> = { ...DEFAULTS };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    const key = arg.slice(2) as Flag;
    if (!arg.startsWith('--') || !(key in DEFAULTS)) {
      throw new Error(`unknown argument ${JSON.stringify(arg)}; flags: ${Object.keys(DEFAULTS).map(k => `--${k}`).join(' ')}`);
    }
    if (key === 'json') {
      flags.json = 'true';
      continue;
    }
    const value = argv[++i];
    if (value === undefined) throw new Error(`${arg} needs a value`);
    flags[key] = value;
  }
  return flags;
}

function count(flags: Record<Flag, string>, key: Flag, min: number): number {
  const value = Number(flags[key]);
  if (!Number.isInteger(value) || value < min) throw new Error(`--${key} must be an integer >= ${min}, got ${JSON.stringify(flags[key])}`);
  return value;
}

const log = (line: string): boolean => process.stderr.write(`[soak] ${line}\n`);

/** Children still running if the soak itself fails, so they can be stopped rather than left behind. */
const children = new Set<ChildProcess>();
function track<T extends { readonly child: ChildProcess }>(started: T): T {
  children.add(started.child);
  started.child.once('exit', () => children.delete(started.child));
  return started;
}

async function main(): Promise<number> {
  const flags = parseFlags(process.argv.slice(2));
  const total = count(flags, 'names', 1);
  const restartsWanted = count(flags, 'restarts', 0);
  const timeoutMs = count(flags, 'timeout-ms', 1000);
  const snapshotMs = count(flags, 'snapshot-ms', 100);
  const verify = flags.verify !== 'false';
  const dir = flags.dir !== '' ? flags.dir : mkdtempSync(join(tmpdir(), 'lro-cancel-soak-'));
  mkdirSync(dir, { recursive: true });
  const paths = {
    names: join(dir, 'names.txt'), journal: join(dir, 'journal.jsonl'), output: join(dir, 'output.jsonl'),
    state: join(dir, 'emulator.state'), emulatorLog: join(dir, 'emulator.log'), batchLog: join(dir, 'batch.log'),
  };
  const names = Array.from({ length: total }, (_, i) => `projects/demo/locations/global/operations/op-${String(i + 1).padStart(6, '0')}`);
  writeFileSync(paths.names, `${names.join('\n')}\n`);

  const emulatorArgs = [
    '--ops', String(total), '--duration-ms', '86400000', '--seed', flags.seed, '--state', paths.state,
    '--fail-mix', flags['fail-mix'], '--latency-jitter-ms', flags['latency-jitter-ms'], '--retry-delay-ms', flags['retry-delay-ms'],
  ];
  const started = Date.now();
  let emulator: RunningEmulator = track(await startEmulatorProcess(emulatorArgs, paths.emulatorLog));
  const { ready } = emulator;
  const ports = ['--grpc-port', ready.grpc.split(':')[1] ?? '', '--rest-port', new URL(ready.rest).port];
  const batchArgs = [
    '--input', paths.names, '--journal', paths.journal, '--output', paths.output, '--progress', 'log',
    '--concurrency', flags.concurrency, '--give-up-after', flags['give-up-after'],
    '--pass-delay-ms', flags['pass-delay-ms'], '--max-pass-delay-ms', flags['max-pass-delay-ms'], ...(verify ? ['--verify'] : []),
  ];
  log(`${total} names, emulator ${ready.grpc} / ${ready.rest}, faults ${flags['fail-mix']}, jitter 0-${flags['latency-jitter-ms']} ms, ${restartsWanted} restarts; in ${dir}`);
  const batch = track(startBatchProcess(batchArgs, { ...process.env, LRO_CANCEL_EMULATOR_HOST: ready.grpc, LRO_CANCEL_EMULATOR_REST: ready.rest }));

  const follower = new JournalFollower(paths.journal);
  const frozen = new Map<string, number>();
  let pending: string[] = [];
  let restarts = 0;
  const end: { exited: boolean; code: number | null | 'timeout' } = { exited: false, code: null };
  void batch.exited.then(code => { end.exited = true; end.code = code; });

  /** Names accepted or final in the journal now, with the cancels the emulator has seen for them: any later one is a violation. */
  const snapshot = async (): Promise<void> => {
    const fresh = follower.read();
    pending = pending.concat(fresh);
    const counts = await cancelsByName(emulator.ready.rest);
    if (counts === undefined) return;
    for (const name of pending) frozen.set(name, counts.get(name) ?? 0);
    pending = [];
  };

  while (!end.exited) {
    await Promise.race([sleep(snapshotMs), batch.exited]);
    if (end.exited) break;
    await snapshot();
    // Restarts are spread over the names recorded (an accepted cancel counts: verified by listing, a name is final
    // only when its pass ends).
    if (restarts < restartsWanted && follower.records >= ((restarts + 1) * total) / (restartsWanted + 1)) {
      const code = await stopProcess(emulator.child, 'SIGTERM');
      if (code !== 0) throw new Error(`the emulator exited with ${String(code)} on SIGTERM (see ${paths.emulatorLog})`);
      log(`restart ${restarts + 1}: emulator stopped at ${follower.records} journal records, down for ${flags['down-ms']} ms`);
      await Promise.race([sleep(count(flags, 'down-ms', 0)), batch.exited]);
      emulator = track(await startEmulatorProcess([...emulatorArgs, ...ports], paths.emulatorLog));
      if (emulator.ready.grpc !== ready.grpc || emulator.ready.rest !== ready.rest) throw new Error('the restarted emulator is on other ports');
      restarts += 1;
    }
    if (Date.now() - started > timeoutMs) {
      await stopProcess(batch.child, 'SIGKILL');
      end.code = 'timeout';
      break;
    }
  }
  follower.read();
  if ((await stopProcess(emulator.child, 'SIGTERM')) !== 0) throw new Error(`the emulator did not close cleanly (see ${paths.emulatorLog})`);
  writeFileSync(paths.batchLog, `${batch.stderr.join('\n')}\n`);
  const durationMs = Date.now() - started;

  const { figures, problems } = await verifySoak({
    names, outputPath: paths.output, journalPath: paths.journal, statePath: paths.state, frozen, passSizes: batch.passSizes, sent: batch.sent, verify,
    pauses: batch.pauses,
    everyCallArrives: restartsWanted === 0 && !/DROP/i.test(flags['fail-mix']),
  });
  if (end.code !== 0) problems.push(`the batch exited with ${String(end.code)} (see ${paths.batchLog})`);
  if (restarts !== restartsWanted) problems.push(`${restarts} restarts instead of ${restartsWanted}: the batch finished first`);
  report(figures, restarts, durationMs, problems);
  if (flags.json === 'true') process.stdout.write(`${JSON.stringify({ ...figures, restarts, durationMs, problems })}\n`);
  if (problems.length === 0 && flags.dir === '') rmSync(dir, { recursive: true, force: true });
  else if (problems.length > 0) log(`kept ${dir}`);
  return problems.length === 0 ? 0 : 1;
}

function report(f: SoakFigures, restarts: number, durationMs: number, problems: readonly string[]): void {
  const outcomes = Object.entries(f.outcomes).map(([k, v]) => `${k} ${v}`).join(', ');
  log(`${f.names} names in ${(durationMs / 1000).toFixed(1)} s, ${f.passes} passes, ${restarts} emulator restarts`);
  log(`results: ${f.results} lines, missing ${f.resultsMissing}, duplicated ${f.resultsDuplicated}, unknown ${f.resultsUnknown}; outcomes: ${outcomes}`);
  log(`store disagreements: ${f.storeDisagreements}; cancels after final: ${f.cancelledAfterFinal} (of ${f.namesWatchedAfterFinal} names watched)`);
  log(`faults injected: ${f.faults.unavailable} UNAVAILABLE, ${f.faults.resourceExhausted} RESOURCE_EXHAUSTED, ${f.faults.dropped} connections dropped`);
  log(`retries: the batch sent ${f.cancelAttemptsSent} cancel attempts (${f.cancelRetriesSent} retries) and ${f.readBacks} read-backs; the emulator received ${f.cancelsReceived} cancels`);
  log(`requests: ${f.requestsReceived} received (${f.cancelsReceived} cancels, ${f.getsReceived} gets) for ${f.names} names: ${(f.requestsReceived / f.names).toFixed(2)} per name; ${f.pauses} pauses`);
  log(`cancels that found the operation already done (resends after a lost answer): ${f.cancelsAfterDone}`);
  log(problems.length === 0 ? 'every check passed' : `FAILED:\n  - ${problems.join('\n  - ')}`);
}

main().then(code => { process.exitCode = code; }, (error: unknown) => {
  log(`could not run: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  for (const child of children) child.kill('SIGKILL');
  process.exitCode = 1;
});
