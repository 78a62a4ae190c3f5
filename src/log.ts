import { createRequire } from 'node:module';
import type { AdhocDebugLogFunction, LogSeverity } from 'google-logging-utils';
import { redact, redactStructure } from './redact.js';

/**
 * Debug logs, written the way Google's Node libraries write theirs: through google-logging-utils (the package
 * google-gax and google-auth-library log through), switched on by the same variable. A user who already turns on
 * Google client logging with `GOOGLE_SDK_NODE_LOGGING=all` (or `*`) gets ours too; `lro-cancel:*` gives only ours,
 * `lro-cancel:retry` one area. Lines go to stderr as `PID [lro-cancel:retry|DEBUG] message {fields}`, or wherever a
 * backend set with google-logging-utils' `setBackend` sends them.
 *
 * Use:
 * ```ts
 * const log = debugLog('batch');
 * if (log.enabled) log.debug(`pass ${pass}: ${deferred} names deferred`, { pass, deferred });
 * ```
 * Read `enabled` first: when logging is off that is the whole cost of a call site (no string is built), which keeps
 * it off the hot path's CPU budget. Every message and field value goes through src/redact.ts before it is written.
 */

/** The parts of lro-cancel that log; each is the namespace `lro-cancel:<area>`. */
export type LogArea = 'retry' | 'transport' | 'batch';

const NAMESPACE = 'lro-cancel';
/** The variable google-logging-utils reads (its `env.nodeEnables`); named here to match its filter the same way. */
const ENV = 'GOOGLE_SDK_NODE_LOGGING';

/**
 * Whether google-logging-utils' filter admits `namespace`: comma-separated, case-insensitive patterns with `*`
 * wildcards, where `all` and `true` mean `*`. Without the variable its backends admit everything (a backend the user
 * set in code); with it empty, nothing. Repeated here because the backends do not say which namespaces they admit.
 */
function loggingAdmits(filter: string | undefined, namespace: string): boolean {
  if (filter === '') return false;
  const patterns = filter === undefined || filter === 'all' || filter === 'true' ? '*' : filter;
  const source = patterns.replace(/[|\\{}()[\]^$+?.]/g, '\\$&').replace(/\*/g, '.*').replace(/,/g, '$|^');
  return new RegExp(`^${source}$`, 'i').test(namespace);
}

/** google-logging-utils' logger for one namespace, and its DEBUG severity (the library's enum, read when loaded). */
interface Logger {
  readonly write: AdhocDebugLogFunction;
  readonly debug: LogSeverity;
}

/** One area's debug log. Decided on first use, as Google's libraries decide when their loggers are created. */
export class DebugLog {
  readonly namespace: string;
  #logger: Logger | null | undefined;

  constructor(area: LogArea) {
    this.namespace = `${NAMESPACE}:${area}`;
  }

  /** Whether a line would be written. The first read loads google-logging-utils; every later one is a field check. */
  get enabled(): boolean {
    if (this.#logger === undefined) this.#logger = resolveLogger(this.namespace);
    return this.#logger !== null;
  }

  /**
   * Writes one DEBUG line when enabled, and does nothing otherwise. The message and every field value are redacted;
   * fields go where google-gax puts its attributes (`other`: JSON after the line, or keys of a structured entry).
   */
  debug(message: string, fields?: Readonly<Record<string, unknown>>): void {
    if (!this.enabled) return;
    const { write, debug } = this.#logger as Logger;
    // '%s': the message is data, so a `%` in an operation name is not read as a format directive.
    write({ severity: debug, ...(fields === undefined ? {} : { other: redactStructure(fields) }) }, '%s', redact(message));
  }
}

/**
 * google-logging-utils' logger for `namespace`, or null when it would write nothing: the library hands out its no-op
 * placeholder when the variable is unset and no backend was set in code, and its backends drop namespaces the filter
 * does not admit. Required on first use rather than imported: nothing here needs it before a line could be written.
 */
function resolveLogger(namespace: string): Logger | null {
  const logging = createRequire(import.meta.url)('google-logging-utils') as typeof import('google-logging-utils');
  const write = logging.log(namespace);
  if (write === logging.placeholder || !loggingAdmits(process.env[ENV], namespace)) return null;
  return { write, debug: logging.LogSeverity.DEBUG };
}

const logs = new Map<LogArea, DebugLog>();

/** The debug log of one area, the same object for every caller. */
export function debugLog(area: LogArea): DebugLog {
  let log = logs.get(area);
  if (log === undefined) {
    log = new DebugLog(area);
    logs.set(area, log);
  }
  return log;
}
