import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { JournalBusyError } from '../batch/journal-lock.js';
import type { InputIdentity, RunDefinition } from '../batch/journal.js';
import { createProgress } from '../batch/progress.js';
import { batchClientOptions, startBatch } from '../batch/cancel-many.js';
import { parseShard, shardFromEnvironment, type Shard } from '../batch/shard.js';
import { readNameLines, type InputLine } from '../batch/source.js';
import { formatSummary } from '../batch/summary.js';
import { commandLineHint } from '../status/hints.js';
import { confirmListing, describeListing } from './confirm.js';
import type { ConnectionFlags } from './connection.js';
import { runDryRun } from './dry-run.js';
import { ExitCode } from './exit-codes.js';
import { listedNames } from './listed-names.js';
import { parentFrom } from './names.js';
import { formatOf, RecordWriter, type OutputFormat } from './output-format.js';
import { openCanceller } from './report.js';
import { RESULT_FIELDS } from './results.js';
import { stoppedExitCode, type StopSignals } from './stop-signals.js';
import { SummaryJsonFile } from './summary-json.js';

/** How often progress reads the batch's totals besides each record. */
const PROGRESS_FEED_MS = 1000;

export interface BatchFlags extends ConnectionFlags {
  readonly input?: string;
  /** The parent, or true for `--from-list` without one (then --project/--location name it). */
  readonly fromList?: string | true;
  readonly filter?: string;
  readonly dryRun?: boolean;
  readonly quiet?: boolean;
  readonly concurrency: number;
  readonly rps?: number;
  readonly verify?: boolean;
  readonly verifyBy?: 'list' | 'get';
  readonly verifyTimeoutMs?: number;
  readonly giveUpAfter?: number;
  readonly passDelayMs?: number;
  readonly maxPassDelayMs?: number;
  readonly journal?: string;
  readonly output?: string;
  readonly summaryJson?: string;
  readonly shard?: string;
  readonly shardCount?: number;
  readonly progress: 'auto' | 'tty' | 'log' | 'none';
}

function usage(message: string): never {
  throw new OperationsError(Code.INVALID_ARGUMENT, message);
}

/**
 * Counts the name lines of a regular file (not blank, not a `#` comment), the bar's total and ETA: each line's first
 * bytes are looked at, then indexOf jumps to the next newline (well under a second for a million lines).
 */
async function countNameLines(path: string): Promise<number | undefined> {
  if (path === '-' || !(await stat(path)).isFile()) return undefined;
  let lines = 0;
  let atLineStart = true;
  for await (const chunk of createReadStream(path) as AsyncIterable<Buffer>) {
    let i = 0;
    while (i < chunk.length) {
      if (!atLineStart) {
        const newline = chunk.indexOf(10, i);
        if (newline === -1) break;
        atLineStart = true;
        i = newline + 1;
        continue;
      }
      const byte = chunk[i] as number;
      if (byte === 10 || byte === 32 || byte === 9 || byte === 13) {
        i += 1;
        continue;
      }
      if (byte !== 35 /* # */) lines += 1;
      atLineStart = false;
    }
  }
  return lines;
}

/** `--input` must name something that can be read line by line: a file or a pipe, not a folder. */
async function checkInput(path: string): Promise<void> {
  const found = await stat(path).catch(() => undefined);
  if (found === undefined) usage(`--input ${JSON.stringify(path)}: no such file`);
  if (found.isDirectory()) usage(`--input ${JSON.stringify(path)} is a folder; expected a file of operation names (or - for stdin)`);
}

/** `--journal` and `--output` are files this run writes: their folder must exist, and they must not be folders. */
async function checkWritable(flag: string, path: string): Promise<void> {
  const folder = dirname(resolve(path));
  const parent = await stat(folder).catch(() => undefined);
  if (parent === undefined || !parent.isDirectory()) usage(`${flag} ${JSON.stringify(path)}: the folder ${folder} does not exist`);
  const found = await stat(path).catch(() => undefined);
  if (found?.isDirectory() === true) usage(`${flag} ${JSON.stringify(path)} is a folder; expected a file`);
}

/** What defines this run in its journal: the input (a file by its content) and the shard. */
async function runDefinition(flags: BatchFlags, parent: string | undefined, shard: Shard | undefined): Promise<RunDefinition> {
  let input: InputIdentity;
  if (parent !== undefined) input = { kind: 'list', parent, filter: flags.filter ?? null };
  else if (flags.input === undefined || flags.input === '-') input = { kind: 'stdin' };
  else {
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of createReadStream(flags.input) as AsyncIterable<Buffer>) {
      hash.update(chunk);
      bytes += chunk.length;
    }
    input = { kind: 'file', path: flags.input, bytes, sha256: hash.digest('hex') };
  }
  return { input, shard: shard === undefined ? null : `${shard.index}/${shard.count}` };
}

