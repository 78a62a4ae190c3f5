import type { CancelResult } from '../client/outcome.js';
import type { OperationsError } from '../errors.js';
import { printable } from '../printable.js';
import { redactStructure } from '../redact.js';
import type { Operation } from '../transport/transport.js';

/**
 * What the commands print. Anything a server sent (an error message, an operation's name or error) reaches a
 * terminal, so every line goes through `printable`: terminal and bidi controls are written as `\uXXXX`. In a JSON
 * line that is a valid escape, so `--json` output stays valid JSON (JSON.stringify escapes C0 controls itself but
 * leaves C1 and bidi controls raw). Error messages and details come already escaped from OperationsError.
 */

/** What a result line shows: a cancel's or a delete's result. */
export type ShownResult = Pick<CancelResult, 'name' | 'transport' | 'attempts' | 'latencyMs' | 'accepted'> & {
  readonly outcome: string;
  readonly error?: OperationsError;
  readonly verifyError?: OperationsError;
};

const marks: Record<string, string> = {
  cancelled: '✓', deleted: '✓', completed: '•', failed: '•', requested: '→', running: '…',
  not_found: '?', unimplemented: '!', denied: '✗', invalid: '✗', error: '✗',
};

/**
 * One short human line: outcome, name, and how it was served or why it failed. Why a name is `invalid` is a usage
 * error, said once on stderr (results.ts), not here too.
 */
export function resultLine(result: ShownResult): string {
  const how = result.transport === undefined
    ? 'not sent'
    : `${result.transport}, ${result.attempts.length} attempt${result.attempts.length === 1 ? '' : 's'}, ${Math.round(result.latencyMs)} ms`;
  const error = result.accepted ? result.verifyError : result.error;
  const why = error === undefined || result.outcome === 'invalid' ? '' : `: ${error.message}`;
  return printable(`${marks[result.outcome] ?? ' '} ${result.outcome.padEnd(13)} ${result.name} (${how})${why}`);
}

/**
 * An operation as it may be shown. It is the server's data, shown as errors are: credentials this process sent are cut
 * out of it (a server may echo them into an operation's error too) and anything nested past redact.ts's depth limit
 * is cut.
 */
export function shownOperation(operation: Operation): Operation {
  return redactStructure(operation);
}

/** An operation (as shownOperation made it) as a short human line: its name and state. */
export function operationLine(shown: Operation): string {
  const state = !shown.done
    ? 'running'
    : shown.error !== undefined
      ? `done, error ${shown.error.code}${shown.error.code === 1 ? ' (CANCELLED)' : ''}${shown.error.message === '' ? '' : `: ${shown.error.message}`}`
      : 'done, response';
  return printable(`${shown.name}  ${state}`);
}
