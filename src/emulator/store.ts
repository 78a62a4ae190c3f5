import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { parseParentName } from '../names.js';
import { NameIndex, formatId, isValidPrefix, type Block } from './name-index.js';
import { MAX_CREATE_COUNT, MAX_SEED_OPS, checkFraction, checkInteger } from './options.js';
import type { Random } from './random.js';
import { grown } from './typed-arrays.js';

/** What `createOperations` makes: fresh operations for a test or a benchmark. */
export interface CreateOperationsSpec {
  readonly count: number;
  /** @default 'projects/demo/locations/global' */
  readonly parent?: string;
  /** Ids are the prefix and a 6-digit sequence number; the prefix may not end in a digit. @default 'op-' */
  readonly idPrefix?: string;
  /** Share already done (with a response) when created. @default the emulator's `doneFraction` */
  readonly doneFraction?: number;
  /** A running one completes by itself (with a response) this long after creation. @default the emulator's `durationMs` */
  readonly durationMs?: number;
  /** Share that completes with a response when cancelled. @default the emulator's `uncancellableFraction` */
  readonly uncancellableFraction?: number;
  /** Share that ends with an error (INTERNAL) rather than a response when it completes by itself. @default 0 */
  readonly failedFraction?: number;
  /**
   * Share whose cancel is accepted (OK) but has no effect: the operation runs on to its own end. The API allows it
   * ("success is not guaranteed"); it is what a verifying client must report as `running`. @default 0
   */
  readonly ignoreCancelFraction?: number;
}

export type CreateDefaults = Required<Pick<CreateOperationsSpec, 'doneFraction' | 'durationMs' | 'uncancellableFraction'>>;

/** What a CancelOperation did to a record. */
export type CancelEffect = 'cancelled' | 'completed' | 'unchanged';

/** One record as the store holds it, for tests and `GET /emulator/v1/operations/{name}`. */
export interface OperationRecord {
  readonly name: string;
  readonly done: boolean;
  /** `running`; `succeeded` (done with a response); `cancelled` (done with error code 1). */
  readonly state: 'running' | 'succeeded' | 'cancelled' | 'failed';
  readonly deleted: boolean;
  /** It completes with a response when cancelled. */
  readonly uncancellable: boolean;
  /** Epoch ms at which it completed or will complete by itself; null for never. */
  readonly doneAtMs: number | null;
}

/** Every record of a store, as a state file keeps it. */
export interface StoreState {
  readonly blocks: readonly Block[];
  readonly doneAtMs: Float64Array;
  readonly flags: Uint8Array;
}

export const DEFAULT_PARENT = 'projects/demo/locations/global';
/**
 * The most operations one store holds, seeded and created together (about 17 bytes each in the arrays, 340 MB at the
 * limit): `POST /emulator/v1/operations` in a loop must not grow an emulator until the machine runs out of memory.
 */
export const MAX_STORED_OPERATIONS = MAX_SEED_OPS;
const DELETED = 1;
const UNCANCELLABLE = 2;
/** Ends with an error when it completes by itself. */
const FAILS = 8;
/** Accepts a cancel and ignores it. */
const IGNORES_CANCEL = 16;
const CANCELLED = 4;

/**
 * The operations, as parallel typed arrays indexed by record number (about 9 bytes each; names live in NameIndex).
 * Nothing runs by itself: a running operation is done once the clock passes its `doneAtMs`, computed on access.
 */
export class OperationStore {
  readonly names = new NameIndex();
  private doneAtMs = new Float64Array(1024);
  private flags = new Uint8Array(1024);
  private readonly waiters = new Map<number, Set<() => void>>();

  constructor(private readonly random: Random, private readonly defaults: CreateDefaults) {}

  get size(): number {
    return this.names.size;
  }