/** The checks of a batch's flags that need no client: one input, files that can be read and written. */
async function checkBatchFlags(flags: BatchFlags): Promise<void> {
  if ((flags.input === undefined) === (flags.fromList === undefined)) usage('batch needs exactly one of --input FILE|- or --from-list [PARENT]');
  if (flags.filter !== undefined && flags.fromList === undefined) usage('--filter goes with --from-list');
  if (flags.input !== undefined && flags.input !== '-') await checkInput(flags.input);
  if (flags.dryRun === true) return; // a dry run writes nothing
  if (flags.journal !== undefined) await checkWritable('--journal', flags.journal);
  if (flags.output !== undefined) await checkWritable('--output', flags.output);
  if (flags.summaryJson !== undefined) await checkWritable('--summary-json', flags.summaryJson);
  const files = [['--journal', flags.journal], ['--output', flags.output], ['--summary-json', flags.summaryJson]].filter(([, path]) => path !== undefined) as [string, string][];
  for (const [i, [flag, path]] of files.entries()) {
    const same = files.slice(i + 1).find(([, other]) => resolve(other) === resolve(path));
    if (same !== undefined) usage(`${flag} and ${same[0]} must be different files`);
  }
}

/** `lro-cancel batch`: see README "Batch". Returns the exit code. */
export async function runBatchCommand(flags: BatchFlags, signals: StopSignals): Promise<number> {
  await checkBatchFlags(flags);
  const format = formatOf(flags);
  const parent = flags.fromList === undefined ? undefined : parentFrom(flags.fromList === true ? undefined : flags.fromList, flags, process.env, '--from-list');
  const shard = flags.shard !== undefined ? parseShard(flags.shard) : shardFromEnvironment(process.env, flags.shardCount);
  const signal = signals.stop;
  const readInputFile = (): AsyncIterable<InputLine> => readNameLines(flags.input === '-' || flags.input === undefined ? process.stdin : flags.input, { signal });
  const dryRun = (lines: AsyncIterable<InputLine>, source: string): Promise<number> =>
    runDryRun({ lines, shard, journal: flags.journal, verify: flags.verify === true, format, source });
  // A dry run of a file (or stdin) sends nothing, so it needs no credentials and no client; only a listing does.
  if (flags.dryRun === true && parent === undefined) return dryRun(readInputFile(), `from ${flags.input === '-' ? 'stdin' : flags.input ?? ''}`);
  // The batch's own client: the pool sized to the batch, backoff capped at 2 s (the flow control holds every call
  // back in an outage and slows them all under a quota, so the last names of a brownout do not wait out long backoffs).
  const canceller = await openCanceller(flags, options => batchClientOptions(options, flags.concurrency));
  const readInput = (): AsyncIterable<InputLine> => parent === undefined ? readInputFile() : listedNames(canceller, parent, flags.filter, signal);
  const scope = { parent: parent ?? '', filter: flags.filter, shard };
  try {
    if (flags.dryRun === true) return await dryRun(readInput(), describeListing(scope));
    if (parent !== undefined && flags.quiet !== true && process.stdin.isTTY === true) {
      const { answer, total } = await confirmListing(canceller, scope, signal);
      if (answer === 'interrupted' || signal.aborted) return stoppedExitCode(signals.cause() ?? 'SIGINT');
      if (total === 0) {
        process.stderr.write(`lro-cancel: no operations ${describeListing(scope)}: nothing to cancel\n`);
        return ExitCode.OK;
      }
      if (answer !== 'yes') {
        process.stderr.write('lro-cancel: not confirmed: nothing was cancelled\n');
        return ExitCode.FAILURES;
      }
    }
    return await runConfirmed(flags, { canceller, input: readInput(), parent, shard, format, signals });
  } finally {
    await canceller.close();
  }
}

interface ConfirmedRun {
  readonly canceller: Awaited<ReturnType<typeof openCanceller>>;
  readonly input: AsyncIterable<InputLine>;
  readonly parent: string | undefined;
  readonly shard: Shard | undefined;
  readonly format: OutputFormat;
  readonly signals: StopSignals;
}

