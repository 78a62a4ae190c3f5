import { errorOf, type CancelResult } from '../client/outcome.js';
import { printable } from '../printable.js';
import { redactStructure } from '../redact.js';
import type { Operation } from '../transport/transport.js';
import { resultRecord } from '../batch/records.js';

/**
 * What the commands print. Anything a server sent (an error message, an operation's name or error) reaches a
 * terminal, so every line goes through `printable`: terminal and bidi controls are written as `\uXXXX`. In a JSON
 * line that is a valid escape, so `--json` output stays valid JSON (JSON.stringify escapes C0 controls itself but
 * leaves C1 and bidi controls raw). Error messages and details come already escaped from OperationsError.
 */

/** The `--json` line of one cancel result: the same record the batch journal and output hold. */
export function resultJson(result: CancelResult): string {
  return printable(JSON.stringify(resultRecord(result)));
}

const marks: Record<string, string> = {
  cancelled: '✓', completed: '•', failed: '•', requested: '→', running: '…',
  not_found: '?', unimplemented: '!', denied: '✗', invalid: '✗', error: '✗',
};

/** One short human line: outcome, name, and how it was served or why it failed. */
export function resultLine(result: CancelResult): string {
  const how = result.transport === undefined
    ? 'not sent'
    : `${result.transport}, ${result.attempts.length} attempt${result.attempts.length === 1 ? '' : 's'}, ${Math.round(result.latencyMs)} ms`;
  const error = errorOf(result);
  const why = error === undefined ? '' : `: ${error.message}`;
  return printable(`${marks[result.outcome] ?? ' '} ${result.outcome.padEnd(13)} ${result.name} (${how})${why}`);
}

/**
 * An operation as one line of JSON or a short human summary. The operation is the server's data, shown as errors are:
 * credentials this process sent are cut out of it (a server may echo them into an operation's error too) and anything
 * nested past redact.ts's depth limit is cut.
 */
export function operationLine(operation: Operation, json: boolean): string {
  const shown = redactStructure(operation);
  if (json) return printable(JSON.stringify(shown));
  const state = !shown.done
    ? 'running'
    : shown.error !== undefined
      ? `done, error ${shown.error.code}${shown.error.code === 1 ? ' (CANCELLED)' : ''}${shown.error.message === '' ? '' : `: ${shown.error.message}`}`
      : 'done, response';
  return printable(`${shown.name}  ${state}`);
}
