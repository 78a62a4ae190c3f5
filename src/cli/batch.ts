import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { Canceller } from '../client/canceller.js';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { createProgress } from '../batch/progress.js';
import { runBatch } from '../batch/runner.js';
import { parseShard, shardFromEnvironment } from '../batch/shard.js';
import { readNameLines, type InputLine } from '../batch/source.js';
import { formatSummary } from '../batch/summary.js';
import { cancellerOptionsFrom, type ConnectionFlags } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { limitHeapGrowthForBatch } from './heap-growth.js';

export interface BatchFlags extends ConnectionFlags {
  readonly input?: string;
  readonly fromList?: string;
  readonly filter?: string;
  readonly concurrency: number;
  readonly rps?: number;
  readonly verify?: boolean;
  readonly verifyTimeoutMs?: number;
  readonly maxPasses: number;
  readonly passDelayMs?: number;
  readonly maxPassDelayMs?: number;
  readonly journal?: string;
  readonly output?: string;
  readonly shard?: string;
  readonly shardCount?: number;
  readonly progress: 'auto' | 'tty' | 'log' | 'none';
}

function usage(message: string): never {
  throw new OperationsError(Code.INVALID_ARGUMENT, message);
}

/** Names from ListOperations, page by page, in the same line shape as a file (line = position in the listing). */
async function* listedNames(canceller: Canceller, parent: string, filter: string | undefined, signal: AbortSignal): AsyncGenerator<InputLine> {
  let lineNumber = 0;
  for await (const operation of canceller.list(parent, { signal, ...(filter === undefined ? {} : { filter }) })) {
    lineNumber += 1;
    yield { lineNumber, name: operation.name };
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

/** `lro-cancel batch`: see README "Batch". Returns the exit code. */
export async function runBatchCommand(flags: BatchFlags, signal: AbortSignal): Promise<number> {
  if ((flags.input === undefined) === (flags.fromList === undefined)) usage('batch needs exactly one of --input FILE|- or --from-list PARENT');
  if (flags.filter !== undefined && flags.fromList === undefined) usage('--filter goes with --from-list');
  if (flags.input !== undefined && flags.input !== '-') {
    await stat(flags.input).catch(() => usage(`--input ${JSON.stringify(flags.input)}: no such file`));
  }
  const shard = flags.shard !== undefined ? parseShard(flags.shard) : shardFromEnvironment(process.env, flags.shardCount);
  limitHeapGrowthForBatch();
  const canceller = new Canceller(cancellerOptionsFrom(flags, { maxConcurrency: flags.concurrency }));
  // A bar redrawn on the terminal that --json lines also go to would garble both: log lines then.
  const barFits = process.stderr.isTTY && !(flags.json === true && process.stdout.isTTY);
  const mode = flags.progress === 'auto' ? (barFits ? 'tty' : 'log') : flags.progress;
  const progress = createProgress({
    mode,
    total: mode === 'tty' && flags.input !== undefined && shard === undefined ? await countNameLines(flags.input) : undefined,
    stream: process.stderr,
  });
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
      verifyTimeoutMs: flags.verifyTimeoutMs,
      deadlineMs: flags.deadlineMs,
      maxPasses: flags.maxPasses,
      passDelayMs: flags.passDelayMs,
      maxPassDelayMs: flags.maxPassDelayMs,
      journalPath: flags.journal,
      outputPath: flags.output,
      shard,
      signal,
      onRecord: (record, stats) => {
        if (flags.json === true) process.stdout.write(`${JSON.stringify(record)}\n`);
        progress.update(stats);
      },
      onPass: (pass, names) => progress.pass(pass, names),
    });
    progress.stop(summary.stats);
    process.stderr.write(`${formatSummary(summary)}\n`);
    if (summary.interrupted) return ExitCode.INTERRUPTED;
    const failures = summary.stats.count('error') + summary.stats.count('denied');
    return failures > 0 ? ExitCode.FAILURES : ExitCode.OK;
  } catch (error) {
    progress.stop(); // a failed listing or journal write must not leave the bar's line open and the cursor hidden
    throw error;
  } finally {
    signal.removeEventListener('abort', onStop);
    await canceller.close();
  }
}
