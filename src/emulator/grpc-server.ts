import { Metadata, Server, ServerCredentials, status as grpcStatus } from '@grpc/grpc-js';
import type { sendUnaryData, ServerUnaryCall, ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { Code } from '../code.js';
import { loadProtos } from '../protos.js';
import { ApiError } from './api-error.js';
import { DELAY_HEADER, FAULT_HEADER } from './faults.js';
import { DropConnection, type CallContext, type OperationsService, type OperationView } from './service.js';
import { grpcStatusDetailsBin } from './status-encoding.js';

/**
 * google.longrunning.Operations over gRPC (HTTP/2, plaintext, 127.0.0.1 only), with the service definition the
 * library loads through google-gax, so requests and responses are the real protobuf messages. Objects passed to the
 * callbacks use the field names of protos/compiled.json (Any is `{type_url, value}`).
 */

const EMPTY_RESPONSE = Object.freeze({ type_url: 'type.googleapis.com/google.protobuf.Empty', value: Buffer.alloc(0) });
const CANCELLED_ERROR = Object.freeze({ code: Code.CANCELLED, message: 'Operation cancelled', details: [] });
const FAILED_ERROR = Object.freeze({ code: Code.INTERNAL, message: 'Operation failed', details: [] });
const EMPTY = Object.freeze({});

/** An Operation message in the shape the protobuf serializer takes. */
export function grpcOperation(view: OperationView): Record<string, unknown> {
  if (!view.done) return { name: view.name, done: false };
  if (view.cancelled) return { name: view.name, done: true, error: CANCELLED_ERROR };
  if (view.failed) return { name: view.name, done: true, error: FAILED_ERROR };
  return { name: view.name, done: true, response: EMPTY_RESPONSE };
}

function header(metadata: Metadata, key: string): string | undefined {
  const values = metadata.get(key);
  const value = values[0];
  return value === undefined ? undefined : typeof value === 'string' ? value : value.toString('latin1');
}

function contextOf(call: ServerUnaryCall<unknown, unknown>): CallContext {
  const metadata = call.metadata;
  return {
    transport: 'grpc',
    authorization: header(metadata, 'authorization'),
    faultHeader: header(metadata, FAULT_HEADER),
    delayHeader: header(metadata, DELAY_HEADER),
    traceparent: header(metadata, 'traceparent'),
    tracestate: header(metadata, 'tracestate'),
  };
}

/**
 * Drops the connection under a call, as a crashed server or a cut network would: grpc-js has no public way to do
 * that from a handler, so this reaches the HTTP/2 session through the call's internals. If they ever move, the call
 * is answered UNAVAILABLE instead, which is what a client sees on a dropped connection.
 *
 * The session is destroyed on the next turn of the event loop, never from inside the call: a call served without a
 * delay runs while Node's HTTP/2 binding is still reading the request (nghttp2_session_mem_recv), and destroying the
 * session from there corrupted the heap and aborted the process ("corrupted size vs. prev_size") within a second of
 * 1% drops under 256 concurrent calls.
 */
function dropConnection(call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void {
  const inner = call as unknown as { call?: { stream?: { session?: { destroy(): void; destroyed?: boolean } } } };
  const session = inner.call?.stream?.session;
  if (session !== undefined) {
    setImmediate(() => {
      if (session.destroyed !== true) session.destroy();
    });
  } else {
    callback({ code: grpcStatus.UNAVAILABLE, details: 'Connection dropped (x-emulator-fault code=DROP).' });
  }
}

function fail(error: unknown, call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void {
  if (error === DropConnection) return dropConnection(call, callback);
  const apiError = error instanceof ApiError
    ? error
    : new ApiError(Code.INTERNAL, `Internal emulator error: ${error instanceof Error ? error.message : String(error)}`);
  const metadata = new Metadata();
  metadata.set('grpc-status-details-bin', grpcStatusDetailsBin(apiError));
  callback({ code: apiError.code as number as grpcStatus, details: apiError.message, metadata });
}

type Handler = (request: Record<string, unknown>, ctx: CallContext, call: ServerUnaryCall<unknown, unknown>) => Promise<unknown>;

function unary(handler: Handler) {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    let request: Record<string, unknown>;
    let ctx: CallContext;
    try {
      request = (call.request ?? {}) as Record<string, unknown>;
      ctx = contextOf(call);
    } catch (error) {
      fail(error, call, callback);
      return;
    }
    handler(request, ctx, call)
      .then(result => callback(null, result), (error: unknown) => fail(error, call, callback))
      // A callback on a call the client already ended may throw inside grpc-js; there is nobody left to answer.
      .catch(() => undefined);
  };
}

/** google.protobuf.Duration from proto-loader (`seconds` is a string with `longs: String`) to ms; undefined when unset. */
function durationMs(value: unknown): number | undefined {
  if (value === null || typeof value !== 'object') return undefined;
  const { seconds, nanos } = value as { seconds?: unknown; nanos?: unknown };
  const ms = Number(seconds ?? 0) * 1000 + Math.floor(Number(nanos ?? 0) / 1e6);
  return Number.isFinite(ms) ? Math.max(0, ms) : undefined;
}

function implementation(service: OperationsService): UntypedServiceImplementation {
  return {
    CancelOperation: unary(async (request, ctx) => { await service.cancel(request['name'], ctx); return EMPTY; }),
    GetOperation: unary(async (request, ctx) => grpcOperation(await service.get(request['name'], ctx))),
    DeleteOperation: unary(async (request, ctx) => { await service.delete(request['name'], ctx); return EMPTY; }),
    ListOperations: unary(async (request, ctx) => {
      const page = await service.list({
        name: request['name'],
        filter: String(request['filter'] ?? ''),
        pageSize: Number(request['pageSize'] ?? 0),
        pageToken: String(request['pageToken'] ?? ''),
      }, ctx);
      return { operations: page.operations.map(grpcOperation), nextPageToken: page.nextPageToken };
    }),
    WaitOperation: unary(async (request, ctx, call) => {
      const ended = new AbortController();
      const onCancelled = (): void => ended.abort();
      call.once('cancelled', onCancelled);
      try {
        return grpcOperation(await service.wait(request['name'], durationMs(request['timeout']), ctx, ended.signal));
      } finally {
        call.removeListener('cancelled', onCancelled);
      }
    }),
  };
}

export interface GrpcEndpoint {
  readonly port: number;
  /** Ends every call and connection at once. */
  close(): void;
}

/**
 * Bounds on what one client can hold: 1000 calls at once per connection (HTTP/2 SETTINGS, so a client queues the
 * rest instead of the server running without limit), and a connection with no call for two minutes is closed
 * (GOAWAY; a grpc-js client reconnects on its next call). Messages are capped at grpc-js's 4 MiB default.
 */
const SERVER_OPTIONS = {
  'grpc.max_concurrent_streams': 1000,
  'grpc.max_connection_idle_ms': 120_000,
};

export async function startGrpcServer(service: OperationsService, port: number): Promise<GrpcEndpoint> {
  const server = new Server(SERVER_OPTIONS);
  server.addService(loadProtos().OperationsClient.service as ServiceDefinition, implementation(service));
  const boundPort = await new Promise<number>((resolve, reject) => {
    server.bindAsync(`127.0.0.1:${port}`, ServerCredentials.createInsecure(), (error, bound) => (error ? reject(error) : resolve(bound)));
  });
  return { port: boundPort, close: () => server.forceShutdown() };
}
