import * as grpc from '@grpc/grpc-js';
import type { ChannelCredentials, Client, StatusObject } from '@grpc/grpc-js';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { assertOperationName, parseParentName } from '../names.js';
import { loadProtos } from '../protos.js';
import { forGrpc } from '../policy/deadline.js';
import { abortCode, transportAbortError } from '../policy/signals.js';
import { errorFromGrpc } from '../status/from-grpc.js';
import { grpcChannelCredentials, type AuthHeadersFor, type GrpcSecurity } from './grpc-credentials.js';
import { UnaryCall, type Channel, type UnaryMethodDefinition } from './grpc-unary.js';
import { hostOfEndpoint, isLoopbackHost } from '../loopback.js';
import { operationFromGrpc, type GrpcOperation } from './operation-grpc.js';
import type { AttemptContext, ServerAddress } from '../policy/retry.js';
import type { ListOperationsPage, ListOperationsRequest, Operation, Transport } from './transport.js';

export interface GrpcTransportOptions {
  /** `host:port` of the gRPC endpoint. */
  readonly endpoint: string;
  /** TLS or plaintext, decided by the client options. */
  readonly security: GrpcSecurity;
  /** Sent on every call: x-goog-api-client, x-goog-user-project. Computed once by the client. */
  readonly staticHeaders: Readonly<Record<string, string>>;
  /**
   * The credentials' headers. Over TLS they ride in the channel's call credentials; in plaintext (loopback, a local
   * proxy or the emulator with --require-auth) they are sent as call metadata, since grpc-js refuses call
   * credentials on an insecure channel. None: calls go without authorization.
   */
  readonly getAuthHeaders?: AuthHeadersFor | undefined;
  /** Extra grpc-js channel options (e.g. `grpc.ssl_target_name_override` in tests). */
  readonly channelOptions?: Readonly<Record<string, string | number>>;
}

type MethodKey = 'cancel' | 'get' | 'list' | 'delete';

/** The largest response accepted, after decompression: the REST transport's limit too. An Operation is a few hundred bytes. */
export const MAX_RECEIVE_BYTES = 4 * 1024 * 1024;

/**
 * Channel options that close detours grpc-js would otherwise take:
 * - `grpc.max_receive_message_length`: this client used to raise grpc-js's 4 MiB default to 64 MiB, and the limit is
 *   also what a compressed message may inflate to (a gzip answer of a few KiB became a 5 MiB operation name).
 * - `grpc.service_config_disable_resolution`: grpc-js looks up a DNS TXT record of the target's name for a service
 *   config, even for `localhost`, and obeys its retry policy under ours (`maxAttempts: 1` became 15 calls for 3
 *   reads). Our retry policy is the only one.
 * - `grpc.enable_http_proxy: 0` for plaintext and for loopback targets: grpc-js honours `grpc_proxy`, `https_proxy` and
 *   `http_proxy` (minus `no_grpc_proxy` / `no_proxy`), so "loopback only" plaintext would go to a remote proxy, with
 *   the operation names and any explicit bearer token in clear, and a proxy that answers by itself would be believed.
 *   TLS channels to other hosts keep the proxy variables (a corporate proxy tunnels TLS it cannot read).
 */
function safetyOptions(options: GrpcTransportOptions): Record<string, number> {
  const direct = options.security.kind === 'plaintext' || isLoopbackHost(hostOfEndpoint(options.endpoint));
  return {
    'grpc.max_receive_message_length': MAX_RECEIVE_BYTES,
    'grpc.service_config_disable_resolution': 1,
    ...(direct ? { 'grpc.enable_http_proxy': 0 } : {}),
  };
}

/**
 * grpc-js answers "No connection established" when the channel never got a usable HTTP/2 connection (refused,
 * TLS or HTTP/2 handshake failed, an HTTP/1.1 server answered), "Received HTTP status code N" when something that
 * is not a gRPC server (a proxy) answered without a grpc-status, and a DEADLINE_EXCEEDED "... Waiting for LB pick"
 * when no connection was ready before the deadline. Neither reached a gRPC server, so `auto`
 * may switch to REST for them; a status a gRPC server sent never switches.
 */
