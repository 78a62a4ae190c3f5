import { stat } from 'node:fs/promises';
import { FingerprintSet } from './fingerprints.js';
import { isFinalOutcome } from './finality.js';
import { lockJournal, type JournalLock } from './journal-lock.js';
import { openJsonLines, readJsonLines, type JsonLineRecord, type JsonLinesReadCounts, type JsonLinesWriter } from './jsonl.js';
import { recordAccepted } from './records.js';

/** How long a journal record may wait for fdatasync. */
const JOURNAL_SYNC_MS = 1000;

/** The journal's format; a header line per run carries it, so a later release can read older journals. */
export const JOURNAL_FORMAT_VERSION = 1;

/** Where a run's names come from; with the shard, what makes two runs the same run. */
export type InputIdentity =
  | { readonly kind: 'file'; readonly path: string; readonly bytes: number; readonly sha256: string }
  | { readonly kind: 'stdin' }
  | { readonly kind: 'list'; readonly parent: string; readonly filter: string | null }
  | { readonly kind: 'iterable' };

export interface RunDefinition {
  readonly input: InputIdentity;
  /** `i/n`, or null for the whole input. */
  readonly shard: string | null;
}

/** A journal opened for one run: locked, read, and ready to take this run's records. */
export interface RunJournal {
  readonly path: string;
  readonly writer: JsonLinesWriter;
  /** Names (or `#line:N` keys) final in the journal, by this run's `verify`: not sent again. */
  readonly final: FingerprintSet;
  /** Names not final whose cancel was accepted: a rerun only reads them. */
  readonly accepted: FingerprintSet;
  /** The byte where this run's lines start: what is before it is earlier runs'. */
  readonly runStartOffset: number;
  /** The definition of the run that began the journal, when it is not this one's. */
  readonly otherDefinition: RunDefinition | undefined;
  readonly counts: JsonLinesReadCounts;
  /** Writes what is pending, fsyncs, closes and unlocks. */
  close(): Promise<void>;
}

/** The key a record is known by: its name, or its line for an invalid line (its "name" is the line's text). */
export function recordKey(record: JsonLineRecord): string {
  return record.outcome === 'invalid' && typeof record['line'] === 'number' ? `#line:${record['line']}` : record.name;
}

/**
 * Opens `path` as the journal of a run: takes its lock (one process at a time), reads what earlier runs recorded
 * (final names, and names whose cancel was accepted), and appends a header line with this run's definition, so the
 * journal says which runs wrote it. A journal begun by another input is not refused: the run uses only the names of
 * its own input (a name is an operation, whoever listed it), and `otherDefinition` lets the command say so.
 */
export async function openRunJournal(path: string, options: { readonly verify: boolean; readonly definition: RunDefinition }): Promise<RunJournal> {
  const lock = await lockJournal(path);
  try {
    const final = new FingerprintSet();
    const accepted = new FingerprintSet();
    const counts: JsonLinesReadCounts = { records: 0, garbled: 0, cutOff: false };
    let first: Readonly<Record<string, unknown>> | undefined;
    const runStartOffset = await stat(path).then(s => s.size, () => 0);
    for await (const record of readJsonLines(path, { counts, range: { end: runStartOffset }, onHeader: header => { first ??= header; } })) {
      const key = recordKey(record);
      if (isFinalOutcome(record.outcome, options.verify)) final.add(key);
      else if (recordAccepted(record)) accepted.add(key);
    }
    // Synced every second: a power loss loses at most the last second's records (those names are sent again).
    const writer = await openJsonLines(path, { syncIntervalMs: JOURNAL_SYNC_MS });
    writer.append({ lroCancel: 'journal', version: JOURNAL_FORMAT_VERSION, run: options.definition, startedAt: new Date().toISOString() });
    const earlier = first?.['run'] as RunDefinition | undefined;
    return {
      path,
      writer,
      final,
      accepted,
      runStartOffset,
      otherDefinition: earlier !== undefined && !sameRun(earlier, options.definition) ? earlier : undefined,
      counts,
      close: () => closeAll(writer, lock),
    };
  } catch (error) {
    await lock.release();
    throw error;
  }
}

async function closeAll(writer: JsonLinesWriter, lock: JournalLock): Promise<void> {
  try {
    await writer.close();
  } finally {
    await lock.release();
  }
}

/** The same input (a file by its content, not its path) and the same shard. */
function sameRun(a: RunDefinition, b: RunDefinition): boolean {
  if (a.shard !== b.shard || a.input.kind !== b.input.kind) return false;
  if (a.input.kind === 'file' && b.input.kind === 'file') return a.input.sha256 === b.input.sha256;
  if (a.input.kind === 'list' && b.input.kind === 'list') return a.input.parent === b.input.parent && a.input.filter === b.input.filter;
  return true;
}

/** Describes a definition for a message: `input.txt (sha256 1a2b3c4d...)`, `stdin`, `the listing of P`. */
export function describeRun(definition: RunDefinition): string {
  const input = definition.input;
  const what = input.kind === 'file' ? `${input.path} (sha256 ${input.sha256.slice(0, 12)})`
    : input.kind === 'list' ? `the listing of ${input.parent}${input.filter === null ? '' : ` with filter ${input.filter}`}`
      : input.kind;
  return definition.shard === null ? what : `${what}, shard ${definition.shard}`;
}
