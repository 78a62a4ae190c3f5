import type { CancelResult } from '../client/outcome.js';
import type { Operation } from '../transport/transport.js';
import { resultRecord } from '../batch/records.js';

/** The `--json` line of one cancel result: the same record the batch journal and output hold. */
export function resultJson(result: CancelResult): string {
  return JSON.stringify(resultRecord(result));
}

const marks: Record<string, string> = {
  cancelled: '✓', completed: '•', failed: '•', requested: '→', running: '…',
  not_found: '?', unimplemented: '!', denied: '✗', invalid: '✗', error: '✗',
};

/** One short human line: outcome, name, and how it was served or why it failed. */
export function resultLine(result: CancelResult): string {
  const how = result.transport === undefined
    ? 'not sent'
    : `${result.transport}, ${result.attempts} attempt${result.attempts === 1 ? '' : 's'}, ${Math.round(result.latencyMs)} ms`;
  const why = result.error === undefined ? '' : `: ${result.error.message}`;
  return `${marks[result.outcome] ?? ' '} ${result.outcome.padEnd(13)} ${result.name} (${how})${why}`;
}

/** An operation as one line of JSON or a short human summary. */
export function operationLine(operation: Operation, json: boolean): string {
  if (json) return JSON.stringify(operation);
  const state = !operation.done
    ? 'running'
    : operation.error !== undefined
      ? `done, error ${operation.error.code}${operation.error.code === 1 ? ' (CANCELLED)' : ''}${operation.error.message === '' ? '' : `: ${operation.error.message}`}`
      : 'done, response';
  return `${operation.name}  ${state}`;
}
