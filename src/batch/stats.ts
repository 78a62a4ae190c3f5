import type { CancelResult } from '../client/outcome.js';

const RESERVOIR_SIZE = 20_000;

/** The fields of a name's final record that the totals count. */
export interface RecordedOutcome {
  readonly outcome: string;
  readonly codeName: string;
  readonly latencyMs: number;
  /** False for an input line that was never sent (invalid): no latency to sample. */
  readonly sent: boolean;
}

/**
 * Running totals of a batch in constant memory: names by outcome and code (one per name, when its record is
 * written), and what every call cost (cancel attempts, retries, the wire of each attempt, whatever pass it was in),
 * with a fixed-size reservoir sample of latencies for p50/p99 (uniform over every result, however many millions).
 */
export class BatchStats {
  readonly startedAt = Date.now();
  readonly byOutcome = new Map<string, number>();
  readonly byCode = new Map<string, number>();
  /** Attempts by the wire that carried them, every call of every pass. */
  readonly byTransport = new Map<string, number>();
  /** Names with a record this run. */
  finished = 0;
  /** CancelOperation attempts sent, every pass. */
  attempts = 0;
  /** Of those, the ones after a call's first. */
  retries = 0;
  /** Calls that only read back an accepted cancel with GetOperation (a name a listing did not settle, a later pass, a rerun). */
  verifyOnly = 0;
  /** Names whose outcome a ListOperations page showed, and the pages it took. */
  verifiedByListing = 0;
  listPages = 0;
  duplicates = 0;
  skippedFromJournal = 0;
  otherShards = 0;
  /** Times a name went to a later pass. */
  deferred = 0;
  readonly #latencies = new Float64Array(RESERVOIR_SIZE);
  #seen = 0;
  readonly #random: () => number;

  constructor(random: () => number = Math.random) {
    this.#random = random;
  }

  /** One call's cost, whatever became of the name. */
  countCall(result: Pick<CancelResult, 'attempts'>): void {
    this.attempts += result.attempts.length;
    this.retries += Math.max(0, result.attempts.length - 1);
    for (const attempt of result.attempts) if (attempt.transport !== undefined) bump(this.byTransport, attempt.transport);
  }

  /** A name's record was written. */
  record(result: RecordedOutcome): void {
    this.finished += 1;
    bump(this.byOutcome, result.outcome);
    bump(this.byCode, result.codeName);
    if (result.sent) this.#sampleLatency(result.latencyMs);
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
