import { Canceller } from '../client/canceller.js';
import { OperationsError } from '../errors.js';
import { cancellerOptionsFrom, type ConnectionFlags } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { operationLine } from './format.js';
import { reportCallError } from './get.js';
import { stoppedExitCode, type StopSignals } from './stop-signals.js';

export interface ListFlags extends ConnectionFlags {
  readonly filter?: string;
  readonly pageSize?: number;
  readonly limit?: number;
}

/** `lro-cancel list PARENT [--filter F]`: streams every page, one operation per line. */
export async function runList(parent: string, flags: ListFlags, signals: StopSignals): Promise<number> {
  let canceller: Canceller | undefined;
  let printed = 0;
  try {
    canceller = new Canceller(cancellerOptionsFrom(flags));
    for await (const operation of canceller.list(parent, {
      signal: signals.stop,
      ...(flags.filter === undefined ? {} : { filter: flags.filter }),
      ...(flags.pageSize === undefined ? {} : { pageSize: flags.pageSize }),
    })) {
      process.stdout.write(`${operationLine(operation, flags.json === true)}\n`);
      printed += 1;
      if (flags.limit !== undefined && printed >= flags.limit) break;
    }
    return ExitCode.OK;
  } catch (error) {
    // The reader went away (`| head -1`): it had what it wanted, so that is a success, not a failed call.
    if (signals.cause() === 'stdout-closed') return ExitCode.OK;
    if (signals.stop.aborted) return stoppedExitCode(signals.cause());
    return reportCallError(error, flags.json === true, error instanceof OperationsError && error.transport !== undefined);
  } finally {
    await canceller?.close();
  }
}
