import type { ErrorDetail, TransportName } from '../errors.js';

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

/** What one attempt may use: an absolute deadline and a signal that fires on the caller's abort or the deadline. */
export interface AttemptContext {
  /** Epoch milliseconds (Date.now() scale) by which this attempt must end. */
  readonly deadline: number;
  readonly signal: AbortSignal;
  /** Extra request headers / metadata for this call only (lower-case names), e.g. emulator fault injection. */
  readonly headers?: Readonly<Record<string, string>>;
  /**
   * True when nothing but `deadline` can end this attempt early (the caller gave no signal). A transport that enforces
   * `deadline` by itself may then leave `signal` unread: the retry loop makes it only when it is read, and an
   * AbortController, a timer and a listener per call are a measurable share of a cancel's client CPU.
   */
  readonly deadlineOnly?: boolean;
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
