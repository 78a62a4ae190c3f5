import type { TraceLog } from './trace-log.js';
import { Code } from '../code.js';
import { parentOf, parseOperationName, parseParentName, type OperationName, type ParentName } from '../names.js';
import { ApiError, invalidArgument, notFound, unimplemented } from './api-error.js';
import { checkAuth } from './auth.js';
import { DROP, type Faults } from './faults.js';
import type { Method, Transport } from './methods.js';
import type { ResolvedEmulatorOptions } from './options.js';
import type { StatsRecorder } from './stats.js';
import type { OperationStore } from './store.js';

/** What a transport read from one call, besides its request fields. */
export interface CallContext {
  readonly transport: Transport;
  readonly authorization: string | undefined;
  readonly faultHeader: string | undefined;
  readonly delayHeader: string | undefined;
  /** W3C trace context headers, recorded in the trace log when present. */
  readonly traceparent?: string | undefined;
  readonly tracestate?: string | undefined;
  /**
   * A problem the transport found while decoding the request (a REST body or query parameter); answered at the
   * validation step, after auth and faults, as the real front end orders them.
   */
  readonly requestProblem?: ApiError | undefined;
}

/** An operation as both transports render it: done with a response, done cancelled, or running. */
export interface OperationView {
  readonly name: string;
  readonly done: boolean;
  readonly cancelled: boolean;
  /** Done with an error other than CANCELLED. */
  readonly failed: boolean;
}

export interface ListResult {
  readonly operations: readonly OperationView[];
  /** Empty on the last page. */
  readonly nextPageToken: string;
}

export interface ListRequest {
  readonly name: unknown;
  readonly filter: string;
  readonly pageSize: number;
  readonly pageToken: string;
}

