import { existsSync, statSync } from 'node:fs';
import type { Canceller } from '../client/canceller.js';
import type { CancelResult } from '../client/outcome.js';
import { Code } from '../code.js';
import { sleep } from '../policy/sleep.js';
import { DeferredQueue, passSchedule } from './deferred.js';
import { DEFAULT_FINGERPRINT_SLOTS, FingerprintSet } from './fingerprints.js';
import { openJournal, readJournal, type Journal, type JournalRecord } from './journal.js';
import { runPool } from './pool.js';
import { AdaptiveRateLimiter } from './rate-limiter.js';
import { resultRecord, invalidRecord } from './records.js';
import { stableShard } from './shard.js';
import type { InputLine } from './source.js';
import { BatchStats } from './stats.js';

export interface BatchOptions {
  readonly canceller: Canceller;
  readonly input: AsyncIterable<InputLine>;
  /** Calls in flight at once. */
  readonly concurrency: number;
  /** Ceiling of the adaptive rate; undefined = unlimited (pushback still slows it down). */
  readonly ratePerSecond?: number | undefined;
  readonly verify: boolean;
  readonly verifyTimeoutMs?: number | undefined;
  /** Total time per cancel call, retries included. */
  readonly deadlineMs?: number | undefined;
  /** Passes over names that ended in a retryable code, the first included. */
  readonly maxPasses: number;
  /** Wait after the first pass; x4 after each later one. @default 1000 */
  readonly passDelayMs?: number | undefined;
  /** Longest wait between passes. @default 60000 */
  readonly maxPassDelayMs?: number | undefined;
  readonly journalPath?: string | undefined;
  readonly outputPath?: string | undefined;
  readonly shard?: { readonly index: number; readonly count: number } | undefined;
  /** Stops reading input and starting calls; in-flight calls finish and are recorded. */
  readonly signal: AbortSignal;
  /** Called for every final record (after it is journaled), e.g. to print `--json` lines or drive progress. */
  readonly onRecord?: ((record: JournalRecord, stats: BatchStats) => void) | undefined;
  /** Called when a pass starts, with the number of names it will retry (0 for the first pass). */
  readonly onPass?: ((pass: number, names: number) => void) | undefined;
  /** Extra per-call headers (emulator fault injection in tests). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

export interface BatchSummary {
  readonly stats: BatchStats;
  /** Names read but not final because the run was interrupted; a rerun with the same journal picks them up. */
  readonly unfinished: number;
  readonly interrupted: boolean;
  readonly dedupeCapacityReached: boolean;
}

/** Codes after which a name is tried again in a later pass instead of being reported: the service was degraded. */
const DEFERRABLE = new Set<Code>([Code.UNAVAILABLE, Code.RESOURCE_EXHAUSTED, Code.DEADLINE_EXCEEDED, Code.ABORTED]);

/**
 * Runs a batch: streams the input through shard, dedupe and journal filters into a bounded pool of cancel calls under
 * an adaptive rate, writes one final record per name to the journal and the output, and gives names that met a
 * degraded service (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED) up to `maxPasses` passes with growing delays.
 * Memory stays flat: the input is never held, seen names are 64-bit fingerprints in a fixed table, deferred names
 * spill to a temporary file.
 */