function reachedGrpcServer(error: StatusObject): boolean | undefined {
  if (error.code === grpc.status.UNAVAILABLE && error.details.startsWith('No connection established')) return false;
  // The deadline passed before the channel had a connection to send on (a port that accepts TCP and never speaks
  // HTTP/2): grpc-js ends its list of phases with "Waiting for LB pick".
  if (error.code === grpc.status.DEADLINE_EXCEEDED && error.details.endsWith('Waiting for LB pick')) return false;
  if (/^Received HTTP status code \d+/.test(error.details)) return false;
  return undefined;
}

/**
 * google.longrunning.Operations over one long-lived grpc-js channel, with the method definitions of the service client
 * that google-gax loaded from the compiled protos. One call is one attempt (a UnaryCall on the client's channel): the
 * deadline rides on the call, an abort cancels it.
 */
export class GrpcTransport implements Transport {
  readonly name = 'grpc' as const;
  readonly server: ServerAddress;
  readonly #options: GrpcTransportOptions;
  #client: Client;
  #channel: Channel;
  readonly #baseMetadata: grpc.Metadata;
  readonly #methods: Record<MethodKey, UnaryMethodDefinition>;
  readonly #credentials: ChannelCredentials;
  /** The credentials' headers as call metadata: in plaintext only (over TLS the channel credentials carry them). */
  readonly #getAuthHeaders: AuthHeadersFor | undefined;
  #closed = false;
  /** Calls on the wire, cancelled by close(). */
  readonly #active = new Set<UnaryCall>();

  constructor(options: GrpcTransportOptions) {
    this.#options = options;
    this.server = serverOf(options.endpoint);
    this.#credentials = grpcChannelCredentials(options.security, options.getAuthHeaders);
    this.#getAuthHeaders = options.security.kind === 'plaintext' ? options.getAuthHeaders : undefined;
    this.#baseMetadata = new grpc.Metadata();
    for (const [key, value] of Object.entries(options.staticHeaders)) this.#baseMetadata.set(key, value);
    this.#methods = methodDefinitions();
    this.#client = this.#connect();
    this.#channel = this.#client.getChannel();
  }

