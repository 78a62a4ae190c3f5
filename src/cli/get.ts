import { OperationsError } from '../errors.js';
import type { ConnectionFlags } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { operationLine, shownOperation } from './format.js';
import { expandOperationNames } from './names.js';
import { formatOf, RecordWriter, type OutputFormat } from './output-format.js';
import { CommandStop, errorJson, errorLines, isUsageError, openCanceller } from './report.js';
import { stoppedExitCode, type StopSignals } from './stop-signals.js';

/** Columns of `--format table` for operations. */
export const OPERATION_FIELDS = ['name', 'done', 'error.code'];

/** Writes operations in `format` to stdout (text: one human line each). */
export function operationWriter(format: OutputFormat): { write(operation: Parameters<typeof shownOperation>[0]): void; end(): void } {
  const out = new RecordWriter(format, OPERATION_FIELDS, line => process.stdout.write(`${line}\n`));
  return {
    write: operation => {
      const shown = shownOperation(operation);
      out.record(shown, () => operationLine(shown));
    },
    end: () => out.end(),
  };
}

/**
 * Prints a failed call: `--format json` users parse `{"error": {...}}` on stdout, everyone else reads the error and its
 * hint on stderr. Bad usage (a malformed name: nothing was sent) is on stderr in every format too, as every usage
 * error is. Exit 2 for bad usage, 3 for credentials that could not be had, else 1.
 */
export function reportCallError(caught: unknown, format: OutputFormat, name?: string): number {
  if (caught instanceof CommandStop) throw caught;
  const error = OperationsError.from(caught);
  const usage = isUsageError(error);
  if (format.kind === 'json') process.stdout.write(`${JSON.stringify({ ...(name === undefined ? {} : { name }), error: errorJson(error) })}\n`);
  if (format.kind !== 'json' || usage) {
    process.stderr.write(name === undefined ? errorLines(error) : errorLines(error).replace(/^lro-cancel: /, `lro-cancel: ${name}: `));
  }
  return usage ? ExitCode.USAGE : ExitCode.FAILURES;
}

/** `lro-cancel get NAME`: one GetOperation with the retry policy. */
export async function runGet(arg: string, flags: ConnectionFlags, signals: StopSignals): Promise<number> {
  const [name = arg] = expandOperationNames([arg], flags, process.env);
  const format = formatOf(flags);
  const canceller = await openCanceller(flags);
  try {
    const out = operationWriter(format);
    out.write(await canceller.get(name, { signal: signals.stop }));
    out.end();
    return ExitCode.OK;
  } catch (error) {
    if (signals.stop.aborted) return stoppedExitCode(signals.cause());
    return reportCallError(error, format);
  } finally {
    await canceller.close();
  }
}
