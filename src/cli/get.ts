import { Canceller } from '../client/canceller.js';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { cancellerOptionsFrom, type ConnectionFlags } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { operationLine } from './format.js';
import { stoppedExitCode, type StopSignals } from './stop-signals.js';

/** Prints a failed call the way `--json` users parse and people read it; INVALID_ARGUMENT before sending is usage. */
export function reportCallError(caught: unknown, json: boolean, sent: boolean): number {
  const error = OperationsError.from(caught);
  if (json) process.stdout.write(`${JSON.stringify({ error: error.toJSON() })}\n`);
  else process.stderr.write(`lro-cancel: ${error.message}\n`);
  return error.code === Code.INVALID_ARGUMENT && !sent ? ExitCode.USAGE : ExitCode.FAILURES;
}

/** `lro-cancel get NAME`: one GetOperation with the retry policy. */
export async function runGet(name: string, flags: ConnectionFlags, signals: StopSignals): Promise<number> {
  let canceller: Canceller | undefined;
  try {
    canceller = new Canceller(cancellerOptionsFrom(flags));
    const operation = await canceller.get(name, { signal: signals.stop });
    process.stdout.write(`${operationLine(operation, flags.json === true)}\n`);
    return ExitCode.OK;
  } catch (error) {
    if (signals.stop.aborted) return stoppedExitCode(signals.cause());
    return reportCallError(error, flags.json === true, error instanceof OperationsError && error.transport !== undefined);
  } finally {
    await canceller?.close();
  }
}