export async function runBatch(options: BatchOptions): Promise<BatchSummary> {
  const stats = new BatchStats();
  const seen = new FingerprintSet();
  const limiter = new AdaptiveRateLimiter(options.ratePerSecond === undefined ? {} : { ratePerSecond: options.ratePerSecond });
  const { journal, output, final } = await openWriters(options);
  let deferred = new DeferredQueue();
  /** Names taken from the input and not yet final (in flight, deferred, or dropped by an interrupt). */
  let open = 0;
  const passDelayMs = passSchedule(options.passDelayMs, options.maxPassDelayMs);

  const finish = (record: JournalRecord): void => {
    journal?.append(record);
    output?.append(record);
    options.onRecord?.(record, stats);
  };

  const cancelOne = async (name: string, lastPass: boolean, queue: DeferredQueue): Promise<void> => {
    await limiter.acquire(options.signal).catch(() => undefined);
    if (options.signal.aborted) return;
    const result: CancelResult = await options.canceller.cancel(name, {
      verify: options.verify,
      ...(options.verifyTimeoutMs === undefined ? {} : { verifyTimeoutMs: options.verifyTimeoutMs }),
      ...(options.deadlineMs === undefined ? {} : { deadlineMs: options.deadlineMs }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    });
    const throttled = result.history.find(a => a.code === Code.RESOURCE_EXHAUSTED);
    if (throttled !== undefined) limiter.onPushback(result.error?.retryAfterMs);
    else limiter.onSuccess();
    if (result.outcome === 'error' && DEFERRABLE.has(result.code) && !lastPass) {
      stats.deferred += 1;
      // Not final, so not in stats.record; its requests still count in the summary's cost.
      stats.attempts += result.attempts;
      stats.retries += Math.max(0, result.attempts - 1);
      await queue.add(name, { code: result.code, codeName: result.codeName });
      return;
    }
    open -= 1;
    stats.record(result);
    finish(resultRecord(result));
  };

  const firstPass = async function* (): AsyncGenerator<string> {
    for await (const line of options.input) {
      if (options.signal.aborted) return;
      const key = 'name' in line ? line.name : `#line:${line.lineNumber}`;
      if (options.shard !== undefined && stableShard('name' in line ? line.name : line.raw, options.shard.count) !== options.shard.index) {
        stats.otherShards += 1;
        continue;
      }
      if (!seen.add(key)) {
        stats.duplicates += 1;
        continue;
      }
      if (final?.has(key) === true) {
        stats.skippedFromJournal += 1;
        continue;
      }
      if ('name' in line) {
        open += 1;
        yield line.name;
      } else {
        const record = invalidRecord(line);
        stats.record({ outcome: 'invalid', codeName: 'INVALID_ARGUMENT', transport: undefined, attempts: 0, latencyMs: 0 });
        finish(record);
      }
    }
  };

  try {
    options.onPass?.(1, 0);
    const lastPass = options.maxPasses <= 1;
    const queue = deferred;
    await runPool(firstPass(), options.concurrency, name => cancelOne(name, lastPass, queue), { signal: options.signal });
    for (let pass = 2; pass <= options.maxPasses && deferred.size > 0 && !options.signal.aborted; pass += 1) {
      const retrying = deferred;
      deferred = new DeferredQueue();
      options.onPass?.(pass, retrying.size);
      await sleep(passDelayMs(pass - 1), options.signal).catch(() => undefined);
      const next = deferred;
      const isLast = pass === options.maxPasses;
      const names = async function* (): AsyncGenerator<string> {
        for await (const entry of retrying.drain()) yield entry.name;
      };
      try {
        await runPool(names(), options.concurrency, name => cancelOne(name, isLast, next), { signal: options.signal });
      } finally {
        await retrying.close();
      }
    }
    return {
      stats,
      unfinished: open,
      interrupted: options.signal.aborted,
      dedupeCapacityReached: seen.full,
    };
  } finally {
    await deferred.close();
    await journal?.close();
    await output?.close();
  }
}

interface Writers {
  readonly journal: Journal | undefined;
  readonly output: Journal | undefined;
  /** Keys already final in the journal or the output (a resume): not sent again. */
  readonly final: FingerprintSet | undefined;
}

/**
 * Opens the journal and the output. On a resume the names already in either are final: they are remembered (as
 * fingerprints, in their own table so the summary can tell them from duplicates in the input) so they are not sent
 * again, and records the journal has but the output lost to a crash are copied over, so the output ends with every
 * input name exactly once.
 */
async function openWriters(options: BatchOptions): Promise<Writers> {
  const resuming = options.journalPath !== undefined;
  const outputToRead = resuming && options.outputPath !== undefined && existsSync(options.outputPath) ? options.outputPath : undefined;
  const journalToRead = options.journalPath !== undefined && existsSync(options.journalPath) ? options.journalPath : undefined;
  const final = outputToRead === undefined && journalToRead === undefined
    ? undefined
    : finalSetFor(fileBytes(outputToRead) + fileBytes(journalToRead));
  if (outputToRead !== undefined && final !== undefined) {
    for await (const record of readJournal(outputToRead)) final.add(recordKey(record));
  }
  const output = options.outputPath === undefined ? undefined : await openJournal(options.outputPath, { truncate: !resuming });
  if (journalToRead !== undefined && final !== undefined) {
    for await (const record of readJournal(journalToRead)) {
      if (final.add(recordKey(record))) output?.append(record);
    }
  }
  const journal = options.journalPath === undefined ? undefined : await openJournal(options.journalPath);
  return { journal, output, final };
}

/** A record line is well over 100 bytes (name, outcome, codes, transport, timing), so bytes / 100 bounds the records. */
const MIN_RECORD_BYTES = 100;

/** A table for the records `bytes` of journal can hold: small for a small journal, at most the default 32 MiB. */
function finalSetFor(bytes: number): FingerprintSet {
  const records = Math.ceil(bytes / MIN_RECORD_BYTES);
  let slots = 1024;
  while (slots * 0.75 < records && slots < DEFAULT_FINGERPRINT_SLOTS) slots *= 2;
  return new FingerprintSet({ slots });
}

function fileBytes(path: string | undefined): number {
  return path === undefined ? 0 : statSync(path).size;
}

function recordKey(record: JournalRecord): string {
  return record.outcome === 'invalid' && typeof record['line'] === 'number' ? `#line:${record['line']}` : record.name;
}
