import { createReadStream } from 'node:fs';
import { addAbortSignal, type Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { isAborted } from '../policy/signals.js';

/**
 * The line reading shared by the name source, the journal reader and the deferred queue: text read in large chunks
 * and split with `indexOf`, so reading never holds more than one chunk and one unfinished line, whatever the file's
 * size. Measured faster than node:readline (which emits one event per line) at the same memory.
 */

/** The longest line kept whole. A longer one (a binary file, a runaway JSON line) is cut to `prefix` and reported. */
export const MAX_LINE_CHARS = 1 << 20;

/** Chunk size for files we open: large enough that per-chunk costs vanish, small enough not to matter in memory. */
const READ_CHUNK_BYTES = 256 * 1024;

/** A line longer than the splitter's limit: only its start is kept, so one bad line cannot grow memory. */
export class OverlongLine {
  constructor(readonly prefix: string, readonly length: number) {}
}

export type SplitLine = string | OverlongLine;

/**
 * Splits text pushed in arbitrary chunks into lines. `\n` ends a line and a `\r` before it is dropped (CRLF files);
 * a byte-order mark at the very start is dropped. `end()` returns the last line when the text did not end with a
 * newline, so callers can tell a complete last line from one cut off mid-way.
 */
export class LineSplitter {
  readonly #maxLineChars: number;
  #carry = '';
  /** Characters of the current line dropped so far (>0: the line is overlong and only its prefix is kept). */
  #dropped = 0;
  #first = true;

  constructor(maxLineChars: number = MAX_LINE_CHARS) {
    this.#maxLineChars = maxLineChars;
  }

  push(chunk: string): SplitLine[] {
    let text = chunk;
    if (this.#first && text.length > 0) {
      this.#first = false;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    const lines: SplitLine[] = [];
    let start = 0;
    for (let newline = text.indexOf('\n'); newline !== -1; newline = text.indexOf('\n', start)) {
      lines.push(this.#finish(text, start, newline));
      start = newline + 1;
    }
    this.#keep(text, start);
    return lines;
  }

  /** The unterminated last line, if any (empty when the text ended with a newline). */
  end(): SplitLine[] {
    if (this.#carry === '' && this.#dropped === 0) return [];
    const last = this.#finish('', 0, 0);
    return [last];
  }

  #finish(text: string, start: number, newline: number): SplitLine {
    let line = this.#carry === '' ? text.slice(start, newline) : this.#carry + text.slice(start, newline);
    this.#carry = '';
    if (line.charCodeAt(line.length - 1) === 13) line = line.slice(0, -1);
    if (this.#dropped > 0 || line.length > this.#maxLineChars) {
      const result = new OverlongLine(line.slice(0, 1024), this.#dropped + line.length);
      this.#dropped = 0;
      return result;
    }
    return line;
  }

  /** Keeps the unfinished tail; past the limit only a prefix is kept and the rest is counted, not stored. */
  #keep(text: string, start: number): void {
    if (start >= text.length) return;
    const tail = this.#carry + text.slice(start);
    if (this.#dropped > 0 || tail.length > this.#maxLineChars) {
      const kept = this.#dropped > 0 ? this.#carry : tail.slice(0, 1024);
      this.#dropped += tail.length - kept.length;
      this.#carry = kept;
      return;
    }
    this.#carry = tail;
  }
}

/**
 * Text chunks of a file path, `'-'` (stdin) or a stream. A file we open is closed when iteration ends for any reason.
 * When `signal` aborts, the stream is destroyed (a stdin that never sends more cannot hold the reader) and iteration
 * simply ends: an abort is a stop, not an error.
 */
export async function* textChunks(input: NodeJS.ReadableStream | string, signal?: AbortSignal, range?: ByteRange): AsyncGenerator<string> {
  if (isAborted(signal)) return;
  const stream = typeof input !== 'string'
    ? input
    : input === '-'
      ? process.stdin
      : createReadStream(input, { highWaterMark: READ_CHUNK_BYTES, ...(range === undefined ? {} : fileRange(range)) });
  if (signal !== undefined && 'destroy' in stream) addAbortSignal(signal, stream as Readable);
  const decoder = new StringDecoder('utf8');
  try {
    for await (const chunk of stream as AsyncIterable<Buffer | string>) {
      const text = typeof chunk === 'string' ? chunk : decoder.write(chunk);
      if (text.length > 0) yield text;
      if (isAborted(signal)) return;
    }
  } catch (error) {
    if (isAborted(signal)) return;
    throw error;
  }
  const rest = decoder.end();
  if (rest.length > 0) yield rest;
}

/** Part of a file: from byte `start` (default 0) up to, not including, byte `end` (default: the end). */
export interface ByteRange {
  readonly start?: number | undefined;
  readonly end?: number | undefined;
}

/** createReadStream's `end` is inclusive. A caller skips an empty range: there is no inclusive end for it. */
function fileRange(range: ByteRange): { start: number; end?: number } {
  const start = range.start ?? 0;
  return range.end === undefined ? { start } : { start, end: range.end - 1 };
}

