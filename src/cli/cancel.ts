import { isFinalOutcome } from '../batch/finality.js';
import { systemicFailureOf } from '../batch/systemic.js';
import { Canceller } from '../client/canceller.js';
import { cancellerOptionsFrom, type ConnectionFlags } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { resultJson, resultLine } from './format.js';
import { stoppedExitCode, type StopSignals } from './stop-signals.js';

export interface CancelFlags extends ConnectionFlags {
  readonly verify?: boolean;
  readonly verifyTimeoutMs?: number;
}

/**
 * `lro-cancel cancel NAME...`: the names are cancelled concurrently on one client, results printed in argument order.
 * A malformed name is reported as `invalid` (nothing sent for it) and makes the exit code 2, after the others ran.
 * Exit 0 only when every name is final; a failure every name would meet (credentials, permission, endpoint) is
 * explained once, with the fix, as the batch does.
 */
export async function runCancel(names: readonly string[], flags: CancelFlags, signals: StopSignals): Promise<number> {
  const canceller = new Canceller(cancellerOptionsFrom(flags));
  const verify = flags.verify === true;
  try {
    const results = await Promise.all(names.map(name => canceller.cancel(name, {
      signal: signals.stop,
      ...(verify ? { verify: true } : {}),
      ...(flags.verifyTimeoutMs === undefined ? {} : { verifyTimeoutMs: flags.verifyTimeoutMs }),
      ...(flags.deadlineMs === undefined ? {} : { timeoutMs: flags.deadlineMs }),
    })));
    for (const result of results) process.stdout.write(`${flags.json === true ? resultJson(result) : resultLine(result)}\n`);
    const systemic = results.map(result => systemicFailureOf(result, verify)).find(failure => failure !== undefined);
    if (systemic !== undefined) process.stderr.write(`lro-cancel: ${systemic.message}\n`);
    if (signals.stop.aborted) return stoppedExitCode(signals.cause());
    if (results.some(r => r.outcome === 'invalid')) return ExitCode.USAGE;
    return results.every(r => isFinalOutcome(r.outcome, verify)) ? ExitCode.OK : ExitCode.FAILURES;
  } finally {
    await canceller.close();
  }
}
