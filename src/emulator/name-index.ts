/**
 * Operation names without storing them. Operations are created in blocks (`parent`, id prefix, a run of sequence
 * numbers), and a record's index and its name are computed from the block: `op-000001` is the first operation with
 * prefix `op-` under its parent. A million operations cost a few blocks instead of a million strings and map entries.
 *
 * Ids are the prefix and the sequence number padded to 6 digits, so they sort in creation order up to 999,999 per
 * prefix (then they simply get longer). A prefix may not end in a digit, which keeps the split of an id unambiguous.
 */
export interface Block {
  readonly parent: string;
  readonly prefix: string;
  readonly startSeq: number;
  readonly firstIndex: number;
  /** Grows when the next operations of the same parent and prefix are created right after these. */
  count: number;
}

const SEQ_DIGITS = 6;
const PREFIX_PATTERN = /^(?:[A-Za-z0-9_.~-]{0,199}[A-Za-z_.~-])?$/;

export function isValidPrefix(prefix: string): boolean {
  return PREFIX_PATTERN.test(prefix);
}

export function formatId(prefix: string, seq: number): string {
  return prefix + String(seq).padStart(SEQ_DIGITS, '0');
}

/** The last block whose `key(block)` is at most `value`, from blocks sorted by that key; undefined when none. */
function floorBlock(blocks: readonly Block[], value: number, key: (block: Block) => number): Block | undefined {
  let low = 0;
  let high = blocks.length - 1;
  let found: Block | undefined;
  while (low <= high) {
    const mid = (low + high) >>> 1;
    const block = blocks[mid] as Block;
    if (key(block) <= value) {
      found = block;
      low = mid + 1;
    } else {
      high = mid - 1;
    }
  }
  return found;
}

const byIndex = (block: Block): number => block.firstIndex;
const bySeq = (block: Block): number => block.startSeq;

export class NameIndex {
  /** Every block in index order. */
  private readonly blocks: Block[] = [];
  /** `parent\nprefix` to its blocks, in sequence order. */
  private readonly byKey = new Map<string, Block[]>();
  private readonly byParent = new Map<string, Block[]>();
  private total = 0;

  get size(): number {
    return this.total;
  }

  /** Reserves `count` records under `parent` with `prefix`; returns the first record's index. */
  add(parent: string, prefix: string, count: number): number {
    const firstIndex = this.total;
    if (count === 0) return firstIndex;
    const key = `${parent}\n${prefix}`;
    const keyBlocks = this.byKey.get(key) ?? [];
    const last = keyBlocks[keyBlocks.length - 1];
    this.total += count;
    if (last !== undefined && last.firstIndex + last.count === firstIndex) {
      last.count += count;
      return firstIndex;
    }
    const block: Block = { parent, prefix, startSeq: last === undefined ? 1 : last.startSeq + last.count, firstIndex, count };
    this.blocks.push(block);
    if (keyBlocks.length === 0) this.byKey.set(key, keyBlocks);
    keyBlocks.push(block);
    const parentBlocks = this.byParent.get(parent) ?? [];
    if (parentBlocks.length === 0) this.byParent.set(parent, parentBlocks);
    parentBlocks.push(block);
    return firstIndex;
  }

  /** The record index of operation `id` under `parent`, or -1 when no such operation was ever created. */
  indexOf(parent: string, id: string): number {
    let split = id.length;
    while (split > 0) {
      const ch = id.charCodeAt(split - 1);
      if (ch < 48 || ch > 57) break;
      split--;
    }
    const digits = id.length - split;
    if (digits < SEQ_DIGITS || digits > 15 || (digits > SEQ_DIGITS && id.charCodeAt(split) === 48)) return -1;
    const keyBlocks = this.byKey.get(`${parent}\n${id.slice(0, split)}`);
    if (keyBlocks === undefined) return -1;
    const seq = Number(id.slice(split));
    const block = floorBlock(keyBlocks, seq, bySeq);
    if (block === undefined || seq >= block.startSeq + block.count) return -1;
    return block.firstIndex + (seq - block.startSeq);
  }

  blockAt(index: number): Block | undefined {
    const block = floorBlock(this.blocks, index, byIndex);
    return block !== undefined && index < block.firstIndex + block.count ? block : undefined;
  }

  nameAt(index: number): string {
    const block = this.blockAt(index);
    if (block === undefined) throw new RangeError(`no operation record ${index}`);
    return `${block.parent}/operations/${formatId(block.prefix, block.startSeq + index - block.firstIndex)}`;
  }

  /** Copies of every block in index order: with the record arrays, all a state file needs to rebuild the names. */
  exportBlocks(): Block[] {
    return this.blocks.map(block => ({ ...block }));
  }

  /**
   * Fills an empty index with blocks as `exportBlocks` gave them (a state file being loaded). Throws RangeError when
   * they do not tile the indices from 0 without gaps, or a block is not what `add` could have made.
   */
  restoreBlocks(blocks: readonly Block[]): void {
    if (this.total !== 0) throw new RangeError('restoreBlocks needs an empty index');
    for (const { parent, prefix, startSeq, firstIndex, count } of blocks) {
      const ok = typeof parent === 'string' && typeof prefix === 'string' && isValidPrefix(prefix)
        && Number.isSafeInteger(startSeq) && startSeq >= 1 && firstIndex === this.total && Number.isSafeInteger(count) && count > 0;
      if (!ok) throw new RangeError(`a saved name block does not fit at record ${this.total}: ${JSON.stringify({ parent, prefix, startSeq, firstIndex, count })}`);
      const block: Block = { parent, prefix, startSeq, firstIndex, count };
      const key = `${parent}\n${prefix}`;
      const keyBlocks = this.byKey.get(key) ?? [];
      if (keyBlocks.length === 0) this.byKey.set(key, keyBlocks);
      keyBlocks.push(block);
      const parentBlocks = this.byParent.get(parent) ?? [];
      if (parentBlocks.length === 0) this.byParent.set(parent, parentBlocks);
      parentBlocks.push(block);
      this.blocks.push(block);
      this.total += count;
    }
  }

  /** The blocks of one parent in index order (empty when it has none), for ListOperations. */
  blocksOf(parent: string): readonly Block[] {
    return this.byParent.get(parent) ?? [];
  }
}
