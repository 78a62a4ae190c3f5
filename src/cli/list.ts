import type { ConnectionFlags } from './connection.js';
import { ExitCode } from './exit-codes.js';
import { operationWriter, reportCallError } from './get.js';
import { parentFrom } from './names.js';
import { formatOf } from './output-format.js';
import { openCanceller } from './report.js';
import { stoppedExitCode, type StopSignals } from './stop-signals.js';

export interface ListFlags extends ConnectionFlags {
  readonly filter?: string;
  readonly pageSize?: number;
  readonly limit?: number;
}

/** `lro-cancel list [PARENT] [--filter F]`: streams every page, one operation per line (or row, or document). */
export async function runList(arg: string | undefined, flags: ListFlags, signals: StopSignals): Promise<number> {
  const parent = parentFrom(arg, flags, process.env, 'list');
  const format = formatOf(flags);
  const canceller = await openCanceller(flags);
  const out = operationWriter(format);
  let printed = 0;
  try {
    for await (const operation of canceller.list(parent, {
      signal: signals.stop,
      ...(flags.filter === undefined ? {} : { filter: flags.filter }),
      ...(flags.pageSize === undefined ? {} : { pageSize: flags.pageSize }),
    })) {
      out.write(operation);
      printed += 1;
      if (flags.limit !== undefined && printed >= flags.limit) break;
    }
    out.end();
    return ExitCode.OK;
  } catch (error) {
    out.end(); // what was listed before the failure is still shown
    // The reader went away (`| head -1`): it had what it wanted, so that is a success, not a failed call.
    if (signals.cause() === 'stdout-closed') return ExitCode.OK;
    if (signals.stop.aborted) return stoppedExitCode(signals.cause());
    return reportCallError(error, format);
  } finally {
    await canceller.close();
  }
}
