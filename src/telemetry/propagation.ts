import type * as OtelApi from '@opentelemetry/api';

/**
 * The headers that carry an attempt's trace context to the server (gRPC metadata or HTTP headers), so a server's
 * trace joins ours. The application's propagator when it registered one (NodeSDK registers W3C trace context and
 * baggage by default); otherwise W3C `traceparent` (and `tracestate`) written here, since an SDK's tracer provider
 * registered alone leaves the API's propagator a no-op and the server would see nothing. Undefined when the context
 * holds no valid span.
 */
export function traceHeaders(api: typeof OtelApi, context: OtelApi.Context): Record<string, string> | undefined {
  const carrier: Record<string, string> = {};
  if (api.propagation.fields().length > 0) {
    api.propagation.inject(context, carrier);
  } else {
    const span = api.trace.getSpanContext(context);
    if (span === undefined || !api.isSpanContextValid(span)) return undefined;
    const sampled = (span.traceFlags & api.TraceFlags.SAMPLED) === api.TraceFlags.SAMPLED;
    carrier['traceparent'] = `00-${span.traceId}-${span.spanId}-${sampled ? '01' : '00'}`;
    const state = span.traceState?.serialize();
    if (state !== undefined && state !== '') carrier['tracestate'] = state;
  }
  // Header names are sent in lower case on both wires (gRPC metadata keys must be).
  const headers: Record<string, string> = {};
  let any = false;
  for (const [key, value] of Object.entries(carrier)) {
    headers[key.toLowerCase()] = value;
    any = true;
  }
  return any ? headers : undefined;
}