  /** Creates the operations and returns the first record index; throws INVALID_ARGUMENT naming a bad spec field. */
  create(spec: CreateOperationsSpec, nowMs: number, maxCount = MAX_CREATE_COUNT): number {
    const count = checkInteger('count', spec.count, 0, maxCount);
    if (this.names.size + count > MAX_STORED_OPERATIONS) {
      throw new OperationsError(Code.INVALID_ARGUMENT, `count: the emulator holds at most ${MAX_STORED_OPERATIONS} operations and has ${this.names.size}; ${count} more do not fit`);
    }
    const parent = parseParentName(spec.parent ?? DEFAULT_PARENT).name;
    const prefix = spec.idPrefix ?? 'op-';
    if (typeof prefix !== 'string' || !isValidPrefix(prefix)) {
      throw new OperationsError(Code.INVALID_ARGUMENT, `idPrefix: expected up to 200 of [A-Za-z0-9_.~-] not ending in a digit, got ${JSON.stringify(prefix)}`);
    }
    const doneFraction = checkFraction('doneFraction', spec.doneFraction ?? this.defaults.doneFraction);
    const durationMs = checkInteger('durationMs', spec.durationMs ?? this.defaults.durationMs, 0, Number.MAX_SAFE_INTEGER);
    const uncancellable = checkFraction('uncancellableFraction', spec.uncancellableFraction ?? this.defaults.uncancellableFraction);
    const failed = checkFraction('failedFraction', spec.failedFraction ?? 0);
    const ignoring = checkFraction('ignoreCancelFraction', spec.ignoreCancelFraction ?? 0);
    const first = this.names.add(parent, prefix, count);
    this.reserve(first + count);
    for (let i = first; i < first + count; i++) {
      this.doneAtMs[i] = this.random() < doneFraction ? nowMs : nowMs + durationMs;
      this.flags[i] = (this.random() < uncancellable ? UNCANCELLABLE : 0)
        | (failed > 0 && this.random() < failed ? FAILS : 0)
        | (ignoring > 0 && this.random() < ignoring ? IGNORES_CANCEL : 0);
    }
    return first;
  }

  /** The names of `count` records from `first`, as `create` made them (no lookups per name). */
  namesFrom(first: number, count: number): string[] {
    const block = this.names.blockAt(first);
    if (block === undefined) return [];
    const base = `${block.parent}/operations/`;
    const names = new Array<string>(count);
    for (let i = 0; i < count; i++) names[i] = base + formatId(block.prefix, block.startSeq + first - block.firstIndex + i);
    return names;
  }

  private reserve(size: number): void {
    this.doneAtMs = grown(this.doneAtMs, size);
    this.flags = grown(this.flags, size);
  }

  /** A copy of every record (names as blocks, times and flags as arrays), for a state file. */
  exportState(): StoreState {
    const size = this.names.size;
    return { blocks: this.names.exportBlocks(), doneAtMs: this.doneAtMs.slice(0, size), flags: this.flags.slice(0, size) };
  }

  /** Loads records saved by `exportState` into an empty store; throws RangeError when they do not fit together. */
  restoreState(state: StoreState): void {
    if (this.names.size !== 0) throw new RangeError('restoreState needs an empty store');
    const size = state.blocks.reduce((sum, block) => sum + block.count, 0);
    if (state.doneAtMs.length !== size || state.flags.length !== size) {
      throw new RangeError(`saved records do not match their names: ${size} names, ${state.doneAtMs.length} times, ${state.flags.length} flags`);
    }
    this.names.restoreBlocks(state.blocks);
    this.reserve(size);
    this.doneAtMs.set(state.doneAtMs);
    this.flags.set(state.flags);
  }

  /** The record index of a live operation, or -1 (never created, or deleted). */
  find(parent: string, id: string): number {
    const index = this.names.indexOf(parent, id);
    return index >= 0 && ((this.flags[index] as number) & DELETED) === 0 ? index : -1;
  }

  isDone(index: number, nowMs: number): boolean {
    return (this.doneAtMs[index] as number) <= nowMs;
  }

  isCancelled(index: number): boolean {
    return ((this.flags[index] as number) & CANCELLED) !== 0;
  }

  /** Done with an error other than CANCELLED (meaningful once done). */
  isFailed(index: number): boolean {
    return ((this.flags[index] as number) & (FAILS | CANCELLED)) === FAILS;
  }

