/**
 * `npm run bench` (see README "Benchmarks"): the emulator in its own process, then in one run
 *   1. cancels/s, client CPU per cancel and latency of each client, each run in its own worker process on fresh
 *      operations (2,000 at concurrency 1, 20,000 at 64 and 256), plus the emulator's CPU per cancel;
 *   2. `lro-cancel batch` over 10,000 names (with and without --verify) and 1,000,000 names from a file;
 *   3. start-up of `lro-cancel --help`, `lro-cancel cancel NAME` and a plain grpc-js one-call script;
 *   4. `lro-cancel batch` under a rate quota answered without RetryInfo (bench-quota.ts): names/s as a share of the
 *      quota and calls refused, for one process without and with --verify and for 4 shards sharing one quota.
 * Every figure is the median of `--runs` (3) runs. Prints the Markdown tables and writes every run and median to
 * bench-results/bench-<time>.json (and latest.json, latest.md).
 *
 * Options: --runs N (3), --clients a,b (all), --concurrency 1,64,256, --scale F (multiplies the 20,000/2,000),
 * --batch-names N (1000000), --batch-concurrency N (64), --quota-runs N (1), --skip throughput,batch,startup,quota. LRO_BENCH_PROFILE_DIR=DIR profiles every worker.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, release, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { measureBatches, type BatchRun } from './bench-batch.js';
import { measureQuota, QUOTA_PLANS, quotaTable, type QuotaRun } from './bench-quota.js';
import { CLIENTS, type ClientName } from './bench-clients.js';
import { DIST_DIR, startEmulatorProcess, stopProcess } from './bench-processes.js';
import { markdown, summarize, targets } from './bench-report.js';
import { measureStartup, type StartupRun } from './bench-startup.js';
import { measureThroughput, type ThroughputRun } from './bench-throughput.js';

const args = process.argv.slice(2);
const flag = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at === -1 ? undefined : args[at + 1];
};

function machine(): Record<string, string | number> {
  const cores = cpus();
  return {
    cpu: cores[0]?.model.trim() ?? 'unknown',
    cores: cores.length,
    memoryGb: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    os: `${process.platform} ${release()}`,
  };
}

async function main(): Promise<void> {
  const runs = Number(flag('--runs') ?? 3);
  const clients = (flag('--clients')?.split(',') ?? CLIENTS) as ClientName[];
  const concurrencies = (flag('--concurrency') ?? '1,64,256').split(',').map(Number);
  const scale = Number(flag('--scale') ?? 1);
  const batchNames = Number(flag('--batch-names') ?? 1_000_000);
  const skip = new Set(flag('--skip')?.split(',') ?? []);
  const started = Date.now();
  const tmpDir = mkdtempSync(join(tmpdir(), 'lro-bench-'));
  const log = (line: string): void => { process.stderr.write(`[${((Date.now() - started) / 1000).toFixed(0).padStart(3)} s] ${line}\n`); };
  const emulator = await startEmulatorProcess();
  let throughput: ThroughputRun[] = [];
  let batch: BatchRun[] = [];
  let startup: StartupRun[] = [];
  let quota: QuotaRun[] = [];
  try {
    log(`emulator ${JSON.stringify(emulator.endpoints)}, pid ${emulator.child.pid}`);
    if (!skip.has('startup')) startup = await measureStartup(emulator, Math.max(runs, 5), log);
    if (!skip.has('throughput')) {
      throughput = await measureThroughput(emulator, {
        clients,
        concurrencies,
        countAt: concurrency => Math.round((concurrency === 1 ? 2000 : 20_000) * scale),
        warmup: 500,
        runs,
      }, tmpDir, log);
    }
    if (!skip.has('batch')) {
      // The CLI's default concurrency, where REST already reaches its peak rate. --verify only on 10,000 names: it
      // adds a GetOperation per name, and three runs of a million of those would not fit the ten-minute budget.
      const concurrency = Number(flag('--batch-concurrency') ?? 64);
      batch = await measureBatches(emulator, [
        { label: '10k', names: 10_000, concurrency, verify: false, runs },
        { label: '10k-verify', names: 10_000, concurrency, verify: true, runs },
        { label: '1M', names: batchNames, concurrency, verify: false, runs },
      ], tmpDir, log);
    }
    // Each quota scenario runs its own emulator (fresh windows); half a minute each, so one run unless asked.
    if (!skip.has('quota')) quota = await measureQuota(QUOTA_PLANS, Number(flag('--quota-runs') ?? 1), log);
  } finally {
    await stopProcess(emulator.child);
    rmSync(tmpDir, { recursive: true, force: true });
  }

  const summary = summarize(throughput, batch, startup);
  const list = targets(summary);
  const table = quota.length === 0 ? markdown(summary, list) : `${markdown(summary, list)}\n\n${quotaTable(quota)}`;
  const info = machine();
  const elapsedS = Math.round((Date.now() - started) / 1000);
  const outDir = join(DIST_DIR, '..', 'bench-results');
  mkdirSync(outDir, { recursive: true });
  const json = JSON.stringify({ date: new Date(started).toISOString(), elapsedS, machine: info, runs, summary, targets: list, raw: { throughput, batch, startup, quota } }, null, 2);
  const file = join(outDir, `bench-${new Date(started).toISOString().replace(/[:.]/g, '-')}.json`);
  writeFileSync(file, json);
  writeFileSync(join(outDir, 'latest.json'), json);
  const machineLine = `${info['cores']} cores (${info['cpu']}), ${info['memoryGb']} GB, Node ${info['node']}, ${info['os']}; median of ${runs} runs; ${elapsedS} s in all`;
  writeFileSync(join(outDir, 'latest.md'), `${table}\n\n${machineLine}\n`);
  process.stdout.write(`${table}\n\n${machineLine}\nfigures: ${file}\n`);
}

await main();
