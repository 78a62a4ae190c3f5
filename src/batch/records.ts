import { errorOf, type CancelNotAccepted, type CancelOutcome, type CancelResult } from '../client/outcome.js';
import { Code, codeName, httpStatusOf, isCode } from '../code.js';
import { OperationsError, type TransportName } from '../errors.js';
import type { JsonLineRecord } from './jsonl.js';
import type { InputLine } from './source.js';

/**
 * The format of a result line (journal records, `--output`, `--json`): each line carries it as `v`, so a later
 * release can read the lines of this one. Version 1: name, outcome, code, codeName, httpStatus, transport, attempts
 * (a count), latencyMs, and when they apply accepted, operationErrorCode, message, line, verifiedBy.
 */
export const RECORD_FORMAT_VERSION = 1;

/** What a batch knows of a name beyond its last call: every cancel attempt of every pass, and whether one was accepted. */
export interface NameProgress {
  readonly attempts: number;
  readonly accepted: boolean;
  /** When the name was first deferred to another pass (the library's clock); its own give-up bound runs from it. */
  readonly deferredSinceMs?: number | undefined;
}

/** Outcomes that imply an accepted cancel, so the record need not say so. */
const ACCEPTED_OUTCOMES: ReadonlySet<string> = new Set(['requested', 'running', 'cancelled', 'completed', 'failed']);

/** Whether the record's cancel was accepted: a rerun then only reads the operation. */
export function recordAccepted(record: JsonLineRecord): boolean {
  return ACCEPTED_OUTCOMES.has(record.outcome) || record['accepted'] === true;
}

/**
 * The JSON line of a result that the journal and the output hold (and `--json` prints). Built from results only,
 * which never hold credentials. `progress` is the batch's: attempts of all passes, and `accepted: true` when an
 * earlier cancel was accepted but the outcome (not_found, denied, error on a read) does not say so.
 */
export function resultRecord(result: CancelResult, progress?: NameProgress): JsonLineRecord {
  const error = errorOf(result);
  return {
    v: RECORD_FORMAT_VERSION,
    name: result.name,
    outcome: result.outcome,
    code: result.code,
    codeName: result.codeName,
    httpStatus: result.httpStatus,
    transport: result.transport ?? null,
    attempts: progress?.attempts ?? result.attempts.length,
    ...(progress?.accepted === true && !ACCEPTED_OUTCOMES.has(result.outcome) ? { accepted: true } : {}),
    latencyMs: Math.round(result.latencyMs * 10) / 10,
    ...(result.accepted && result.operation?.error !== undefined ? { operationErrorCode: result.operation.error.code } : {}),
    ...(error === undefined ? {} : { message: error.rawMessage }),
  };
}

/** An input line that is not a valid operation name: reported with its line number, never sent. */
export function invalidRecord(line: Extract<InputLine, { invalid: string }>): JsonLineRecord {
  return {
    v: RECORD_FORMAT_VERSION,
    name: line.raw,
    outcome: 'invalid',
    code: 3,
    codeName: 'INVALID_ARGUMENT',
    httpStatus: 400,
    transport: null,
    attempts: 0,
    latencyMs: 0,
    line: line.lineNumber,
    message: line.invalid,
  };
}

/** The code a reconstructed error stands for, from the outcome (a record keeps the code of the cancel call only). */
const CODE_OF_OUTCOME: Readonly<Record<string, Code>> = {
  not_found: Code.NOT_FOUND, denied: Code.PERMISSION_DENIED, unimplemented: Code.UNIMPLEMENTED, invalid: Code.INVALID_ARGUMENT,
};

/**
 * The result of a record that no call of this run returned: an invalid input line, a name a listing showed done, a
 * name the time bound ended with its last pass's record. Attempts are not kept in records (their count is), so
 * `attempts` is empty. An accepted name that a read could not settle before the time bound carries a
 * DEADLINE_EXCEEDED `verifyError` quoting its last read.
 */
export function resultFromRecord(record: JsonLineRecord): CancelResult {
  const code = typeof record['code'] === 'number' && isCode(record['code']) ? record['code'] : Code.UNKNOWN;
  const wire = record['transport'];
  const transport: TransportName | undefined = wire === 'grpc' || wire === 'rest' ? wire : undefined;
  const message = typeof record['message'] === 'string' ? record['message'] : undefined;
  const base = {
    name: record.name,
    code,
    codeName: codeName(code),
    httpStatus: typeof record['httpStatus'] === 'number' ? record['httpStatus'] : httpStatusOf(code),
    transport,
    attempts: [],
    latencyMs: typeof record['latencyMs'] === 'number' ? record['latencyMs'] : 0,
  };
  const outcome = record.outcome as CancelOutcome;
  if (recordAccepted(record)) {
    if (message === undefined) return { ...base, accepted: true, outcome };
    const verifyCode = CODE_OF_OUTCOME[outcome] ?? Code.DEADLINE_EXCEEDED;
    const why = verifyCode === Code.DEADLINE_EXCEEDED ? `verification did not finish before the batch's time bound; the last read said: ${message}` : message;
    return { ...base, accepted: true, outcome, verifyError: new OperationsError(verifyCode, why, transport === undefined ? {} : { transport }) };
  }
  const error = new OperationsError(CODE_OF_OUTCOME[outcome] ?? code, message ?? codeName(code), transport === undefined ? {} : { transport });
  return { ...base, accepted: false, outcome: outcome as CancelNotAccepted['outcome'], error };
}
