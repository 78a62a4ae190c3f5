/** Process exit codes of every command, in one place so scripts and tests agree with the docs. */
export const ExitCode = {
  /** Every name reached a final outcome other than error / denied. */
  OK: 0,
  /** Some name ended in error or denied (or a get/list call failed). */
  FAILURES: 1,
  /** Bad usage: a flag, an argument or an input file was wrong; the message says which and what was expected. */
  USAGE: 2,
  /** Stopped by SIGINT after draining in-flight calls. */
  INTERRUPTED: 130,
} as const;
