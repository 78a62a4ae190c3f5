import { OperationsError } from '../errors.js';
import { OPERATION_NAME_FORM, assertOperationName, isOperationName } from '../names.js';
import { redact } from '../redact.js';
import { LineSplitter, MAX_LINE_CHARS, OverlongLine, textChunks, type SplitLine } from './lines.js';

/**
 * One meaningful line of a batch input: a valid operation name, or the reason the line is not one. Invalid lines are
 * not errors of the run: the runner reports each as outcome `invalid` with its line number and sends nothing.
 */
export type InputLine =
  | { readonly lineNumber: number; readonly name: string }
  | {
    readonly lineNumber: number;
    /** Names the line, what is wrong and what was expected: `line 7: invalid operation name "x": ...; expected ...`. */
    readonly invalid: string;
    /** The line as read (trimmed), cut to RAW_MAX_CHARS and with anything like a credential redacted. */
    readonly raw: string;
  };

export interface ReadNameLinesOptions {
  /** Stops reading: the file (or stdin) is closed and the generator ends without an error. */
  readonly signal?: AbortSignal | undefined;
}

/** Longest `raw` kept for an invalid line; a valid name is at most 1024 characters, so this shows any of them whole. */
export const RAW_MAX_CHARS = 1024;

const EXPECTED = `expected an operation name (${OPERATION_NAME_FORM}) or a JSON object {"name": "${OPERATION_NAME_FORM}"}`;

/**
 * Streams the names of a batch input: a file path, `'-'` for stdin, or any readable stream. Each line is a plain name
 * (trimmed) or a JSON object with a string `name` field (a line starting with `{`, e.g. the output of a previous
 * run); blank lines and `#` comments are skipped but still counted, so line numbers match an editor's. CRLF line
 * ends, a missing final newline and a UTF-8 byte-order mark are accepted.
 *
 * Memory does not depend on the input's size: the file is read in 256 KiB chunks and nothing is kept once a line is
 * yielded (a line longer than 1 MiB is reported invalid and never held whole). It reads far faster than a batch can
 * cancel (see the report in test/batch-source.test.ts), so it never holds the batch back.
 */
export async function* readNameLines(
  input: NodeJS.ReadableStream | string,
  options: ReadNameLinesOptions = {},
): AsyncGenerator<InputLine> {
  const signal = options.signal;
  const splitter = new LineSplitter(MAX_LINE_CHARS);
  let lineNumber = 0;
  for await (const text of textChunks(input, signal)) {
    for (const line of splitter.push(text)) {
      lineNumber += 1;
      const parsed = parseLine(line, lineNumber);
      if (parsed === undefined) continue;
      yield parsed;
      if (signal?.aborted === true) return;
    }
  }
  if (signal?.aborted === true) return;
  for (const line of splitter.end()) {
    const parsed = parseLine(line, lineNumber + 1);
    if (parsed !== undefined) yield parsed;
  }
}

/** One line to an InputLine; undefined for a blank line or a comment. */
function parseLine(line: SplitLine, lineNumber: number): InputLine | undefined {
  if (line instanceof OverlongLine) {
    return invalidLine(lineNumber, line.prefix, `${line.length} characters, more than the ${MAX_LINE_CHARS} a line may have`);
  }
  const text = line.trim();
  if (text === '' || text.charCodeAt(0) === 35 /* # */) return undefined;
  const name = text.charCodeAt(0) === 123 /* { */ ? nameFromJson(text, lineNumber) : text;
  if (typeof name !== 'string') return name;
  try {
    assertOperationName(name);
  } catch (error) {
    const message = error instanceof OperationsError ? error.rawMessage : String(error);
    return { lineNumber, invalid: `line ${lineNumber}: ${message}`, raw: shorten(text) };
  }
  return { lineNumber, name };
}

function nameFromJson(text: string, lineNumber: number): string | InputLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    // V8 quotes the whole input in its message; keep only the reason, the line itself is in `raw`.
    const reason = error instanceof Error ? error.message.replace(/,\s*".*" is not valid JSON$/s, '') : 'unparsable';
    return invalidLine(lineNumber, text, `malformed JSON (${shorten(reason, 120)})`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return invalidLine(lineNumber, text, 'a JSON value that is not an object');
  }
  const name: unknown = (value as Record<string, unknown>)['name'];
  if (typeof name === 'string') return name;
  const found = name === undefined ? 'no "name" field' : `a "name" that is ${name === null ? 'null' : typeof name}, not a string`;
  return invalidLine(lineNumber, text, `a JSON object with ${found}`);
}

function invalidLine(lineNumber: number, raw: string, problem: string): InputLine {
  return { lineNumber, invalid: `line ${lineNumber}: ${problem}; ${EXPECTED}`, raw: shorten(raw) };
}

function shorten(text: string, maxChars: number = RAW_MAX_CHARS): string {
  return redact(text.length > maxChars ? `${text.slice(0, maxChars)}…` : text);
}

/**
 * The names of `cancelMany` as input lines (line = 1-based position): a string that is a valid operation name goes
 * on, anything else becomes an invalid line saying what element it was and what was expected. Pulled one at a time,
 * so an async source is read only as fast as the batch works.
 */
export async function* namesAsLines(names: Iterable<unknown> | AsyncIterable<unknown>): AsyncGenerator<InputLine> {
  let position = 0;
  for await (const name of names) {
    position += 1;
    if (typeof name === 'string' && isOperationName(name)) {
      yield { lineNumber: position, name };
      continue;
    }
    if (typeof name !== 'string') {
      const what = name === null ? 'null' : Array.isArray(name) ? 'an array' : typeof name;
      yield { lineNumber: position, invalid: `name ${position}: ${what}, not a string; expected an operation name (${OPERATION_NAME_FORM})`, raw: what };
      continue;
    }
    try {
      assertOperationName(name);
      yield { lineNumber: position, name };
    } catch (error) {
      const message = error instanceof OperationsError ? error.rawMessage : String(error);
      yield { lineNumber: position, invalid: `name ${position}: ${message}`, raw: shorten(name) };
    }
  }
}
