import { writeSync } from 'node:fs';
import type { FileHandle } from 'node:fs/promises';
import { openPrivate } from '../files.js';
import { LineSplitter, OverlongLine, textChunks, type ByteRange } from './lines.js';

/**
 * One result, one JSON line: the record the runner writes to the journal and to the `--output` file. Records are
 * results built by the runner from cancel results (name, outcome, codes, timing, the server's redacted message);
 * they never carry request headers or credentials, and this writer adds nothing to them.
 */
export interface JsonLineRecord {
  name: string;
  outcome: string;
  [key: string]: unknown;
}

export interface OpenJsonLinesOptions {
  /** Start the file empty instead of appending to it (an `--output` for a fresh run). @default false */
  readonly truncate?: boolean | undefined;
  /**
   * fsync (fdatasync) what was written at most this long after writing it, so a power loss or a kernel crash loses
   * at most that much; a process crash loses nothing written (it is in the page cache). @default none: only close()
   */
  readonly syncIntervalMs?: number | undefined;
}

/** A tick that appends this many records (a tight loop that never yields to I/O) writes them at once, bounding memory. */
const MAX_PENDING_RECORDS = 4096;

/**
 * An append-only JSON-lines file, under the batch's journal (`--journal`), its results file (`--output`) and the
 * spill file of names deferred to a later pass. Records appended in one event-loop tick go to the file in one `write` at the start of
 * the next (setImmediate), so the file keeps up with the batch at a syscall per tick rather than per record, and a
 * SIGKILL loses at most the records of the tick it lands in: a record is in the kernel's page cache, safe from a
 * crash of this process, one tick after `append`. With `syncIntervalMs` (the journal's: 1 s) what was written is
 * fdatasynced within that interval, so a power cut loses at most that much; `close()` fsyncs too.
 * Records still pending when the process exits (process.exit, an uncaught exception) are written by an exit hook.
 *
 * Reopening a file whose last line was cut off by a crash starts the next record on a fresh line, so the fragment
 * stays one garbled line that `readJsonLines` skips, and never corrupts the record after it.
 */
