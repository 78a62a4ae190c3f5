import type * as OtelApi from '@opentelemetry/api';
import { codeName, type CodeName } from '../code.js';
import type { OperationsError, TransportName } from '../errors.js';
import { now } from '../policy/deadline.js';
import type { AttemptObserver, CallObserver, ServerAddress } from '../policy/retry.js';
import { channels, type AttemptMessage, type OperationsMethod, type RetryMessage } from './channels.js';
import { otel, type Otel } from './otel.js';
import { traceHeaders } from './propagation.js';

/**
 * Spans, metrics and events of the library's calls, in the shape Google's Python and C++ client libraries give them
 * when tracing is on:
 *
 * ```
 * Canceller.cancel                                   INTERNAL  lro_cancel.outcome (with verify: the reads too)
 * └─ google.longrunning.Operations/CancelOperation   CLIENT    the call: retries and backoff inside it
 *    ├─ Attempt.google.longrunning.Operations.CancelOperation   one per wire attempt, its W3C context sent
 *    └─ Attempt.google.longrunning.Operations.CancelOperation   (lro_cancel.backoff_ms: the wait before it)
 * ```
 *
 * The call span follows the current OpenTelemetry RPC conventions (`rpc.system.name`, `rpc.method` as
 * `service/method`, `rpc.response.status_code`, `server.address`, `server.port`, `error.type`; it covers every retry)
 * and also carries the attributes of the conventions most backends still read (`rpc.system`, `rpc.service`,
 * `rpc.grpc.status_code`); attempt spans are named as gRPC's own tracing names them (A72). Over REST the system is
 * `http` and `http.response.status_code` is set when a response came.
 */

const SERVICE = 'google.longrunning.Operations';

/** What the telemetry of one public call may make; undefined from `watchCalls` when nothing listens. */
export interface CallWatch {
  /** The span of a `cancel` or `verify` (several RPCs), and the outcome counter. */
  method(kind: 'cancel' | 'verify', name: string): MethodWatch;
  /** One RPC with its retries; `parent` is a method span's, or the caller's active context when undefined. */
  rpc(method: OperationsMethod, target: string, parent: MethodWatch | undefined, wire: Wire): RpcWatch;
}

/** The wire a call starts on, for the attributes a sampler may want at span start. */
export interface Wire {
  readonly transport: TransportName;
  readonly server: ServerAddress | undefined;
}

/**
 * The telemetry of calls made now, or undefined when no OpenTelemetry SDK is registered and no one subscribes to the
 * attempt and retry channels: then a call makes nothing at all (asked once per public call, not per attempt).
 */
export function watchCalls(): CallWatch | undefined {
  const found = otel();
  if (found === undefined && !channels.attempt.hasSubscribers && !channels.retry.hasSubscribers && !channels.retryRefused.hasSubscribers) {
    return undefined;
  }
  return {
    method: (kind, name) => new MethodWatch(found, kind, name),
    rpc: (method, target, parent, wire) => new RpcWatch(found, method, target, parent, wire),
  };
}

function systemOf(transport: TransportName): string {
  return transport === 'grpc' ? 'grpc' : 'http';
}

function serverAttributes(server: ServerAddress | undefined): OtelApi.Attributes {
  if (server === undefined) return {};
  return server.port === undefined ? { 'server.address': server.address } : { 'server.address': server.address, 'server.port': server.port };
}

/** A `cancel` or `verify`: the span its RPCs hang under, and the outcome counted when it ends. */
export class MethodWatch {
  readonly context: OtelApi.Context | undefined;
  readonly #otel: Otel | undefined;
  readonly #kind: 'cancel' | 'verify';
  readonly #span: OtelApi.Span | undefined;

