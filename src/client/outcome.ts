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

/** What every result says, accepted or not. */
interface CancelResultBase {
  readonly name: string;
  /** The status of the CancelOperation call itself: OK when the server accepted it (or an earlier call had). */
  readonly code: Code;
  readonly codeName: CodeName;
  readonly httpStatus: number;
  /** The wire that served the cancel; undefined when nothing was sent. */
  readonly transport: TransportName | undefined;
  /**
   * Every CancelOperation attempt in order, retries and a transport switch included (a retried RESOURCE_EXHAUSTED
   * shows here even when the call succeeded); empty when nothing was sent.
   */
  readonly attempts: readonly AttemptRecord[];
  /** Wall time of the whole call, verification included. */
  readonly latencyMs: number;
}

/** The cancel was not accepted: `error` says why (nothing was sent for `invalid`). */
export interface CancelNotAccepted extends CancelResultBase {
  readonly accepted: false;
  readonly outcome: 'not_found' | 'unimplemented' | 'denied' | 'invalid' | 'error';
  readonly error: OperationsError;
}

/**
 * The cancel was accepted (by this call, or an earlier one for `verify()`). With verification the outcome is what
 * GetOperation showed; `verifyError` is set when the reads could not finish (`requested`) or a read answered on its
 * own (`not_found`: deleted meanwhile; `denied`: no permission to read it).
 */
export interface CancelAccepted extends CancelResultBase {
  readonly accepted: true;
  readonly outcome: CancelOutcome;
  /** The operation as GetOperation last showed it (with `verify`). */
  readonly operation?: Operation;
  readonly verifyError?: OperationsError;
}

/** What became of one cancel: `accepted` tells which kind, and with it where an error came from. */
export type CancelResult = CancelNotAccepted | CancelAccepted;

/** The error behind a result's outcome, whichever call it came from; undefined for a success. */
export function errorOf(result: CancelResult): OperationsError | undefined {
  return result.accepted ? result.verifyError : result.error;
}

/**
 * The outcome a final cancel error stands for. A NOT_FOUND that did not come from the Operations API (an HTML 404 from
 * a wrong host, an HTTP 404 without grpc-status) says nothing about the operation: `error`, not `not_found`.
 */
export function outcomeOfError(error: OperationsError): CancelNotAccepted['outcome'] {
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

export function resultFromError(name: string, error: OperationsError, outcome: CancelNotAccepted['outcome'], latencyMs: number): CancelNotAccepted {
  return {
    name,
    accepted: false,
    outcome,
    code: error.code,
    codeName: error.codeName,
    httpStatus: error.httpStatus,
    transport: error.transport,
    attempts: error.attempts,
    latencyMs,
    error,
  };
}

export const OK_NAME: CodeName = codeName(Code.OK);
