import { Code, httpStatusOf } from '../code.js';
import { OperationsError } from '../errors.js';
import { assertOperationName, parseParentName } from '../names.js';
import { createRetryBudget, type RetryBudget } from '../policy/retry-budget.js';
import { checkNumber, invalidOption, POSITIVE_OR_INFINITE } from '../check.js';
import { resolveRetryPolicy, type RetryOptions, type RetryPolicy } from '../policy/retry-policy.js';
import { checkCallHeaders } from './call-headers.js';
import { now } from '../policy/deadline.js';
import { runWithRetry, type AttemptGate, type AttemptInfo, type RetryDecisionInfo, type RetryResult, type RetryRunOptions } from '../policy/retry.js';
import type { OperationsMethod } from '../telemetry/channels.js';
import { watchCalls, type CallWatch, type MethodWatch, type Wire } from '../telemetry/call-telemetry.js';
import { TransportSelector } from '../transport/auto.js';
import { GrpcTransport } from '../transport/grpc.js';
import { createRestTransport } from '../transport/rest.js';
import type { ListOperationsPage, Operation, Transport } from '../transport/transport.js';
import type { Served } from '../policy/retry.js';
import { authHeaders } from './credentials.js';
import { errorOf, OK_NAME, outcomeOfError, outcomeOfOperation, resultFromError, type CancelAccepted, type CancelNotAccepted, type CancelResult } from './outcome.js';
import { pollUntilGone, stillReadableError, type DeleteAccepted, type DeleteResult } from './delete.js';
import { resolveCancellerOptions, type CancellerOptions, type ResolvedCancellerOptions } from './options.js';
import { pollUntilDone, stillRunningError } from './poll.js';
import { VERSION } from '../version.js';

/** Options of one call. They apply to that call only and are never merged into the client. */
export interface CallOptions {
  /**
   * Time for the whole call, retries (and verification) included, from when it is made; it becomes the call's
   * absolute deadline at once. @default the retry policy's totalTimeoutMs (60 s)
   */
  readonly timeoutMs?: number;
  /** Ends the call at once, waits and in-flight attempts included, with CANCELLED. */
  readonly signal?: AbortSignal;
  /** Overrides of the client's retry policy for this call only. */
  readonly retry?: RetryOptions;
  /** Extra request headers / gRPC metadata for this call (lower-case names). */
  readonly headers?: Readonly<Record<string, string>>;
}

export interface CancelOptions extends CallOptions {
  /**
   * Poll GetOperation until the operation is done (or `verifyTimeoutMs` passes) to prove the outcome. A read that
   * meets a degraded service (UNAVAILABLE, RESOURCE_EXHAUSTED, DEADLINE_EXCEEDED, ABORTED) is read again with backoff
   * until then. @default false
   */
  readonly verify?: boolean;
  /** @default the client's verifyTimeoutMs (30 s), within `timeoutMs` when that is given */
  readonly verifyTimeoutMs?: number;
}

/**
 * Not public: what the batch adds to a call's options. Its gate paces and pauses every attempt of every call of a
 * batch (cancels, reads, retries) from one place.
 */
export interface BatchCallOptions {
  readonly gate?: AttemptGate | undefined;
}

export interface ListOptions extends CallOptions {
  /** ListOperations filter, e.g. `done=false`. */
  readonly filter?: string;
  /** Page size asked of the server. @default the server's */
  readonly pageSize?: number;
  /** Start from this page: a `nextPageToken` an earlier listing gave, to go on after it failed. @default the first page */
  readonly pageToken?: string;
}

export interface WaitOptions extends CallOptions {
  /** @default 100 */
  readonly initialPollMs?: number;
  /** @default 2000 */
  readonly maxPollMs?: number;
}

const OK_HTTP_STATUS = httpStatusOf(Code.OK);

/**
 * Checks a call's options before anything is sent, as the client's own are checked when it is made: a bad value is
 * a programming error, INVALID_ARGUMENT naming the field and the value (a NaN deadline would otherwise reach grpc-js
 * and throw where no caller can catch it). Per-call retry overrides are checked when they are resolved.
 */