async function runConfirmed(flags: BatchFlags, run: ConfirmedRun): Promise<number> {
  const { canceller, input, shard, format, signals } = run;
  const definition = flags.journal === undefined ? undefined : await runDefinition(flags, run.parent, shard);
  // A bar redrawn on the terminal that per-name lines also go to would garble both: log lines then.
  const barFits = process.stderr.isTTY && !(format.kind !== 'text' && process.stdout.isTTY);
  const mode = flags.progress === 'auto' ? (barFits ? 'tty' : 'log') : flags.progress;
  const progress = createProgress({
    mode,
    total: mode === 'tty' && flags.input !== undefined && shard === undefined ? await countNameLines(flags.input) : undefined,
    stream: process.stderr,
  });
  const lines = format.kind === 'text' ? undefined : new RecordWriter(format, RESULT_FIELDS, line => process.stdout.write(`${line}\n`));
  const signal = signals.stop;
  const onStop = (): void => progress.stopping();
  signal.addEventListener('abort', onStop, { once: true });
  let summaryFile: SummaryJsonFile | undefined;
  let feed: NodeJS.Timeout | undefined;
  try {
    const run = startBatch(input, {
      canceller,
      concurrency: flags.concurrency,
      ...(flags.rps === undefined ? {} : { ratePerSecond: flags.rps }),
      verify: flags.verify === true,
      ...(flags.verifyBy === undefined ? {} : { verifyBy: flags.verifyBy }),
      ...(flags.verifyTimeoutMs === undefined ? {} : { verifyTimeoutMs: flags.verifyTimeoutMs }),
      ...(flags.deadlineMs === undefined ? {} : { timeoutMs: flags.deadlineMs }),
      ...(flags.giveUpAfter === undefined ? {} : { giveUpAfterMs: flags.giveUpAfter }),
      ...(flags.passDelayMs === undefined ? {} : { passDelayMs: flags.passDelayMs }),
      ...(flags.maxPassDelayMs === undefined ? {} : { maxPassDelayMs: flags.maxPassDelayMs }),
      ...(flags.journal === undefined ? {} : { journalPath: flags.journal }),
      ...(flags.output === undefined ? {} : { outputPath: flags.output }),
      ...(shard === undefined ? {} : { shard }),
      signal,
    }, {
      definition,
      callSignal: signals.calls,
      onPass: (pass, names) => progress.pass(pass, names),
      onFlowState: (state, openNames) => progress.flow(state, openNames),
    });
    // Written when the run ends, and by an exit hook if a second signal ends the process before that.
    summaryFile = flags.summaryJson === undefined ? undefined
      : new SummaryJsonFile(flags.summaryJson, () => run.snapshot(), () => signals.cause());
    // Progress also moves while no record comes out (with --verify by listing, records wait for the listing).
    feed = setInterval(() => { if (run.stats !== undefined) progress.update(run.stats); }, PROGRESS_FEED_MS);
    feed.unref();
    for await (const { record } of run.entries()) {
      lines?.record(record, () => record.name);
      const stats = run.stats;
      if (stats !== undefined) progress.update(stats);
    }
    lines?.end();
    const summary = await run.summary();
    if (run.stats !== undefined) progress.stop(run.stats);
    if (summary.journal?.otherRun !== null && summary.journal?.otherRun !== undefined) {
      process.stderr.write(`lro-cancel: note: --journal ${flags.journal ?? ''} was begun by another run (${summary.journal.otherRun}); only this input's names were used\n`);
    }
    process.stderr.write(`${formatSummary(summary, { journal: flags.journal, giveUpAfterMs: flags.giveUpAfter })}\n`);
    const exitCode = summary.stopped === 'signal' ? stoppedExitCode(signals.cause())
      : summary.systemic !== null ? ExitCode.SYSTEMIC
        : summary.complete ? ExitCode.OK : ExitCode.FAILURES;
    if (summary.systemic !== null) process.stderr.write(`lro-cancel: stopped: ${commandLineHint(summary.systemic.message)}\n`);
    await summaryFile?.write(summary, exitCode);
    return exitCode;
  } catch (error) {
    progress.stop(); // a failed listing or journal write must not leave the bar's line open and the cursor hidden
    if (error instanceof JournalBusyError) {
      process.stderr.write(`lro-cancel: ${error.rawMessage}\n`);
      return ExitCode.JOURNAL_BUSY;
    }
    throw error;
  } finally {
    clearInterval(feed);
    summaryFile?.dispose();
    signal.removeEventListener('abort', onStop);
  }
}
