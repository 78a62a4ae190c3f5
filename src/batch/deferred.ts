import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { now } from '../policy/deadline.js';
import { openJsonLines, readJsonLines, type JsonLineRecord, type JsonLinesWriter } from './jsonl.js';


export interface DeferredQueueOptions {
  /** Entries kept in memory before the rest spill to a temporary file. @default 4096 */
  readonly memoryEntries?: number | undefined;
  /** Where the spill file's directory is made. @default os.tmpdir() */
  readonly directory?: string | undefined;
}

/**
 * The names of one pass that met a degraded service (UNAVAILABLE, RESOURCE_EXHAUSTED, ...) or whose verification
 * did not finish, and go to the next pass, each as the record of its last try (so the next pass knows whether the
 * cancel was accepted, how many attempts it cost so far, and, if time runs out, what to report).
 * The first few thousand stay in memory; past that they spill to a JSON-lines file in a fresh temporary directory,
 * so a service that fails a million names does not grow the batch's memory. Single use: add during a pass, drain
 * once for the next, then close (which removes the file). A process killed in between leaves the directory
 * (`lro-cancel-deferred-*` under the temp dir) behind; its names are not lost, the journal does not have them, so a
 * rerun sends them again.
 */
export class DeferredQueue {
  readonly #memoryEntries: number;
  readonly #directory: string;
  readonly #memory: JsonLineRecord[] = [];
  #spill: { readonly dir: string; readonly writer: JsonLinesWriter } | undefined;
  #opening: Promise<JsonLinesWriter> | undefined;
  #size = 0;
  #lastAddedAtMs = -Infinity;
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

  /**
   * When the latest name was added (the monotonic clock of `policy/deadline.ts`): the next pass waits its delay from
   * then, not from the end of this pass, so names deferred early in a long pass are not held back again.
   */
  get lastAddedAtMs(): number {
    return this.#lastAddedAtMs;
  }

  /** Resolves at once unless this add opens the spill file. The record is copied (serialized when spilled). */
  add(record: JsonLineRecord): Promise<void> {
    if (this.#draining || this.#closed) return Promise.reject(new Error('DeferredQueue: add after drain or close'));
    this.#size += 1;
    this.#lastAddedAtMs = now();
    if (this.#memory.length < this.#memoryEntries && this.#opening === undefined) {
      this.#memory.push({ ...record });
      return DONE;
    }
    if (this.#spill !== undefined) {
      this.#spill.writer.append(record);
      return DONE;
    }
    return (this.#opening ??= this.#openSpill()).then(writer => {
      writer.append(record);
    });
  }

  /** Every record added, once: those in memory first, then those in the file, streamed. */
  async *drain(): AsyncGenerator<JsonLineRecord> {
    if (this.#draining) throw new Error('DeferredQueue: drained twice');
    this.#draining = true;
    const memory = this.#memory.splice(0);
    yield* memory;
    if (this.#opening === undefined) return;
    const writer = await this.#opening;
    await writer.flush();
    yield* readJsonLines(writer.path);
  }

  /** Drops what is left and removes the temporary file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#memory.length = 0;
    const opening = this.#opening;
    if (opening === undefined) return;
    const writer = await opening.catch(() => undefined);
    await writer?.close().catch(() => undefined);
    if (this.#spill !== undefined) await rm(this.#spill.dir, { recursive: true, force: true });
  }

  async #openSpill(): Promise<JsonLinesWriter> {
    const dir = await mkdtemp(join(this.#directory, 'lro-cancel-deferred-'));
    try {
      const writer = await openJsonLines(join(dir, 'deferred.jsonl'), { truncate: true });
      this.#spill = { dir, writer };
      return writer;
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }
}

const DONE: Promise<void> = Promise.resolve();

/** The longest wait between passes: an outage is waited out by the flow control's probes, not by long passes. */
export const MAX_PASS_DELAY_MS = 30_000;

/** The default wait after the first pass. */
export const FIRST_PASS_DELAY_MS = 1000;

/**
 * The waits between passes: `firstMs` after pass 1, twice as long after each later pass, never more than `maxMs`
 * (1 s, 2 s, 4 s, 8 s, 16 s, 30 s... by default). The waits give a degraded service time to recover; growing them
 * spaces the later passes out as it stays degraded, while an outage is waited out by the flow control's probes, so
 * the few names a brownout leaves to later passes do not wait long. No jitter: the names of a pass are spread over the pass by the
 * flow control. `--pass-delay-ms` and `--max-pass-delay-ms` pick them: a soak or a test that restarts a local
 * server in a second does not need to wait half a minute between its passes.
 */
export function passSchedule(firstMs: number = FIRST_PASS_DELAY_MS, maxMs: number = MAX_PASS_DELAY_MS): (pass: number) => number {
  return pass => (pass >= 1 ? Math.min(maxMs, firstMs * 2 ** (Math.floor(pass) - 1)) : 0);
}
