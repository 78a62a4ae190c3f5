import { FingerprintSet } from '../batch/fingerprints.js';
import { isFinalOutcome } from '../batch/finality.js';
import { recordKey } from '../batch/journal.js';
import { readJsonLines } from '../batch/jsonl.js';
import { recordAccepted } from '../batch/records.js';
import { stableShard, type Shard } from '../batch/shard.js';
import type { InputLine } from '../batch/source.js';
import { ExitCode } from './exit-codes.js';
import { RecordWriter, type OutputFormat } from './output-format.js';

export interface DryRunOptions {
  readonly lines: AsyncIterable<InputLine>;
  readonly shard: Shard | undefined;
  /** A journal of earlier runs: names final in it would not be sent, names accepted in it would only be read. */
  readonly journal: string | undefined;
  readonly verify: boolean;
  readonly format: OutputFormat;
  /** `under P matching F`, or `from FILE`, for the summary line. */
  readonly source: string;
}

/** What a journal says of names, read without taking its lock or writing a line (a dry run changes nothing). */
async function journalNames(path: string, verify: boolean): Promise<{ final: FingerprintSet; accepted: FingerprintSet }> {
  const final = new FingerprintSet();
  const accepted = new FingerprintSet();
  for await (const record of readJsonLines(path)) {
    const key = recordKey(record);
    if (isFinalOutcome(record.outcome, verify)) final.add(key);
    else if (recordAccepted(record)) accepted.add(key);
  }
  return { final, accepted };
}

const count = (n: number): string => n.toLocaleString('en-US');

/**
 * `batch --dry-run`: reads the input or the listing as the batch would (invalid lines, the shard, duplicates, the
 * journal's final names) and prints each name that would be cancelled, one per record in the chosen format (text: the
 * bare name, so the output is itself a batch input), then how many on stderr. Sends no cancel; a listing is read.
 */
export async function runDryRun(options: DryRunOptions): Promise<number> {
  const journal = options.journal === undefined ? undefined : await journalNames(options.journal, options.verify);
  const seen = new FingerprintSet();
  const tally = { cancel: 0, read: 0, invalid: 0, duplicate: 0, final: 0, otherShard: 0 };
  const out = new RecordWriter(options.format, ['name'], line => process.stdout.write(`${line}\n`));
  for await (const line of options.lines) {
    if (!('name' in line)) {
      tally.invalid += 1;
      process.stderr.write(`lro-cancel: ${line.invalid}\n`);
      continue;
    }
    const { name } = line;
    if (options.shard !== undefined && stableShard(name, options.shard.count) !== options.shard.index) tally.otherShard += 1;
    else if (!seen.add(name)) tally.duplicate += 1;
    else if (journal?.final.has(name) === true) tally.final += 1;
    else if (journal?.accepted.has(name) === true) tally.read += 1;
    else {
      tally.cancel += 1;
      out.record({ name }, () => name);
    }
  }
  out.end();
  const also = [
    ...(tally.read > 0 ? [`${count(tally.read)} accepted in the journal would only be read`] : []),
    ...(tally.final > 0 ? [`${count(tally.final)} final in the journal skipped`] : []),
    ...(tally.invalid > 0 ? [`${count(tally.invalid)} invalid`] : []),
    ...(tally.duplicate > 0 ? [`${count(tally.duplicate)} duplicate`] : []),
    ...(tally.otherShard > 0 ? [`${count(tally.otherShard)} in other shards`] : []),
  ];
  process.stderr.write(`lro-cancel: dry run: ${count(tally.cancel)} operation${tally.cancel === 1 ? '' : 's'} would be cancelled ${options.source}${also.length === 0 ? '' : ` (${also.join(', ')})`}; nothing was sent\n`);
  return ExitCode.OK;
}