/** Thrown when a call is to be answered by dropping its connection. */
export const DropConnection = Symbol('drop connection');

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 1000;
const FILTER = /^\s*done\s*[=:]\s*(true|false)\s*$/;
const PAGE_TOKEN = /^i[0-9a-z]{1,11}$/;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise(resolve => {
    if (signal.aborted) return resolve();
    const done = (): void => { clearTimeout(timer); signal.removeEventListener('abort', done); resolve(); };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

function parsed<T>(parse: (input: unknown) => T, input: unknown): T | ApiError {
  try {
    return parse(input);
  } catch (error) {
    const message = error instanceof Error && 'rawMessage' in error ? String(error.rawMessage) : String(error);
    return invalidArgument(message, 'name');
  }
}

/**
 * google.longrunning.Operations over the store, for both transports. Each call goes through the same steps, so gRPC
 * and REST answer alike: delay, auth, quota and faults (before anything touches the store), UNIMPLEMENTED when set,
 * validation, then the method. Every call is counted with the code it ends with.
 */
export class OperationsService {
  constructor(
    private readonly store: OperationStore,
    private readonly stats: StatsRecorder,
    private readonly faults: Faults,
    private readonly options: Pick<ResolvedEmulatorOptions, 'requireAuth' | 'tokens' | 'waitCapMs'>,
    /** Aborts when the emulator closes, ending delays and waits at once. */
    private readonly closing: AbortSignal,
    private readonly traces?: TraceLog,
  ) {}

  async cancel(name: unknown, ctx: CallContext): Promise<void> {
    const target = parsed(parseOperationName, name);
    const index = target instanceof ApiError ? -1 : this.store.find(parentOf(target), target.operation);
    this.stats.recordCancel(index, String(name), index >= 0 && this.store.isDone(index, Date.now()));
    await this.run('CancelOperation', ctx, name, target, () => {
      this.store.cancel(this.existing(index, target), Date.now());
    });
  }

  async get(name: unknown, ctx: CallContext): Promise<OperationView> {
    const target = parsed(parseOperationName, name);
    return this.run('GetOperation', ctx, name, target, () => this.view(this.lookup(target), String(name)));
  }

  async delete(name: unknown, ctx: CallContext): Promise<void> {
    const target = parsed(parseOperationName, name);
    await this.run('DeleteOperation', ctx, name, target, () => this.store.delete(this.lookup(target)));
  }

  /** Waits until the operation is done, `timeoutMs` passes (capped by `waitCapMs`), the call ends or the emulator closes. */
  async wait(name: unknown, timeoutMs: number | undefined, ctx: CallContext, callSignal: AbortSignal): Promise<OperationView> {
    const target = parsed(parseOperationName, name);
    return this.run('WaitOperation', ctx, name, target, async () => {
      const index = this.lookup(target);
      const deadlineMs = Date.now() + Math.min(timeoutMs ?? this.options.waitCapMs, this.options.waitCapMs);
      await this.store.waitUntilDone(index, deadlineMs, [callSignal, this.closing]);
      return this.view(this.lookup(target), String(name));
    });
  }

  async list(request: ListRequest, ctx: CallContext): Promise<ListResult> {
    const parent = parsed(parseParentName, request.name);
    return this.run('ListOperations', ctx, request.name, parent, () => {
      let done: boolean | undefined;
      if (request.filter !== '') {
        const match = FILTER.exec(request.filter);
        if (match === null) throw invalidArgument(`Unsupported filter ${JSON.stringify(request.filter.slice(0, 100))}: only "done=true" and "done=false" are supported.`, 'filter');
        done = match[1] === 'true';
      }
      if (!Number.isInteger(request.pageSize) || request.pageSize < 0) throw invalidArgument(`page_size must be zero or positive, got ${request.pageSize}.`, 'page_size');
      let startIndex = 0;
      if (request.pageToken !== '') {
        if (!PAGE_TOKEN.test(request.pageToken)) throw invalidArgument('Invalid page_token: pass back a next_page_token exactly as received.', 'page_token');
        startIndex = parseInt(request.pageToken.slice(1), 36);
      }
      const pageSize = request.pageSize === 0 ? DEFAULT_PAGE_SIZE : Math.min(request.pageSize, MAX_PAGE_SIZE);
      const { indices, next } = this.store.list((parent as ParentName).name, startIndex, done, pageSize, Date.now());
      return {
        operations: indices.map(i => this.view(i, this.store.names.nameAt(i))),
        nextPageToken: next < 0 ? '' : `i${next.toString(36)}`,
      };
    });
  }

  private view(index: number, name: string): OperationView {
    return { name, done: this.store.isDone(index, Date.now()), cancelled: this.store.isCancelled(index), failed: this.store.isFailed(index) };
  }

  /** The live record a validated name names; NOT_FOUND when there is none (never created, or deleted). */
  private lookup(target: OperationName | ApiError): number {
    const name = target as OperationName;
    return this.existing(this.store.find(parentOf(name), name.operation), name);
  }

  private existing(index: number, target: OperationName | ApiError): number {
    if (index < 0) throw notFound((target as OperationName).name);
    return index;
  }

  /**
   * Every call's steps, in order: delay, auth, quota and faults (nothing has touched the store yet), UNIMPLEMENTED
   * for a cancel when so set, validation (name, then what the transport found in the request), then `serve`. The call
   * is recorded once, with the code it ends with. A delayed call is still served when its client has given up, as
   * on a real server: a cancel whose client saw DEADLINE_EXCEEDED may well have cancelled the operation.
   */
  private async run<T>(method: Method, ctx: CallContext, rawName: unknown, target: OperationName | ParentName | ApiError, serve: () => T | Promise<T>): Promise<T> {
    let code: Code = Code.OK;
    if (ctx.traceparent !== undefined) {
      this.traces?.record({ method, name: String(rawName).slice(0, 1100), transport: ctx.transport, traceparent: ctx.traceparent, tracestate: ctx.tracestate });
    }
    try {
      const header = ctx.faultHeader === undefined ? undefined : this.faults.headerDecision(ctx.faultHeader, `${method} ${String(rawName)}`);
      const delayMs = this.faults.delayMs(ctx.delayHeader) + (header instanceof ApiError || header === undefined ? 0 : header.delayMs);
      if (delayMs > 0) await sleep(delayMs, this.closing);
      if (this.options.requireAuth) {
        const denied = checkAuth(ctx.authorization, method, String(rawName), this.options.tokens);
        if (denied !== undefined) throw denied;
      }
      const fault = this.faults.decide(header, target instanceof ApiError ? undefined : target.project, Date.now(), method);
      if (fault === DROP) {
        this.stats.recordDropped();
        throw DropConnection;
      }
      if (fault !== undefined) throw fault;
      if (method === 'CancelOperation' && this.faults.settings.unimplemented) throw unimplemented(method);
      if (target instanceof ApiError) throw target;
      if (ctx.requestProblem !== undefined) throw ctx.requestProblem;
      // A closing emulator serves nothing more (a call woken from its delay by the close included): its connections
      // are being cut, so no client would hear of the change, and a state file written on close must hold all it did.
      if (this.closing.aborted) throw DropConnection;
      return await serve();
    } catch (error) {
      code = error instanceof ApiError ? error.code : error === DropConnection ? Code.UNAVAILABLE : Code.INTERNAL;
      throw error;
    } finally {
      this.stats.record(method, ctx.transport, code);
    }
  }
}

