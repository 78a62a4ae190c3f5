import { InvalidArgumentError } from 'commander';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { printable } from '../printable.js';
import { toYaml } from './yaml.js';

/**
 * `--format`, as gcloud spells it: `json` (one object per line here, so output streams and `jq` reads it line by
 * line), `yaml` (documents separated by `---`), `table` or `table(field,...)` (a header and aligned columns), and
 * `value(field,...)` (the fields of each record separated by tabs, no header). Fields are dotted paths into the record
 * (`error.code`); `text` is the default human lines. `--json` is `--format json`.
 */
export type OutputFormat =
  | { readonly kind: 'text' }
  | { readonly kind: 'json' }
  | { readonly kind: 'yaml' }
  | { readonly kind: 'table'; readonly fields: readonly string[] | undefined }
  | { readonly kind: 'value'; readonly fields: readonly string[] };

const FIELD = /^[A-Za-z_@][A-Za-z0-9_@-]*(?:\.[A-Za-z0-9_@-]+)*$/;
const EXPECTED = 'expects json, yaml, table, table(field,...) or value(field,...), fields as dotted paths such as value(name,error.code)';

/** Commander parser of `--format`; the message names the flag and what was expected. */
export function parseFormat(value: string): OutputFormat {
  const match = /^\s*([a-z]+)\s*(?:\((.*)\))?\s*$/.exec(value);
  const kind = match?.[1];
  const list = match?.[2];
  const fields = list === undefined ? undefined : list.trim() === '' ? [] : list.split(',').map(field => field.trim());
  const bad = fields?.find(field => !FIELD.test(field));
  if (match === null || bad !== undefined) {
    throw new InvalidArgumentError(`--format ${EXPECTED}; got ${JSON.stringify(value)}${bad === undefined ? '' : ` (${JSON.stringify(bad)} is not a field path)`}`);
  }
  if ((kind === 'json' || kind === 'yaml' || kind === 'text') && list === undefined) return { kind };
  if (kind === 'table' && (fields === undefined || fields.length > 0)) return { kind, fields };
  if (kind === 'value' && fields !== undefined && fields.length > 0) return { kind, fields };
  const why = kind === 'value' ? 'value() needs at least one field, e.g. value(name,done)'
    : kind === 'json' || kind === 'yaml' || kind === 'text' ? `${kind} takes no fields` : EXPECTED;
  throw new InvalidArgumentError(`--format ${why}; got ${JSON.stringify(value)}`);
}

/** `--format` and `--json` together: one format; both given and different is bad usage. */
export function formatOf(flags: { readonly format?: OutputFormat; readonly json?: boolean }): OutputFormat {
  if (flags.json === true) {
    if (flags.format !== undefined && flags.format.kind !== 'json') {
      throw new OperationsError(Code.INVALID_ARGUMENT, `--json is --format json; it cannot go with --format ${flags.format.kind}`);
    }
    return { kind: 'json' };
  }
  return flags.format ?? { kind: 'text' };
}

/** The value at a dotted path (`error.code`); undefined when any step is missing. Array steps take an index. */
export function fieldValue(record: unknown, path: string): unknown {
  let current: unknown = record;
  for (const step of path.split('.')) {
    if (typeof current !== 'object' || current === null) return undefined;
    current = (current as Record<string, unknown>)[step];
  }
  return current;
}

/**
 * One cell of `value()` or `table`: a string as is, a number or boolean as JSON writes it, nothing for a missing field
 * or null, an object or array as compact JSON. Tabs, line breaks and every other control character are written as
 * `\uXXXX` (printable), so a record is always one line and its fields always split on tabs.
 */
export function cellText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return printable(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return printable(JSON.stringify(value) ?? '');
}

/** A column's header, as gcloud makes them: the last step of the path, upper case. */
function header(path: string): string {
  return (path.split('.').at(-1) ?? path).replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase();
}

/** Rows buffered before the table's column widths are fixed and it starts to stream. */
const TABLE_BUFFER_ROWS = 100;

/**
 * Writes records in one format to a stream of lines. `text` records go through `textLine`; a table is buffered for its
 * first 100 rows (widths from them, a longer cell later overflows its column) so a long listing still streams.
 */
export class RecordWriter {
  readonly #format: OutputFormat;
  readonly #write: (line: string) => void;
  readonly #defaultFields: readonly string[];
  #count = 0;
  #pending: string[][] | undefined = [];
  #widths: number[] | undefined;

  constructor(format: OutputFormat, defaultFields: readonly string[], write: (line: string) => void) {
    this.#format = format;
    this.#defaultFields = defaultFields;
    this.#write = write;
  }

  /** Writes one record; `text` is its human line, used by the `text` format. */
  record(record: unknown, text: () => string): void {
    const format = this.#format;
    this.#count += 1;
    switch (format.kind) {
      case 'text': return this.#write(text());
      case 'json': return this.#write(printable(JSON.stringify(record)));
      case 'yaml': return this.#write(`${this.#count > 1 ? '---\n' : ''}${toYaml(record).split('\n').map(printable).join('\n')}`);
      case 'value': return this.#write(format.fields.map(field => cellText(fieldValue(record, field))).join('\t'));
      case 'table': return this.#row((format.fields ?? this.#defaultFields).map(field => cellText(fieldValue(record, field))));
    }
  }

  /** Writes what a table still buffers (its header with it). Call once, after the last record. */
  end(): void {
    if (this.#format.kind === 'table' && this.#pending !== undefined) this.#flush();
  }

  #row(cells: string[]): void {
    if (this.#pending !== undefined) {
      this.#pending.push(cells);
      if (this.#pending.length >= TABLE_BUFFER_ROWS) this.#flush();
      return;
    }
    this.#write(this.#line(cells));
  }

  #flush(): void {
    const fields = (this.#format.kind === 'table' ? this.#format.fields : undefined) ?? this.#defaultFields;
    const rows = [fields.map(header), ...(this.#pending ?? [])];
    this.#widths = fields.map((_, column) => Math.max(...rows.map(row => [...(row[column] ?? '')].length)));
    this.#pending = undefined;
    for (const row of rows) this.#write(this.#line(row));
  }

  #line(cells: readonly string[]): string {
    const widths = this.#widths ?? [];
    return cells.map((cell, column) => column === cells.length - 1 ? cell : cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd();
  }
}
