import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { credentialsHint } from '../status/hints.js';

/**
 * Causes that say the credential source could not be reached or did not answer in time, not that it refused: the
 * metadata server timing out (common with GKE Workload Identity under load), a reset connection, a DNS hiccup.
 */
const UNREACHABLE = new Set([
  'ETIMEDOUT', 'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'EHOSTUNREACH', 'EHOSTDOWN', 'ENETUNREACH', 'ENETDOWN',
  'EAI_AGAIN', 'ENOTFOUND', 'EADDRNOTAVAIL', 'UND_ERR_SOCKET', 'UND_ERR_CLOSED', 'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ERR_STREAM_PREMATURE_CLOSE', 'TimeoutError',
]);

/** HTTP statuses of a token endpoint or metadata server that say "not now" rather than "no". */
function isTransientStatus(status: unknown): boolean {
  return typeof status === 'number' && (status === 408 || status === 429 || status >= 500);
}

/**
 * Whether a credential source's failure was transient: a network or timeout cause, or a 408/429/5xx answer, anywhere
 * in the `cause` chain (gaxios wraps fetch's error, which wraps the socket's) or among an AggregateError's errors
 * (gcp-metadata races two addresses).
 */
export function isTransientCredentialFailure(cause: unknown, depth = 0): boolean {
  if (depth > 6 || typeof cause !== 'object' || cause === null) return false;
  const { code, name, type, status, response, cause: inner, errors } = cause as {
    code?: unknown; name?: unknown; type?: unknown; status?: unknown; response?: { status?: unknown }; cause?: unknown; errors?: unknown;
  };
  if (typeof code === 'string' && UNREACHABLE.has(code)) return true;
  if (name === 'TimeoutError' || type === 'request-timeout') return true;
  if (isTransientStatus(status) || isTransientStatus(response?.status)) return true;
  if (Array.isArray(errors) && errors.some(error => isTransientCredentialFailure(error, depth + 1))) return true;
  return inner !== cause && isTransientCredentialFailure(inner, depth + 1);
}

/** google-auth-library's words when Application Default Credentials found nothing at all. */
const ADC_NOT_FOUND = /Could not load the default credentials/i;

/**
 * A credential source's failure as the one error class. A transient failure (see isTransientCredentialFailure) is
 * UNAVAILABLE, retried as any unreachable server is; only a real refusal or a source that is not there is
 * UNAUTHENTICATED, final. ADC that found nothing says, in one line, how to set credentials up. An OperationsError
 * that a source of this library threw (a token file, impersonation) already says what it is and passes through.
 */
export function credentialFailure(cause: unknown): OperationsError {
  if (cause instanceof OperationsError && (cause.code === Code.UNAUTHENTICATED || cause.code === Code.UNAVAILABLE)) return cause;
  // Not String(cause): a source may reject with anything, and an object without a prototype cannot be stringified.
  const reason = OperationsError.from(cause).rawMessage;
  if (ADC_NOT_FOUND.test(reason)) {
    // One line that is the fix: the message carries it (the gRPC wire keeps a message, not a hint).
    return new OperationsError(Code.UNAUTHENTICATED, credentialsHint('no credentials found'));
  }
  if (isTransientCredentialFailure(cause)) {
    return new OperationsError(Code.UNAVAILABLE, `the credential source did not answer (tried again as an unreachable server is): ${reason}`);
  }
  return new OperationsError(Code.UNAUTHENTICATED, `could not get credentials: ${reason}`, {
    hint: credentialsHint('check the credentials'),
  });
}
