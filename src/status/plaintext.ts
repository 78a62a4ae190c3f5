import { Code } from '../code.js';
import { OperationsError, type TransportName } from '../errors.js';
import { plaintextHint } from './hints.js';

/**
 * What OpenSSL says when a TLS client reads a plaintext answer as a TLS record (an HTTP/1.1 status line or an HTTP/2
 * frame where a ServerHello should be): "wrong version number" (OpenSSL 1.1 and 3.0), "packet length too long",
 * "record layer failure" (3.2 and later), as error codes (`ERR_SSL_WRONG_VERSION_NUMBER`) or inside a message
 * (grpc-js's "No connection established. Last error: ...").
 */
const PLAINTEXT_ANSWER = /wrong[ _]version[ _]number|packet[ _]length[ _]too[ _]long|record[ _]layer[ _]failure/i;

/** Whether an error code or message is OpenSSL's word for a plaintext server met by a TLS client. */
export function isPlaintextAnswer(text: unknown): boolean {
  return typeof text === 'string' && PLAINTEXT_ANSWER.test(text);
}

/**
 * The error for TLS to a plaintext port. It is not transient: retrying would meet the same server five times over
 * seconds, so it is FAILED_PRECONDITION (fix the configuration, then call again), with `reachedServer: false` (no
 * request was sent: `auto` may still try REST) and the fix as its hint. The message replaces OpenSSL's multi-line text.
 */
export function plaintextAnswerError(transport: TransportName, cause?: unknown): OperationsError {
  return new OperationsError(Code.FAILED_PRECONDITION, 'the server answered in plaintext: for an emulator use --insecure', {
    transport,
    reachedServer: false,
    hint: plaintextHint(transport),
    ...(cause === undefined ? {} : { cause }),
  });
}
