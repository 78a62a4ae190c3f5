/**
 * `lro-cancel batch` over names streamed from a file: its own rate (the summary's "Done: N names in S s") and the
 * process's peak RSS, each run on fresh operations. The batch runs over REST: a million names over gRPC would take
 * about three minutes a run on two cores, and the budget of the whole `npm run bench` is ten.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { CLI_PATH, processCpuUs, writeFreshNames, type Emulator } from './bench-processes.js';

export interface BatchPlan {
  readonly label: string;
  readonly names: number;
  readonly concurrency: number;
  readonly verify: boolean;
  readonly runs: number;
}

export interface BatchRun {
  readonly label: string;
  readonly names: number;
  readonly concurrency: number;
  readonly verify: boolean;
  /** Names per second over the batch itself (start-up excluded), as its summary reports it. */
  readonly perSecond: number;
  /** Wall time of the whole process, start-up included. */
  readonly wallMs: number;
  readonly peakRssMb: number;
  readonly emulatorCpuUsPerName: number;
}

const TIME = '/usr/bin/time';

/**
 * Peak RSS of a child that has exited: GNU time's %M when it is installed, else the highest VmHWM read from
 * /proc/PID/status while it ran (sampled every 50 ms; VmHWM is itself a high-water mark, so only growth in the last
 * 50 ms could be missed).
 */
function watchPeakRss(pid: number): { stop(): number } {
  let peakKb = 0;
  const read = (): void => {
    try {
      const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (match !== null) peakKb = Math.max(peakKb, Number(match[1]));
    } catch {
      // exited between two reads
    }
  };
  const timer = setInterval(read, 50);
  return { stop: () => { clearInterval(timer); return peakKb; } };
}

async function runOnce(emulator: Emulator, plan: BatchPlan, namesFile: string): Promise<BatchRun> {
  const args = [
    CLI_PATH, 'batch', '--input', namesFile, '--transport', 'rest', '--insecure', '--progress', 'none',
    '--endpoint', emulator.endpoints.grpc, '--rest-endpoint', emulator.endpoints.rest,
    '--concurrency', String(plan.concurrency), ...(plan.verify ? ['--verify'] : []),
  ];
  const useTime = existsSync(TIME);
  const emulatorBefore = processCpuUs(emulator.child.pid as number);
  const started = performance.now();
  const child = useTime
    ? spawn(TIME, ['-f', 'BENCH_PEAK_RSS_KB=%M', process.execPath, ...args], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const watch = useTime ? undefined : watchPeakRss(child.pid as number);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
  const [code] = (await once(child, 'exit')) as [number | null];
  const wallMs = performance.now() - started;
  const emulatorCpuUs = processCpuUs(emulator.child.pid as number) - emulatorBefore;
  const watchedKb = watch?.stop() ?? 0;
  if (code !== 0) throw new Error(`batch ${plan.label} exited ${String(code)}: ${stderr.slice(-2000)}`);
  // The summary gives its time in ms below a second, in s (one decimal) above.
  const done = /Done: (\d+) names in ([\d.]+) (ms|s) /.exec(stderr);
  if (done === null || Number(done[1]) !== plan.names) throw new Error(`batch ${plan.label}: no summary for ${plan.names} names in: ${stderr.slice(-1000)}`);
  const outcome = plan.verify ? 'cancelled' : 'requested';
  if (!new RegExp(`outcomes:\\s+${outcome} ${plan.names}\\b`).test(stderr)) throw new Error(`batch ${plan.label}: not every name ${outcome}: ${stderr.slice(-1000)}`);
  const peakKb = useTime ? Number(/BENCH_PEAK_RSS_KB=(\d+)/.exec(stderr)?.[1] ?? NaN) : watchedKb;
  // The summary's own rate; recomputed from the count and its time only as a fallback.
  const rate = /\((\d+)\/s\)/.exec(stderr);
  return {
    label: plan.label,
    names: plan.names,
    concurrency: plan.concurrency,
    verify: plan.verify,
    perSecond: rate !== null ? Number(rate[1]) : plan.names / (Number(done[2]) / (done[3] === 'ms' ? 1000 : 1)),
    wallMs,
    peakRssMb: peakKb / 1024,
    emulatorCpuUsPerName: emulatorCpuUs / plan.names,
  };
}

/** Runs every plan `runs` times, plans interleaved within a round; each run gets its own fresh names file. */
export async function measureBatches(emulator: Emulator, plans: readonly BatchPlan[], tmpDir: string, log: (line: string) => void): Promise<BatchRun[]> {
  const runs: BatchRun[] = [];
  const rounds = Math.max(...plans.map(plan => plan.runs));
  let serial = 0;
  for (let round = 1; round <= rounds; round++) {
    for (const plan of plans) {
      if (round > plan.runs) continue;
      serial++;
      const namesFile = join(tmpDir, `batch-${serial}.txt`);
      await writeFreshNames(emulator.endpoints, plan.names, `b${serial}`, namesFile);
      const run = await runOnce(emulator, plan, namesFile);
      rmSync(namesFile, { force: true });
      runs.push(run);
      log(`round ${round} batch ${plan.label}: ${Math.round(run.perSecond)}/s, peak RSS ${run.peakRssMb.toFixed(0)} MB, `
        + `${(run.wallMs / 1000).toFixed(1)} s wall, emulator ${Math.round(run.emulatorCpuUsPerName)} us/name`);
    }
  }
  return runs;
}
