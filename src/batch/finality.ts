import type { CancelOutcome, CancelResult } from '../client/outcome.js';
import { Code } from '../code.js';

/**
 * Whether an outcome is final: nothing more can be learned or done by trying again. `cancelled`, `completed`, `failed`,
 * `not_found` and `invalid` always are; `requested` is when the batch does not verify (the cancel was accepted and
 * that is all that was asked). `error`, `denied`, `unimplemented`, `running`, and `requested` under `--verify` are
 * not: a rerun with the same journal tries them again (a read only, when the cancel was already accepted).
 */
export function isFinalOutcome(outcome: string, verify: boolean): boolean {
  switch (outcome as CancelOutcome) {
    case 'cancelled':
    case 'completed':
    case 'failed':
    case 'not_found':
    case 'invalid':
      return true;
    case 'requested':
      return !verify;
    default:
      return false;
  }
}

/** Codes of a degraded service: the name is tried again in a later pass of the same run, until the time bound. */
const TRANSIENT: ReadonlySet<Code> = new Set([Code.UNAVAILABLE, Code.RESOURCE_EXHAUSTED, Code.DEADLINE_EXCEEDED, Code.ABORTED]);

/**
 * Whether a result is worth another pass in this run: a cancel that met a degraded service, or (with `--verify`) a
 * cancel accepted whose outcome is not yet seen (the reads met a degraded service, or the operation was still
 * running at the verify timeout).
 */
export function isWorthAnotherPass(result: CancelResult, verify: boolean): boolean {
  if (result.outcome === 'error') return TRANSIENT.has(result.code);
  if (!verify) return false;
  return result.outcome === 'running' || result.outcome === 'requested';
}

/** Whether the cancel of this call, or of an earlier one, was accepted: a later try needs only to read. */
export function cancelAccepted(result: CancelResult, acceptedBefore: boolean): boolean {
  return acceptedBefore || result.accepted;
}

/**
 * Whether the service gave this call an answer of its own, not only a degraded service's failures: a cancel it
 * accepted or refused for a reason of its own, or a read that came back. While answers come, the run's give-up bound
 * does not: it measures an outage, not how long the input takes.
 */
export function serviceAnswered(result: CancelResult): boolean {
  if (!result.accepted) return result.attempts.length > 0 && !TRANSIENT.has(result.code);
  if (result.attempts.length > 0) return true; // this call's cancel was accepted
  return result.verifyError === undefined || !TRANSIENT.has(result.verifyError.code);
}
