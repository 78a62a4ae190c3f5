import { Code, codeName, httpStatusOf, isCode, type CodeName } from './code.js';
import { printable } from './printable.js';
import { redact, redactStructure } from './redact.js';
import { hintFor } from './status/hints.js';

/**
 * The cause as it may be shown: library errors can carry request configs with `Authorization` headers (gaxios) or
 * token text in their messages, and `util.inspect` prints causes in full. Keep name, code and a redacted message and
 * stack; drop everything else.
 */
function sanitizeCause(cause: unknown): unknown {
  if (cause instanceof OperationsError) return cause;
  if (!(cause instanceof Error)) return typeof cause === 'string' ? redact(cause) : undefined;
  const copy = new Error(printable(redact(cause.message)));
  copy.name = cause.name;
  copy.stack = redact(cause.stack ?? '').split('\n').map(printable).join('\n');
  const code = (cause as { code?: unknown }).code;
  if (typeof code === 'string' || typeof code === 'number') Object.assign(copy, { code });
  return copy;
}

/**
 * Text for a thrown value that is not an Error. `String()` itself throws for an object without a prototype or with a
 * throwing `toString`, and `from` must never throw: those get their tag, `[object Object]`.
 */
function describeThrown(reason: unknown): string {
  try {
    return String(reason);
  } catch {
    return Object.prototype.toString.call(reason);
  }
}

/** Which wire an error or result came over; errors raised before anything was sent have none. */
export type TransportName = 'grpc' | 'rest';

/**
 * One decoded google.rpc error detail in its proto3 JSON form, the same whichever transport carried it:
 * `{"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "1.500s"}`. A detail whose type this library
 * does not know keeps its type URL and carries the raw bytes base64-encoded in `value`.
 */
export interface ErrorDetail {
  readonly '@type': string;
  readonly [field: string]: unknown;
}

/** What one attempt of a call ended with; the error of a retried call lists them all, in order. */
export interface AttemptRecord {
  /** 1-based. */
  readonly attempt: number;
  readonly code: Code;
  readonly codeName: CodeName;
  /** Absent when no transport reported the attempt (the caller's abort ended it first, or it failed before a wire). */
  readonly transport?: TransportName;
  readonly durationMs: number;
}

export interface OperationsErrorInit {
  readonly details?: readonly ErrorDetail[];
  /** The HTTP status actually received; when absent, the status the code maps to. */
  readonly httpStatus?: number;
  readonly transport?: TransportName;
  readonly attempts?: readonly AttemptRecord[];
  /** How long the server asked us to wait (RetryInfo.retry_delay or Retry-After), a floor for the next backoff. */
  readonly retryAfterMs?: number;
  /**
   * False when the request provably never reached a server (connection refused, TLS or HTTP/2 handshake failed, a
   * proxy answered instead of a gRPC server). `auto` transport switches only on those; undefined when unknown.
   */
  readonly reachedServer?: boolean;
  /** What to do about it, in one line; by default derived from the details' ErrorInfo reason (status/hints.ts). */
  readonly hint?: string;
  readonly cause?: unknown;
}

/**
 * The one error class of this library. Every failure, from either transport or from validation, becomes one of these,
 * so callers switch on `code` and never on a grpc-js or fetch error. The message leads with the code name
 * (`[NOT_FOUND] operation x`); the server's own words stay apart in `rawMessage`.
 */
export class OperationsError extends Error {
  override readonly name = 'OperationsError';
  readonly code: Code;
  readonly codeName: CodeName;
  readonly httpStatus: number;
  /**
   * The message without the code prefix, as the server (or validation) said it, with credentials cut out and terminal
   * and bidi controls written as `\uXXXX` (a message is for people, and a server's may try to drive their terminal).
   */
  readonly rawMessage: string;
  readonly details: readonly ErrorDetail[];
  readonly transport: TransportName | undefined;
  readonly attempts: readonly AttemptRecord[];
  readonly retryAfterMs: number | undefined;
  readonly reachedServer: boolean | undefined;
  /**
   * What to do about it, in one line: from the ErrorInfo reason a Google API sent (SERVICE_DISABLED: enable the API
   * at its activation URL; IAM_PERMISSION_DENIED: grant the permission it names; ...), or set where the cause is
   * known (a TLS handshake that met a plaintext server). Undefined when there is nothing better to say than the message.
   */
  readonly hint: string | undefined;

  constructor(code: Code, message: string, init: OperationsErrorInit = {}) {
    const safeCode = isCode(code) ? code : Code.UNKNOWN;
    const rawMessage = printable(redact(message));
    super(`[${codeName(safeCode)}] ${rawMessage}`, init.cause === undefined ? undefined : { cause: sanitizeCause(init.cause) });
    this.code = safeCode;
    this.codeName = codeName(safeCode);
    this.httpStatus = init.httpStatus ?? httpStatusOf(safeCode);
    this.rawMessage = rawMessage;
    // Details are the server's data too: a proxy may have echoed the request's credentials into them, at any depth.
    this.details = init.details === undefined || init.details.length === 0 ? [] : redactStructure(init.details);
    this.transport = init.transport;
    this.attempts = init.attempts ?? [];
    this.retryAfterMs = init.retryAfterMs;
    this.reachedServer = init.reachedServer;
    const hint = init.hint ?? hintFor(safeCode, this.details);
    this.hint = hint === undefined ? undefined : printable(redact(hint));
  }

  /**
   * Turns anything caught into an OperationsError. An OperationsError passes through unchanged; an AbortError becomes
   * CANCELLED; anything else becomes `fallbackCode` (UNKNOWN by default) with its message, credentials cut out.
   */
  static from(reason: unknown, fallbackCode: Code = Code.UNKNOWN): OperationsError {
    if (reason instanceof OperationsError) return reason;
    if (reason instanceof Error) {
      const code = reason.name === 'AbortError' ? Code.CANCELLED : reason.name === 'TimeoutError' ? Code.DEADLINE_EXCEEDED : fallbackCode;
      return new OperationsError(code, reason.message, { cause: reason });
    }
    return new OperationsError(fallbackCode, typeof reason === 'string' ? reason : describeThrown(reason));
  }

  /** A copy that also carries the attempt history (errors are immutable, so retries never rewrite one in place). */
  withAttempts(attempts: readonly AttemptRecord[]): OperationsError {
    return this.#copy({ attempts });
  }

  /** A copy marked as having come over `transport` (validation and status helpers do not know the wire). */
  withTransport(transport: TransportName): OperationsError {
    return this.transport === transport ? this : this.#copy({ transport });
  }

  #copy(changes: Pick<OperationsErrorInit, 'attempts' | 'transport'>): OperationsError {
    const transport = changes.transport ?? this.transport;
    return new OperationsError(this.code, this.rawMessage, {
      details: this.details,
      httpStatus: this.httpStatus,
      attempts: changes.attempts ?? this.attempts,
      ...(transport === undefined ? {} : { transport }),
      ...(this.retryAfterMs === undefined ? {} : { retryAfterMs: this.retryAfterMs }),
      ...(this.reachedServer === undefined ? {} : { reachedServer: this.reachedServer }),
      ...(this.hint === undefined ? {} : { hint: this.hint }),
      ...(this.cause === undefined ? {} : { cause: this.cause }),
    });
  }

  /** A plain object for JSON output (results files, `--json`): no stack, no cause, nothing secret. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      codeName: this.codeName,
      httpStatus: this.httpStatus,
      message: this.rawMessage,
      details: this.details,
      transport: this.transport,
      attempts: this.attempts,
      ...(this.hint === undefined ? {} : { hint: this.hint }),
    };
  }
}
