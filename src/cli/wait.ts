import type { Canceller } from '../client/canceller.js';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import type { Operation } from '../transport/transport.js';
import type { ConnectionFlags } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { operationWriter, reportCallError } from './get.js';
import { expandOperationNames } from './names.js';
import { formatOf } from './output-format.js';
import { openCanceller } from './report.js';
import { stoppedExitCode, type StopSignals } from './stop-signals.js';

export interface WaitFlags extends ConnectionFlags {
  /** The whole wait, every name at once, in ms. */
  readonly timeout: number;
}

/** What a wait for one name came to: the operation last read, or the error that ended the reads. */
type Waited = { readonly operation: Operation; readonly timedOut: boolean } | { readonly error: unknown };

/**
 * Waits for one operation. A wait that runs out of time reads the operation once more, so what is printed is its
 * state at the end (it may have finished meanwhile), not a bare timeout.
 */
async function waitFor(canceller: Canceller, name: string, timeoutMs: number, signal: AbortSignal): Promise<Waited> {
  try {
    return { operation: await canceller.wait(name, { signal, timeoutMs }), timedOut: false };
  } catch (caught) {
    const error = OperationsError.from(caught);
    if (error.code !== Code.DEADLINE_EXCEEDED || signal.aborted) return { error };
    try {
      const operation = await canceller.get(name, { signal, timeoutMs: 10_000 });
      return { operation, timedOut: !operation.done };
    } catch (again) {
      return { error: again };
    }
  }
}

/** The exit code one name stands for: done with a response 0, done with an error 4, still running 5, not read 1. */
function exitCodeOf(waited: Waited): number {
  if ('error' in waited) return ExitCode.FAILURES;
  if (waited.timedOut) return ExitCode.STILL_RUNNING;
  const error = waited.operation.error;
  return error !== undefined && error.code !== Code.OK ? ExitCode.OPERATION_FAILED : ExitCode.OK;
}

/** Which of two names' exit codes speaks for the command: a read that failed, then a timeout, then an operation error. */
const PRECEDENCE: readonly number[] = [ExitCode.FAILURES, ExitCode.STILL_RUNNING, ExitCode.OPERATION_FAILED, ExitCode.OK];

/**
 * `lro-cancel wait NAME... [--timeout 10m]`: polls every operation until it is done (100 ms, then growing to 2 s
 * between reads) or the timeout passes, then prints each in argument order. Exit codes by outcome (exit-codes.ts):
 * 0 every operation succeeded, 4 some ended with an error (cancelled included), 5 some still running at the
 * timeout, 1 some could not be read.
 */
export async function runWait(args: readonly string[], flags: WaitFlags, signals: StopSignals): Promise<number> {
  const names = expandOperationNames(args, flags, process.env);
  const format = formatOf(flags);
  const canceller = await openCanceller(flags);
  try {
    const waited = await Promise.all(names.map(name => waitFor(canceller, name, flags.timeout, signals.stop)));
    if (signals.stop.aborted) return stoppedExitCode(signals.cause());
    const out = operationWriter(format);
    let usage = false;
    waited.forEach((result, i) => {
      if ('operation' in result) out.write(result.operation);
      else if (reportCallError(result.error, format, names[i]) === ExitCode.USAGE) usage = true;
    });
    out.end();
    if (usage) return ExitCode.USAGE;
    const codes = new Set(waited.map(exitCodeOf));
    return PRECEDENCE.find(code => codes.has(code)) ?? ExitCode.OK;
  } finally {
    await canceller.close();
  }
}
