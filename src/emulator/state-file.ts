import { readFile } from 'node:fs/promises';
import { writePrivateAtomically } from '../files.js';
import type { Block } from './name-index.js';
import type { StatsState } from './stats.js';
import type { StoreState } from './store.js';

/**
 * `--state FILE`: the emulator's store and counters on disk, so an emulator that is killed and started again with the
 * same file (and, by default, on the same ports) still knows every operation, whether it was cancelled, and how many
 * cancels each name received: a test can stop the server under a client and check afterwards what the server saw.
 *
 * Layout, all little-endian: the 8 bytes `LROEMUS1`; a uint32 header length; the header as JSON (ports, name blocks,
 * small counters); then the record arrays as raw bytes, in the store's own compact form (doneAtMs as float64, flags
 * as uint8, per-record cancel counts as uint32), about 17 bytes an operation.
 */

const MAGIC = Buffer.from('LROEMUS1', 'latin1');
const VERSION = 1;

/** What a state file holds. */
export interface SavedState {
  readonly grpcPort: number;
  readonly restPort: number;
  readonly store: StoreState;
  readonly stats: StatsState;
}

interface Header {
  readonly version: number;
  readonly savedAtMs: number;
  readonly grpcPort: number;
  readonly restPort: number;
  readonly blocks: readonly Block[];
  readonly records: number;
  readonly counted: number;
  readonly calls: readonly number[];
  readonly otherCancels: StatsState['otherCancels'];
  readonly cancelsReceived: number;
  readonly cancelsAfterDone: number;
  readonly rejected: number;
  readonly dropped: number;
}

/** One buffer holding the state; the arrays are copied in, so the store may change while it is written. */
export function encodeState(state: SavedState, savedAtMs: number = Date.now()): Buffer {
  const { store, stats } = state;
  const header: Header = {
    version: VERSION,
    savedAtMs,
    grpcPort: state.grpcPort,
    restPort: state.restPort,
    blocks: store.blocks,
    records: store.doneAtMs.length,
    counted: stats.cancelsByRecord.length,
    calls: [...stats.calls],
    otherCancels: stats.otherCancels,
    cancelsReceived: stats.cancelsReceived,
    cancelsAfterDone: stats.cancelsAfterDone,
    rejected: stats.rejected,
    dropped: stats.dropped,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32LE(json.length);
  return Buffer.concat([
    MAGIC, length, json,
    bytesOf(store.doneAtMs), bytesOf(store.flags), bytesOf(stats.cancelsByRecord), bytesOf(stats.cancelsAfterDoneByRecord),
  ]);
}

function bytesOf(array: Float64Array | Uint32Array | Uint8Array): Buffer {
  return Buffer.from(array.buffer, array.byteOffset, array.byteLength);
}

function corrupt(path: string, problem: string): Error {
  return new Error(`state file ${path} is not a usable emulator state (${problem}); move it away to start empty`);
}

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Reads `length` elements of a typed array from `bytes` at `offset` (copied, so alignment does not matter). */
function arrayAt<T extends Float64Array | Uint32Array | Uint8Array>(
  type: { new(buffer: ArrayBuffer): T; readonly BYTES_PER_ELEMENT: number }, bytes: Buffer, offset: number, length: number,
): T {
  const size = length * type.BYTES_PER_ELEMENT;
  return new type(bytes.buffer.slice(bytes.byteOffset + offset, bytes.byteOffset + offset + size) as ArrayBuffer);
}

/** The state in `bytes`; throws an Error naming `path` and the problem when the bytes are not a whole state file. */
export function decodeState(bytes: Buffer, path: string, callSlots: number): SavedState {
  if (bytes.length < 12 || !bytes.subarray(0, 8).equals(MAGIC)) throw corrupt(path, 'it does not start with LROEMUS1');
  const headerLength = bytes.readUInt32LE(8);
  if (12 + headerLength > bytes.length) throw corrupt(path, 'it is cut off inside its header');
  let header: Header;
  try {
    header = JSON.parse(bytes.subarray(12, 12 + headerLength).toString('utf8')) as Header;
  } catch {
    throw corrupt(path, 'its header is not JSON');
  }
  if (header.version !== VERSION) throw corrupt(path, `version ${JSON.stringify(header.version)}, expected ${VERSION}`);
  const counts = [header.grpcPort, header.restPort, header.records, header.counted, header.cancelsReceived, header.cancelsAfterDone, header.rejected, header.dropped];
  if (!counts.every(isCount) || !Array.isArray(header.blocks) || !Array.isArray(header.otherCancels)
    || !Array.isArray(header.calls) || header.calls.length !== callSlots || !header.calls.every(isCount)) {
    throw corrupt(path, 'its header does not have the expected fields');
  }
  const expected = 12 + headerLength + header.records * 9 + header.counted * 8;
  if (bytes.length !== expected) throw corrupt(path, `${bytes.length} bytes where the header announces ${expected}`);
  let offset = 12 + headerLength;
  const doneAtMs = arrayAt(Float64Array, bytes, offset, header.records);
  offset += header.records * 8;
  const flags = arrayAt(Uint8Array, bytes, offset, header.records);
  offset += header.records;
  const cancelsByRecord = arrayAt(Uint32Array, bytes, offset, header.counted);
  offset += header.counted * 4;
  const cancelsAfterDoneByRecord = arrayAt(Uint32Array, bytes, offset, header.counted);
  return {
    grpcPort: header.grpcPort,
    restPort: header.restPort,
    store: { blocks: header.blocks, doneAtMs, flags },
    stats: {
      calls: Float64Array.from(header.calls),
      cancelsByRecord,
      cancelsAfterDoneByRecord,
      otherCancels: header.otherCancels,
      cancelsReceived: header.cancelsReceived,
      cancelsAfterDone: header.cancelsAfterDone,
      rejected: header.rejected,
      dropped: header.dropped,
    },
  };
}

/** The state saved in `path`; undefined when there is no such file (the first start). */
export async function loadState(path: string, callSlots: number): Promise<SavedState | undefined> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  return decodeState(bytes, path, callSlots);
}

