import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Canceller } from '../client/canceller.js';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { JournalBusyError } from '../batch/journal-lock.js';
import type { InputIdentity, RunDefinition } from '../batch/journal.js';
import { createProgress } from '../batch/progress.js';
import { batchClientOptions, startBatch } from '../batch/cancel-many.js';
import { parseShard, shardFromEnvironment, type Shard } from '../batch/shard.js';
import { RAW_MAX_CHARS, readNameLines, type InputLine } from '../batch/source.js';
import { isOperationUnder, parseParentName } from '../names.js';
import { printable } from '../printable.js';
import { redact } from '../redact.js';
import { formatSummary } from '../batch/summary.js';
import { cancellerOptionsFrom, type ConnectionFlags } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { restartWithBatchNodeFlags } from './heap-growth.js';
import { stoppedExitCode, type StopSignals } from './stop-signals.js';
import { SummaryJsonFile } from './summary-json.js';

export interface BatchFlags extends ConnectionFlags {
  readonly input?: string;
  readonly fromList?: string;
  readonly filter?: string;
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
 * Names from ListOperations, page by page, in the same line shape as a file (line = position in the listing). A name
 * the server lists outside PARENT is not cancelled: it becomes an `invalid` line saying so. The listing has no total
 * deadline: the batch takes it page by page as fast as it cancels, which for a large parent is far longer than one
 * call's deadline; each page still has the retry policy's, and a server that repeats a page token or sends page after
 * empty page is stopped by `list` itself.
 */
async function* listedNames(canceller: Canceller, parent: string, filter: string | undefined, signal: AbortSignal): AsyncGenerator<InputLine> {
  const under = parseParentName(parent);
  let lineNumber = 0;
  for await (const operation of canceller.list(parent, { signal, timeoutMs: Infinity, ...(filter === undefined ? {} : { filter }) })) {
    lineNumber += 1;
    if (isOperationUnder(operation.name, under)) {
      yield { lineNumber, name: operation.name };
    } else {
      const raw = printable(redact(operation.name.slice(0, RAW_MAX_CHARS)));
      yield { lineNumber, raw, invalid: `listed operation ${lineNumber}: ${JSON.stringify(raw.slice(0, 200))} is not an operation under ${parent}; not cancelled` };
    }
  }
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
async function runDefinition(flags: BatchFlags, shard: Shard | undefined): Promise<RunDefinition> {
  let input: InputIdentity;
  if (flags.fromList !== undefined) input = { kind: 'list', parent: flags.fromList, filter: flags.filter ?? null };
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

/** `lro-cancel batch`: see README "Batch". Returns the exit code. */
export async function runBatchCommand(flags: BatchFlags, signals: StopSignals): Promise<number> {
  if ((flags.input === undefined) === (flags.fromList === undefined)) usage('batch needs exactly one of --input FILE|- or --from-list PARENT');
  if (flags.filter !== undefined && flags.fromList === undefined) usage('--filter goes with --from-list');
  if (flags.input !== undefined && flags.input !== '-') await checkInput(flags.input);
  if (flags.journal !== undefined) await checkWritable('--journal', flags.journal);
  if (flags.output !== undefined) await checkWritable('--output', flags.output);
  if (flags.summaryJson !== undefined) await checkWritable('--summary-json', flags.summaryJson);
  const files = [['--journal', flags.journal], ['--output', flags.output], ['--summary-json', flags.summaryJson]].filter(([, path]) => path !== undefined) as [string, string][];
  for (const [i, [flag, path]] of files.entries()) {
    const same = files.slice(i + 1).find(([, other]) => resolve(other) === resolve(path));
    if (same !== undefined) usage(`${flag} and ${same[0]} must be different files`);
  }
  const shard = flags.shard !== undefined ? parseShard(flags.shard) : shardFromEnvironment(process.env, flags.shardCount);
  restartWithBatchNodeFlags();
  const definition = flags.journal === undefined ? undefined : await runDefinition(flags, shard);
  // The batch's own client: its backoff capped at 2 s, since the flow control holds every call back in an outage.
  const canceller = new Canceller(batchClientOptions(cancellerOptionsFrom(flags, {}), flags.concurrency));
  // A bar redrawn on the terminal that --json lines also go to would garble both: log lines then.
  const barFits = process.stderr.isTTY && !(flags.json === true && process.stdout.isTTY);
  const mode = flags.progress === 'auto' ? (barFits ? 'tty' : 'log') : flags.progress;
  const progress = createProgress({
    mode,
    total: mode === 'tty' && flags.input !== undefined && shard === undefined ? await countNameLines(flags.input) : undefined,
    stream: process.stderr,
  });
  const signal = signals.stop;
  const onStop = (): void => progress.stopping();
  signal.addEventListener('abort', onStop, { once: true });
  let summaryFile: SummaryJsonFile | undefined;
  try {
    const input = flags.input !== undefined
      ? readNameLines(flags.input === '-' ? process.stdin : flags.input, { signal })
      : listedNames(canceller, flags.fromList as string, flags.filter, signal);
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
    for await (const { record } of run.entries()) {
      if (flags.json === true) process.stdout.write(`${JSON.stringify(record)}\n`);
      const stats = run.stats;
      if (stats !== undefined) progress.update(stats);
    }
    const summary = await run.summary();
    if (run.stats !== undefined) progress.stop(run.stats);
    if (summary.journal?.otherRun !== null && summary.journal?.otherRun !== undefined) {
      process.stderr.write(`lro-cancel: note: --journal ${flags.journal ?? ''} was begun by another run (${summary.journal.otherRun}); only this input's names were used\n`);
    }
    process.stderr.write(`${formatSummary(summary, { journal: flags.journal, giveUpAfterMs: flags.giveUpAfter })}\n`);
    const exitCode = summary.stopped === 'signal' ? stoppedExitCode(signals.cause())
      : summary.systemic !== null ? ExitCode.SYSTEMIC
        : summary.complete ? ExitCode.OK : ExitCode.FAILURES;
    if (summary.systemic !== null) process.stderr.write(`lro-cancel: stopped: ${summary.systemic.message}\n`);
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
    summaryFile?.dispose();
    signal.removeEventListener('abort', onStop);
    await canceller.close();
  }
}
