import { resultRecord } from '../batch/records.js';
import type { JsonLineRecord } from '../batch/jsonl.js';
import { systemicFailureOf } from '../batch/systemic.js';
import { errorOf, type CancelResult } from '../client/outcome.js';
import type { DeleteResult } from '../client/delete.js';
import type { Canceller, CancelOptions } from '../client/canceller.js';
import { commandLineHint } from '../status/hints.js';
import type { ConnectionFlags } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { expandOperationNames } from './names.js';
import { formatOf } from './output-format.js';
import { openCanceller } from './report.js';
import { stoppedExitCode, type StopSignals } from './stop-signals.js';
import { resultLine } from './format.js';
import { RecordWriter, type OutputFormat } from './output-format.js';

/** Columns of `--format table` for cancel and delete results. */
export const RESULT_FIELDS = ['name', 'outcome', 'codeName', 'transport', 'attempts', 'latencyMs'];

/** A delete's result in a cancel's shape, for what reads only its fields and errors (records, systemic failures). */
function asCancelResult(result: CancelResult | DeleteResult): CancelResult {
  return result.accepted ? { ...result, outcome: 'requested' } : result;
}

/** A cancel's or a delete's result as the record the batch journals (`--json` line): the same fields, its outcome. */
export function resultRecordOf(result: CancelResult | DeleteResult): JsonLineRecord {
  return { ...resultRecord(asCancelResult(result)), outcome: result.outcome };
}

/**
 * Prints the results of `cancel` or `delete` in argument order, in the chosen format on stdout; then on stderr, in
 * every format, each malformed name (bad usage: what is wrong with it and the form expected), and each fix once, as
 * `lro-cancel: hint: ...`: the fix of a failure every name would meet (credentials, permission, endpoint) and the
 * other hints the errors carry. What failed is in the result lines already, so it is not said again.
 */
export function printResults(results: ReadonlyArray<CancelResult | DeleteResult>, format: OutputFormat, verify: boolean): void {
  const out = new RecordWriter(format, RESULT_FIELDS, line => process.stdout.write(`${line}\n`));
  for (const result of results) out.record(resultRecordOf(result), () => resultLine(result));
  out.end();
  for (const result of results) {
    const error = result.outcome === 'invalid' ? errorOf(asCancelResult(result)) : undefined;
    if (error !== undefined) process.stderr.write(`lro-cancel: ${error.rawMessage}\n`);
  }
  const systemic = results.map(result => systemicFailureOf(asCancelResult(result), verify)).find(failure => failure !== undefined);
  const hints = new Set([systemic?.hint, ...results.map(result => errorOf(asCancelResult(result))?.hint)].filter(hint => hint !== undefined));
  for (const hint of hints) process.stderr.write(`lro-cancel: hint: ${commandLineHint(hint)}\n`);
}

/** Exit code of `cancel`/`delete`: 2 for an invalid name (after the others ran), 0 when every name is final, else 1. */
export function resultsExitCode(results: ReadonlyArray<{ readonly outcome: string }>, isFinal: (outcome: string) => boolean): number {
  if (results.some(r => r.outcome === 'invalid')) return ExitCode.USAGE;
  return results.every(r => isFinal(r.outcome)) ? ExitCode.OK : ExitCode.FAILURES;
}

/** The flags of `cancel` and `delete`. */
export interface PerNameFlags extends ConnectionFlags {
  readonly verify?: boolean;
  readonly verifyTimeoutMs?: number;
}

/**
 * `cancel` and `delete`: the names (full, or bare ids under --project/--location) are sent concurrently on one
 * client, results printed in argument order. A malformed name is reported as `invalid` (nothing sent for it) and makes
 * the exit code 2, after the others ran. Exit 0 only when every name is final (`isFinal`, given --verify or not).
 */
export async function runPerName(
  args: readonly string[],
  flags: PerNameFlags,
  signals: StopSignals,
  call: (canceller: Canceller, name: string, options: CancelOptions) => Promise<CancelResult | DeleteResult>,
  isFinal: (outcome: string, verify: boolean) => boolean,
): Promise<number> {
  const names = expandOperationNames(args, flags, process.env);
  const format = formatOf(flags);
  const canceller = await openCanceller(flags);
  const verify = flags.verify === true;
  try {
    const results = await Promise.all(names.map(name => call(canceller, name, {
      signal: signals.stop,
      ...(verify ? { verify: true } : {}),
      ...(flags.verifyTimeoutMs === undefined ? {} : { verifyTimeoutMs: flags.verifyTimeoutMs }),
      ...(flags.deadlineMs === undefined ? {} : { timeoutMs: flags.deadlineMs }),
    })));
    printResults(results, format, verify);
    if (signals.stop.aborted) return stoppedExitCode(signals.cause());
    return resultsExitCode(results, outcome => isFinal(outcome, verify));
  } finally {
    await canceller.close();
  }
}