export interface StateSaverOptions {
  readonly path: string;
  /** How often to look for changes. @default 200 */
  readonly intervalMs?: number | undefined;
  /** The state now (called only when `changeMark` moved). */
  readonly snapshot: () => SavedState;
  /** A value that changes whenever the state does; cheap, it is read every interval. */
  readonly changeMark: () => string;
}

/**
 * Saves the state every `intervalMs` when it changed, and once more on close. Nothing happens per request: a
 * snapshot is a copy of the arrays taken on a timer, written by the thread pool. Writes never overlap, and after a
 * slow write (a store of millions) the next waits four times as long, so saving never takes more than a fifth of the
 * emulator's time. A killed emulator loses at most the last interval; one closed by SIGINT/SIGTERM loses nothing.
 */
export class StateSaver {
  readonly #options: StateSaverOptions;
  readonly #timer: NodeJS.Timeout;
  #lastMark: string;
  #writing: Promise<void> | undefined;
  #notBeforeMs = 0;
  #failure: unknown;
  #closed = false;

  private constructor(options: StateSaverOptions) {
    this.#options = options;
    this.#lastMark = '';
    this.#timer = setInterval(() => this.#tick(), options.intervalMs ?? 200);
    this.#timer.unref();
  }

  /** Writes the state now (so the file exists as soon as the emulator is ready), then every interval it changed. */
  static async start(options: StateSaverOptions): Promise<StateSaver> {
    await writePrivateAtomically(options.path, encodeState(options.snapshot()));
    const saver = new StateSaver(options);
    saver.#lastMark = options.changeMark();
    return saver;
  }

  /** Stops the timer and writes the state one last time (even if unchanged). Rejects if a write failed. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    await this.#writing;
    await this.#save();
    if (this.#failure !== undefined) throw this.#failure;
  }

  #tick(): void {
    if (this.#writing !== undefined || Date.now() < this.#notBeforeMs) return;
    if (this.#options.changeMark() === this.#lastMark) return;
    this.#writing = this.#save().finally(() => { this.#writing = undefined; });
  }

  async #save(): Promise<void> {
    const startedMs = Date.now();
    this.#lastMark = this.#options.changeMark();
    try {
      await writePrivateAtomically(this.#options.path, encodeState(this.#options.snapshot()));
      this.#failure = undefined;
    } catch (error) {
      // Kept for close(): a periodic write has no one to report to, and the next one may succeed.
      this.#failure = error;
      this.#lastMark = '';
    }
    this.#notBeforeMs = Date.now() + 4 * (Date.now() - startedMs);
  }
}
