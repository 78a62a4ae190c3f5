import type { CancelResult } from '../client/outcome.js';
import type { JournalRecord } from './journal.js';
import type { InputLine } from './source.js';

/**
 * The one JSON line per input name that the journal and the output hold (and `--json` prints): the fields of the
 * CLI's `--json` line. Built from results only, which never hold credentials.
 */
export function resultRecord(result: CancelResult): JournalRecord {
  return {
    name: result.name,
    outcome: result.outcome,
    code: result.code,
    codeName: result.codeName,
    httpStatus: result.httpStatus,
    transport: result.transport ?? null,
    attempts: result.attempts,
    latencyMs: Math.round(result.latencyMs * 10) / 10,
    ...(result.operation?.error === undefined ? {} : { operationErrorCode: result.operation.error.code }),
    ...(result.error === undefined ? {} : { message: result.error.rawMessage }),
  };
}

/** An input line that is not a valid operation name: reported with its line number, never sent. */
export function invalidRecord(line: Extract<InputLine, { invalid: string }>): JournalRecord {
  return {
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
