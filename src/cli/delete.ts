import { runPerName, type PerNameFlags } from './results.js';
import type { StopSignals } from './stop-signals.js';

/** Final delete outcomes: nothing more can be done. `requested` is, unless --verify asked for proof. */
function isFinalDelete(outcome: string, verify: boolean): boolean {
  return outcome === 'deleted' || outcome === 'not_found' || outcome === 'invalid' || (outcome === 'requested' && !verify);
}

/**
 * `lro-cancel delete NAME...`: DeleteOperation for each name as `cancel` does (see runPerName); `--verify` reads each
 * back until it reads NOT_FOUND (`deleted`).
 */
export function runDelete(args: readonly string[], flags: PerNameFlags, signals: StopSignals): Promise<number> {
  return runPerName(args, flags, signals, (canceller, name, options) => canceller.delete(name, options), isFinalDelete);
}