function checkCallOptions(options: CallOptions & { readonly verifyTimeoutMs?: number }): void {
  if (typeof options !== 'object' || options === null) throw invalidOption('call options', 'an object', options);
  if (options.timeoutMs !== undefined) checkNumber('timeoutMs', options.timeoutMs, POSITIVE_OR_INFINITE);
  if (options.verifyTimeoutMs !== undefined) checkNumber('verifyTimeoutMs', options.verifyTimeoutMs, POSITIVE_OR_INFINITE);
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) throw invalidOption('signal', 'an AbortSignal', options.signal);
  checkCallHeaders(options.headers);
}

/**
 * The start of a per-operation call: options that are wrong whatever the operation throw; a malformed name is that
 * operation's `invalid` result (nothing is sent); undefined when the call may go on.
 */
function checkedCall(name: string, options: CancelOptions, started: number): CancelNotAccepted | undefined {
  checkCallOptions(options);
  try {
    assertOperationName(name);
    return undefined;
  } catch (error) {
    return resultFromError(name, OperationsError.from(error).withAttempts([]), 'invalid', now() - started);
  }
}

/** Codes a verifying read is repeated for, until the verify timeout: the service was there, just not able to answer. */
const VERIFY_RETRYABLE: ReadonlySet<Code> = new Set([Code.UNAVAILABLE, Code.RESOURCE_EXHAUSTED, Code.DEADLINE_EXCEEDED, Code.ABORTED]);

function isVerifyRetryable(error: OperationsError, _info: RetryDecisionInfo): boolean {
  return VERIFY_RETRYABLE.has(error.code);
}

/** The read policy of verification: the call's backoff and attempt timeout, bounded by the verify timeout alone. */
const verifyPolicies = new WeakMap<RetryPolicy, RetryPolicy>();
function verifyPolicyOf(policy: RetryPolicy): RetryPolicy {
  let found = verifyPolicies.get(policy);
  if (found === undefined) {
    found = Object.freeze({ ...policy, maxAttempts: Number.MAX_SAFE_INTEGER });
    verifyPolicies.set(policy, found);
  }
  return found;
}

function staticHeaders(options: ResolvedCancellerOptions): Record<string, string> {
  return {
    'x-goog-api-client': `gl-node/${process.versions.node} lro-cancel/${VERSION}`,
    ...(options.quotaProject === undefined ? {} : { 'x-goog-user-project': options.quotaProject }),
  };
}

function createTransports(options: ResolvedCancellerOptions): TransportSelector {
  const headers = staticHeaders(options);
  let grpcTransport: Transport | undefined;
  let restTransport: Transport | undefined;
  if (options.grpcEndpoint !== undefined) {
    const source = options.credentials;
    grpcTransport = new GrpcTransport({
      endpoint: options.grpcEndpoint,
      security: options.insecure ? { kind: 'plaintext' } : { kind: 'tls', caCertificate: options.caCertificate },
      staticHeaders: headers,
      getAuthHeaders: source === undefined ? undefined : serviceUrl => authHeaders(source, serviceUrl),
    });
  }
  if (options.restEndpoint !== undefined) {
    const credentials = options.credentials;
    restTransport = createRestTransport({
      baseUrl: options.restEndpoint.origin,
      profile: options.profile,
      connections: options.maxConcurrency,
      getAuthHeaders: credentials === undefined ? async () => ({}) : () => authHeaders(credentials),
      userAgentHeaders: headers,
      maxResponseBytes: 4 * 1024 * 1024,
      ...(options.caCertificate === undefined ? {} : { caCertificate: options.caCertificate }),
    });
  }
  return new TransportSelector(grpcTransport, restTransport, options.grpcProbeIntervalMs);
}

/**
 * Cancels, reads, lists and waits for operations of one API. One client holds one gRPC channel, one REST pool and
 * one retry budget; create it once and share it. Calls may run concurrently with different per-call options.
 */
