import type { BatchCallOptions, Canceller, ListOptions } from '../client/canceller.js';
import { now } from '../policy/deadline.js';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { isAborted } from '../policy/signals.js';
import { DeferredQueue } from './deferred.js';
import { FingerprintSet } from './fingerprints.js';
import type { JsonLineRecord } from './jsonl.js';

/** The largest page asked for: servers clamp a larger one to their own maximum. */
export const LIST_PAGE_SIZE = 1000;
/** A parent with fewer names to verify than this is read name by name: a listing would not be cheaper. */
const MIN_NAMES_TO_LIST = 4;
/** A listing goes on only while each page's worth of operations settles at least this many names. */
const MIN_SETTLED_PER_PAGE = 2;
/** A page that keeps failing after its own retries is asked for again from where the listing was, this many times in a row. */
const MAX_PAGE_FAILURES = 5;
/** Codes of a degraded service: the page is worth asking for again. */
const TRANSIENT: ReadonlySet<Code> = new Set([Code.UNAVAILABLE, Code.RESOURCE_EXHAUSTED, Code.DEADLINE_EXCEEDED, Code.ABORTED]);
/** Parents remembered for listing; names of parents past this are read one by one. */
const MAX_PARENTS = 10_000;

export interface SweepOptions extends BatchCallOptions {
  readonly signal?: AbortSignal | undefined;
  /** The run's give-up bound, on the library's clock: read again before each page. */
  readonly giveUpAt: () => number;
  /** A page came back: the service answers. */
  readonly onAnswer: () => void;
}

/** How a name's verification ended in a sweep: seen done by the listing, or left to GetOperation. */
export type Settled = 'cancelled' | 'completed' | undefined;

export interface SweepFigures {
  /** Names whose outcome a listing showed. */
  settled: number;
  /** ListOperations pages (calls) it took. */
  pages: number;
}

function parentOfName(name: string): string {
  return name.slice(0, name.indexOf('/operations/'));
}

/**
 * Verification by listing: a verified batch pays a GetOperation per name, which halves its speed under a quota. Most
 * batches cancel many operations of few parents, and one ListOperations page (up to 1,000 operations, `done=true`
 * where the server supports the filter) shows the outcome of hundreds at once. The names whose cancel was accepted
 * wait here (records spilled to a temporary file past a few thousand, their keys as 64-bit fingerprints); `sweep`
 * lists each parent with enough of them while each page settles at least two (so it never costs more calls than one
 * read per name: a batch that is a small part of a large parent stops after a page), and `drain` gives back every
 * name with what the listing showed, or nothing: those are read one by one.
 */
export class ListingVerifier {
  readonly #waiting = new DeferredQueue();
  readonly #keys = new FingerprintSet();
  readonly #cancelled = new FingerprintSet();
  readonly #completed = new FingerprintSet();
  readonly #parents = new Map<string, number>();
  #size = 0;

  /** Names waiting for verification. */
  get size(): number {
    return this.#size;
  }

  /** A name whose cancel was accepted; `record` is its record so far (`requested`, with its attempts). */
  async add(record: JsonLineRecord): Promise<void> {
    this.#size += 1;
    this.#keys.add(record.name);
    const parent = parentOfName(record.name);
    const count = this.#parents.get(parent);
    if (count !== undefined || this.#parents.size < MAX_PARENTS) this.#parents.set(parent, (count ?? 0) + 1);
    await this.#waiting.add(record);
  }

  /**
   * Lists each parent worth listing and remembers what it showed of the waiting names. `giveUpAt` (the run's bound,
   * which each page that comes back moves on through `onAnswer`) ends a sweep that meets nothing but a degraded
   * service: the names left go to GetOperation, which gives them up at once.
   */
  async sweep(canceller: Canceller, options: SweepOptions): Promise<SweepFigures> {
    const figures: SweepFigures = { settled: 0, pages: 0 };
    for (const [parent, count] of this.#parents) {
      if (count < MIN_NAMES_TO_LIST || options.signal?.aborted === true || now() >= options.giveUpAt()) continue;
      let filter: string | undefined = 'done=true';
      let pageToken: string | undefined;
      // Failures are counted since the last page that came back: a listing that moves on is never given up.
      let failures = 0;
      for (;;) {
        try {
          await this.#listParent(canceller, parent, options, figures, filter, pageToken, token => { pageToken = token; failures = 0; });
          break;
        } catch (error) {
          const code = error instanceof OperationsError ? error.code : Code.UNKNOWN;
          // A server that does not take the filter lists everything: the done operations are among them.
          if (code === Code.INVALID_ARGUMENT && filter !== undefined && pageToken === undefined) {
            filter = undefined;
            continue;
          }
          // A page that kept meeting a degraded service past its own retries is asked again from where the listing
          // was, a few times; anything else leaves the parent's names to GetOperation (with its own retries and passes).
          failures += 1;
          if (!TRANSIENT.has(code) || failures > MAX_PAGE_FAILURES || isAborted(options.signal) || now() >= options.giveUpAt()) break;
        }
      }
    }
    return figures;
  }

  /** Every waiting record once, with what a listing showed of it (undefined: read it one by one). */
  async *drain(): AsyncGenerator<{ readonly record: JsonLineRecord; readonly settled: Settled }> {
    for await (const record of this.#waiting.drain()) {
      const settled = this.#cancelled.has(record.name) ? 'cancelled' : this.#completed.has(record.name) ? 'completed' : undefined;
      yield { record, settled };
    }
  }

  async close(): Promise<void> {
    await this.#waiting.close();
  }

  /** Lists `parent` from `pageToken` on, telling `onPage` where the next page starts after each one it weighed. */
  async #listParent(canceller: Canceller, parent: string, options: SweepOptions,
    figures: SweepFigures, filter: string | undefined, pageToken: string | undefined, onPage: (next: string) => void): Promise<void> {
    // timeoutMs covers a whole listing; a sweep reads as many pages as keep settling names, each page bounded by the
    // retry policy's attempts, so its only total deadline is the run's give-up bound (an endless listing is stopped
    // by listPages itself).
    const listOptions: ListOptions & BatchCallOptions = {
      pageSize: LIST_PAGE_SIZE,
      timeoutMs: Math.max(1, options.giveUpAt() - now()),
      ...(pageToken === undefined ? {} : { pageToken }),
      ...(filter === undefined ? {} : { filter }),
      ...(options.gate === undefined ? {} : { gate: options.gate }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    };
    for await (const page of canceller.listPages(parent, listOptions)) {
      figures.pages += 1;
      options.onAnswer();
      let settled = 0;
      for (const operation of page.operations) {
        if (!operation.done || !this.#keys.has(operation.name)) continue;
        const code = operation.error?.code;
        // A failed operation's own error is worth a read of its own; cancelled and completed say all there is.
        const added = code === Code.CANCELLED ? this.#cancelled.add(operation.name) : code === undefined && this.#completed.add(operation.name);
        if (added) settled += 1;
      }
      figures.settled += settled;
      onPage(page.nextPageToken);
      // A page (one call) that settles fewer than two names costs more than reading them one by one.
      if (settled < MIN_SETTLED_PER_PAGE) return;
    }
  }
}
