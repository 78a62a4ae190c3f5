/**
 * Degraded-service scenarios anyone can rerun: the real `lro-cancel batch --verify` against the emulator in its own
 * process, with its faults changed while the batch runs (POST /emulator/v1/faults), and every figure read on the
 * emulator's side. Each scenario checks what the README promises: a degraded service slows a batch down; it does not
 * fail names.
 *
 *   npm run chaos                                   every scenario at full size (about 3 minutes)
 *   node dist/scripts/chaos.js --scenario outage    one of: brownout-30, brownout-50, outage, quota
 *   node dist/scripts/chaos.js --scale 0.1          every scenario at a tenth of its names (what npm test runs)
 *
 * Scenarios (full size):
 * - brownout-30 / brownout-50: 20,000 names, 30% / 50% of cancels and reads answered UNAVAILABLE;
 *   every name cancelled, exit 0, cancels and reads each at most 2.6x the names.
 * - outage: 30,000 names; after a third are sent the service answers nothing but UNAVAILABLE for 40 s, then
 *   recovers; every name cancelled, exit 0, at most 2,000 calls meet the outage, the batch ends within 70 s of the
 *   recovery.
 * - quota: 10,000 names under a 500 requests/s quota answered without RetryInfo (429, ErrorInfo RATE_LIMIT_EXCEEDED);
 *   every name cancelled, exit 0, cancels at most 1.3x the names.
 * Flags: --scenario NAME|all, --scale F (names and the outage's length), --concurrency N (128), --json (last line).
 * Exit 0 when every check of every scenario held.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { startBatchProcess, startEmulatorProcess, stopProcess } from './soak-processes.js';

interface Scenario {
  readonly names: number;
  /** Emulator flags besides --ops. */
  readonly emulator: readonly string[];
  /** What to do to the emulator while the batch runs; returns figures of its own. */
  readonly during?: (control: Control, scale: number) => Promise<Record<string, number>>;
  readonly check: (figures: Figures) => string[];
}

interface Figures {
  names: number;
  exitCode: number | null;
  seconds: number;
  outcomes: Record<string, number>;
  cancels: number;
  gets: number;
  unavailable: number;
  refused: number;
  pauses: number;
  [key: string]: unknown;
}

/** The emulator's control endpoints. */
class Control {
  constructor(readonly restUrl: string) {}

  async stats(): Promise<{ byMethod: Record<string, number>; byCode: Record<string, number> }> {
    const response = await fetch(`${this.restUrl}/emulator/v1/stats?names=false`);
    return await response.json() as { byMethod: Record<string, number>; byCode: Record<string, number> };
  }

  async faults(settings: Record<string, unknown>): Promise<void> {
    const response = await fetch(`${this.restUrl}/emulator/v1/faults`, {
      method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(settings),
    });
    if (!response.ok) throw new Error(`POST /emulator/v1/faults answered ${response.status}: ${await response.text()}`);
  }
}

const within = (label: string, value: number, limit: number): string[] => (value <= limit ? [] : [`${label}: ${value} > ${limit}`]);
const allCancelled = (f: Figures): string[] => {
  const problems: string[] = [];
  if (f.exitCode !== 0) problems.push(`the batch exited ${String(f.exitCode)}`);
  if ((f.outcomes['cancelled'] ?? 0) !== f.names) problems.push(`outcomes ${JSON.stringify(f.outcomes)}, not ${f.names} cancelled`);
  return problems;
};

function brownout(share: number): Scenario {
  return {
    names: 20_000,
    emulator: ['--fail-rate', String(share), '--fail-code', 'UNAVAILABLE'],
    check: f => [...allCancelled(f), ...within('cancels received', f.cancels, 2.6 * f.names), ...within('reads received', f.gets, 2.6 * f.names)],
  };
}

const SCENARIOS: Record<string, Scenario> = {
  'brownout-30': brownout(0.3),
  'brownout-50': brownout(0.5),
  outage: {
    names: 30_000,
    emulator: [],
    async during(control, scale) {
      const outageMs = Math.round(40_000 * Math.max(scale, 0.125));
      // A third of the names sent (the batch verifies by listing at the end of a pass, so cancels are what to count).
      while (((await control.stats()).byMethod['CancelOperation'] ?? 0) < 10_000 * scale) await sleep(50);
      const before = await control.stats();
      await control.faults({ failRate: 1, failCode: 'UNAVAILABLE' });
      await sleep(outageMs);
      await control.faults({ failRate: 0 });
      const after = await control.stats();
      return { outageMs, recoveredAt: Date.now(), metOutage: (after.byCode['UNAVAILABLE'] ?? 0) - (before.byCode['UNAVAILABLE'] ?? 0) };
    },
    check: f => [
      ...allCancelled(f),
      ...within('calls that met the outage', Number(f['metOutage']), 2000),
      ...within('seconds from the recovery to the end', Number(f['afterRecoverySeconds']), 70),
    ],
  },
  quota: {
    names: 10_000,
    emulator: ['--quota-rps', '500', '--no-quota-retry-info'],
    check: f => [...allCancelled(f), ...within('cancels received', f.cancels, 1.3 * f.names)],
  },
};

