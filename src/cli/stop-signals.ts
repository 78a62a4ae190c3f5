import { ExitCode } from './exit-codes.js';

/** Why a command was asked to stop. */
export type StopCause = 'SIGINT' | 'SIGTERM' | 'stdout-closed';

export interface StopSignals {
  /** Aborts on the first SIGINT or SIGTERM (or a closed stdout): stop starting work, drain what is in flight. */
  readonly stop: AbortSignal;
  /** Aborts when the drain's grace period is over: calls still in flight are abandoned. */
  readonly calls: AbortSignal;
  /** What aborted `stop`, once it has. */
  cause(): StopCause | undefined;
}

/** The exit code of a command that was stopped: 143 after SIGTERM, 130 otherwise. */
export function stoppedExitCode(cause: StopCause | undefined): number {
  return cause === 'SIGTERM' ? ExitCode.TERMINATED : ExitCode.INTERRUPTED;
}

/**
 * SIGINT and SIGTERM both drain: the first stops new work, the calls in flight get `drainTimeoutMs` to finish
 * (Kubernetes sends SIGTERM and waits 30 s by default before SIGKILL), then they are abandoned and the command writes
 * what it has (journal, output, summary) and exits 130 or 143. A second signal exits at once. A closed stdout
 * (`lro-cancel list ... | head -1`) stops like SIGINT, rather than dying on EPIPE with a stack trace.
 */
export function stopSignals(drainTimeoutMs: number): StopSignals {
  const stop = new AbortController();
  const calls = new AbortController();
  let cause: StopCause | undefined;
  const begin = (why: StopCause): void => {
    if (stop.signal.aborted) return;
    cause = why;
    stop.abort(new Error(`stopped (${why})`));
    const timer = setTimeout(() => calls.abort(new Error(`stopped (${why}): the drain took longer than ${drainTimeoutMs} ms`)), drainTimeoutMs);
    timer.unref();
  };
  const onSignal = (signal: 'SIGINT' | 'SIGTERM'): void => {
    if (stop.signal.aborted) process.exit(stoppedExitCode(signal));
    begin(signal);
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.stdout.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    begin('stdout-closed');
  });
  return { stop: stop.signal, calls: calls.signal, cause: () => cause };
}