export class Canceller {
  readonly #options: ResolvedCancellerOptions;
  readonly #transports: TransportSelector;
  readonly #budget: RetryBudget | undefined;
  /** Aborted by close(): no attempt starts after it, a wait for a retry or a poll ends, calls fail at once. */
  readonly #closing = new AbortController();

  constructor(options: CancellerOptions = {}) {
    this.#options = resolveCancellerOptions(options);
    this.#transports = createTransports(this.#options);
    this.#budget = this.#options.retryBudget === undefined ? undefined : createRetryBudget(this.#options.retryBudget);
  }

  /** The client's resolved retry policy: what a call gets when it overrides nothing. */
  get retryPolicy(): RetryPolicy {
    return this.#options.retry;
  }

  /** The transport the next call will try first (`auto` may have switched to REST). A read: it changes nothing. */
  get currentTransport(): 'grpc' | 'rest' {
    return this.#transports.current;
  }

  /**
   * Asks the server to cancel the operation and, with `verify`, reads it until the outcome is proven. Never throws
   * for a per-operation failure: the result's `outcome`, `code` and `error` say what happened. Rejects only for
   * options that are wrong whatever the operation (INVALID_ARGUMENT naming the option).
   */
  cancel(name: string, options: CancelOptions = {}): Promise<CancelResult> {
    const watch = watchCalls();
    if (watch === undefined) return this.#cancel(name, options, undefined, undefined);
    return observedMethod(watch.method('cancel', name), parent => this.#cancel(name, options, watch, parent));
  }

  async #cancel(name: string, options: CancelOptions, watch: CallWatch | undefined, parent: MethodWatch | undefined): Promise<CancelResult> {
    const started = now();
    const invalid = checkedCall(name, options, started);
    if (invalid !== undefined) return invalid;
    const policy = this.#policy(options.retry);
    const served = await this.#send('CancelOperation', name, options, started, policy, watch, parent);
    if ('accepted' in served) return served;
    // One literal, returned as is without verify: this is every successful cancel's allocation.
    const requested: CancelAccepted = {
      name,
      accepted: true,
      code: Code.OK,
      codeName: OK_NAME,
      httpStatus: OK_HTTP_STATUS,
      transport: served.transport,
      attempts: served.attempts,
      outcome: 'requested',
      latencyMs: now() - started,
    };
    if (options.verify !== true) return requested;
    return this.#verified(requested, policy, started, options, watch, parent);
  }

  /**
   * Reads back an operation whose cancel was accepted earlier (by this client or another process: a batch resumed
   * from its journal) until it is done or `verifyTimeoutMs` passes, as `cancel(name, {verify: true})` does after its
   * cancel; no cancel is sent, so the result's `attempts` is empty. Never throws for a per-operation failure.
   */
  verify(name: string, options: Omit<CancelOptions, 'verify'> = {}): Promise<CancelResult> {
    const watch = watchCalls();
    if (watch === undefined) return this.#verify(name, options, undefined, undefined);
    return observedMethod(watch.method('verify', name), parent => this.#verify(name, options, watch, parent));
  }

  async #verify(name: string, options: Omit<CancelOptions, 'verify'>, watch: CallWatch | undefined, parent: MethodWatch | undefined): Promise<CancelResult> {
    const started = now();
    const invalid = checkedCall(name, options, started);
    if (invalid !== undefined) return invalid;
    const requested: CancelAccepted = {
      name, accepted: true, code: Code.OK, codeName: OK_NAME, httpStatus: OK_HTTP_STATUS, transport: undefined, attempts: [],
      outcome: 'requested', latencyMs: 0,
    };
    return this.#verified(requested, this.#policy(options.retry), started, options, watch, parent);
  }