  constructor(found: Otel | undefined, kind: 'cancel' | 'verify', name: string) {
    this.#otel = found;
    this.#kind = kind;
    if (found?.tracer !== undefined) {
      const { api } = found;
      const parent = api.context.active();
      this.#span = found.tracer.startSpan(`Canceller.${kind}`, { kind: api.SpanKind.INTERNAL, attributes: { 'lro_cancel.operation': name } }, parent);
      this.context = api.trace.setSpan(parent, this.#span);
    }
  }

  /** The call returned `outcome`; `error` is what failed it (not accepted), for the span's status. */
  end(outcome: string, accepted: boolean, statusName: CodeName, error: OperationsError | undefined): void {
    const span = this.#span;
    if (span !== undefined) {
      span.setAttribute('lro_cancel.outcome', outcome);
      span.setAttribute('lro_cancel.accepted', accepted);
      span.setAttribute('rpc.response.status_code', statusName);
      if (!accepted && error !== undefined) {
        span.setAttribute('error.type', error.codeName);
        span.setStatus({ code: (this.#otel as Otel).api.SpanStatusCode.ERROR, message: error.rawMessage });
      }
      span.end();
    }
    this.#otel?.instruments?.outcomes.add(1, { 'lro_cancel.outcome': outcome, 'lro_cancel.method': this.#kind });
  }
}

/** One RPC and its retries: the call span, its attempt spans, the duration and attempt metrics, the events. */
export class RpcWatch implements CallObserver {
  readonly #otel: Otel | undefined;
  readonly #method: OperationsMethod;
  readonly #target: string;
  readonly #span: OtelApi.Span | undefined;
  readonly #context: OtelApi.Context | undefined;
  readonly #startedAt = now();
  #wire: Wire;
  #httpStatus: number | undefined;
  #attempts = 0;

  constructor(found: Otel | undefined, method: OperationsMethod, target: string, parent: MethodWatch | undefined, wire: Wire) {
    this.#otel = found;
    this.#method = method;
    this.#target = target;
    this.#wire = wire;
    if (found?.tracer !== undefined) {
      const { api } = found;
      const parentContext = parent?.context ?? api.context.active();
      this.#span = found.tracer.startSpan(`${SERVICE}/${method}`, {
        kind: api.SpanKind.CLIENT,
        attributes: {
          'rpc.system.name': systemOf(wire.transport),
          'rpc.method': `${SERVICE}/${method}`,
          'rpc.system': systemOf(wire.transport),
          'rpc.service': SERVICE,
          ...serverAttributes(wire.server),
          'lro_cancel.operation': target,
        },
      }, parentContext);
      this.#context = api.trace.setSpan(parentContext, this.#span);
    }
  }

  attemptStarted(attempt: number, backoffMs: number): AttemptObserver {
    this.#attempts = attempt;
    this.#httpStatus = undefined;
    return new AttemptWatch(this, attempt, backoffMs);
  }

  retrying(attempt: number, error: OperationsError, delayMs: number): void {
    this.#span?.addEvent('retry', { 'lro_cancel.attempt': attempt, 'rpc.response.status_code': error.codeName, 'lro_cancel.backoff_ms': Math.round(delayMs) });
    if (channels.retry.hasSubscribers) {
      channels.retry.publish({ method: this.#method, name: this.#target, attempt, codeName: error.codeName, code: error.code, delayMs } satisfies RetryMessage);
    }
  }

  retryRefused(attempt: number, error: OperationsError): void {
    this.#span?.addEvent('retry refused by the retry budget', { 'lro_cancel.attempt': attempt, 'rpc.response.status_code': error.codeName });
    this.#otel?.instruments?.retriesRefused.add(1, { 'rpc.method': `${SERVICE}/${this.#method}` });
    if (channels.retryRefused.hasSubscribers) {
      channels.retryRefused.publish({ method: this.#method, name: this.#target, attempt, codeName: error.codeName, code: error.code } satisfies RetryMessage);
    }
  }

  /** The call ended: OK when `error` is undefined; `transport` served it (or carried its last attempt). */
  end(error: OperationsError | undefined, transport: TransportName | undefined): void {
    const found = this.#otel;
    if (found === undefined) return;
    const status = error === undefined ? 'OK' : error.codeName;
    const wire = transport ?? this.#wire.transport;
    const attributes: OtelApi.Attributes = {
      'rpc.system.name': systemOf(wire),
      'rpc.method': `${SERVICE}/${this.#method}`,
      'rpc.response.status_code': status,
      ...serverAttributes(this.#wire.server),
      ...(error === undefined ? {} : { 'error.type': status }),
    };
    found.instruments?.callDuration.record((now() - this.#startedAt) / 1000, attributes);
    const span = this.#span;
    if (span === undefined) return;
    span.setAttributes(attributes);
    span.setAttribute('lro_cancel.attempts', this.#attempts);
    if (wire === 'grpc') span.setAttribute('rpc.grpc.status_code', error?.code ?? 0);
    else if (this.#httpStatus !== undefined) span.setAttribute('http.response.status_code', this.#httpStatus);
    if (error !== undefined) span.setStatus({ code: found.api.SpanStatusCode.ERROR, message: error.rawMessage });
    span.end();
  }

  /** For AttemptWatch. */
  get otelState(): Otel | undefined {
    return this.#otel;
  }

  get context(): OtelApi.Context | undefined {
    return this.#context;
  }

  get method(): OperationsMethod {
    return this.#method;
  }

  get target(): string {
    return this.#target;
  }

  noteWire(wire: Wire): void {
    this.#wire = wire;
  }

  noteHttpStatus(status: number): void {
    this.#httpStatus = status;
  }
}

/** One wire attempt: its span (the context a server joins), its metric and its event. */
class AttemptWatch implements AttemptObserver {
  readonly headers: Readonly<Record<string, string>> | undefined;
  readonly #rpc: RpcWatch;
  readonly #attempt: number;
  readonly #span: OtelApi.Span | undefined;
  #transport: TransportName | undefined;
  #httpStatus: number | undefined;

  constructor(rpc: RpcWatch, attempt: number, backoffMs: number) {
    this.#rpc = rpc;
    this.#attempt = attempt;
    const found = rpc.otelState;
    const parent = rpc.context;
    if (found?.tracer !== undefined && parent !== undefined) {
      const { api } = found;
      this.#span = found.tracer.startSpan(`Attempt.${SERVICE}.${rpc.method}`, {
        kind: api.SpanKind.INTERNAL,
        attributes: { 'lro_cancel.attempt': attempt, 'lro_cancel.backoff_ms': Math.round(backoffMs) },
      }, parent);
      this.headers = traceHeaders(api, api.trace.setSpan(parent, this.#span));
    } else {
      this.headers = undefined;
    }
  }

  wire(transport: TransportName, server: ServerAddress): void {
    this.#transport = transport;
    this.#rpc.noteWire({ transport, server });
    const span = this.#span;
    if (span === undefined) return;
    span.setAttributes({ 'lro_cancel.transport': transport, 'rpc.system.name': systemOf(transport), ...serverAttributes(server) });
    if (this.#attempt > 1) span.setAttribute(transport === 'grpc' ? 'gcp.grpc.resend_count' : 'http.request.resend_count', this.#attempt - 1);
  }

  httpStatus(status: number): void {
    this.#httpStatus = status;
    this.#rpc.noteHttpStatus(status);
  }

  ended(error: OperationsError | undefined, transport: TransportName | undefined, durationMs: number): void {
    const status: CodeName = error === undefined ? codeName(0) : error.codeName;
    const wire = transport ?? this.#transport;
    const found = this.#rpc.otelState;
    found?.instruments?.attempts.add(1, {
      'rpc.method': `${SERVICE}/${this.#rpc.method}`,
      'rpc.response.status_code': status,
      ...(wire === undefined ? {} : { 'lro_cancel.transport': wire }),
    });
    if (channels.attempt.hasSubscribers) {
      channels.attempt.publish({
        method: this.#rpc.method, name: this.#rpc.target, attempt: this.#attempt, transport: wire, codeName: status, code: error?.code ?? 0, durationMs,
      } satisfies AttemptMessage);
    }
    const span = this.#span;
    if (span === undefined || found === undefined) return;
    span.setAttribute('rpc.response.status_code', status);
    if (wire === 'grpc') span.setAttribute('rpc.grpc.status_code', error?.code ?? 0);
    else if (this.#httpStatus !== undefined) span.setAttribute('http.response.status_code', this.#httpStatus);
    if (error !== undefined) {
      span.setAttribute('error.type', status);
      span.setStatus({ code: found.api.SpanStatusCode.ERROR, message: error.rawMessage });
    }
    span.end();
  }
}
