/**
 * The quota table of `npm run bench`: `lro-cancel batch` against the emulator's per-project rate quota answered as
 * Google's rate limits usually answer (429 / RESOURCE_EXHAUSTED, ErrorInfo RATE_LIMIT_EXCEEDED, no RetryInfo), where
 * the figure that matters is names per second as a share of the quota, and how few calls the quota refused. Each
 * scenario gets an emulator of its own (fresh windows, nothing left over), the batch runs over gRPC (the default
 * transport), and time runs from spawning the batch processes to the last one's exit, start-up included.
 *
 * `node dist/scripts/bench-quota.js` runs the scenarios alone (`--runs N`, `--bare` for refusals that do not state
 * the limit either, so the rate is found from refusals alone).
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { CLI_PATH } from './bench-processes.js';

export interface QuotaPlan {
  readonly label: string;
  readonly names: number;
  readonly quota: number;
  readonly shards: number;
  readonly verify: boolean;
  /** Refusals without the limit in ErrorInfo either: the rate is found from refusals alone. */
  readonly bare: boolean;
}

export interface QuotaRun extends QuotaPlan {
  readonly seconds: number;
  /** Names per second as a share of the quota. */
  readonly share: number;
  readonly requests: number;
  readonly refused: number;
  /** Each shard's names per second (one entry without shards). */
  readonly shardRates: readonly number[];
  readonly exitCodes: readonly (number | null)[];
}

export const QUOTA_PLANS: readonly QuotaPlan[] = [
  { label: '15k, 500/s', names: 15_000, quota: 500, shards: 1, verify: false, bare: false },
  { label: '15k --verify, 500/s', names: 15_000, quota: 500, shards: 1, verify: true, bare: false },
  { label: '4 shards, 12k, 400/s', names: 12_000, quota: 400, shards: 4, verify: false, bare: false },
];

async function startQuotaEmulator(plan: QuotaPlan, dir: string): Promise<{ stop(): Promise<void>; grpc: string; rest: string }> {
  const args = ['emulator', '--ops', String(plan.names), '--duration-ms', '86400000', '--seed', '1', '--quota-rps', String(plan.quota), '--no-quota-retry-info',
    ...(plan.bare ? ['--no-quota-limit-info'] : [])];
  const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'pipe', 'ignore'], cwd: dir });
  const [line] = await once(createInterface({ input: child.stdout }), 'line') as [string];
  const ready = JSON.parse(line) as { grpc: string; rest: string };
  return {
    ...ready,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/** Runs one plan: the batch process (or one per shard) against a fresh emulator; what the emulator received. */
export async function runQuotaPlan(plan: QuotaPlan): Promise<QuotaRun> {
  const dir = mkdtempSync(join(tmpdir(), 'lro-bench-quota-'));
  const emulator = await startQuotaEmulator(plan, dir);
  try {
    const input = join(dir, 'names.txt');
    writeFileSync(input, `${Array.from({ length: plan.names }, (_, i) => `projects/demo/locations/global/operations/op-${String(i + 1).padStart(6, '0')}`).join('\n')}\n`);
    const env = { ...process.env, LRO_CANCEL_EMULATOR_HOST: emulator.grpc, LRO_CANCEL_EMULATOR_REST: emulator.rest };
    const started = performance.now();
    const shards = Array.from({ length: plan.shards }, async (_, index) => {
      const args = ['batch', '--input', input, '--progress', 'none', ...(plan.verify ? ['--verify'] : []), ...(plan.shards > 1 ? ['--shard', `${index}/${plan.shards}`] : [])];
      const child = spawn(process.execPath, [CLI_PATH, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
      const [code] = await once(child, 'exit') as [number | null];
      const names = Number(/^(?:Done|Stopped|Interrupted): (\d+) names/m.exec(stderr)?.[1] ?? NaN);
      return { code, names, seconds: (performance.now() - started) / 1000 };
    });
    const done = await Promise.all(shards);
    const seconds = Math.max(...done.map(shard => shard.seconds));
    const stats = await (await fetch(`${emulator.rest}/emulator/v1/stats?names=false`)).json() as { total: number; byCode: Record<string, number> };
    return {
      ...plan,
      seconds,
      share: plan.names / seconds / plan.quota,
      requests: stats.total,
      refused: stats.byCode['RESOURCE_EXHAUSTED'] ?? 0,
      shardRates: done.map(shard => shard.names / shard.seconds),
      exitCodes: done.map(shard => shard.code),
    };
  } finally {
    await emulator.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function measureQuota(plans: readonly QuotaPlan[], runs: number, log: (line: string) => void): Promise<QuotaRun[]> {
  const results: QuotaRun[] = [];
  for (let round = 1; round <= runs; round += 1) {
    for (const plan of plans) {
      const run = await runQuotaPlan(plan);
      log(`quota ${plan.label}${plan.bare ? ' (bare)' : ''} run ${round}: ${run.share.toFixed(3)}x the quota, ${(100 * run.refused / run.requests).toFixed(2)}% refused, shards ${run.shardRates.map(r => r.toFixed(0)).join('/')} names/s, exit ${run.exitCodes.join('/')}`);
      results.push(run);
    }
  }
  return results;
}

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? NaN;
};

/** The Markdown table: medians of the runs of each plan. */
export function quotaTable(runs: readonly QuotaRun[]): string {
  const lines = [
    '| `lro-cancel batch` under a quota without RetryInfo | names/s (share of quota) | calls refused | requests per name | slowest / fastest shard |',
    '|---|---|---|---|---|',
  ];
  const labels = [...new Set(runs.map(run => `${run.label}${run.bare ? ', limit not stated' : ''}`))];
  for (const label of labels) {
    const mine = runs.filter(run => `${run.label}${run.bare ? ', limit not stated' : ''}` === label);
    const share = median(mine.map(run => run.share));
    const quota = mine[0]?.quota ?? 0;
    const refused = median(mine.map(run => run.refused / run.requests));
    const perName = median(mine.map(run => run.requests / run.names));
    const spread = median(mine.map(run => Math.min(...run.shardRates) / Math.max(...run.shardRates)));
    lines.push(`| ${label} | ${(share * quota).toFixed(0)} (${share.toFixed(2)}x) | ${(100 * refused).toFixed(1)}% | ${perName.toFixed(3)} | ${mine[0]?.shards === 1 ? '-' : `${spread.toFixed(2)}`} |`);
  }
  return lines.join('\n');
}

if (process.argv[1]?.endsWith('bench-quota.js') === true) {
  const args = process.argv.slice(2);
  const runs = Number(args[args.indexOf('--runs') + 1] ?? 1) || 1;
  const bare = args.includes('--bare');
  const plans = bare ? QUOTA_PLANS.map(plan => ({ ...plan, bare: true })) : QUOTA_PLANS;
  const results = await measureQuota(plans, runs, line => process.stderr.write(`${line}\n`));
  process.stdout.write(`${quotaTable(results)}\n`);
}
