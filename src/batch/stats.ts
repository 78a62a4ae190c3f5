import type { CancelResult } from '../client/outcome.js';

const RESERVOIR_SIZE = 20_000;

/**
 * Running totals of a batch in constant memory: counts by outcome, code and transport, attempts, and a fixed-size
 * reservoir sample of latencies for p50/p99 (a uniform sample of every result, however many millions there are).
 */
export class BatchStats {
  readonly startedAt = Date.now();
  readonly byOutcome = new Map<string, number>();
  readonly byCode = new Map<string, number>();
  readonly byTransport = new Map<string, number>();
  finished = 0;
  attempts = 0;
  retries = 0;
  duplicates = 0;
  skippedFromJournal = 0;
  otherShards = 0;
  deferred = 0;
  readonly #latencies = new Float64Array(RESERVOIR_SIZE);
  #seen = 0;
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  record(result: Pick<CancelResult, 'outcome' | 'codeName' | 'transport' | 'attempts' | 'latencyMs'>): void {
    this.finished += 1;
    bump(this.byOutcome, result.outcome);
    bump(this.byCode, result.codeName);
    if (result.transport !== undefined) bump(this.byTransport, result.transport);
    this.attempts += result.attempts;
    this.retries += Math.max(0, result.attempts - 1);
    if (result.attempts > 0) this.#sampleLatency(result.latencyMs);
  }

  count(outcome: string): number {
    return this.byOutcome.get(outcome) ?? 0;
  }

  /** Latency percentile (0-100) of the sampled results, in ms; NaN before any result. */
  percentileMs(percentile: number): number {
    const n = Math.min(this.#seen, RESERVOIR_SIZE);
    if (n === 0) return NaN;
    const sorted = this.#latencies.slice(0, n).sort();
    return sorted[Math.min(n - 1, Math.max(0, Math.ceil((percentile / 100) * n) - 1))] ?? NaN;
  }

  /** Finished results per second since the start. */
  ratePerSecond(now = Date.now()): number {
    const seconds = (now - this.startedAt) / 1000;
    return seconds > 0 ? this.finished / seconds : 0;
  }

  #sampleLatency(ms: number): void {
    this.#seen += 1;
    if (this.#seen <= RESERVOIR_SIZE) {
      this.#latencies[this.#seen - 1] = ms;
      return;
    }
    const slot = Math.floor(this.#random() * this.#seen);
    if (slot < RESERVOIR_SIZE) this.#latencies[slot] = ms;
  }
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}