export class JsonLinesWriter {
  readonly path: string;
  readonly #handle: FileHandle;
  #pending: string[] = [];
  #needsNewline: boolean;
  #immediate: NodeJS.Immediate | undefined;
  #failure: { readonly error: unknown } | undefined;
  #closed = false;
  readonly #onExit = (): void => {
    try {
      this.#writePending();
    } catch {
      // The process is exiting; there is no one left to tell.
    }
  };

  readonly #syncIntervalMs: number | undefined;
  #syncTimer: NodeJS.Timeout | undefined;

  private constructor(path: string, handle: FileHandle, needsNewline: boolean, syncIntervalMs: number | undefined) {
    this.#syncIntervalMs = syncIntervalMs;
    this.path = path;
    this.#handle = handle;
    this.#needsNewline = needsNewline;
    process.on('exit', this.#onExit);
  }

  /** Opens (creating it if needed) `path` for appending; see `openJsonLines`. */
  static async open(path: string, options: OpenJsonLinesOptions = {}): Promise<JsonLinesWriter> {
    const truncate = options.truncate ?? false;
    const handle = await openPrivate(path, truncate ? 'truncate' : 'append'); // 0600, never through a symbolic link
    try {
      let needsNewline = false;
      if (!truncate) {
        const { size } = await handle.stat();
        if (size > 0) {
          const last = Buffer.alloc(1);
          await handle.read(last, 0, 1, size - 1);
          needsNewline = last[0] !== 10;
        }
      }
      return new JsonLinesWriter(path, handle, needsNewline, options.syncIntervalMs);
    } catch (error) {
      await handle.close();
      throw error;
    }
  }

  /**
   * Queues one record; it reaches the file within one event-loop tick. The record is serialized now, so changing
   * the object afterwards changes nothing. Throws if an earlier write failed (a full disk must stop the batch, not be
   * discovered at the end) or the journal is closed.
   */
  append(record: Readonly<Record<string, unknown>>): void {
    this.#check();
    this.#pending.push(JSON.stringify(record));
    if (this.#pending.length >= MAX_PENDING_RECORDS) this.#writeOrRemember();
    else this.#immediate ??= setImmediate(JsonLinesWriter.#tick, this);
  }

  /** Writes every pending record now. */
  async flush(): Promise<void> {
    this.#check();
    this.#writeOrRemember();
    this.#check();
  }

  /** Writes what is pending, fsyncs and closes the file. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#writeOrRemember();
    this.#closed = true;
    if (this.#syncTimer !== undefined) clearTimeout(this.#syncTimer);
    process.off('exit', this.#onExit);
    try {
      if (this.#failure === undefined) await this.#handle.sync();
    } finally {
      await this.#handle.close();
    }
    if (this.#failure !== undefined) throw this.#failure.error;
  }

  /** The timed fdatasync; a failure is kept and thrown by the next append, as a failed write is. */
  static #sync(self: JsonLinesWriter): void {
    self.#syncTimer = undefined;
    if (self.#closed || self.#failure !== undefined) return;
    self.#handle.datasync().catch((error: unknown) => { self.#failure ??= { error }; });
  }

  static #tick(self: JsonLinesWriter): void {
    self.#writeOrRemember();
  }

  #check(): void {
    if (this.#failure !== undefined) throw this.#failure.error;
    if (this.#closed) throw new Error(`journal ${this.path} is closed`);
  }

  /** A failed write cannot throw from a setImmediate callback; it is kept and thrown by the next append. */
  #writeOrRemember(): void {
    try {
      this.#writePending();
    } catch (error) {
      this.#failure ??= { error };
    }
  }

  #writePending(): void {
    if (this.#immediate !== undefined) {
      clearImmediate(this.#immediate);
      this.#immediate = undefined;
    }
    if (this.#pending.length === 0 || this.#failure !== undefined || this.#closed) return;
    const records = this.#pending;
    this.#pending = [];
    const text = `${this.#needsNewline ? '\n' : ''}${records.join('\n')}\n`;
    const bytes = Buffer.from(text, 'utf8');
    for (let offset = 0; offset < bytes.length;) {
      offset += writeSync(this.#handle.fd, bytes, offset, bytes.length - offset);
    }
    this.#needsNewline = false;
    if (this.#syncIntervalMs !== undefined) this.#syncTimer ??= setTimeout(JsonLinesWriter.#sync, this.#syncIntervalMs, this);
  }
}

/** Opens a JSON-lines file for appending (see JsonLinesWriter). */
export function openJsonLines(path: string, options: OpenJsonLinesOptions = {}): Promise<JsonLinesWriter> {
  return JsonLinesWriter.open(path, options);
}

/** What a read found besides records; filled in as the read goes, complete once the iteration ends. */
export interface JsonLinesReadCounts {
  records: number;
  /** Lines that are not a JSON object with string `name` and `outcome` (a cut-off line in the middle included). */
  garbled: number;
  /** True when the last line had no newline and was not a record: a write cut off by a crash. */
  cutOff: boolean;
}

export interface ReadJsonLinesOptions {
  readonly signal?: AbortSignal | undefined;
  /**
   * Called for a header line: a JSON object with an `lroCancel` key (the journal's run definition). Such lines are
   * neither records nor garbled.
   */
  readonly onHeader?: ((header: Readonly<Record<string, unknown>>) => void) | undefined;
  /** Only this part of the file (byte offsets). @default the whole file */
  readonly range?: ByteRange | undefined;
  /** Filled in with what the read found. */
  readonly counts?: JsonLinesReadCounts | undefined;
}

/**
 * The records of a journal or results file, streamed. Never throws for what a crash or a stray edit can leave behind:
 * garbled lines and a last line cut off mid-way are skipped and counted in `counts`. A file that does not exist
 * reads as empty (no run has written it yet). Other I/O errors (permissions, a directory) are thrown.
 */
export async function* readJsonLines(path: string, options: ReadJsonLinesOptions = {}): AsyncGenerator<JsonLineRecord> {
  const counts = options.counts ?? { records: 0, garbled: 0, cutOff: false };
  const { range } = options;
  if (range?.end !== undefined && range.end <= (range.start ?? 0)) return;
  const splitter = new LineSplitter();
  try {
    for await (const text of textChunks(path, options.signal, options.range)) {
      for (const line of splitter.push(text)) {
        const record = parseRecord(line, options.onHeader);
        if (record === undefined) counts.garbled += 1;
        else if (record !== null) {
          counts.records += 1;
          yield record;
        }
      }
    }
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw error;
  }
  for (const line of splitter.end()) {
    const record = parseRecord(line, options.onHeader);
    if (record === undefined) counts.cutOff = true;
    else if (record !== null) {
      counts.records += 1;
      yield record;
    }
  }
}

/** A record, null for a blank or header line, undefined for a garbled one. */
function parseRecord(line: string | OverlongLine, onHeader: ReadJsonLinesOptions['onHeader']): JsonLineRecord | null | undefined {
  if (line instanceof OverlongLine) return undefined;
  if (line.trim() === '') return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  const record = value as Record<string, unknown>;
  if (Object.hasOwn(record, 'lroCancel')) {
    onHeader?.(record);
    return null;
  }
  return typeof record['name'] === 'string' && typeof record['outcome'] === 'string' ? (record as JsonLineRecord) : undefined;
}
