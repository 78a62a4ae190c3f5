import type { CancelManySummary } from '../batch/batch-summary.js';
import { writePrivateAtomically, writePrivateAtomicallySync } from '../files.js';
import type { StopCause } from './stop-signals.js';

/** The format of the `--summary-json` file; a later release that changes a field's meaning raises it. */
export const SUMMARY_FORMAT_VERSION = 1;

/**
 * `batch --summary-json FILE`: the run's summary as one JSON object (the library's CancelManySummary, plus the format
 * version, the signal that stopped the run and the exit code) for a Job's logs or a pipeline's next step. Written
 * atomically (0600, never through a link) when the run ends, SIGINT and SIGTERM included, since those drain first;
 * when a second signal ends the process at once, an exit hook writes the summary so far instead.
 */
export class SummaryJsonFile {
  readonly #path: string;
  readonly #snapshot: () => CancelManySummary | undefined;
  readonly #cause: () => StopCause | undefined;
  readonly #onExit: (code: number) => void;
  #written = false;

  constructor(path: string, snapshot: () => CancelManySummary | undefined, cause: () => StopCause | undefined) {
    this.#path = path;
    this.#snapshot = snapshot;
    this.#cause = cause;
    this.#onExit = code => {
      if (this.#written) return;
      const summary = this.#snapshot();
      if (summary === undefined) return;
      try {
        writePrivateAtomicallySync(this.#path, this.#bytes(summary, code));
      } catch {
        // exiting: nowhere left to report it
      }
    };
    process.once('exit', this.#onExit);
  }

  async write(summary: CancelManySummary, exitCode: number): Promise<void> {
    await writePrivateAtomically(this.#path, this.#bytes(summary, exitCode));
    this.#written = true;
  }

  /** The run is over (written or failed): the exit hook is not needed. */
  dispose(): void {
    process.removeListener('exit', this.#onExit);
  }

  #bytes(summary: CancelManySummary, exitCode: number): Buffer {
    const stoppedBy = this.#cause() ?? null;
    return Buffer.from(`${JSON.stringify({ v: SUMMARY_FORMAT_VERSION, ...summary, stoppedBy, exitCode }, null, 2)}\n`);
  }
}
