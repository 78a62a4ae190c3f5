import type { ErrorDetail, TransportName } from '../errors.js';
import type { AttemptContext, ServerAddress } from '../policy/retry.js';

/**
 * A google.protobuf.Any in one shape whichever wire brought it, so a client that `auto` moves from gRPC to REST
 * mid-run reads the same fields: `fields` whenever the message could be decoded (always over REST, where the server
 * sends proto3 JSON; over gRPC for the types this library carries: google.protobuf, google.rpc, google.longrunning),
 * and `bytes` (base64) when the wire carried bytes (gRPC). An API's own message type arrives with `fields` over REST
 * and with `bytes` only over gRPC: the library does not carry every API's protos.
 */
export interface AnyMessage {
  /** `type.googleapis.com/{full message name}`. */
  readonly '@type': string;
  /** The message in proto3 JSON form (`{}` for google.protobuf.Empty). */
  readonly fields?: Readonly<Record<string, unknown>>;
  /** The serialized message, base64. */
  readonly bytes?: string;
}

/** google.longrunning.Operation in one shape for both transports. */
export interface Operation {
  readonly name: string;
  readonly done: boolean;
  readonly metadata?: AnyMessage;
  /** Set when the operation ended in an error; `code` 1 (CANCELLED) is a successful cancellation. */
  readonly error?: OperationStatus;
  readonly response?: AnyMessage;
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
  /** The host and port this transport was configured with (telemetry attributes). */
  readonly server: ServerAddress;
  cancelOperation(name: string, ctx: AttemptContext): Promise<void>;
  getOperation(name: string, ctx: AttemptContext): Promise<Operation>;
  listOperations(request: ListOperationsRequest, ctx: AttemptContext): Promise<ListOperationsPage>;
  deleteOperation(name: string, ctx: AttemptContext): Promise<void>;
  /** Starts over with a fresh connection (a probe after a fallback must not inherit a failed channel's backoff). */
  reconnect?(): void;
  /** Releases the channel or connection pool. Safe to call twice. */
  close(): Promise<void>;
}