  /** Best effort, as the API says: a running operation ends cancelled, or completed when it is uncancellable. */
  cancel(index: number, nowMs: number): CancelEffect {
    if (this.isDone(index, nowMs)) return 'unchanged';
    if (((this.flags[index] as number) & IGNORES_CANCEL) !== 0) return 'unchanged';
    this.doneAtMs[index] = nowMs;
    const uncancellable = ((this.flags[index] as number) & UNCANCELLABLE) !== 0;
    if (!uncancellable) this.flags[index] = (this.flags[index] as number) | CANCELLED;
    this.wake(index);
    return uncancellable ? 'completed' : 'cancelled';
  }

  delete(index: number): void {
    this.flags[index] = (this.flags[index] as number) | DELETED;
    this.wake(index);
  }

  /**
   * Live records of `parent` from record `startIndex` on that match `done` (undefined: all), at most `pageSize`, and
   * the index of the next match after them (-1 when there is none, so the page token is empty exactly at the end).
   */
  list(parent: string, startIndex: number, done: boolean | undefined, pageSize: number, nowMs: number): { indices: number[]; next: number } {
    const indices: number[] = [];
    for (const block of this.names.blocksOf(parent)) {
      const end = block.firstIndex + block.count;
      for (let i = Math.max(startIndex, block.firstIndex); i < end; i++) {
        if (((this.flags[i] as number) & DELETED) !== 0) continue;
        if (done !== undefined && this.isDone(i, nowMs) !== done) continue;
        if (indices.length === pageSize) return { indices, next: i };
        indices.push(i);
      }
    }
    return { indices, next: -1 };
  }

  /**
   * Resolves when the record is done or deleted, at `deadlineMs`, or when any signal aborts, whichever is first.
   * Timers run on a monotonic clock and `doneAtMs` is wall-clock time, so a timer set for `doneAtMs - now` can fire
   * while `Date.now()` is still a millisecond short of it; the loop looks again rather than answer "not done" at the
   * moment the operation finishes.
   */
  async waitUntilDone(index: number, deadlineMs: number, signals: readonly AbortSignal[]): Promise<void> {
    for (;;) {
      const nowMs = Date.now();
      const deleted = ((this.flags[index] as number) & DELETED) !== 0;
      if (deleted || this.isDone(index, nowMs) || nowMs >= deadlineMs || signals.some(signal => signal.aborted)) return;
      const untilMs = Math.min(deadlineMs, this.doneAtMs[index] as number);
      await this.sleepUntil(index, untilMs - nowMs, signals);
    }
  }

  /** One wait of up to `delayMs`, ended early by a change to the record (`wake`) or an abort. */
  private sleepUntil(index: number, delayMs: number, signals: readonly AbortSignal[]): Promise<void> {
    return new Promise<void>(resolve => {
      const set = this.waiters.get(index) ?? new Set<() => void>();
      const finish = (): void => {
        clearTimeout(timer);
        for (const signal of signals) signal.removeEventListener('abort', finish);
        set.delete(finish);
        if (set.size === 0) this.waiters.delete(index);
        resolve();
      };
      const timer = setTimeout(finish, Math.max(1, Math.min(delayMs, 2 ** 31 - 1)));
      for (const signal of signals) signal.addEventListener('abort', finish, { once: true });
      set.add(finish);
      this.waiters.set(index, set);
    });
  }

  private wake(index: number): void {
    const set = this.waiters.get(index);
    if (set !== undefined) for (const finish of [...set]) finish();
  }

  record(index: number, nowMs: number): OperationRecord {
    const doneAtMs = this.doneAtMs[index] as number;
    const done = doneAtMs <= nowMs;
    const flags = this.flags[index] as number;
    return {
      name: this.names.nameAt(index),
      done,
      state: !done ? 'running' : (flags & CANCELLED) !== 0 ? 'cancelled' : (flags & FAILS) !== 0 ? 'failed' : 'succeeded',
      deleted: (flags & DELETED) !== 0,
      uncancellable: (flags & UNCANCELLABLE) !== 0,
      doneAtMs: Number.isFinite(doneAtMs) ? doneAtMs : null,
    };
  }
}
