import type { Pool } from 'undici';
import { Code } from '../code.js';
import { OperationsError } from '../errors.js';
import { assertOperationName, parseParentName } from '../names.js';
import type { ServiceProfile } from '../protos.js';
import { errorFromHttp, errorFromNetwork } from '../status/from-http.js';
import { listPageFromJson, operationFromJson, parseJsonObject } from './operation-json.js';
import { endedBeforeStart, RestExchange, type ExchangeResult } from './rest-exchange.js';
import { RequestHeaders } from './rest-headers.js';
import { buildRequest, compileRoutes, type BuiltRequest, type OperationsRpc, type RequestFields, type Route } from './rest-route.js';
import type { AttemptContext, ServerAddress } from '../policy/retry.js';
import type { ListOperationsPage, ListOperationsRequest, Operation, Transport } from './transport.js';

export interface RestTransportOptions {
  /** Scheme, host, port and an optional path prefix: `https://cloudaicompanion.googleapis.com`, `http://127.0.0.1:7002`. */
  readonly baseUrl: string;
  /** The google.api.http rules to transcode with (`profileFor('cloudaicompanion.googleapis.com/v1')`). */
  readonly profile: ServiceProfile;
  /** Keep-alive sockets in the pool; size it to the caller's concurrency so calls never queue behind each other. */
  readonly connections: number;
  /** `{authorization: 'Bearer ...'}` or `{}`, asked for on every call so a refreshed token is used at once. */
  readonly getAuthHeaders: () => Promise<Readonly<Record<string, string>>>;
  /** x-goog-api-client and friends, computed once by the caller. */
  readonly userAgentHeaders: Readonly<Record<string, string>>;
  /**
   * The most of any response body read (4 MiB is plenty: an Operation is a few hundred bytes). A 2xx body over it
   * fails as INTERNAL (our limit, not the server's fault or quota, so it neither retries nor slows a batch down); of an
   * error body over it, what was read is parsed and the status decides the code.
   */
  readonly maxResponseBytes: number;
  /** Extra trusted CA (PEM) for TLS, e.g. a test server's. */
  readonly caCertificate?: Uint8Array | string | undefined;
}

function optionError(name: string, value: unknown, expected: string): OperationsError {
  return new OperationsError(Code.INVALID_ARGUMENT, `REST transport option ${name} must be ${expected}, got ${JSON.stringify(value)}`);
}

