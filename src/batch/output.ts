import { FingerprintSet } from './fingerprints.js';
import { isFinalOutcome } from './finality.js';
import { recordKey } from './journal.js';
import { openJsonLines, readJsonLines } from './jsonl.js';

export interface OutputFromJournal {
  readonly journalPath: string;
  readonly outputPath: string;
  /** Where this run's lines start in the journal. */
  readonly runStartOffset: number;
  /** Every key the run read from its input: the output holds these names only. */
  readonly inputKeys: FingerprintSet;
  readonly verify: boolean;
}

/**
 * Writes the results file of a run that has a journal, from the journal: one line per input name in its latest
 * state. Names final before this run (skipped by it) take their final record from the earlier runs' part of the
 * journal; every other name takes the record this run wrote (its final one, when it wrote two). Names of another input that shared the journal are
 * left out, and an old results file is never read: the journal is the one source. Streams both parts of the
 * journal, so memory is one set of fingerprints however long the run. Returns the lines written.
 */
export async function writeOutputFromJournal(options: OutputFromJournal): Promise<number> {
  const output = await openJsonLines(options.outputPath, { truncate: true });
  const written = new FingerprintSet();
  let lines = 0;
  try {
    for await (const record of readJsonLines(options.journalPath, { range: { end: options.runStartOffset } })) {
      const key = recordKey(record);
      if (!isFinalOutcome(record.outcome, options.verify) || !options.inputKeys.has(key) || !written.add(key)) continue;
      output.append(record);
      lines += 1;
    }
    // This run may hold two records of a name (accepted, then verified by listing): the final one stands.
    const finalThisRun = new FingerprintSet();
    for await (const record of readJsonLines(options.journalPath, { range: { start: options.runStartOffset } })) {
      if (isFinalOutcome(record.outcome, options.verify)) finalThisRun.add(recordKey(record));
    }
    for await (const record of readJsonLines(options.journalPath, { range: { start: options.runStartOffset } })) {
      const key = recordKey(record);
      if (!isFinalOutcome(record.outcome, options.verify) && finalThisRun.has(key)) continue;
      if (!written.add(key)) continue;
      output.append(record);
      lines += 1;
    }
  } finally {
    await output.close();
  }
  return lines;
}
