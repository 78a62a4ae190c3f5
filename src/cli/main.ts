#!/usr/bin/env node
/**
 * The `lro-cancel` command. Only commander is loaded up front; each command imports its own module when it runs, so
 * `lro-cancel --help` stays fast and `lro-cancel emulator` never loads the client.
 */
import { CommanderError } from 'commander';
import { ExitCode } from './exit-codes.js';
import { buildProgram } from './program.js';
import { stoppedExitCode, stopSignals, type StopSignals } from './stop-signals.js';
import { hideLibraryWarnings } from './warnings.js';

/** How long the calls in flight get to finish after SIGINT or SIGTERM, unless `--drain-timeout` says otherwise. */
const DEFAULT_DRAIN_TIMEOUT_MS = 20_000;

/**
 * Runs a command and sets the exit code. Whatever it throws is reported in the one style (report.ts): a usage error
 * (INVALID_ARGUMENT before anything was sent) exits 2, credentials that could not be had 3, anything else 1.
 */
async function run(action: (signals: StopSignals) => Promise<number>, drainTimeoutMs = DEFAULT_DRAIN_TIMEOUT_MS): Promise<void> {
  const signals = stopSignals(drainTimeoutMs);
  try {
    process.exitCode = await action(signals);
  } catch (caught) {
    const [{ OperationsError }, { CommandStop, errorLines, isUsageError }] = await Promise.all([import('../errors.js'), import('./report.js')]);
    const error = caught instanceof CommandStop ? caught.error : OperationsError.from(caught);
    process.stderr.write(errorLines(error));
    process.exitCode = signals.stop.aborted ? stoppedExitCode(signals.cause())
      : caught instanceof CommandStop ? caught.exitCode
        : isUsageError(error) ? ExitCode.USAGE : ExitCode.FAILURES;
  }
}

hideLibraryWarnings();
// A reader that closed the pipe early (`lro-cancel --help | head -1`): what it wanted was printed, so exit with the
// code already set instead of dying on EPIPE with a stack trace. While a command runs, stop-signals.ts listens too
// and turns it into a stop that drains; then this one stands aside.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code !== 'EPIPE') throw error;
  if (process.stdout.listenerCount('error') === 1) process.exit();
});
try {
  await buildProgram(run).parseAsync(process.argv);
} catch (error) {
  if (error instanceof CommanderError) {
    // Help and version exit 0; every parse error is bad usage.
    process.exitCode = error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
  } else {
    throw error;
  }
}
