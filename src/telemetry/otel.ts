import { createRequire } from 'node:module';
import type * as OtelApi from '@opentelemetry/api';
import { VERSION } from '../version.js';

/**
 * OpenTelemetry through `@opentelemetry/api` only, an optional peer dependency: the library never registers
 * anything, it uses whatever SDK the application registered. Nothing here may cost a call when no SDK is there:
 *
 * - Every registration (a tracer or meter provider, a propagator, a context manager) goes through the API's global
 *   registry, one object on `globalThis` under `Symbol.for('opentelemetry.js.api.1')`, which every copy of the API
 *   (ESM and CommonJS, any 1.x) shares. When that object is absent nothing was registered: one property read, and
 *   the API is not even loaded.
 * - Otherwise the API is required (once, synchronously) and asked for the global tracer and meter providers; a
 *   tracer provider that only proxies to nothing (the API's no-op) and the no-op meter provider count as absent.
 *   The answer is cached per provider object, so an SDK registered after the client was made is used from then on.
 */

const REGISTRY = Symbol.for('opentelemetry.js.api.1');
const SCOPE = 'lro-cancel';

type Api = typeof OtelApi;

/** The instruments of one meter provider; see README "Use it from a service" for what each measures. */
export interface Instruments {
  readonly callDuration: OtelApi.Histogram;
  readonly attempts: OtelApi.Counter;
  readonly retriesRefused: OtelApi.Counter;
  readonly outcomes: OtelApi.Counter;
  readonly batchNames: OtelApi.Counter;
  readonly batchPauses: OtelApi.Counter;
  readonly batchRate: OtelApi.ObservableGauge;
}

/** What telemetry a call can make now: a tracer, instruments, or both. */
export interface Otel {
  readonly api: Api;
  readonly tracer: OtelApi.Tracer | undefined;
  readonly instruments: Instruments | undefined;
}

let api: Api | null | undefined;
let seenTracing: unknown;
let seenMeters: unknown;
let current: Otel | undefined;
/** Instruments are made once per meter provider: a new tracer provider alone must not make them again. */
let instrumentsOf: { readonly provider: OtelApi.MeterProvider; readonly instruments: Instruments } | undefined;

function loadApi(): Api | null {
  if (api === undefined) {
    try {
      api = createRequire(import.meta.url)('@opentelemetry/api') as Api;
    } catch {
      api = null; // not installed: the application cannot have registered an SDK through it either
    }
  }
  return api;
}

/** A provider the API hands out when nothing real is registered, whichever copy of the API made it. */
function isNoop(provider: object): boolean {
  const name = provider.constructor.name;
  return name === 'NoopTracerProvider' || name === 'NoopMeterProvider';
}

/** The tracer provider behind the API's proxy (it registers a proxy and delegates), or undefined for none. */
function realTracerProvider(provider: OtelApi.TracerProvider): OtelApi.TracerProvider | undefined {
  const delegate = provider instanceof (api as Api).ProxyTracerProvider || typeof (provider as { getDelegate?: unknown }).getDelegate === 'function'
    ? (provider as OtelApi.ProxyTracerProvider).getDelegate()
    : provider;
  return isNoop(delegate) ? undefined : delegate;
}

function makeInstruments(meter: OtelApi.Meter, otel: Api): Instruments {
  return {
    callDuration: meter.createHistogram('rpc.client.call.duration', {
      description: 'Duration of an Operations call, its retries and backoff included',
      unit: 's',
      valueType: otel.ValueType.DOUBLE,
      advice: { explicitBucketBoundaries: [0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10] },
    }),
    attempts: meter.createCounter('lro_cancel.client.attempts', { description: 'Wire attempts, by method, status and transport', unit: '{attempt}' }),
    retriesRefused: meter.createCounter('lro_cancel.client.retries_refused', { description: 'Retries the retry budget refused', unit: '{retry}' }),
    outcomes: meter.createCounter('lro_cancel.cancel.outcomes', { description: 'Results of cancel() and verify() calls, by outcome', unit: '{operation}' }),
    batchNames: meter.createCounter('lro_cancel.batch.names', { description: 'Names a batch recorded, by outcome', unit: '{operation}' }),
    batchPauses: meter.createCounter('lro_cancel.batch.pauses', { description: 'Times a batch paused for the service', unit: '{pause}' }),
    batchRate: meter.createObservableGauge('lro_cancel.batch.rate', { description: 'Names recorded per second by the running batches', unit: '{operation}/s' }),
  };
}

/**
 * The telemetry available now, or undefined when no SDK is registered (the common case, answered by one property
 * read). Call it once per call, not per attempt.
 */
export function otel(): Otel | undefined {
  if ((globalThis as Record<symbol, unknown>)[REGISTRY] === undefined) return undefined;
  const loaded = loadApi();
  if (loaded === null) return undefined;
  const tracing = realTracerProvider(loaded.trace.getTracerProvider());
  const meterProvider = loaded.metrics.getMeterProvider();
  const meters = isNoop(meterProvider) ? undefined : meterProvider;
  if (tracing !== seenTracing || meters !== seenMeters) {
    seenTracing = tracing;
    seenMeters = meters;
    if (meters !== undefined && instrumentsOf?.provider !== meters) {
      instrumentsOf = { provider: meters, instruments: makeInstruments(meters.getMeter(SCOPE, VERSION), loaded) };
    }
    current = tracing === undefined && meters === undefined ? undefined : {
      api: loaded,
      tracer: tracing?.getTracer(SCOPE, VERSION),
      instruments: meters === undefined ? undefined : instrumentsOf?.instruments,
    };
  }
  return current;
}
