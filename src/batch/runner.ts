import type { BatchCallOptions, Canceller, CancelOptions } from '../client/canceller.js';
import type { CancelResult } from '../client/outcome.js';
import { Code } from '../code.js';
import { now } from '../policy/deadline.js';
import { sleep } from '../policy/sleep.js';
import { DeferredQueue, passSchedule } from './deferred.js';
import { cancelAccepted, isFinalOutcome, isWorthAnotherPass, serviceAnswered } from './finality.js';
import { FingerprintSet } from './fingerprints.js';
import { FlowControl, type FlowState } from './flow-control.js';
import { openRunJournal, type RunDefinition, type RunJournal } from './journal.js';
import { openJsonLines, type JsonLineRecord, type JsonLinesWriter } from './jsonl.js';
import { writeOutputFromJournal } from './output.js';
import { runPool } from './pool.js';
import { invalidRecord, RECORD_FORMAT_VERSION, recordAccepted, resultRecord, type NameProgress } from './records.js';
import { stableShard } from './shard.js';
import type { InputLine } from './source.js';
import { BatchStats } from './stats.js';
import { SystemicDetector, type SystemicFailure } from './systemic.js';
import { ListingVerifier } from './verify-listing.js';
import { debugLog } from '../log.js';
import { batchPassStarted, batchPaused, batchRecorded, batchResumed, batchStarted } from '../telemetry/batch-telemetry.js';

const log = debugLog('batch');

