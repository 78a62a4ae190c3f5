/**
 * Cancels per second, client CPU per cancel and latency: every client at every concurrency, each run in a fresh
 * worker process against fresh operations, `runs` rounds. Rounds go client by client inside, in the CLIENTS order
 * (each of ours next to its plain reference) and reversed every other round, so a busy phase of a shared machine
 * spreads over the clients compared instead of landing on one of them.
 *
 * Each group (one round, one concurrency) starts with a settle run that is not recorded: the first run after a
 * group at 256 met an emulator still paying for it (its collector), and the client in that slot came out 10-15%
 * slower at concurrency 1 whichever it was (in two full runs, ours-grpc's p50 was 0.46-0.48 ms in that slot and
 * 0.40-0.41 ms elsewhere, against plain grpc-js's 0.41-0.43).
 */
import { join } from 'node:path';
import type { ClientName } from './bench-clients.js';
import { runWorker, writeFreshNames, type Emulator, type MeasuredRun } from './bench-processes.js';

export interface ThroughputPlan {
  readonly clients: readonly ClientName[];
  readonly concurrencies: readonly number[];
  /** Measured cancels per run at each concurrency. */
  readonly countAt: (concurrency: number) => number;
  readonly warmup: number;
  readonly runs: number;
}

export interface ThroughputRun {
  readonly client: ClientName;
  readonly concurrency: number;
  readonly perSecond: number;
  readonly cpuUsPerCancel: number;
  readonly emulatorCpuUsPerCancel: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
}

function summarize(client: ClientName, concurrency: number, run: MeasuredRun): ThroughputRun {
  return {
    client,
    concurrency,
    perSecond: run.count / (run.wallMs / 1000),
    cpuUsPerCancel: run.cpuUs / run.count,
    emulatorCpuUsPerCancel: run.emulatorCpuUs / run.count,
    p50Ms: run.p50Ms,
    p99Ms: run.p99Ms,
  };
}

export async function measureThroughput(
  emulator: Emulator,
  plan: ThroughputPlan,
  tmpDir: string,
  log: (line: string) => void,
): Promise<ThroughputRun[]> {
  const runs: ThroughputRun[] = [];
  let serial = 0;
  /** One worker run of `client` at `concurrency` on fresh operations. */
  const runFresh = async (client: ClientName, concurrency: number): Promise<MeasuredRun> => {
    serial++;
    const namesFile = join(tmpDir, `names-${serial}.txt`);
    await writeFreshNames(emulator.endpoints, plan.warmup + plan.countAt(concurrency), `t${serial}`, namesFile);
    return runWorker({ ...emulator.endpoints, client, concurrency, namesFile, warmup: plan.warmup }, emulator.child.pid as number);
  };
  for (let round = 1; round <= plan.runs; round++) {
    for (const concurrency of plan.concurrencies) {
      const order = round % 2 === 1 ? plan.clients : [...plan.clients].reverse();
      const first = order[0];
      if (first !== undefined) await runFresh(first, concurrency);
      for (const client of order) {
        const measured = await runFresh(client, concurrency);
        const run = summarize(client, concurrency, measured);
        runs.push(run);
        log(`round ${round} c=${concurrency} ${client}: ${Math.round(run.perSecond)}/s, ${Math.round(run.cpuUsPerCancel)} us CPU/cancel, `
          + `p50 ${run.p50Ms.toFixed(3)} ms, p99 ${run.p99Ms.toFixed(3)} ms, emulator ${Math.round(run.emulatorCpuUsPerCancel)} us/cancel`);
      }
    }
  }
  return runs;
}
