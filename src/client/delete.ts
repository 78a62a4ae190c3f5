import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import type { CancelAccepted, CancelNotAccepted } from './outcome.js';
import { pollUntilDone, type PollOptions } from './poll.js';

/**
 * What became of one DeleteOperation, in the model of a cancel's outcomes. DeleteOperation says the caller is no longer
 * interested in the result; it does not cancel the operation. Only a read proves it: a deleted operation reads
 * NOT_FOUND.
 */
export type DeleteOutcome =
  | 'deleted'        // accepted, and GetOperation then answered NOT_FOUND
  | 'requested'      // the server accepted the delete; not verified (or still readable at the verify deadline: see verifyError)
  | 'not_found'      // DeleteOperation answered NOT_FOUND: gone already (or deleted by an earlier attempt whose answer was lost)
  | 'unimplemented'  // the server does not support DeleteOperation
  | 'denied'         // 401 / 403
  | 'invalid'        // a bad name: nothing was sent
  | 'error';         // anything else; see code and error

export const DELETE_OUTCOMES: readonly DeleteOutcome[] = ['deleted', 'requested', 'not_found', 'unimplemented', 'denied', 'invalid', 'error'];

/**
 * The delete was accepted. With verification, `deleted` once a read answered NOT_FOUND; `verifyError` is set when the
 * reads could not finish or the operation was still readable (`requested`), or a read answered on its own (`denied`).
 */
export interface DeleteAccepted extends Omit<CancelAccepted, 'outcome' | 'operation'> {
  readonly outcome: DeleteOutcome;
}

/** What became of one delete: a cancel's result shape (`code` is the DeleteOperation call's status), its outcomes. */
export type DeleteResult = CancelNotAccepted | DeleteAccepted;

/** Whether a read's error says the operation is gone: NOT_FOUND from the Operations API itself (not a wrong host's 404). */
function isGone(error: unknown): boolean {
  return error instanceof OperationsError && error.code === Code.NOT_FOUND && error.reachedServer !== false;
}

/**
 * Reads the operation after an accepted delete until it reads NOT_FOUND or the poll deadline comes, with the poll
 * rhythm of `verify` (the first read at once, then 100 ms growing to 2 s). Resolves true once gone, false when it was
 * still readable at the deadline; rejects with a read's final error (PERMISSION_DENIED...).
 */
export async function pollUntilGone(read: (deadline: number) => Promise<unknown>, name: string, options: PollOptions): Promise<boolean> {
  const seen = await pollUntilDone(async deadline => {
    try {
      await read(deadline);
      return { name, done: false };
    } catch (error) {
      if (isGone(error)) return { name, done: true };
      throw error;
    }
  }, options);
  return seen.done;
}

export function stillReadableError(name: string): OperationsError {
  return new OperationsError(Code.FAILED_PRECONDITION, `operation ${name} could still be read at the verify deadline after DeleteOperation was accepted`);
}
