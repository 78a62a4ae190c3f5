import { Code, codeName, type CodeName } from '../code.js';
import type { AttemptRecord, OperationsError, TransportName } from '../errors.js';
import type { Operation } from '../transport/transport.js';

/**
 * What became of one cancel. Only GetOperation proves an outcome, so `cancelled`, `completed`, `failed` and `running`
 * are reported only after seeing the operation; an accepted cancel that was not verified is `requested`.
 */
export type CancelOutcome =
  | 'cancelled'      // seen done with error.code 1 (CANCELLED)
  | 'completed'      // seen done with a response: it finished despite the cancel
  | 'failed'         // seen done with another error
  | 'requested'      // the server accepted the cancel; not verified
  | 'running'        // verified still running when the verify deadline came
  | 'not_found'
  | 'unimplemented'  // the server does not support cancellation
  | 'denied'         // 401 / 403
  | 'invalid'        // a bad name: nothing was sent
  | 'error';         // anything else; see code and error

export const CANCEL_OUTCOMES: readonly CancelOutcome[] = [
  'cancelled', 'completed', 'failed', 'requested', 'running', 'not_found', 'unimplemented', 'denied', 'invalid', 'error',
];

export interface CancelResult {
  readonly name: string;
  readonly outcome: CancelOutcome;
  /** The status of the CancelOperation request itself: OK when the server accepted it. */
  readonly code: Code;
  readonly codeName: CodeName;
  readonly httpStatus: number;
  /** The wire that served the cancel; undefined when nothing was sent. */
  readonly transport: TransportName | undefined;
  /** CancelOperation attempts sent (retries included); 0 when nothing was sent. */
  readonly attempts: number;
  /** Wall time of the whole call, verification included. */
  readonly latencyMs: number;
  /** Every CancelOperation attempt in order (a retried RESOURCE_EXHAUSTED shows here even when the call succeeded). */
  readonly history: readonly AttemptRecord[];
  /** The operation as GetOperation last showed it (with `verify`). */
  readonly operation?: Operation;
  /** Why the outcome is not a success, or why verification could not finish. */
  readonly error?: OperationsError;
}

/**
 * The outcome a final cancel error stands for. A NOT_FOUND that did not come from the Operations API (an HTML 404 from
 * a wrong host, an HTTP 404 without grpc-status) says nothing about the operation: `error`, not `not_found`.
 */
export function outcomeOfError(error: OperationsError): CancelOutcome {
  switch (error.code) {
    case Code.NOT_FOUND: return error.reachedServer === false ? 'error' : 'not_found';
    case Code.UNIMPLEMENTED: return 'unimplemented';
    case Code.UNAUTHENTICATED:
    case Code.PERMISSION_DENIED: return 'denied';
    default: return 'error';
  }
}

/** The outcome a seen operation stands for after an accepted cancel. */
export function outcomeOfOperation(operation: Operation): CancelOutcome {
  if (!operation.done) return 'running';
  if (operation.error !== undefined && operation.error.code !== Code.OK) {
    return operation.error.code === Code.CANCELLED ? 'cancelled' : 'failed';
  }
  return 'completed';
}

export function resultFromError(name: string, error: OperationsError, outcome: CancelOutcome, latencyMs: number, sent: number): CancelResult {
  return {
    name,
    outcome,
    code: error.code,
    codeName: error.codeName,
    httpStatus: error.httpStatus,
    transport: error.transport,
    attempts: sent,
    latencyMs,
    history: error.attempts,
    error,
  };
}

export const OK_NAME: CodeName = codeName(Code.OK);
