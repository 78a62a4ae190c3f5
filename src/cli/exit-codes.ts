/**
 * Process exit codes of every command, in one place so scripts, Jobs and tests agree with the docs (README, "Exit
 * codes"). A Kubernetes or Cloud Run Job succeeds on 0 only: 0 means every input name is final.
 */
export const ExitCode = {
  /**
   * Every name is final (cancelled, completed, failed, not_found, requested without --verify; for delete, deleted),
   * the ones a journal already held included; for get/list, the call succeeded; for wait, every operation is done
   * with a response; for batch --dry-run, the input was read.
   */
  OK: 0,
  /**
   * Some name is not final (error, denied, unimplemented, running, unverified), or a get/list/wait read failed, or the
   * confirmation of batch --from-list was declined.
   */
  FAILURES: 1,
  /** Bad usage: a flag, an argument or an input file was wrong; the message says which and what was expected. */
  USAGE: 2,
  /**
   * Stopped early: credentials that could not be had before anything was sent (every command), or a batch whose calls
   * all failed the same way (credentials, permission, wrong endpoint, plaintext server); the message says the fix.
   */
  SYSTEMIC: 3,
  /** wait: every operation is done, and some ended with an error (cancelled, error.code 1, included). */
  OPERATION_FAILED: 4,
  /** wait: some operation was still running when --timeout passed. */
  STILL_RUNNING: 5,
  /** The journal is in use by another run (EX_TEMPFAIL: try again once it ends). */
  JOURNAL_BUSY: 75,
  /** Stopped by SIGINT (or a closed stdout) after draining the calls in flight. */
  INTERRUPTED: 130,
  /** Stopped by SIGTERM after draining the calls in flight. */
  TERMINATED: 143,
} as const;