export interface BatchOptions {
  readonly canceller: Canceller;
  readonly input: AsyncIterable<InputLine>;
  /** Names in flight at once. */
  readonly concurrency: number;
  /** The most requests per second (cancels, reads, retries together); the adaptive rate stays under it. */
  readonly ratePerSecond?: number | undefined;
  readonly verify: boolean;
  /**
   * How `verify` reads outcomes: `list` shows many per ListOperations page (a parent's names are listed while each
   * page settles two or more; the rest are read one by one), `get` reads each name with GetOperation. @default 'list'
   */
  readonly verifyBy?: 'list' | 'get' | undefined;
  readonly verifyTimeoutMs?: number | undefined;
  /** Time per call, retries and verification included. @default the client's retry.totalTimeoutMs */
  readonly timeoutMs?: number | undefined;
  /**
   * How long names that meet a degraded service are tried again, pass after pass, before they end `error` (or
   * `requested`, verification unfinished). @default 1,800,000 (30 minutes)
   */
  readonly giveUpAfterMs?: number | undefined;
  /** Wait after the first pass; x2 after each later one. @default 1000 */
  readonly passDelayMs?: number | undefined;
  /** Longest wait between passes. @default 30000 */
  readonly maxPassDelayMs?: number | undefined;
  readonly journalPath?: string | undefined;
  /** Recorded in the journal's header; required with `journalPath`. */
  readonly definition?: RunDefinition | undefined;
  readonly outputPath?: string | undefined;
  readonly shard?: { readonly index: number; readonly count: number } | undefined;
  /** Stops reading input and starting calls; calls in flight finish and are recorded (a drain). */
  readonly signal: AbortSignal;
  /** Aborts the calls in flight too (a drain's grace period is over): their names are left to a rerun. */
  readonly callSignal?: AbortSignal | undefined;
  /** Attempts in flight before the service first accepts one. @default 20 */
  readonly startupInFlight?: number | undefined;
  /**
   * Given, when the batch starts, a function that tells where it stands (its summary so far): progress reads the
   * totals as it goes, and a command that must exit at once can still write what was done.
   */
  readonly onStart?: ((live: () => BatchSummary) => void) | undefined;
  /**
   * Takes every name's record as it is queued for the journal and output (in the file one event-loop turn later),
   * with the call's result when this run has one.
   * The batch waits for a promise it returns before that worker takes another name: a consumer that stops reading
   * stops new calls (backpressure).
   */
  readonly emit?: ((entry: BatchEntry) => Promise<void> | undefined) | undefined;
  /** Called when a pass starts, with the number of names it takes up (0 for the first pass). */
  readonly onPass?: ((pass: number, names: number) => void) | undefined;
  /** Called when the batch pauses for the service or resumes, with the names read and not yet recorded. */
  readonly onFlowState?: ((state: FlowState, openNames: number) => void) | undefined;
  /** Extra per-call headers (emulator fault injection in tests). */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/**
 * One name's outcome as the batch records it. `result` is the call's own result; it is absent when the record did
 * not come from a call of this run's (an invalid input line, a name the listing showed done, a name the time bound
 * ended with its last pass's record).
 */
export interface BatchEntry {
  readonly record: JsonLineRecord;
  readonly result?: CancelResult | undefined;
}

export interface BatchSummary {
  readonly stats: BatchStats;
  /** Names read but not recorded: the run was stopped (signal or systemic failure); a rerun picks them up. */
  readonly unfinished: number;
  readonly interrupted: boolean;
  /** Set when the run stopped early because every call failed the same way: the message says how to fix it. */
  readonly systemic: SystemicFailure | undefined;
  /** Records of this run whose outcome is not final (error, denied, unimplemented, running, unverified). */
  readonly notFinal: number;
  /** True when the time bound ended names that kept meeting a degraded service. */
  readonly gaveUp: boolean;
  /** True when a set of names (the input's, the journal's final or accepted ones) was full and dropped one. */
  readonly dedupeFull: boolean;
  /** Times the batch paused for an outage or a quota. */
  readonly pauses: number;
  /** Passes started (1 when no name needed another). */
  readonly passes: number;
  readonly journal: Pick<RunJournal, 'otherDefinition' | 'counts'> | undefined;
  /** Lines of the output rebuilt from the journal. */
  readonly outputLines: number | undefined;
}

export const DEFAULT_GIVE_UP_AFTER_MS = 30 * 60_000;

const ZERO: NameProgress = { attempts: 0, accepted: false };

/**
 * Runs a batch: streams the input through shard, dedupe and journal filters into a bounded pool of calls that all
 * pass one flow control (rate, outage pauses, quota), writes one record per name to the journal and the output, and
 * gives names that met a degraded service, or whose verification did not finish, more passes until the time bound;
 * a name whose cancel was accepted is only read again. Memory stays flat: the input is never held, seen names are
 * 64-bit fingerprints, deferred names spill to a temporary file.
 */
export async function runBatch(options: BatchOptions): Promise<BatchSummary> {
  const { canceller, verify } = options;
  const stats = new BatchStats();
  const seen = new FingerprintSet();
  let open = 0;
  let notFinal = 0;
  let systemic: SystemicFailure | undefined;
  /** The pause under way, for the resume event. */
  let paused: { readonly reason: 'unavailable' | 'quota'; readonly sinceMs: number } | undefined;
  const onFlowState = (state: FlowState): void => {
    options.onFlowState?.(state, open);
    if (state.kind === 'paused' && paused === undefined) {
      paused = { reason: state.reason, sinceMs: state.sinceMs };
      if (log.enabled) log.debug(`paused for the service (${state.reason}): ${open} names waiting`, { reason: state.reason, waitingNames: open });
      batchPaused({ reason: state.reason, sinceMs: state.sinceMs, nextProbeAtMs: state.nextProbeAtMs, waitingNames: open });
    } else if (state.kind === 'running' && paused !== undefined) {
      const pausedMs = Date.now() - paused.sinceMs;
      if (log.enabled) log.debug(`resumed after ${pausedMs} ms paused (${paused.reason})`, { reason: paused.reason, pausedMs });
      batchResumed({ reason: paused.reason, pausedMs });
      paused = undefined;
    }
  };
  const startPass = (pass: number, names: number): void => {
    options.onPass?.(pass, names);
    if (log.enabled && pass > 1) log.debug(`pass ${pass}: ${names} names that met a degraded service are tried again`, { pass, names });
    batchPassStarted(pass, names);
  };
  const flow = new FlowControl({
    ceilingPerSecond: options.ratePerSecond,
    startupInFlight: options.startupInFlight,
    shards: options.shard?.count,
    onStateChange: onFlowState,
  });
  // A stop lets nothing more through the flow: the attempts on the wire drain, nothing waiting is sent.
  const stop = new AbortController();
  stop.signal.addEventListener('abort', () => flow.stop(), { once: true });
  const stopNow = (): void => stop.abort(options.signal.reason);
  if (options.signal.aborted) stopNow();
  else options.signal.addEventListener('abort', stopNow, { once: true });
  if (options.journalPath !== undefined && options.definition === undefined) throw new Error('runBatch: a journal needs the run definition');
  const journal = options.journalPath === undefined ? undefined
    : await openRunJournal(options.journalPath, { verify, definition: options.definition as RunDefinition });
  let direct: JsonLinesWriter | undefined;
  try {
    direct = journal === undefined && options.outputPath !== undefined ? await openJsonLines(options.outputPath, { truncate: true }) : undefined;
  } catch (error) {
    await journal?.close();
    throw error;
  }
  const giveUpAfterMs = options.giveUpAfterMs ?? DEFAULT_GIVE_UP_AFTER_MS;
  /**
   * When the service last gave an answer of its own (anything a degraded service would not have sent). The run gives
   * up `giveUpAfterMs` after it: an outage that long ends the names still waiting. A healthy run of any length never
   * comes near it, however many hours its input takes.
   */
  let answeredAtMs = now();
  const runGiveUpAt = (): number => answeredAtMs + giveUpAfterMs;
  /** A name's bound: the run's, and `giveUpAfterMs` after the name was first deferred (a name that keeps failing). */
  const giveUpAtOf = (progress: NameProgress): number =>
    progress.deferredSinceMs === undefined ? runGiveUpAt() : Math.min(runGiveUpAt(), progress.deferredSinceMs + giveUpAfterMs);
  const detector = new SystemicDetector(verify);
  /** Set when the time bound ended a name that would have gone to another pass. */
  let gaveUp = false;
  const passDelayMs = passSchedule(options.passDelayMs, options.maxPassDelayMs);
  const callTimeoutMs = options.timeoutMs ?? canceller.retryPolicy.totalTimeoutMs;

  const write = (deferredRecord: JsonLineRecord, sent: boolean, result?: CancelResult): Promise<void> | undefined => {
    const record = withoutDeferral(deferredRecord);
    journal?.writer.append(record);
    direct?.append(record);
    if (!isFinalOutcome(record.outcome, verify)) notFinal += 1;
    stats.record({ outcome: record.outcome, codeName: String(record['codeName']), latencyMs: Number(record['latencyMs']), sent });
    batchRecorded(record.outcome);
    return options.emit?.({ record, result });
  };

  const listing = verify && options.verifyBy !== 'get';
  let verifier = new ListingVerifier();

  /** A cancel (verified inline unless verification goes by listing), or a read only when the cancel was accepted. */
  const call = (name: string, progress: NameProgress): Promise<CancelResult> => {
    const callOptions: CancelOptions & BatchCallOptions = {
      verify: verify && !listing,
      // The time bound cuts the last calls short, so a run ends near it instead of up to a call's timeout after.
      timeoutMs: Math.max(1, Math.min(callTimeoutMs, giveUpAtOf(progress) - now())),
      gate: flow,
      ...(options.verifyTimeoutMs === undefined ? {} : { verifyTimeoutMs: options.verifyTimeoutMs }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.callSignal === undefined ? {} : { signal: options.callSignal }),
    };
    if (verify && progress.accepted) {
      stats.verifyOnly += 1;
      return canceller.verify(name, callOptions);
    }
    return canceller.cancel(name, callOptions);
  };

  /**
   * One name's call and what follows: a record, another pass, or (verifying by listing, once the cancel is accepted)
   * a wait for the listing. `read` is for names the listing did not settle: they are read one by one now.
   */
  const handle = async (name: string, before: NameProgress, queue: DeferredQueue, last?: JsonLineRecord, read = false): Promise<void> => {
    if (listing && before.accepted && !read) {
      await verifier.add(last ?? acceptedRecord(name, before));
      return;
    }
    if (last !== undefined && now() >= giveUpAtOf(before) && !stop.signal.aborted) {
      // Its own bound passed while it waited for this pass: it ends as its last call ended.
      gaveUp = true;
      open -= 1;
      await write(last, true);
      return;
    }
    const result = await call(name, before);
    stats.countCall(result);
    // Stopped before its attempt went (or abandoned at the end of a drain): nothing was learned, a rerun takes it up.
    if (stop.signal.aborted && !result.accepted && !before.accepted && result.error.code === Code.CANCELLED) return;
    if (serviceAnswered(result)) answeredAtMs = now();
    const failure = detector.observe(result);
    if (failure !== undefined && systemic === undefined) {
      systemic = failure;
      stop.abort(new Error(failure.message));
    }
    // A call that sent nothing (the time bound came while the flow was paused) tells nothing new: the last try stands.
    const record = result.attempts.length === 0 && before.accepted === false && last !== undefined
      ? last
      : resultRecord(result, { attempts: before.attempts + result.attempts.length, accepted: cancelAccepted(result, before.accepted) });
    if (listing && !read && result.outcome === 'requested' && !stop.signal.aborted) {
      // Accepted: journaled as an attempt (a rerun only reads it), verified with the others by the listing.
      journal?.writer.append(withoutDeferral(record));
      await verifier.add(record);
      return;
    }
    if (isWorthAnotherPass(result, verify) && !stop.signal.aborted) {
      if (now() < giveUpAtOf(before)) {
        stats.deferred += 1;
        await queue.add({ ...record, [DEFERRED_SINCE]: before.deferredSinceMs ?? now() });
        return;
      }
      gaveUp = true;
    }
    open -= 1;
    await write(record, true, record === last ? undefined : result);
  };

  const firstPass = async function* (): AsyncGenerator<{ readonly name: string; readonly progress: NameProgress }> {
    for await (const line of options.input) {
      if (stop.signal.aborted) return;
      const key = 'name' in line ? line.name : `#line:${line.lineNumber}`;
      if (options.shard !== undefined && stableShard('name' in line ? line.name : line.raw, options.shard.count) !== options.shard.index) {
        stats.otherShards += 1;
        continue;
      }
      if (!seen.add(key)) {
        stats.duplicates += 1;
        continue;
      }
      if (journal?.final.has(key) === true) {
        stats.skippedFromJournal += 1;
        continue;
      }
      if ('name' in line) {
        open += 1;
        yield { name: line.name, progress: journal?.accepted.has(key) === true ? { attempts: 0, accepted: true } : ZERO };
      } else {
        await write(invalidRecord(line), false);
      }
    }
  };

  /**
   * After a pass: the names whose cancel was accepted are verified, as many as can be by listing their parents, the
   * rest one by one (a read each, which may defer them to `queue`). Stopped, they are recorded as they are
   * (`requested`, accepted), so a rerun only reads them.
   */
  const verifyWaiting = async (queue: DeferredQueue): Promise<void> => {
    if (verifier.size === 0) return;
    const waiting = verifier;
    verifier = new ListingVerifier();
    try {
      if (!stop.signal.aborted) {
        const figures = await waiting.sweep(canceller, { gate: flow, signal: stop.signal, giveUpAt: runGiveUpAt, onAnswer: () => { answeredAtMs = now(); } });
        stats.listPages += figures.pages;
        stats.verifiedByListing += figures.settled;
      }
      await runPool(waiting.drain(), options.concurrency, async ({ record, settled }) => {
        if (settled === undefined && !stop.signal.aborted) return handle(record.name, progressOf(record), queue, record, true);
        open -= 1;
        await write(settled === undefined ? record : settledRecord(record, settled), true);
      });
    } finally {
      await waiting.close();
    }
  };

  let deferred = new DeferredQueue();
  let outputLines: number | undefined;
  let passes = 1;
  const live = (): BatchSummary => ({
    stats,
    unfinished: open,
    interrupted: options.signal.aborted,
    systemic,
    notFinal,
    gaveUp,
    // The journal's sets can fill while the input's does not: a journal shared by many inputs.
    dedupeFull: seen.full || journal?.final.full === true || journal?.accepted.full === true,
    pauses: flow.pauses,
    passes,
    journal: journal === undefined ? undefined : { otherDefinition: journal.otherDefinition, counts: journal.counts },
    outputLines,
  });
  options.onStart?.(live);
  const stopRate = batchStarted(() => stats.ratePerSecond());
  try {
    startPass(1, 0);
    const firstQueue = deferred;
    await runPool(firstPass(), options.concurrency, item => handle(item.name, item.progress, firstQueue), { signal: stop.signal });
    await verifyWaiting(firstQueue);
    for (let pass = 2; deferred.size > 0 && !stop.signal.aborted && now() < runGiveUpAt(); pass += 1) {
      const retrying = deferred;
      deferred = new DeferredQueue();
      passes = pass;
      startPass(pass, retrying.size);
      // The delay runs from the latest deferral: a name a quota refused at the start of a long pass has waited enough.
      const waitMs = Math.max(0, retrying.lastAddedAtMs + passDelayMs(pass - 1) - now());
      await sleep(Math.min(waitMs, runGiveUpAt() - now()), stop.signal).catch(() => undefined);
      const next = deferred;
      try {
        await runPool(retrying.drain(), options.concurrency, record => handle(record.name, progressOf(record), next, record), { signal: stop.signal });
        await verifyWaiting(next);
      } finally {
        await retrying.close();
      }
    }
    // Fewer calls than the threshold, every one failed the same systemic way: the same stop, its fix said.
    if (systemic === undefined && !stop.signal.aborted) systemic = detector.unanimous();
    if (!stop.signal.aborted && deferred.size > 0) {
      // The time bound came: each name left is reported as its last call ended (error, or requested unverified).
      gaveUp = true;
      for await (const record of deferred.drain()) {
        open -= 1;
        await write(record, true);
      }
    }
  } finally {
    stopRate();
    options.signal.removeEventListener('abort', stopNow);
    await verifier.close();
    await deferred.close();
    await direct?.close();
    await journal?.close();
  }
  if (journal !== undefined && options.outputPath !== undefined) {
    outputLines = await writeOutputFromJournal({
      journalPath: journal.path, outputPath: options.outputPath, runStartOffset: journal.runStartOffset, inputKeys: seen, verify,
    });
  }
  return live();
}

/** The record of a name whose cancel an earlier run had accepted (the journal keeps only that it was). */
function acceptedRecord(name: string, progress: NameProgress): JsonLineRecord {
  return { v: RECORD_FORMAT_VERSION, name, outcome: 'requested', code: 0, codeName: 'OK', httpStatus: 200, transport: null, attempts: progress.attempts, latencyMs: 0 };
}

/** The final record of a name a listing showed done. */
function settledRecord(record: JsonLineRecord, settled: 'cancelled' | 'completed'): JsonLineRecord {
  const { message: _message, accepted: _accepted, ...rest } = record;
  return { ...rest, outcome: settled, code: 0, codeName: 'OK', httpStatus: 200, ...(settled === 'cancelled' ? { operationErrorCode: 1 } : {}), verifiedBy: 'list' };
}

function progressOf(record: JsonLineRecord): NameProgress {
  const attempts = record['attempts'];
  const deferredSinceMs = record[DEFERRED_SINCE];
  return {
    attempts: typeof attempts === 'number' ? attempts : 0,
    accepted: recordAccepted(record),
    deferredSinceMs: typeof deferredSinceMs === 'number' ? deferredSinceMs : undefined,
  };
}

/** The field a deferred record carries while it waits for its next pass: never journaled nor written out. */
const DEFERRED_SINCE = 'deferredSinceMs';

function withoutDeferral(record: JsonLineRecord): JsonLineRecord {
  if (!(DEFERRED_SINCE in record)) return record;
  const { [DEFERRED_SINCE]: _since, ...rest } = record;
  return rest as JsonLineRecord;
}
