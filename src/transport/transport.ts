import type { ErrorDetail, TransportName } from '../errors.js';
import type { AttemptContext } from '../policy/retry.js';

/**
 * google.longrunning.Operation in one shape for both transports. `metadata` and `response` are google.protobuf.Any in
 * proto3 JSON form: REST gives the fields, gRPC gives `{"@type", "value"}` with the bytes base64-encoded (this library
 * does not know the API-specific message types).
 */
export interface Operation {
  readonly name: string;
  readonly done: boolean;
  readonly metadata?: ErrorDetail;
  /** Set when the operation ended in an error; `code` 1 (CANCELLED) is a successful cancellation. */
  readonly error?: OperationStatus;
  readonly response?: ErrorDetail;
}

/** google.rpc.Status as an operation carries it. */
export interface OperationStatus {
  readonly code: number;
  readonly message: string;
  readonly details: readonly ErrorDetail[];
}

export interface ListOperationsRequest {
  /** The parent, `projects/{p}/locations/{l}`. */
  readonly name: string;
  readonly filter?: string;
  readonly pageSize?: number;
  readonly pageToken?: string;
}

export interface ListOperationsPage {
  readonly operations: readonly Operation[];
  /** Empty when this was the last page. */
  readonly nextPageToken: string;
}

/**
 * One wire to the Operations service. A transport makes exactly one attempt per call; retry, deadline and fallback
 * policy live above it. Every failure is thrown as an OperationsError with `transport` set, so nothing above this
 * interface ever sees a grpc-js, undici or gaxios error.
 */
export interface Transport {
  readonly name: TransportName;
  cancelOperation(name: string, ctx: AttemptContext): Promise<void>;
  getOperation(name: string, ctx: AttemptContext): Promise<Operation>;
  listOperations(request: ListOperationsRequest, ctx: AttemptContext): Promise<ListOperationsPage>;
  deleteOperation(name: string, ctx: AttemptContext): Promise<void>;
  /** Starts over with a fresh connection (a probe after a fallback must not inherit a failed channel's backoff). */
  reconnect?(): void;
  /** Releases the channel or connection pool. Safe to call twice. */
  close(): Promise<void>;
}
