/**
 * Peak RSS of `cancelMany` in a process of its own against `lro-cancel batch` over the same number of names, both over
 * REST against the emulator in its own process, each run on fresh names, runs interleaved. cancelMany runs with
 * Node's default flags and with the flags the batch command gives itself (--max-semi-space-size=16
 * --heap-growing-percent=20), which a service sets on its own node command line.
 *
 *   npm run build && node dist/scripts/bench-cancel-many.js [--names 100000] [--runs 3] [--concurrency 64]
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CLI_PATH, DIST_DIR, numberFlag, startEmulatorProcess, stopProcess, writeFreshNames } from './bench-processes.js';

const args = process.argv.slice(2);
const NAMES = numberFlag(args, '--names', 100_000);
const RUNS = numberFlag(args, '--runs', 3);
const CONCURRENCY = numberFlag(args, '--concurrency', 64);
const BATCH_FLAGS = ['--max-semi-space-size=16', '--heap-growing-percent=20'];

/** Runs a node process to its end under GNU time; its peak RSS (MB) and what it printed. */
async function measure(nodeArgs: readonly string[]): Promise<{ peakMb: number; out: string; wallS: number }> {
  const started = performance.now();
  const child = spawn('/usr/bin/time', ['-f', 'PEAK_RSS_KB=%M', process.execPath, ...nodeArgs], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString(); });
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`${nodeArgs.join(' ')} exited ${String(code)}: ${out.slice(-2000)}`);
  const kb = Number(/PEAK_RSS_KB=(\d+)/.exec(out)?.[1]);
  return { peakMb: kb / 1024, out, wallS: (performance.now() - started) / 1000 };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

const emulator = await startEmulatorProcess();
const dir = mkdtempSync(join(tmpdir(), 'lro-bench-many-'));
const worker = join(DIST_DIR, 'scripts', 'bench-cancel-many-worker.js');
const peaks: Record<string, number[]> = { cli: [], cancelMany: [], cancelManyBatchFlags: [] };
try {
  let serial = 0;
  for (let round = 1; round <= RUNS; round++) {
    for (const kind of Object.keys(peaks)) {
      serial += 1;
      const file = join(dir, `names-${serial}.txt`);
      await writeFreshNames(emulator.endpoints, NAMES, `m${serial}`, file);
      const nodeArgs = kind === 'cli'
        ? [CLI_PATH, 'batch', '--input', file, '--transport', 'rest', '--insecure', '--progress', 'none', '--rest-endpoint', emulator.endpoints.rest, '--endpoint', emulator.endpoints.grpc, '--concurrency', String(CONCURRENCY)]
        : [...(kind === 'cancelManyBatchFlags' ? BATCH_FLAGS : []), worker, file, emulator.endpoints.rest, String(CONCURRENCY)];
      const run = await measure(nodeArgs);
      const count = kind === 'cli' ? Number(/Done: (\d+) names/.exec(run.out)?.[1]) : (JSON.parse(run.out.split('\n')[0] as string) as { requested: number }).requested;
      if (count !== NAMES) throw new Error(`${kind}: ${count} names, not ${NAMES}: ${run.out.slice(-500)}`);
      peaks[kind]?.push(run.peakMb);
      process.stderr.write(`round ${round} ${kind}: peak RSS ${run.peakMb.toFixed(0)} MB, ${run.wallS.toFixed(1)} s wall\n`);
      rmSync(file, { force: true });
    }
  }
} finally {
  await stopProcess(emulator.child);
  rmSync(dir, { recursive: true, force: true });
}
const cli = median(peaks['cli'] as number[]);
process.stdout.write(`| ${NAMES.toLocaleString('en-US')} names over REST, concurrency ${CONCURRENCY} | peak RSS MB (median of ${RUNS}) | runs | vs the CLI |\n|---|---|---|---|\n`);
for (const [kind, label] of [['cli', '`lro-cancel batch --input FILE`'], ['cancelMany', '`cancelMany` (Node defaults)'], ['cancelManyBatchFlags', '`cancelMany` (the batch command\'s node flags)']] as const) {
  const values = peaks[kind] as number[];
  process.stdout.write(`| ${label} | ${median(values).toFixed(0)} | ${values.map(v => v.toFixed(0)).join(', ')} | ${(median(values) / cli).toFixed(2)}x |\n`);
}
