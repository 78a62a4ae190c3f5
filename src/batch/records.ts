import { errorOf, type CancelResult } from '../client/outcome.js';
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
