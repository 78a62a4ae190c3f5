/**
 * One client of `npm run bench` in its own process. argv[2] is a WorkerSpec (JSON). The worker reads its names, makes
 * the client, warms it up on the first `warmup` names (not counted), prints `{"ready":true}` and waits for a `go`
 * line on stdin (so the parent can read the emulator's CPU right before), then cancels the other names with
 * `concurrency` calls in flight and prints one WorkerResult line. Every cancel must succeed.
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { once } from 'node:events';
import { createClient, type BenchClient, type ClientName, type Endpoints } from './bench-clients.js';

export interface WorkerSpec extends Endpoints {
  readonly client: ClientName;
  readonly concurrency: number;
  /** One name per line; the first `warmup` warm the client up. */
  readonly namesFile: string;
  readonly warmup: number;
}

export interface WorkerResult {
  readonly count: number;
  readonly wallMs: number;
  /** process.cpuUsage() over the measured run, user + system. */
  readonly cpuUs: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly failures: number;
  readonly firstFailure?: string;
}

/** Runs `cancel` over `names` with `concurrency` in flight; latencies go to `latenciesMs` by position. */
async function drive(client: BenchClient, names: readonly string[], concurrency: number, latenciesMs: Float64Array): Promise<{ failures: number; firstFailure?: string }> {
  let next = 0;
  let failures = 0;
  let firstFailure: string | undefined;
  const lane = async (): Promise<void> => {
    while (next < names.length) {
      const index = next++;
      const started = performance.now();
      try {
        await client.cancel(names[index] as string);
      } catch (error) {
        failures++;
        firstFailure ??= error instanceof Error ? error.message : String(error);
      }
      latenciesMs[index] = performance.now() - started;
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, names.length) }, lane));
  return firstFailure === undefined ? { failures } : { failures, firstFailure };
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] as number;
}

async function main(): Promise<void> {
  const spec = JSON.parse(process.argv[2] ?? '{}') as WorkerSpec;
  const names = readFileSync(spec.namesFile, 'utf8').split('\n').filter(line => line !== '');
  const warm = names.slice(0, spec.warmup);
  const measured = names.slice(spec.warmup);
  const client = await createClient(spec.client, spec, spec.concurrency);
  const warmed = await drive(client, warm, spec.concurrency, new Float64Array(warm.length));
  if (warmed.failures > 0) throw new Error(`warm-up: ${warmed.failures} failed cancels, first: ${warmed.firstFailure}`);

  const input = createInterface({ input: process.stdin });
  process.stdout.write(`${JSON.stringify({ ready: true })}\n`);
  await once(input, 'line');
  input.close();

  const latenciesMs = new Float64Array(measured.length);
  const cpuBefore = process.cpuUsage();
  const started = performance.now();
  const run = await drive(client, measured, spec.concurrency, latenciesMs);
  const wallMs = performance.now() - started;
  const cpu = process.cpuUsage(cpuBefore);
  await client.close();
  latenciesMs.sort();
  const result: WorkerResult = {
    count: measured.length,
    wallMs,
    cpuUs: cpu.user + cpu.system,
    p50Ms: percentile(latenciesMs, 50),
    p99Ms: percentile(latenciesMs, 99),
    ...run,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
  // gax keeps timers and sockets of its own; the result is out, so do not wait for them.
  process.exit(0);
}

await main();
