import { Code } from '../code.js';
import { OperationsError } from '../errors.js';

/** 2^22 slots of 8 bytes: 32 MiB, enough for 3,145,728 names at the 75% load the table stops at. */
export const DEFAULT_FINGERPRINT_SLOTS = 4_194_304;

/** Linear probing stays short (about 2.5 probes for a hit, 8.5 for a miss) up to this load; past it, it degrades fast. */
const MAX_LOAD = 0.75;

export interface FingerprintSetOptions {
  /** Table slots, a power of two; memory is 8 bytes a slot, all allocated at construction. @default 4_194_304 (32 MiB) */
  readonly slots?: number | undefined;
}

/**
 * The names a batch has seen, in memory fixed at construction: the table holds a 64-bit fingerprint per name, never
 * the name, so remembering a million 80-character names costs 8 MB instead of hundreds, and the memory of a batch
 * does not grow with its input. The runner uses it to cancel each duplicate name once and, on a resume, to skip the
 * names the journal already holds as final.
 *
 * Exactness: the fingerprint is two independent 32-bit hashes of the name's UTF-16 code units. Two different names
 * share one with probability 2^-64, so among n names a false "already seen" happens with probability about
 * n^2 / 2^65: 3e-8 for 1,000,000 names, 3e-7 for the 3,145,728 the default table holds. There are no false
 * negatives: a name added is always found.
 *
 * When full (75% of the slots used), new names are no longer remembered: `add` answers true ("new") for them and
 * `full` turns true so the run can say deduplication stopped. Nothing is lost that way: a duplicate that slips
 * through is cancelled twice, and CancelOperation is idempotent, so it costs one extra request, never a name.
 */
export class FingerprintSet {
  /** Slot i holds hash A in [2i] and hash B in [2i + 1]; (0, 0) marks an empty slot. */
  readonly #table: Uint32Array;
  readonly #mask: number;
  readonly #maxSize: number;
  #size = 0;
  #dropped = 0;

  constructor(options: FingerprintSetOptions = {}) {
    const slots = options.slots ?? DEFAULT_FINGERPRINT_SLOTS;
    if (!Number.isInteger(slots) || slots < 2 || slots > 2 ** 30 || (slots & (slots - 1)) !== 0) {
      throw new OperationsError(Code.INVALID_ARGUMENT, `FingerprintSet slots must be a power of two from 2 to 2^30, got ${slots}`);
    }
    this.#table = new Uint32Array(slots * 2);
    this.#mask = slots - 1;
    this.#maxSize = Math.floor(slots * MAX_LOAD);
  }

  /** Names remembered. */
  get size(): number {
    return this.#size;
  }

  /** How many names the table can remember before it is full. */
  get capacity(): number {
    return this.#maxSize;
  }

  /** True once a new name could not be remembered because the table was full: deduplication is partial from then. */
  get full(): boolean {
    return this.#dropped > 0;
  }

  /** New names not remembered because the table was full. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Remembers `name`; false when it was already there. When the table is full a new name is reported new, not kept. */
  add(name: string): boolean {
    return this.#probe(name, true);
  }

  has(name: string): boolean {
    return !this.#probe(name, false);
  }

  /** True when `name` is absent (and, with `insert`, now stored if there was room). */
  #probe(name: string, insert: boolean): boolean {
    // Two hashes in one pass over the code units: FNV-1a and a murmur2-style multiply-shift, each with its own
    // murmur3 finalizer, so the bits used for the slot and the bits compared are independent enough.
    let a = 0x811c9dc5;
    let b = 0x9747b28c ^ name.length;
    for (let i = 0; i < name.length; i += 1) {
      const unit = name.charCodeAt(i);
      a = Math.imul(a ^ unit, 0x01000193);
      b = Math.imul(b ^ unit, 0x5bd1e995);
      b ^= b >>> 13;
    }
    a = fmix32(a);
    b = fmix32(b ^ 0x2545f491);
    if (a === 0 && b === 0) b = 1;
    const table = this.#table;
    const mask = this.#mask;
    for (let slot = (b ^ (a >>> 7)) & mask; ; slot = (slot + 1) & mask) {
      const at = slot * 2;
      const storedA = table[at] as number;
      const storedB = table[at + 1] as number;
      if (storedA === a && storedB === b) return false;
      if (storedA === 0 && storedB === 0) {
        if (!insert) return true;
        if (this.#size >= this.#maxSize) {
          this.#dropped += 1;
          return true;
        }
        table[at] = a;
        table[at + 1] = b;
        this.#size += 1;
        return true;
      }
    }
  }
}

/** MurmurHash3's 32-bit finalizer: every input bit affects every output bit. */
function fmix32(input: number): number {
  let h = input;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
