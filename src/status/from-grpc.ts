import { Code, codeName, isCode } from '../code.js';
import { OperationsError, type ErrorDetail } from '../errors.js';
import { decodeStatusBytes, retryDelayMsFromDetails } from './details.js';

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
 * A gRPC status as the one error class. The code is the server's as is (a number outside 0-16, or OK given as an
 * error, is UNKNOWN: nothing we cannot name is trusted); the details come from the `grpc-status-details-bin`
 * trailer, decoded into the proto3 JSON form REST would have given, and RetryInfo in them becomes `retryAfterMs`.
 */
export function errorFromGrpc(error: GrpcErrorLike, init: { readonly reachedServer?: boolean } = {}): OperationsError {
  const code = isCode(error.code) && error.code !== Code.OK ? error.code : Code.UNKNOWN;
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
