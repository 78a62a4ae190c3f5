import { Canceller } from '../client/canceller.js';
import type { CancellerOptions } from '../client/options.js';
import type { CancelResult } from '../client/outcome.js';
import { checkNumber, finiteAtLeast, integerAtLeast, invalidOption, POSITIVE_OR_INFINITE, type NumberRule } from '../check.js';
import { checkCallHeaders } from '../client/call-headers.js';
import { summarize, type BatchStop, type CancelManySummary } from './batch-summary.js';
import type { FlowState } from './flow-control.js';
import type { RunDefinition } from './journal.js';
import { resultFromRecord } from './records.js';
import { ResultQueue } from './result-queue.js';
import { runBatch, type BatchEntry, type BatchSummary } from './runner.js';
import { namesAsLines, type InputLine } from './source.js';
import type { BatchStats } from './stats.js';

/** Options of `cancelMany`; every one is optional and checked before anything is sent. */
export interface CancelManyOptions {
  /**
   * The client to send with; it is not closed at the end. @default a client made from `client` for this batch and
   * closed when it ends
   */
  readonly canceller?: Canceller;
  /**
   * Options of the client made when `canceller` is not given. Its REST pool is sized to `concurrency` and its backoff
   * is capped at 2 s unless `retry.maxBackoffMs` says otherwise: the batch's flow control holds every call back in an
   * outage, so long backoffs would only delay the last names of a brownout.
   */
  readonly client?: CancellerOptions;
  /** Names in flight at once. @default 64 */
  readonly concurrency?: number;
  /** The most requests per second (cancels, reads, retries together); the adaptive rate stays under it. @default none */
  readonly ratePerSecond?: number;
  /** Read every name back until its outcome is seen (`cancelled`, `completed`...). @default false */
  readonly verify?: boolean;
  /** With `verify`: `list` shows many outcomes per ListOperations page, `get` reads each name. @default 'list' */
  readonly verifyBy?: 'list' | 'get';
  /** How long a name read one by one is polled. @default the client's verifyTimeoutMs (30 s) */
  readonly verifyTimeoutMs?: number;
  /** Time per call, retries and verification included. @default the client's retry.totalTimeoutMs (60 s) */
  readonly timeoutMs?: number;
  /**
   * How long a name that met a degraded service (UNAVAILABLE, RESOURCE_EXHAUSTED, ...) is tried again, pass after
   * pass, from its first deferral, before it ends as its last call did; and how long the batch waits for a service
   * that gives no answer of its own before the names still waiting end so. Never the length of a healthy run.
   * @default 1,800,000 (30 minutes)
   */
  readonly giveUpAfterMs?: number;
  /** Wait after the first pass; x2 after each later one. @default 1000 */
  readonly passDelayMs?: number;
  /** Longest wait between passes. @default 30000 */
  readonly maxPassDelayMs?: number;
  /**
   * An append-only record of every name's result (JSON lines, 0600, locked to one process): a rerun with it does not
   * send final names again and only reads names whose cancel was accepted. @default none
   */
  readonly journalPath?: string;
  /** JSON lines, one per input name in its latest state (with a journal, written from it at the end). @default none */
  readonly outputPath?: string;
  /** Only the names whose stable hash (FNV-1a) falls in shard `index` of `count`: many processes share one input. */
  readonly shard?: { readonly index: number; readonly count: number };
  /**
   * Stops the batch: no more names are read or sent, calls in flight finish and are recorded, then the results end
   * and the summary says `stopped: 'signal'`.
   */
  readonly signal?: AbortSignal;
  /** Extra request headers / gRPC metadata for every call (lower-case names). */
  readonly headers?: Readonly<Record<string, string>>;
}

/** What the command line adds: its journal header's input identity, a drain deadline, progress. Not public. */
export interface BatchHooks {
  readonly definition?: RunDefinition | undefined;
  readonly callSignal?: AbortSignal | undefined;
  readonly onPass?: ((pass: number, names: number) => void) | undefined;
  readonly onFlowState?: ((state: FlowState, openNames: number) => void) | undefined;
}

/**
 * A batch under way: its results in completion order, read with `for await` (once), and its summary. Nothing is sent
 * before the results (or the summary) are asked for. Reading slowly slows the batch: a reader that stops reading stops
 * new calls, and a `break` out of the loop stops the batch (calls in flight finish and are journaled).
 */
export interface CancelManyRun extends AsyncIterable<CancelResult> {
  /**
   * Resolves with the batch's figures once it has ended: every result read, or the reader gone. When no one reads
   * the results, this reads and drops them itself. Rejects as the results do when the batch cannot run (a journal in
   * use by another process, a listing that failed...).
   */
  summary(): Promise<CancelManySummary>;
}

