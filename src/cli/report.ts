import { Canceller } from '../client/canceller.js';
import type { CancellerOptions } from '../client/options.js';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { commandLineHint } from '../status/hints.js';
import { checkCredentials } from './credentials.js';
import { cancellerOptionsFrom, type ConnectionFlags } from './connection.js';
import { ExitCode } from './exit-codes.js';

/**
 * How every command reports a failure, in one style: `lro-cancel: <what happened>` on stderr, then, when the error
 * knows the fix, `lro-cancel: hint: <what to do>`. Usage errors name the flag or argument and what was expected.
 */
export function errorLines(error: OperationsError): string {
  return `lro-cancel: ${isUsageError(error) ? error.rawMessage : error.message}\n`
    + (error.hint === undefined ? '' : `lro-cancel: hint: ${commandLineHint(error.hint)}\n`);
}

/** An error as `--format json` prints it: the library's JSON form, its hint naming flags only. */
export function errorJson(error: OperationsError): Record<string, unknown> {
  return { ...error.toJSON(), ...(error.hint === undefined ? {} : { hint: commandLineHint(error.hint) }) };
}

/** Bad usage: refused before anything was sent (a flag, an argument such as a malformed name); exit 2. */
export function isUsageError(error: OperationsError): boolean {
  return error.code === Code.INVALID_ARGUMENT && error.transport === undefined;
}

/** A command that cannot go on, with the exit code it ends with (see exit-codes.ts). */
export class CommandStop extends Error {
  constructor(readonly exitCode: number, readonly error: OperationsError) {
    super(error.message);
  }
}

/**
 * A client for a command's flags. Credentials are got once first: ones that cannot be had (ADC found nothing, a key
 * or an impersonation refused) stop the command before anything is sent, with exit 3 and one line saying the fix,
 * rather than failing every name the same way.
 */
export async function openCanceller(flags: ConnectionFlags, adjust?: (options: CancellerOptions) => CancellerOptions): Promise<Canceller> {
  const resolved = await cancellerOptionsFrom(flags, process.env);
  const options = adjust === undefined ? resolved : adjust(resolved);
  const refused = await checkCredentials(options.credentials);
  if (refused !== undefined) throw new CommandStop(ExitCode.SYSTEMIC, refused);
  return new Canceller(options);
}