function originAndPrefix(baseUrl: string): { origin: string; prefix: string } {
  let url: URL;
  try {
    url = new URL(baseUrl);
  } catch {
    throw optionError('baseUrl', baseUrl, 'an absolute http(s) URL');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw optionError('baseUrl', baseUrl, 'an http: or https: URL');
  if (url.username !== '' || url.password !== '' || url.search !== '' || url.hash !== '') {
    throw optionError('baseUrl', `${url.protocol}//${url.host}${url.pathname}`, 'a URL without user info, query or fragment');
  }
  return { origin: url.origin, prefix: url.pathname.replace(/\/+$/, '') };
}

function checkCount(name: string, value: number): number {
  if (!Number.isSafeInteger(value) || value < 1) throw optionError(name, value, 'a positive integer');
  return value;
}

/** Cancel and Delete answer google.protobuf.Empty: `{}`, nothing (204), or an object with fields we do not know. */
function expectEmpty(text: string, rpc: string): void {
  if (text === '' || text === '{}') return;
  if (text.trim() !== '') parseJsonObject(text, `${rpc} response`);
}

/**
 * google.longrunning.Operations over HTTP/JSON, transcoded from the profile's google.api.http rules, on one undici
 * keep-alive pool. One call is one attempt; it ends at `ctx.deadline` or on `ctx.signal`, whichever is first.
 */
class RestTransport implements Transport {
  readonly name = 'rest' as const;
  readonly server: ServerAddress;
  /** Made on the first call: undici takes ~70 ms to load, which `auto` never needs while gRPC gets through. */
  #pool: Pool | undefined;
  #opening: Promise<Pool> | undefined;
  readonly #poolOptions: Pool.Options;
  readonly #origin: string;
  readonly #routes: ReadonlyMap<OperationsRpc, Route>;
  readonly #profileKey: string;
  readonly #getAuthHeaders: RestTransportOptions['getAuthHeaders'];
  readonly #maxResponseBytes: number;
  readonly #headers: RequestHeaders;
  #closing: Promise<void> | undefined;

  constructor(options: RestTransportOptions) {
    const { origin, prefix } = originAndPrefix(options.baseUrl);
    this.#origin = origin;
    const url = new URL(origin);
    const address = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    this.server = { address, port: url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port) };
    this.#routes = compileRoutes(options.profile, prefix);
    this.#profileKey = `${options.profile.host}/${options.profile.version}`;
    this.#getAuthHeaders = options.getAuthHeaders;
    this.#maxResponseBytes = checkCount('maxResponseBytes', options.maxResponseBytes);
    this.#headers = new RequestHeaders(options.userAgentHeaders);
    const ca = options.caCertificate;
    this.#poolOptions = {
      connections: checkCount('connections', options.connections),
      pipelining: 1,
      ...(ca === undefined ? {} : { connect: { ca: typeof ca === 'string' ? ca : Buffer.from(ca) } }),
    };
  }

  /** The pool, importing undici on first use (once, however many calls wait for it). */
  #openPool(): Promise<Pool> {
    this.#opening ??= import('undici').then(({ Pool }) => {
      this.#pool = new Pool(this.#origin, this.#poolOptions);
      return this.#pool;
    });
    return this.#opening;
  }

  async cancelOperation(name: string, ctx: AttemptContext): Promise<void> {
    validate(assertOperationName, name);
    expectEmpty(await this.#call('CancelOperation', { name }, ctx), 'CancelOperation');
  }

  async getOperation(name: string, ctx: AttemptContext): Promise<Operation> {
    validate(assertOperationName, name);
    return operationFromJson(parseJsonObject(await this.#call('GetOperation', { name }, ctx), 'Operation'));
  }

  async listOperations(request: ListOperationsRequest, ctx: AttemptContext): Promise<ListOperationsPage> {
    validate(parseParentName, request.name);
    const { pageSize } = request;
    if (pageSize !== undefined && (!Number.isSafeInteger(pageSize) || pageSize < 0 || pageSize > 2147483647)) {
      throw new OperationsError(Code.INVALID_ARGUMENT, `pageSize must be a non-negative int32, got ${pageSize}`, { transport: 'rest' });
    }
    const fields = { name: request.name, filter: request.filter, pageSize, pageToken: request.pageToken };
    return listPageFromJson(parseJsonObject(await this.#call('ListOperations', fields, ctx), 'ListOperationsResponse'));
  }

  async deleteOperation(name: string, ctx: AttemptContext): Promise<void> {
    validate(assertOperationName, name);
    expectEmpty(await this.#call('DeleteOperation', { name }, ctx), 'DeleteOperation');
  }

  close(): Promise<void> {
    // A pool still being made is closed once it exists; a call that was waiting for it then finds #closing set.
    // destroy, not close: a request still on the wire is aborted now rather than awaited (a client's close is a hard stop).
    this.#closing ??= this.#opening === undefined ? Promise.resolve() : this.#opening.then(pool => pool.destroy(closedError()));
    return this.#closing;
  }

  /** One request; resolves with the 2xx body as text, throws an OperationsError with transport rest otherwise. */
  async #call(rpc: OperationsRpc, fields: RequestFields, ctx: AttemptContext): Promise<string> {
    const route = this.#routes.get(rpc);
    if (route === undefined) {
      throw new OperationsError(Code.UNIMPLEMENTED, `the REST profile ${this.#profileKey} has no http rule for ${rpc}`, { transport: 'rest' });
    }
    if (this.#closing !== undefined) throw closedError();
    let built: BuiltRequest;
    try {
      built = buildRequest(route, fields);
    } catch (error) {
      throw OperationsError.from(error, Code.INVALID_ARGUMENT).withTransport('rest');
    }
    let pool = this.#pool;
    if (pool === undefined) {
      pool = await this.#openPool();
      if (this.#closing !== undefined) throw closedError();
    }
    const early = endedBeforeStart(ctx);
    if (early !== undefined) throw early;
    const exchange = new RestExchange(ctx, this.#maxResponseBytes);
    let auth: Promise<Readonly<Record<string, string>>>;
    try {
      auth = this.#getAuthHeaders();
    } catch (error) {
      auth = Promise.reject(error);
    }
    auth.then(
      headers => this.#send(exchange, pool, route, built, ctx, headers),
      error => exchange.fail(authError(error)),
    );
    let result: ExchangeResult;
    try {
      result = await exchange.promise;
    } catch (error) {
      if (error instanceof OperationsError) throw error.withTransport('rest');
      throw errorFromNetwork(error, 'rest');
    }
    const { status } = result;
    ctx.observer?.httpStatus(status);
    if (status >= 200 && status < 300) {
      if (!result.complete) {
        throw new OperationsError(Code.INTERNAL, `the ${rpc} response body is larger than maxResponseBytes (${this.#maxResponseBytes}); not read further`, { transport: 'rest', httpStatus: status });
      }
      return result.bytes.length === 0 ? '' : result.bytes.toString('utf8');
    }
    const error = errorFromHttp({ status, headers: result.headers, body: result.bytes })
      ?? new OperationsError(Code.UNKNOWN, `HTTP ${status} from the REST endpoint`, { httpStatus: status });
    throw error.withTransport('rest');
  }

  #send(exchange: RestExchange, pool: Pool, route: Route, built: BuiltRequest, ctx: AttemptContext, auth: Readonly<Record<string, string>>): void {
    let headers: Readonly<Record<string, string>>;
    try {
      headers = this.#headers.build(auth, ctx.headers, built.body !== undefined);
    } catch (error) {
      exchange.fail(error);
      return;
    }
    exchange.send(pool, { origin: this.#origin, method: route.method, path: built.path, headers, body: built.body ?? null });
  }
}

function closedError(): OperationsError {
  return new OperationsError(Code.UNAVAILABLE, 'the REST transport is closed', { transport: 'rest', reachedServer: false });
}

/** A credential source failure is UNAUTHENTICATED (nothing was sent), its message redacted like any other. */
function authError(error: unknown): OperationsError {
  if (error instanceof OperationsError) return error;
  const reason = error instanceof Error ? error.message : String(error);
  return new OperationsError(Code.UNAUTHENTICATED, `could not get credentials for the REST call: ${reason}`, { transport: 'rest', cause: error });
}

function validate(parse: (input: unknown) => unknown, name: string): void {
  try {
    parse(name);
  } catch (error) {
    throw OperationsError.from(error, Code.INVALID_ARGUMENT).withTransport('rest');
  }
}

/** Creates the REST transport; throws INVALID_ARGUMENT for a bad base URL, pool size or http rule, naming it. */
export function createRestTransport(options: RestTransportOptions): Transport {
  return new RestTransport(options);
}
