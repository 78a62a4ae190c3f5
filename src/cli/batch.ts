import { createReadStream } from 'node:fs';
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { Canceller } from '../client/canceller.js';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { JournalBusyError } from '../batch/journal-lock.js';
import { describeRun, type InputIdentity, type RunDefinition } from '../batch/journal.js';
import { createProgress } from '../batch/progress.js';
import { runBatch } from '../batch/runner.js';
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
  readonly shard?: string;
  readonly shardCount?: number;
  readonly progress: 'auto' | 'tty' | 'log' | 'none';
}

/** The longest wait between two attempts of one call in a batch (the library's default is 10 s). */
const BATCH_MAX_BACKOFF_MS = 2000;

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
  if (flags.journal !== undefined && flags.output !== undefined && resolve(flags.journal) === resolve(flags.output)) {
    usage('--journal and --output must be different files');
  }
  const shard = flags.shard !== undefined ? parseShard(flags.shard) : shardFromEnvironment(process.env, flags.shardCount);
  restartWithBatchNodeFlags();
  const definition = flags.journal === undefined ? undefined : await runDefinition(flags, shard);
  const options = cancellerOptionsFrom(flags, { maxConcurrency: flags.concurrency });
  // The batch's flow control holds every call back in an outage and slows them all under a quota, so a call's own
  // backoff need not grow to 10 s: capped at 2 s, the last few names of a brownout do not wait out long backoffs.
  const canceller = new Canceller({ ...options, retry: { maxBackoffMs: BATCH_MAX_BACKOFF_MS, ...options.retry } });
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
  try {
    const input = flags.input !== undefined
      ? readNameLines(flags.input === '-' ? process.stdin : flags.input, { signal })
      : listedNames(canceller, flags.fromList as string, flags.filter, signal);
    const summary = await runBatch({
      canceller,
      input,
      concurrency: flags.concurrency,
      ratePerSecond: flags.rps,
      verify: flags.verify === true,
      verifyBy: flags.verifyBy,
      verifyTimeoutMs: flags.verifyTimeoutMs,
      timeoutMs: flags.deadlineMs,
      giveUpAfterMs: flags.giveUpAfter,
      passDelayMs: flags.passDelayMs,
      maxPassDelayMs: flags.maxPassDelayMs,
      journalPath: flags.journal,
      definition,
      outputPath: flags.output,
      shard,
      signal,
      callSignal: signals.calls,
      onRecord: (record, stats) => {
        if (flags.json === true) process.stdout.write(`${JSON.stringify(record)}\n`);
        progress.update(stats);
      },
      onPass: (pass, names) => progress.pass(pass, names),
      onFlowState: (state, openNames) => progress.flow(state, openNames),
    });
    progress.stop(summary.stats);
    if (summary.journal?.otherDefinition !== undefined) {
      process.stderr.write(`lro-cancel: note: --journal ${flags.journal ?? ''} was begun by another run (${describeRun(summary.journal.otherDefinition)}); only this input's names were used\n`);
    }
    process.stderr.write(`${formatSummary(summary, { journal: flags.journal, giveUpAfterMs: flags.giveUpAfter })}\n`);
    if (summary.interrupted) return stoppedExitCode(signals.cause());
    if (summary.systemic !== undefined) {
      process.stderr.write(`lro-cancel: stopped: ${summary.systemic.message}\n`);
      return ExitCode.SYSTEMIC;
    }
    return summary.notFinal > 0 || summary.unfinished > 0 ? ExitCode.FAILURES : ExitCode.OK;
  } catch (error) {
    progress.stop(); // a failed listing or journal write must not leave the bar's line open and the cursor hidden
    if (error instanceof JournalBusyError) {
      process.stderr.write(`lro-cancel: ${error.rawMessage}\n`);
      return ExitCode.JOURNAL_BUSY;
    }
    throw error;
  } finally {
    signal.removeEventListener('abort', onStop);
    await canceller.close();
  }
}
