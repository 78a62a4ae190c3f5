import { Code, codeName, isCode } from '../code.js';
import { OperationsError, type ErrorDetail } from '../errors.js';
import { decodeStatusBytes, retryDelayMsFromDetails } from './details.js';
import { unreachableGrpcHint } from './hints.js';
import { isPlaintextAnswer, plaintextAnswerError } from './plaintext.js';

/** The parts of a grpc-js ServiceError this reads; anything thrown by a grpc-js call fits. */
export interface GrpcErrorLike {
  readonly code?: unknown;
  /** grpc-js puts the server's own status message here; `message` is `"<n> <NAME>: <details>"`. */
  readonly details?: unknown;
  readonly message?: unknown;
  readonly metadata?: { get(key: string): unknown[] } | undefined;
}

const STATUS_DETAILS_KEY = 'grpc-status-details-bin';

/**
 * What grpc-js reports when a stream ends with no gRPC status from the server: RST_STREAM NO_ERROR (INTERNAL, by the
 * gRPC HTTP/2 mapping) or RST_STREAM CANCEL (CANCELLED, which Node also makes up for a dropped connection, as grpc-js
 * itself notes). That is what a server shutting down or a connection cut mid-call looks like, with many calls on
 * one HTTP/2 connection: the server neither failed the call nor did the caller cancel it, and it may or may not have
 * been processed. UNAVAILABLE says exactly that, and callers retry it (CancelOperation is safe to repeat).
 */
const endedWithoutStatus = new Map<number, string>([
  [Code.INTERNAL, 'Received RST_STREAM with code 0 (Call ended without gRPC status)'],
  [Code.CANCELLED, 'Call cancelled'],
]);

/**
 * A gRPC status as the one error class. The code is the server's as is (a number outside 0-16, or OK given as an
 * error, is UNKNOWN: nothing we cannot name is trusted), except that a stream ended without any status is UNAVAILABLE
 * (see endedWithoutStatus); the details come from the `grpc-status-details-bin`
 * trailer, decoded into the proto3 JSON form REST would have given, and RetryInfo in them becomes `retryAfterMs`.
 * A TLS handshake that met a plaintext server is FAILED_PRECONDITION with the fix (status/plaintext.ts); a channel
 * that could not connect at all stays UNAVAILABLE (retried: a server may be starting) in one clean line with a hint.
 */
export function errorFromGrpc(error: GrpcErrorLike, init: { readonly reachedServer?: boolean } = {}): OperationsError {
  const noConnection = error.code === Code.UNAVAILABLE && typeof error.details === 'string' && error.details.startsWith('No connection established');
  // TLS to a plaintext port: grpc-js reports "No connection established" with OpenSSL's text; no gRPC server spoke.
  if (noConnection && isPlaintextAnswer(error.details)) return plaintextAnswerError('grpc');
  // Something that is not an HTTP/2 server answered (an HTTP/1.1 server, a REST URL given as --endpoint): the
  // endpoint is wrong, which no retry mends. A server that is starting refuses the connection instead.
  if (noConnection && /Last error: (?:Error: )?Protocol error/.test(error.details as string)) {
    return new OperationsError(Code.FAILED_PRECONDITION, 'the gRPC endpoint does not speak HTTP/2 (grpc-js: Protocol error): it is not a gRPC server', {
      transport: 'grpc', reachedServer: false, hint: NOT_GRPC_HINT,
    });
  }
  const connect = noConnection ? connectFailure(error.details as string) : undefined;
  if (connect !== undefined) {
    return new OperationsError(Code.UNAVAILABLE, connect, { transport: 'grpc', reachedServer: false, hint: unreachableGrpcHint() });
  }
  const given = isCode(error.code) && error.code !== Code.OK ? error.code : Code.UNKNOWN;
  const code = endedWithoutStatus.get(given) === error.details ? Code.UNAVAILABLE : given;
  const status = statusFromTrailer(error.metadata);
  const details: readonly ErrorDetail[] = status?.details ?? [];
  const retryAfterMs = retryDelayMsFromDetails(details);
  return new OperationsError(code, messageOf(error, status?.message), {
    details,
    transport: 'grpc',
    ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    ...(init.reachedServer === undefined ? {} : { reachedServer: init.reachedServer }),
  });
}

/** The hint for a gRPC endpoint where something else listens. */
const NOT_GRPC_HINT = 'check --endpoint (or LRO_CANCEL_EMULATOR_HOST): it must be a gRPC host:port; an https:// URL goes in --rest-endpoint';

/** What a socket error code means for a client that tried to connect, in a few words. */
const CONNECT_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'nothing listens there',
  ECONNRESET: 'the connection was reset',
  ETIMEDOUT: 'no answer in time',
  EHOSTUNREACH: 'no route to the host',
  ENETUNREACH: 'no route to the network',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved now',
};

/**
 * grpc-js's text for a channel that never connected ("No connection established. Last error: Error: connect
 * ECONNREFUSED 127.0.0.1:1. Resolution note: ", the note often empty) as one clean line: `could not connect to
 * 127.0.0.1:1 (ECONNREFUSED): nothing listens there`. Undefined when the text names no socket error it knows.
 */
function connectFailure(details: string): string | undefined {
  const match = /Last error: (?:Error: )?(?:connect|getaddrinfo) (E[A-Z_]+) (\S+?)\.?(?: Resolution note: (.*))?$/s.exec(details);
  if (match === null) return undefined;
  const [, errno = '', address = '', note = ''] = match;
  const meaning = CONNECT_ERRORS[errno];
  const resolution = note.trim() === '' ? '' : `; ${note.trim()}`;
  return `could not connect to ${endpointOf(address)} (${errno})${meaning === undefined ? '' : `: ${meaning}`}${resolution}`;
}

/** Node writes an IPv6 address and its port as `::1:7001`; an endpoint is written `[::1]:7001`. */
function endpointOf(address: string): string {
  const port = /^(.*:.*):(\d+)$/.exec(address);
  return port === null ? address : `[${port[1] ?? ''}]:${port[2] ?? ''}`;
}

function statusFromTrailer(metadata: GrpcErrorLike['metadata']): ReturnType<typeof decodeStatusBytes> {
  if (metadata === undefined || metadata === null || typeof metadata.get !== 'function') return undefined;
  let values: unknown[];
  try {
    values = metadata.get(STATUS_DETAILS_KEY);
  } catch {
    return undefined;
  }
  const bytes = Array.isArray(values) ? values.find((v): v is Uint8Array => v instanceof Uint8Array) : undefined;
  return bytes === undefined ? undefined : decodeStatusBytes(bytes);
}

/** The server's words: `details`, else the trailer's Status.message, else grpc-js's message without its code prefix. */
function messageOf(error: GrpcErrorLike, trailerMessage: string | undefined): string {
  if (typeof error.details === 'string' && error.details !== '') return error.details;
  if (trailerMessage !== undefined && trailerMessage !== '') return trailerMessage;
  if (typeof error.message === 'string') {
    const bare = error.message.replace(/^\d+ [A-Z_]+: ?/, '');
    if (bare !== '') return bare;
  }
  const given = isCode(error.code) ? codeName(error.code) : JSON.stringify(error.code) ?? String(error.code);
  return `the gRPC server ended the call with status ${given} and no message`;
}