  /**
   * DeleteOperation: the caller is no longer interested in the operation's result (it is not cancelled). The outcome
   * model, retry and verification rules are `cancel`'s, and it never throws for a per-operation failure. With
   * `verify`, the operation is read back until GetOperation answers NOT_FOUND (`deleted`); still readable at the
   * verify deadline, it stays `requested` with that as `verifyError`. A DeleteOperation answered NOT_FOUND is
   * `not_found` (see DeleteOutcome).
   */
  async delete(name: string, options: CancelOptions = {}): Promise<DeleteResult> {
    const started = now();
    const invalid = checkedCall(name, options, started);
    if (invalid !== undefined) return invalid;
    const policy = this.#policy(options.retry);
    const served = await this.#send('DeleteOperation', name, options, started, policy, watchCalls(), undefined);
    if ('accepted' in served) return served;
    const requested: DeleteAccepted = {
      name, accepted: true, code: Code.OK, codeName: OK_NAME, httpStatus: OK_HTTP_STATUS, transport: served.transport, attempts: served.attempts,
      outcome: 'requested', latencyMs: now() - started,
    };
    if (options.verify !== true) return requested;
    const { verifyDeadline, runOptions } = this.#verifyReads(policy, started, options);
    try {
      const gone = await pollUntilGone(
        async () => this.#rpc('GetOperation', name, (t, info) => t.getOperation(name, info), runOptions, watchCalls()),
        name, { deadline: verifyDeadline, signal: options.signal, closed: this.#closing.signal },
      );
      const latencyMs = now() - started;
      return gone ? { ...requested, outcome: 'deleted', latencyMs } : { ...requested, verifyError: stillReadableError(name), latencyMs };
    } catch (caught) {
      const error = OperationsError.from(caught);
      const latencyMs = now() - started;
      if (VERIFY_RETRYABLE.has(error.code) || error.code === Code.CANCELLED) return { ...requested, verifyError: error, latencyMs };
      return { ...requested, outcome: outcomeOfError(error), verifyError: error, latencyMs };
    }
  }

  /**
   * What cancel and delete share once the call is checked: one call of `method` with the retry policy until the
   * call's deadline. A call that was not accepted is its result, never thrown.
   */
  async #send(method: 'CancelOperation' | 'DeleteOperation', name: string, options: CancelOptions, started: number, policy: RetryPolicy,
    watch: CallWatch | undefined, parent: MethodWatch | undefined): Promise<RetryResult<unknown> | CancelNotAccepted> {
    const deadline = started + (options.timeoutMs ?? policy.totalTimeoutMs);
    const call = method === 'CancelOperation'
      ? (t: Transport, info: AttemptInfo): Promise<unknown> => t.cancelOperation(name, info)
      : (t: Transport, info: AttemptInfo): Promise<unknown> => t.deleteOperation(name, info);
    try {
      return await this.#rpc(method, name, call, this.#runOptions(policy, deadline, options), watch, parent);
    } catch (caught) {
      const error = OperationsError.from(caught);
      return resultFromError(name, error, outcomeOfError(error), now() - started);
    }
  }