  /**
   * Replaces the channel with a new one. `auto` calls this when it probes gRPC again after a fallback: a grpc-js
   * channel in TRANSIENT_FAILURE waits out its own reconnect backoff (up to two minutes) before trying again, and
   * fails calls fast meanwhile, so a probe on the old channel could not see a server that came back.
   */
  reconnect(): void {
    if (this.#closed) return;
    const old = this.#client;
    this.#client = this.#connect();
    this.#channel = this.#client.getChannel();
    old.close();
  }

  #connect(): Client {
    const { OperationsClient } = loadProtos();
    const options = this.#options;
    return new OperationsClient(options.endpoint, this.#credentials, {
      'grpc.primary_user_agent': options.staticHeaders['x-goog-api-client'] ?? 'lro-cancel',
      ...options.channelOptions,
      ...safetyOptions(options),
    });
  }

  async cancelOperation(name: string, ctx: AttemptContext): Promise<void> {
    assertOperationName(name);
    await this.#unary(this.#methods.cancel, { name }, name, ctx);
  }

  async getOperation(name: string, ctx: AttemptContext): Promise<Operation> {
    assertOperationName(name);
    return operationFromGrpc(await this.#unary(this.#methods.get, { name }, name, ctx) as GrpcOperation);
  }

  async listOperations(request: ListOperationsRequest, ctx: AttemptContext): Promise<ListOperationsPage> {
    parseParentName(request.name);
    const response = await this.#unary(this.#methods.list, {
      name: request.name,
      filter: request.filter ?? '',
      pageSize: request.pageSize ?? 0,
      pageToken: request.pageToken ?? '',
    }, request.name, ctx) as { operations?: GrpcOperation[]; nextPageToken?: string };
    return {
      operations: (response.operations ?? []).map(operationFromGrpc),
      nextPageToken: response.nextPageToken ?? '',
    };
  }

  async deleteOperation(name: string, ctx: AttemptContext): Promise<void> {
    assertOperationName(name);
    await this.#unary(this.#methods.delete, { name }, name, ctx);
  }

  /** Cancels the calls in flight (they end CANCELLED) and closes the channel. Safe to call twice. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const call of [...this.#active]) call.cancel('the client is closed');
    this.#client.close();
  }

  /** Not async: without auth headers the call's own promise is returned as is (an async wrapper costs a promise more). */
  #unary(method: UnaryMethodDefinition, request: object, routingName: string, ctx: AttemptContext): Promise<unknown> {
    if (this.#getAuthHeaders === undefined) return this.#send(method, request, routingName, ctx, undefined);
    return this.#getAuthHeaders().then(auth => this.#send(method, request, routingName, ctx, auth));
  }

  #send(method: UnaryMethodDefinition, request: object, routingName: string, ctx: AttemptContext, auth: Readonly<Record<string, string>> | undefined): Promise<unknown> {
    if (this.#closed) return Promise.reject(new OperationsError(Code.UNAVAILABLE, 'the gRPC transport is closed', { transport: 'grpc', reachedServer: false }));
    // The call carries the deadline itself; a signal that could only say "deadline" is not even made (deadlineOnly).
    const signal = ctx.deadlineOnly === true ? undefined : ctx.signal;
    if (signal?.aborted === true) return Promise.reject(abortError(signal));
    const metadata = this.#baseMetadata.clone();
    metadata.set('x-goog-request-params', `name=${encodeURIComponent(routingName)}`);
    if (ctx.headers !== undefined) for (const [key, value] of Object.entries(ctx.headers)) metadata.set(key, value);
    if (auth !== undefined) for (const [key, value] of Object.entries(auth)) metadata.set(key, value);
    const channel = this.#channel;
    const deadline = forGrpc(ctx.deadline);
    if (signal === undefined) {
      return new Promise((resolve, reject) => {
        new UnaryCall(channel, method, request, metadata, deadline, resolve, reject, toOperationsError, this.#active);
      });
    }
    // A promise settles once: whichever of the abort and the call's own end comes first is what the caller sees.
    return new Promise((resolve, reject) => {
      // Runs only from an abort event, after the constructor below (the signal was not aborted on entry).
      const onAbort = (): void => {
        call.cancel('Cancelled on client');
        reject(abortError(signal));
      };
      signal.addEventListener('abort', onAbort, { once: true });
      const settle = <T>(finish: (value: T) => void) => (value: T): void => {
        signal.removeEventListener('abort', onAbort);
        finish(value);
      };
      const call = new UnaryCall(channel, method, request, metadata, deadline, settle(resolve), settle(reject), toOperationsError, this.#active);
    });
  }
}

/** The four methods' definitions from the gax-loaded service client: path and (de)serializers. */
function methodDefinitions(): Record<MethodKey, UnaryMethodDefinition> {
  const service = loadProtos().OperationsClient.service as unknown as Record<string, UnaryMethodDefinition | undefined>;
  const definition = (method: string): UnaryMethodDefinition => {
    const found = service[method];
    if (found === undefined) throw new Error(`the loaded Operations service has no ${method} method`);
    return found;
  };
  return { cancel: definition('CancelOperation'), get: definition('GetOperation'), list: definition('ListOperations'), delete: definition('DeleteOperation') };
}

/** `host:port` (IPv6 in brackets) as the RPC conventions want it: the host without brackets, the port a number. */
function serverOf(endpoint: string): ServerAddress {
  const host = hostOfEndpoint(endpoint);
  const port = Number(endpoint.slice(host.length + 1));
  const address = host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
  return { address, port: Number.isInteger(port) && port > 0 ? port : undefined };
}

function toOperationsError(error: StatusObject): OperationsError {
  const reached = reachedGrpcServer(error);
  return errorFromGrpc(error, reached === undefined ? {} : { reachedServer: reached });
}

function abortError(signal: AbortSignal): OperationsError {
  return transportAbortError(abortCode(signal), 'grpc');
}
