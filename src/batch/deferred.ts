import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openJournal, readJournal, type Journal } from './journal.js';

/** What the last call for a deferred name ended with, kept so the final report can say why it never succeeded. */
export interface DeferredResult {
  readonly code: number;
  readonly codeName: string;
  readonly message?: string | undefined;
}

export interface DeferredEntry {
  readonly name: string;
  readonly lastResult: DeferredResult;
}

export interface DeferredQueueOptions {
  /** Entries kept in memory before the rest spill to a temporary file. @default 4096 */
  readonly memoryEntries?: number | undefined;
  /** Where the spill file's directory is made. @default os.tmpdir() */
  readonly directory?: string | undefined;
}

/**
 * The names of one pass that met a degraded service (UNAVAILABLE, RESOURCE_EXHAUSTED, ...) and go to the next pass.
 * The first few thousand stay in memory; past that they spill to a JSON-lines file in a fresh temporary directory,
 * so a service that fails a million names does not grow the batch's memory. Single use: add during a pass, drain
 * once for the next, then close (which removes the file). A process killed in between leaves the directory
 * (`lro-cancel-deferred-*` under the temp dir) behind; its names are not lost, the journal does not have them, so a
 * rerun sends them again.
 */
export class DeferredQueue {
  readonly #memoryEntries: number;
  readonly #directory: string;
  readonly #memory: DeferredEntry[] = [];
  #spill: { readonly dir: string; readonly journal: Journal } | undefined;
  #opening: Promise<Journal> | undefined;
  #size = 0;
  #draining = false;
  #closed = false;

  constructor(options: DeferredQueueOptions = {}) {
    this.#memoryEntries = options.memoryEntries ?? 4096;
    this.#directory = options.directory ?? tmpdir();
  }

  /** Names added (draining does not lower it: it is the size of the next pass). */
  get size(): number {
    return this.#size;
  }

  /** True once entries went to the temporary file. */
  get spilled(): boolean {
    return this.#opening !== undefined;
  }

  /** Resolves at once unless this add opens the spill file. */
  add(name: string, lastResult: DeferredResult): Promise<void> {
    if (this.#draining || this.#closed) return Promise.reject(new Error('DeferredQueue: add after drain or close'));
    this.#size += 1;
    const entry: DeferredEntry = { name, lastResult: { ...lastResult } };
    if (this.#memory.length < this.#memoryEntries && this.#opening === undefined) {
      this.#memory.push(entry);
      return DONE;
    }
    if (this.#spill !== undefined) {
      this.#spill.journal.append({ name, outcome: 'deferred', lastResult: entry.lastResult });
      return DONE;
    }
    return (this.#opening ??= this.#openSpill()).then(journal => {
      journal.append({ name, outcome: 'deferred', lastResult: entry.lastResult });
    });
  }

  /** Every entry added, once: those in memory first, then those in the file, streamed. */
  async *drain(): AsyncGenerator<DeferredEntry> {
    if (this.#draining) throw new Error('DeferredQueue: drained twice');
    this.#draining = true;
    const memory = this.#memory.splice(0);
    for (const entry of memory) yield entry;
    if (this.#opening === undefined) return;
    const journal = await this.#opening;
    await journal.flush();
    for await (const record of readJournal(journal.path)) {
      const last = record['lastResult'] as DeferredResult | undefined;
      yield { name: record.name, lastResult: last ?? { code: 2, codeName: 'UNKNOWN' } };
    }
  }

  /** Drops what is left and removes the temporary file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#memory.length = 0;
    const opening = this.#opening;
    if (opening === undefined) return;
    const journal = await opening.catch(() => undefined);
    await journal?.close().catch(() => undefined);
    if (this.#spill !== undefined) await rm(this.#spill.dir, { recursive: true, force: true });
  }

  async #openSpill(): Promise<Journal> {
    const dir = await mkdtemp(join(this.#directory, 'lro-cancel-deferred-'));
    try {
      const journal = await openJournal(join(dir, 'deferred.jsonl'), { truncate: true });
      this.#spill = { dir, journal };
      return journal;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }
}

const DONE: Promise<void> = Promise.resolve();

/** The longest wait between passes. */
export const MAX_PASS_DELAY_MS = 60_000;

/** The default wait after the first pass. */
export const FIRST_PASS_DELAY_MS = 1000;

/**
 * The waits between passes: `firstMs` after pass 1, four times longer after each later pass, never more than `maxMs`.
 * `--pass-delay-ms` and `--max-pass-delay-ms` pick them: a soak or a test that restarts a local server in a second
 * does not need to wait minutes between its passes.
 */
export function passSchedule(firstMs: number = FIRST_PASS_DELAY_MS, maxMs: number = MAX_PASS_DELAY_MS): (pass: number) => number {
  return pass => (pass >= 1 ? Math.min(maxMs, firstMs * 4 ** (Math.floor(pass) - 1)) : 0);
}

const defaultSchedule = passSchedule();

/**
 * How long to wait after pass `pass` (1-based) before the next one: 1 s, 4 s, 16 s, 60 s (x4 each time, capped at
 * MAX_PASS_DELAY_MS), 0 before the first. The waits give a degraded service time to recover; growing them spaces the
 * later passes out as it stays degraded. No jitter: the names of a pass are spread over the pass by the rate limiter.
 */
export function passDelayMs(pass: number): number {
  return defaultSchedule(pass);
}