function parseFlags(argv: readonly string[]): { scenarios: string[]; scale: number; concurrency: string; json: boolean } {
  let scenarios = Object.keys(SCENARIOS);
  let scale = 1;
  let concurrency = '128';
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    if (flag === '--scenario') {
      const name = value();
      if (name !== 'all' && !(name in SCENARIOS)) throw new Error(`--scenario must be all or one of ${Object.keys(SCENARIOS).join(', ')}, got ${name}`);
      scenarios = name === 'all' ? Object.keys(SCENARIOS) : [name];
    } else if (flag === '--scale') {
      scale = Number(value());
      if (!(scale > 0 && scale <= 10)) throw new Error(`--scale must be a number above 0, at most 10, got ${String(scale)}`);
    } else if (flag === '--concurrency') concurrency = value();
    else if (flag === '--json') json = true;
    else throw new Error(`unknown argument ${String(flag)}; flags: --scenario NAME|all --scale F --concurrency N --json`);
  }
  return { scenarios, scale, concurrency, json };
}

const log = (line: string): boolean => process.stderr.write(`[chaos] ${line}\n`);

async function runScenario(name: string, scenario: Scenario, scale: number, concurrency: string): Promise<{ figures: Figures; problems: string[] }> {
  const names = Math.max(200, Math.round(scenario.names * scale));
  const dir = mkdtempSync(join(tmpdir(), `lro-cancel-chaos-${name}-`));
  const input = join(dir, 'names.txt');
  const output = join(dir, 'output.jsonl');
  writeFileSync(input, `${Array.from({ length: names }, (_, i) => `projects/demo/locations/global/operations/op-${String(i + 1).padStart(6, '0')}`).join('\n')}\n`);
  const emulator = await startEmulatorProcess(['--ops', String(names), '--duration-ms', '86400000', '--seed', '1', ...scenario.emulator], join(dir, 'emulator.log'));
  const control = new Control(emulator.ready.rest);
  const started = Date.now();
  const batch = startBatchProcess(['--input', input, '--output', output, '--verify', '--progress', 'log', '--concurrency', concurrency], {
    ...process.env, LRO_CANCEL_EMULATOR_HOST: emulator.ready.grpc, LRO_CANCEL_EMULATOR_REST: emulator.ready.rest,
  });
  try {
    const extra = scenario.during === undefined ? {} : await scenario.during(control, scale);
    const exitCode = await batch.exited;
    const endedAt = Date.now();
    const stats = await control.stats();
    const outcomes: Record<string, number> = {};
    for (const line of readFileSync(output, 'utf8').split('\n')) {
      if (line === '') continue;
      const outcome = String((JSON.parse(line) as { outcome: unknown }).outcome);
      outcomes[outcome] = (outcomes[outcome] ?? 0) + 1;
    }
    const figures: Figures = {
      names,
      exitCode,
      seconds: (endedAt - started) / 1000,
      outcomes,
      cancels: stats.byMethod['CancelOperation'] ?? 0,
      gets: stats.byMethod['GetOperation'] ?? 0,
      unavailable: stats.byCode['UNAVAILABLE'] ?? 0,
      refused: stats.byCode['RESOURCE_EXHAUSTED'] ?? 0,
      pauses: batch.pauses,
      ...extra,
      ...('recoveredAt' in extra ? { afterRecoverySeconds: (endedAt - Number(extra['recoveredAt'])) / 1000 } : {}),
    };
    delete figures['recoveredAt'];
    const problems = scenario.check(figures);
    if (problems.length === 0) rmSync(dir, { recursive: true, force: true });
    else {
      writeFileSync(join(dir, 'batch.log'), `${batch.stderr.join('\n')}\n`);
      problems.push(`kept ${dir}`);
    }
    return { figures, problems };
  } finally {
    await stopProcess(batch.child, 'SIGKILL');
    await stopProcess(emulator.child, 'SIGTERM');
  }
}

async function main(): Promise<number> {
  const { scenarios, scale, concurrency, json } = parseFlags(process.argv.slice(2));
  const results: Record<string, { figures: Figures; problems: string[] }> = {};
  for (const name of scenarios) {
    const result = await runScenario(name, SCENARIOS[name] as Scenario, scale, concurrency);
    results[name] = result;
    const f = result.figures;
    log(`${name}: ${f.names} names in ${f.seconds.toFixed(1)} s, exit ${String(f.exitCode)}, outcomes ${JSON.stringify(f.outcomes)}; `
      + `received ${f.cancels} cancels (${(f.cancels / f.names).toFixed(2)}x) and ${f.gets} reads (${(f.gets / f.names).toFixed(2)}x), `
      + `${f.unavailable} UNAVAILABLE, ${f.refused} RESOURCE_EXHAUSTED, ${f.pauses} pauses`
      + `${'metOutage' in f ? `; ${String(f['metOutage'])} calls met the ${Number(f['outageMs']) / 1000} s outage, ended ${Number(f['afterRecoverySeconds']).toFixed(1)} s after the recovery` : ''}`);
    log(result.problems.length === 0 ? `${name}: every check held` : `${name}: FAILED\n  - ${result.problems.join('\n  - ')}`);
  }
  if (json) process.stdout.write(`${JSON.stringify(results)}\n`);
  return Object.values(results).every(result => result.problems.length === 0) ? 0 : 1;
}

main().then(code => { process.exitCode = code; }, (error: unknown) => {
  log(`could not run: ${error instanceof Error ? error.stack ?? error.message : String(error)}`);
  process.exitCode = 1;
});