/** The longest wait between two attempts of one call in a batch (the library's default is 10 s). */
export const BATCH_MAX_BACKOFF_MS = 2000;

/** The client options of a batch's own client: the pool sized to the batch, backoff capped unless the caller chose. */
export function batchClientOptions(options: CancellerOptions, concurrency: number): CancellerOptions {
  return { maxConcurrency: concurrency, ...options, retry: { maxBackoffMs: BATCH_MAX_BACKOFF_MS, ...options.retry } };
}

const AT_LEAST_ZERO_OR_INFINITE: NumberRule = { text: 'a number >= 0 (Infinity for none)', ok: n => n >= 0 };

function checkOptions(options: CancelManyOptions): void {
  if (typeof options !== 'object' || options === null) throw invalidOption('cancelMany options', 'an object', options);
  if (options.concurrency !== undefined) checkNumber('concurrency', options.concurrency, integerAtLeast(1, 100_000));
  if (options.ratePerSecond !== undefined) checkNumber('ratePerSecond', options.ratePerSecond, POSITIVE_OR_INFINITE);
  if (options.verifyTimeoutMs !== undefined) checkNumber('verifyTimeoutMs', options.verifyTimeoutMs, POSITIVE_OR_INFINITE);
  if (options.timeoutMs !== undefined) checkNumber('timeoutMs', options.timeoutMs, POSITIVE_OR_INFINITE);
  if (options.giveUpAfterMs !== undefined) checkNumber('giveUpAfterMs', options.giveUpAfterMs, AT_LEAST_ZERO_OR_INFINITE);
  if (options.passDelayMs !== undefined) checkNumber('passDelayMs', options.passDelayMs, finiteAtLeast(0));
  if (options.maxPassDelayMs !== undefined) checkNumber('maxPassDelayMs', options.maxPassDelayMs, finiteAtLeast(0));
  if (options.verify !== undefined && typeof options.verify !== 'boolean') throw invalidOption('verify', 'a boolean', options.verify);
  if (options.verifyBy !== undefined && options.verifyBy !== 'list' && options.verifyBy !== 'get') throw invalidOption('verifyBy', "'list' or 'get'", options.verifyBy);
  for (const key of ['journalPath', 'outputPath'] as const) {
    const path = options[key];
    if (path !== undefined && (typeof path !== 'string' || path === '')) throw invalidOption(key, 'a file path', path);
  }
  if (options.shard !== undefined) {
    const count = checkNumber('shard.count', options.shard.count, integerAtLeast(1, 1_000_000));
    checkNumber('shard.index', options.shard.index, integerAtLeast(0, count - 1));
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalidOption('signal', 'an AbortSignal', options.signal);
  if (options.canceller !== undefined && typeof (options.canceller as { cancel?: unknown }).cancel !== 'function') {
    throw invalidOption('canceller', 'a client made by createCanceller', options.canceller);
  }
  checkCallHeaders(options.headers);
}

/**
 * Cancels many operations with the batch engine of `lro-cancel batch`: names from any iterable or async iterable,
 * streamed (never held), deduplicated, sharded, journaled, paced by one flow control that finds the service's rate and
 * waits out outages, passes until `giveUpAfterMs` for names that meet a degraded service; results come in completion
 * order, each a CancelResult (an element that is not a valid operation name is an `invalid` result; a name whose
 * record did not come from a call of this run, such as one a listing showed done, has empty `attempts`). Options are
 * checked at once: a bad one throws INVALID_ARGUMENT naming it.
 *
 * ```ts
 * const run = cancelMany(names, { verify: true, concurrency: 32 });
 * for await (const result of run) if (result.outcome !== 'cancelled') report(result.name, result.outcome);
 * const { outcomes, namesPerSecond } = await run.summary();
 * ```
 */
export function cancelMany(names: Iterable<string> | AsyncIterable<string>, options: CancelManyOptions = {}): CancelManyRun {
  const iterable = names as Partial<Iterable<unknown> & AsyncIterable<unknown>> | null;
  const iterates = typeof iterable === 'object' && iterable !== null
    && (typeof iterable[Symbol.iterator] === 'function' || typeof iterable[Symbol.asyncIterator] === 'function');
  // A string is iterable too, character by character: surely one name passed where a list was meant.
  if (!iterates) throw invalidOption('names', 'an iterable or async iterable of operation names', names);
  return startBatch(namesAsLines(names), options, {});
}

/** The engine behind `cancelMany` and `lro-cancel batch`: input lines (a file's, a listing's, or names) to a run. */
export function startBatch(input: AsyncIterable<InputLine>, options: CancelManyOptions, hooks: BatchHooks): BatchRun {
  checkOptions(options);
  return new BatchRun(input, options, hooks);
}

/** A run of the engine: results (with their journal records, for the command line) and the summary. */
export class BatchRun implements CancelManyRun {
  readonly #input: AsyncIterable<InputLine>;
  readonly #options: CancelManyOptions;
  readonly #hooks: BatchHooks;
  readonly #stop = new AbortController();
  readonly #queue: ResultQueue<BatchEntry>;
  #running: Promise<CancelManySummary> | undefined;
  #reading = false;
  #live: (() => BatchSummary) | undefined;
  #left = false;

  constructor(input: AsyncIterable<InputLine>, options: CancelManyOptions, hooks: BatchHooks) {
    this.#input = input;
    this.#options = options;
    this.#hooks = hooks;
    this.#queue = new ResultQueue(options.concurrency ?? 64, () => {
      this.#left = true;
      this.#stop.abort(new Error('the reader of the results left'));
    });
  }

  /** The running totals (progress reads them), once the batch has started. */
  get stats(): BatchStats | undefined {
    return this.#live?.().stats;
  }

  /** The summary so far, for a command that must exit before the batch ends; undefined before it starts. */
  snapshot(): CancelManySummary | undefined {
    const live = this.#live;
    return live === undefined ? undefined : summarize(live(), this.#stopped(live()), this.#options.journalPath);
  }

  #stopped(summary: BatchSummary): BatchStop | null {
    return this.#left ? 'consumer' : summary.interrupted ? 'signal' : summary.systemic !== undefined ? 'systemic' : null;
  }

  [Symbol.asyncIterator](): AsyncIterator<CancelResult> {
    const entries = this.entries()[Symbol.asyncIterator]();
    return {
      next: async (): Promise<IteratorResult<CancelResult>> => {
        const next = await entries.next();
        return next.done === true ? { value: undefined, done: true } : { value: next.value.result ?? resultFromRecord(next.value.record), done: false };
      },
      return: async (): Promise<IteratorResult<CancelResult>> => {
        await entries.return?.();
        return { value: undefined, done: true };
      },
    };
  }

  /** Each name's record with its result, in completion order; once. */
  entries(): AsyncIterable<BatchEntry> {
    if (this.#reading) throw new Error('the results of a batch can be read once');
    this.#reading = true;
    const queue = this.#queue;
    return {
      [Symbol.asyncIterator]: () => ({
        next: () => {
          this.#start();
          return queue.next();
        },
        return: () => {
          queue.leave();
          return Promise.resolve({ value: undefined, done: true as const });
        },
      }),
    };
  }

  summary(): Promise<CancelManySummary> {
    if (!this.#reading) {
      // No one reads the results: read and drop them here, so the batch is not held back.
      const drain = async (): Promise<void> => {
        for await (const _ of this.entries()) { /* dropped */ }
      };
      drain().catch(() => undefined); // the failure reaches the caller through the summary itself
    }
    return this.#start();
  }

  #start(): Promise<CancelManySummary> {
    if (this.#running === undefined) {
      this.#running = this.#run();
      this.#running.then(() => this.#queue.end(), (error: unknown) => this.#queue.end({ error }));
    }
    return this.#running;
  }

  async #run(): Promise<CancelManySummary> {
    const options = this.#options;
    const hooks = this.#hooks;
    const concurrency = options.concurrency ?? 64;
    const own = options.canceller === undefined ? new Canceller(batchClientOptions(options.client ?? {}, concurrency)) : undefined;
    const signal = options.signal === undefined ? this.#stop.signal : AbortSignal.any([options.signal, this.#stop.signal]);
    let summary: BatchSummary;
    try {
      summary = await runBatch({
        canceller: own ?? (options.canceller as Canceller),
        input: this.#input,
        concurrency,
        ratePerSecond: options.ratePerSecond,
        verify: options.verify === true,
        verifyBy: options.verifyBy,
        verifyTimeoutMs: options.verifyTimeoutMs,
        timeoutMs: options.timeoutMs,
        giveUpAfterMs: options.giveUpAfterMs,
        passDelayMs: options.passDelayMs,
        maxPassDelayMs: options.maxPassDelayMs,
        journalPath: options.journalPath,
        definition: hooks.definition ?? (options.journalPath === undefined ? undefined : {
          input: { kind: 'iterable' },
          shard: options.shard === undefined ? null : `${options.shard.index}/${options.shard.count}`,
        }),
        outputPath: options.outputPath,
        shard: options.shard,
        signal,
        callSignal: hooks.callSignal,
        headers: options.headers,
        onStart: live => { this.#live = live; },
        emit: entry => this.#queue.push(entry),
        onPass: hooks.onPass,
        onFlowState: hooks.onFlowState,
      });
    } finally {
      await own?.close();
    }
    return summarize(summary, this.#stopped(summary), options.journalPath);
  }
}
