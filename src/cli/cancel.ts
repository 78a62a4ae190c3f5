import { isFinalOutcome } from '../batch/finality.js';
import { runPerName, type PerNameFlags } from './results.js';
import type { StopSignals } from './stop-signals.js';

export type CancelFlags = PerNameFlags;

/**
 * `lro-cancel cancel NAME...`: see runPerName. A failure every name would meet (credentials, permission, endpoint) is
 * explained once, with the fix, as the batch does.
 */
export function runCancel(args: readonly string[], flags: CancelFlags, signals: StopSignals): Promise<number> {
  return runPerName(args, flags, signals, (canceller, name, options) => canceller.cancel(name, options), isFinalOutcome);
}
