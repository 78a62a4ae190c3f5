import { Canceller } from '../client/canceller.js';
import { cancellerOptionsFrom, type ConnectionFlags } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { resultJson, resultLine } from './format.js';

export interface CancelFlags extends ConnectionFlags {
  readonly verify?: boolean;
  readonly verifyTimeoutMs?: number;
}

/**
 * `lro-cancel cancel NAME...`: the names are cancelled concurrently on one client, results printed in argument order.
 * A malformed name is reported as `invalid` (nothing sent for it) and makes the exit code 2, after the others ran.
 */
export async function runCancel(names: readonly string[], flags: CancelFlags, signal: AbortSignal): Promise<number> {
  const canceller = new Canceller(cancellerOptionsFrom(flags));
  try {
    const results = await Promise.all(names.map(name => canceller.cancel(name, {
      signal,
      ...(flags.verify === true ? { verify: true } : {}),
      ...(flags.verifyTimeoutMs === undefined ? {} : { verifyTimeoutMs: flags.verifyTimeoutMs }),
      ...(flags.deadlineMs === undefined ? {} : { deadlineMs: flags.deadlineMs }),
    })));
    for (const result of results) process.stdout.write(`${flags.json === true ? resultJson(result) : resultLine(result)}\n`);
    if (signal.aborted) return ExitCode.INTERRUPTED;
    if (results.some(r => r.outcome === 'invalid')) return ExitCode.USAGE;
    return results.some(r => r.outcome === 'error' || r.outcome === 'denied') ? ExitCode.FAILURES : ExitCode.OK;
  } finally {
    await canceller.close();
  }
}
