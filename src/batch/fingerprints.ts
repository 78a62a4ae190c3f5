import { Code } from '../code.js';
import { OperationsError } from '../errors.js';

/** 2^16 slots of 8 bytes to start: 512 KiB, room for 49,152 names before the first growth. */
export const INITIAL_FINGERPRINT_SLOTS = 65_536;
/** 2^27 slots at most: 1 GiB, room for 100,663,296 names. */
export const MAX_FINGERPRINT_SLOTS = 134_217_728;

/** Linear probing stays short (about 2.5 probes for a hit, 8.5 for a miss) up to this load; past it, it degrades fast. */
const MAX_LOAD = 0.75;

export interface FingerprintSetOptions {
  /** Table slots at the start, a power of two; 8 bytes a slot. @default 65_536 (512 KiB) */
  readonly initialSlots?: number | undefined;
  /** The most slots the table grows to, a power of two. @default 134_217_728 (1 GiB, 100 million names) */
  readonly maxSlots?: number | undefined;
}

function checkSlots(option: string, slots: number): number {
  if (!Number.isInteger(slots) || slots < 2 || slots > 2 ** 30 || (slots & (slots - 1)) !== 0) {
    throw new OperationsError(Code.INVALID_ARGUMENT, `FingerprintSet ${option} must be a power of two from 2 to 2^30, got ${slots}`);
  }
  return slots;
}

/**
 * A set of names that holds a 64-bit fingerprint per name, never the name, so remembering a million 80-character
 * names costs 16 MB instead of hundreds. The batch uses it to cancel each duplicate name once, to remember which
 * names its journal holds as final, and which names the input held (the output names only those). The table doubles
 * when 75% full, so it costs what the input needs: 512 KiB for a small batch, 16 MiB for a million names.
 *
 * Exactness: the fingerprint is two independent 32-bit hashes of the name's UTF-16 code units. Two different names
 * share one with probability 2^-64, so among n names a false "already seen" happens with probability about
 * n^2 / 2^65: 3e-8 for 1,000,000 names, 3e-4 for 100 million. There are no false negatives: a name added is found.
 *
 * At `maxSlots` and 75% full, new names are no longer remembered: `add` answers true ("new") for them and `full`
 * turns true so the run can say so.
 */
export class FingerprintSet {
  /** Slot i holds hash A in [2i] and hash B in [2i + 1]; (0, 0) marks an empty slot. */
  #table: Uint32Array;
  #mask: number;
  #maxSize: number;
  readonly #maxSlots: number;
  #size = 0;
  #dropped = 0;

  constructor(options: FingerprintSetOptions = {}) {
    const slots = checkSlots('initialSlots', options.initialSlots ?? INITIAL_FINGERPRINT_SLOTS);
    this.#maxSlots = Math.max(slots, checkSlots('maxSlots', options.maxSlots ?? MAX_FINGERPRINT_SLOTS));
    this.#table = new Uint32Array(slots * 2);
    this.#mask = slots - 1;
    this.#maxSize = Math.floor(slots * MAX_LOAD);
  }

  /** Names remembered. */
  get size(): number {
    return this.#size;
  }

  /** True once a new name could not be remembered because the table was full: the set is partial from then. */
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

  /** Doubles the table and puts every fingerprint back (the slot comes from the stored hashes, not the name). */
  #grow(): void {
    const old = this.#table;
    const slots = (this.#mask + 1) * 2;
    const table = new Uint32Array(slots * 2);
    const mask = slots - 1;
    for (let at = 0; at < old.length; at += 2) {
      const a = old[at] as number;
      const b = old[at + 1] as number;
      if (a === 0 && b === 0) continue;
      let slot = (b ^ (a >>> 7)) & mask;
      while ((table[slot * 2] as number) !== 0 || (table[slot * 2 + 1] as number) !== 0) slot = (slot + 1) & mask;
      table[slot * 2] = a;
      table[slot * 2 + 1] = b;
    }
    this.#table = table;
    this.#mask = mask;
    this.#maxSize = Math.floor(slots * MAX_LOAD);
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
          if (this.#mask + 1 < this.#maxSlots) {
            this.#grow();
            return this.#probe(name, true);
          }
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