  /**
   * Polls GetOperation after an accepted cancel. Reads that meet a degraded service are repeated with backoff until
   * the verify deadline; then the outcome stays `requested` with the last read's error as `verifyError`. A read that
   * gets an answer of its own (NOT_FOUND: deleted meanwhile; PERMISSION_DENIED...) decides the outcome.
   */
  async #verified(requested: CancelAccepted, policy: RetryPolicy, started: number, options: CancelOptions,
    watch: CallWatch | undefined, parent: MethodWatch | undefined): Promise<CancelAccepted> {
    const { verifyDeadline, runOptions } = this.#verifyReads(policy, started, options);
    try {
      const operation = await pollUntilDone(
        async () => (await this.#rpc('GetOperation', requested.name, (t, info) => t.getOperation(requested.name, info), runOptions, watch, parent)).value,
        { deadline: verifyDeadline, signal: options.signal, closed: this.#closing.signal },
      );
      return { ...requested, outcome: outcomeOfOperation(operation), operation, latencyMs: now() - started };
    } catch (caught) {
      const error = OperationsError.from(caught);
      const latencyMs = now() - started;
      // Accepted but not proven: the caller's abort, or reads that kept meeting a degraded service until the deadline.
      if (VERIFY_RETRYABLE.has(error.code) || error.code === Code.CANCELLED) return { ...requested, verifyError: error, latencyMs };
      return { ...requested, outcome: outcomeOfError(error), verifyError: error, latencyMs };
    }
  }

  /** The deadline and retry options of verifying reads: the verify timeout, within the call's own when it has one. */
  #verifyReads(policy: RetryPolicy, started: number, options: CancelOptions): { verifyDeadline: number; runOptions: RetryRunOptions } {
    const verifyTimeoutMs = options.verifyTimeoutMs ?? this.#options.verifyTimeoutMs;
    const verifyDeadline = options.timeoutMs === undefined
      ? now() + verifyTimeoutMs
      : Math.min(started + options.timeoutMs, now() + verifyTimeoutMs);
    return { verifyDeadline, runOptions: { ...this.#runOptions(verifyPolicyOf(policy), verifyDeadline, options), isRetryable: isVerifyRetryable } };
  }

  /** GetOperation with the retry policy. Throws OperationsError. */
  async get(name: string, options: CallOptions = {}): Promise<Operation> {
    checkCallOptions(options);
    assertOperationName(name);
    const policy = this.#policy(options.retry);
    return this.#get(name, policy, now() + (options.timeoutMs ?? policy.totalTimeoutMs), options, watchCalls());
  }

  /**
   * ListOperations page by page, each page with the retry policy; yields operations as pages arrive. `deadlineMs`
   * covers the whole listing, every page, from the first request (time the caller spends between pages counts too;
   * `Infinity` for none). A server that answers with a page token it already gave, or with 100 empty pages in a row,
   * would keep the listing going forever: it ends with INTERNAL instead.
   */
  async *list(parent: string, options: ListOptions = {}): AsyncGenerator<Operation, void, undefined> {
    for await (const page of this.listPages(parent, options)) yield* page.operations;
  }

  /**
   * ListOperations one page at a time, each page with the retry policy: for callers that weigh what each page (one
   * call) brought, as the batch's verification by listing does. Deadline and endless-listing rules as for `list`.
   */
  async *listPages(parent: string, options: ListOptions = {}): AsyncGenerator<ListOperationsPage, void, undefined> {
    // Consecutive empty pages (each with a next token) taken to mean an endless listing; page tokens remembered to
    // find a server that sends the listing round in a circle (a listing of millions has thousands of pages; a longer
    // circle is ended by the empty-page bound or the deadline).
    const MAX_EMPTY_PAGES = 100;
    const MAX_REMEMBERED_TOKENS = 10_000;
    checkCallOptions(options);
    parseParentName(parent);
    const policy = this.#policy(options.retry);
    const deadline = now() + (options.timeoutMs ?? policy.totalTimeoutMs);
    const seenTokens = new Set<string>();
    let emptyPages = 0;
    let pageToken = options.pageToken ?? '';
    do {
      const request = {
        name: parent,
        ...(options.filter === undefined ? {} : { filter: options.filter }),
        ...(options.pageSize === undefined ? {} : { pageSize: options.pageSize }),
        ...(pageToken === '' ? {} : { pageToken }),
      };
      const page = await this.#rpc('ListOperations', parent, (t, info) => t.listOperations(request, info), this.#runOptions(policy, deadline, options), watchCalls());
      yield page.value;
      pageToken = page.value.nextPageToken;
      emptyPages = page.value.operations.length === 0 ? emptyPages + 1 : 0;
      if (pageToken === '') return;
      const problem = seenTokens.has(pageToken) || pageToken === request.pageToken
        ? 'answered with a page token it had already given'
        : emptyPages >= MAX_EMPTY_PAGES ? `answered ${emptyPages} empty pages in a row, each with a next page token` : undefined;
      if (problem !== undefined) {
        throw new OperationsError(Code.INTERNAL, `ListOperations of ${parent} ${problem}: the listing would never end, so it stops here`, { transport: page.transport });
      }
      if (seenTokens.size >= MAX_REMEMBERED_TOKENS) seenTokens.delete(seenTokens.values().next().value as string);
      seenTokens.add(pageToken);
    } while (pageToken !== '');
  }

  /** Reads the operation until it is done; DEADLINE_EXCEEDED if it is still running when `deadlineMs` passes. */
  async wait(name: string, options: WaitOptions = {}): Promise<Operation> {
    checkCallOptions(options);
    assertOperationName(name);
    const policy = this.#policy(options.retry);
    const deadline = now() + (options.timeoutMs ?? policy.totalTimeoutMs);
    const watch = watchCalls();
    const operation = await pollUntilDone(readDeadline => this.#get(name, policy, readDeadline, options, watch), {
      deadline,
      signal: options.signal,
      closed: this.#closing.signal,
      ...(options.initialPollMs === undefined ? {} : { initialIntervalMs: options.initialPollMs }),
      ...(options.maxPollMs === undefined ? {} : { maxIntervalMs: options.maxPollMs }),
    });
    if (!operation.done) throw stillRunningError(name);
    return operation;
  }

  /**
   * A hard stop: calls in flight are aborted (the gRPC calls cancelled, the REST requests destroyed), calls waiting to
   * retry or to poll again end at once, and calls made after it fail at once; each with CANCELLED "the client is
   * closed", which is never retried. Then the channel and the pool are released. Safe to call twice.
   */
  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort(new OperationsError(Code.CANCELLED, 'the client is closed'));
    await this.#transports.close();
  }

  async #get(name: string, policy: RetryPolicy, deadline: number, options: CallOptions, watch: CallWatch | undefined): Promise<Operation> {
    const served = await this.#rpc('GetOperation', name, (t, info) => t.getOperation(name, info), this.#runOptions(policy, deadline, options), watch);
    return served.value;
  }

  /**
   * One call of `method` with the retry policy, on the wire the selector picks for each attempt. With telemetry, its
   * call span and metrics wrap the retries (`parent`: the span of the cancel or verify it is part of); without, it
   * is the retry loop alone.
   */
  #rpc<T>(method: OperationsMethod, target: string, op: (transport: Transport, info: AttemptInfo) => Promise<T>, runOptions: RetryRunOptions,
    watch: CallWatch | undefined, parent?: MethodWatch): Promise<RetryResult<T>> {
    const attemptFn = (info: AttemptInfo): Promise<Served<T>> => this.#transports.run(info, t => op(t, info));
    if (watch === undefined) return runWithRetry(attemptFn, runOptions);
    const rpc = watch.rpc(method, target, parent, this.#wire());
    return runWithRetry(attemptFn, { ...runOptions, observer: rpc }).then(
      result => {
        rpc.end(undefined, result.transport);
        return result;
      },
      (caught: unknown) => {
        const error = OperationsError.from(caught);
        rpc.end(error, error.attempts.at(-1)?.transport ?? error.transport);
        throw error;
      },
    );
  }

  /** The wire the next call starts on, for the attributes a sampler may want at span start. */
  #wire(): Wire {
    const transport = this.#transports.current;
    return { transport, server: this.#transports.serverOf(transport) };
  }

  #policy(overrides: RetryOptions | undefined): RetryPolicy {
    return overrides === undefined ? this.#options.retry : resolveRetryPolicy(overrides, this.#options.retry);
  }

  /** One literal (RetryRunOptions takes `undefined` for an absent field): no spread copies on every call. */
  #runOptions(policy: RetryPolicy, deadline: number, options: CallOptions & BatchCallOptions): RetryRunOptions {
    return { policy, deadline, signal: options.signal, budget: this.#budget, gate: options.gate, headers: options.headers, closed: this.#closing.signal };
  }
}

/**
 * Runs a cancel or verify under its method span and counts its outcome. A call that rejects (bad options) ends the
 * span as an error too.
 */
async function observedMethod(method: MethodWatch, run: (parent: MethodWatch) => Promise<CancelResult>): Promise<CancelResult> {
  let result: CancelResult;
  try {
    result = await run(method);
  } catch (caught) {
    const error = OperationsError.from(caught);
    method.end('invalid', false, error.codeName, error);
    throw caught;
  }
  method.end(result.outcome, result.accepted, result.codeName, errorOf(result));
  return result;
}

/** Creates a client; see CancellerOptions for every option and its default. */
export function createCanceller(options: CancellerOptions = {}): Canceller {
  return new Canceller(options);
}
