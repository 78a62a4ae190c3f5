import { after, afterEach, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { context, metrics, propagation, trace, SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { AggregationTemporality, InMemoryMetricExporter, MeterProvider, MetricReader, type ResourceMetrics } from '@opentelemetry/sdk-metrics';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import type { Emulator } from '../src/emulator/index.js';
import { cancelMany } from '../src/index.js';
import { clientFor, withClient, WIRES } from './helpers/client.js';
import { startTestEmulator } from './helpers/emulator.js';

/** A reader whose collect() the test calls itself. */
class TestReader extends MetricReader {
  protected override onForceFlush(): Promise<void> {
    return Promise.resolve();
  }
  protected override onShutdown(): Promise<void> {
    return Promise.resolve();
  }
}

const spans = new InMemorySpanExporter();
const reader = new TestReader({ aggregationTemporalitySelector: () => AggregationTemporality.CUMULATIVE });
void InMemoryMetricExporter; // the reader is collected directly: no export interval to wait for

before(() => {
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }));
  metrics.setGlobalMeterProvider(new MeterProvider({ readers: [reader] }));
});
after(() => {
  trace.disable();
  metrics.disable();
  context.disable();
  propagation.disable();
});
afterEach(() => spans.reset());

function childrenOf(all: readonly ReadableSpan[], parent: ReadableSpan): ReadableSpan[] {
  return all.filter(s => s.parentSpanContext?.spanId === parent.spanContext().spanId).sort((a, b) => a.startTime[1] - b.startTime[1] + (a.startTime[0] - b.startTime[0]) * 1e9);
}

function one(all: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = all.filter(s => s.name === name);
  assert.equal(found.length, 1, `one span named ${name}: ${all.map(s => s.name).join(', ')}`);
  return found[0] as ReadableSpan;
}

/** Every data point of a metric, with its attributes and value (sum, gauge or histogram count). */
async function points(name: string): Promise<Array<{ attributes: Record<string, unknown>; value: number; sum?: number }>> {
  const { resourceMetrics } = await reader.collect() as { resourceMetrics: ResourceMetrics };
  const out: Array<{ attributes: Record<string, unknown>; value: number; sum?: number }> = [];
  for (const scope of resourceMetrics.scopeMetrics) {
    for (const metric of scope.metrics) {
      if (metric.descriptor.name !== name) continue;
      for (const point of metric.dataPoints) {
        const value = point.value as number | { count: number; sum: number };
        out.push(typeof value === 'number' ? { attributes: point.attributes, value } : { attributes: point.attributes, value: value.count, sum: value.sum });
      }
    }
  }
  return out;
}

describe('OpenTelemetry with an SDK registered (in-memory exporters)', () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  for (const wire of WIRES) {
    test(`a verified cancel with a retry over ${wire}: a cancel span, a client span per RPC with the RPC conventions, an attempt span per attempt`, async () => {
      const [name] = emulator.createOperations({ count: 1, idPrefix: `traced-${wire}-` }) as [string];
      const result = await withClient(clientFor(emulator, wire), client => client.cancel(name, {
        verify: true, verifyTimeoutMs: 5000, headers: { 'x-emulator-fault': 'code=UNAVAILABLE;times=1' },
      }));
      assert.equal(result.outcome, 'cancelled');
      const all = spans.getFinishedSpans();
      const method = one(all, 'Canceller.cancel');
      assert.equal(method.kind, SpanKind.INTERNAL);
      assert.equal(method.attributes['lro_cancel.outcome'], 'cancelled');
      assert.equal(method.attributes['lro_cancel.operation'], name);
      const cancel = one(all, 'google.longrunning.Operations/CancelOperation');
      const read = one(all, 'google.longrunning.Operations/GetOperation');
      assert.deepEqual(childrenOf(all, method).map(s => s.name), [cancel.name, read.name]);
      assert.equal(cancel.kind, SpanKind.CLIENT);
      const port = Number(new URL(wire === 'grpc' ? `http://${emulator.grpcAddress}` : emulator.restUrl).port);
      assert.deepEqual({ ...cancel.attributes }, {
        'rpc.system.name': wire === 'grpc' ? 'grpc' : 'http',
        'rpc.system': wire === 'grpc' ? 'grpc' : 'http',
        'rpc.service': 'google.longrunning.Operations',
        'rpc.method': 'google.longrunning.Operations/CancelOperation',
        'rpc.response.status_code': 'OK',
        'server.address': '127.0.0.1',
        'server.port': port,
        'lro_cancel.operation': name,
        'lro_cancel.attempts': 2,
        ...(wire === 'grpc' ? { 'rpc.grpc.status_code': 0 } : { 'http.response.status_code': 200 }),
      });
      assert.deepEqual(cancel.events.map(e => [e.name, e.attributes?.['rpc.response.status_code']]), [['retry', 'UNAVAILABLE']]);
      const [failed, served] = childrenOf(all, cancel) as [ReadableSpan, ReadableSpan];
      assert.deepEqual(childrenOf(all, cancel).map(s => s.name), ['Attempt.google.longrunning.Operations.CancelOperation', 'Attempt.google.longrunning.Operations.CancelOperation']);
      assert.equal(failed.attributes['lro_cancel.attempt'], 1);
      assert.equal(failed.attributes['rpc.response.status_code'], 'UNAVAILABLE');
      assert.equal(failed.attributes['error.type'], 'UNAVAILABLE');
      assert.equal(failed.status.code, SpanStatusCode.ERROR);
      assert.equal(failed.attributes[wire === 'grpc' ? 'rpc.grpc.status_code' : 'http.response.status_code'], wire === 'grpc' ? 14 : 503);
      assert.equal(served.attributes['lro_cancel.attempt'], 2);
      // Full jitter may draw a wait that rounds to 0 ms: what holds is that the attempt carries the wait the retry announced.
      assert.equal(served.attributes['lro_cancel.backoff_ms'], cancel.events[0]?.attributes?.['lro_cancel.backoff_ms'], 'the backoff waited before the retry');
      assert.ok(Number(served.attributes['lro_cancel.backoff_ms']) >= 0);
      assert.equal(served.attributes[wire === 'grpc' ? 'gcp.grpc.resend_count' : 'http.request.resend_count'], 1);
      assert.equal(served.attributes['lro_cancel.transport'], wire);
      assert.equal(served.status.code, SpanStatusCode.UNSET);
    });
  }

  test('the W3C trace context of each attempt reaches the emulator over both wires, and a caller\'s span is the parent', async () => {
    const tracer = trace.getTracer('test');
    for (const wire of WIRES) {
      const [name] = emulator.createOperations({ count: 1, idPrefix: `propagated-${wire}-` }) as [string];
      await tracer.startActiveSpan(`handler ${wire}`, async handler => {
        await withClient(clientFor(emulator, wire), client => client.cancel(name));
        handler.end();
      });
      const all = spans.getFinishedSpans();
      const handler = one(all, `handler ${wire}`);
      const method = childrenOf(all, handler)[0] as ReadableSpan;
      const attempt = all.find(s => s.name.startsWith('Attempt.') && s.spanContext().traceId === handler.spanContext().traceId) as ReadableSpan;
      assert.equal(method.name, 'Canceller.cancel');
      const received = emulator.traceContexts().filter(t => t.name === name);
      assert.equal(received.length, 1);
      assert.equal(received[0]?.transport, wire);
      assert.equal(received[0]?.traceparent, `00-${handler.spanContext().traceId}-${attempt.spanContext().spanId}-01`);
      spans.reset();
    }
    // With the application's propagator registered, its headers are the ones sent.
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    try {
      const [name] = emulator.createOperations({ count: 1, idPrefix: 'propagator-' }) as [string];
      await withClient(clientFor(emulator, 'grpc'), client => client.cancel(name));
      const attempt = one(spans.getFinishedSpans(), 'Attempt.google.longrunning.Operations.CancelOperation');
      assert.equal(emulator.traceContexts().find(t => t.name === name)?.traceparent, `00-${attempt.spanContext().traceId}-${attempt.spanContext().spanId}-01`);
    } finally {
      propagation.disable();
    }
  });

  test('metrics: call duration, attempts by status, outcomes by name, retries the budget refused, and a batch\'s names, rate and no pause', async () => {
    const [retried, refused] = emulator.createOperations({ count: 2, idPrefix: 'metered-' }) as [string, string];
    const unavailableAttempts = async (): Promise<number> => (await points('lro_cancel.client.attempts'))
      .filter(p => p.attributes['rpc.response.status_code'] === 'UNAVAILABLE').reduce((n, p) => n + p.value, 0);
    const unavailableBefore = await unavailableAttempts();
    await withClient(clientFor(emulator, 'grpc'), client => client.cancel(retried, { headers: { 'x-emulator-fault': 'code=UNAVAILABLE;times=1' } }));
    // A bucket of two tokens: the first failure leaves one, not more than half, so the retry is refused.
    await withClient(clientFor(emulator, 'rest', { retryBudget: { kind: 'tokens', maxTokens: 2, tokenRatio: 0.1 } }),
      client => client.cancel(refused, { headers: { 'x-emulator-fault': 'code=UNAVAILABLE' } }));
    const names = emulator.createOperations({ count: 20, idPrefix: 'metered-batch-' });
    await cancelMany(names, { client: { grpcEndpoint: emulator.grpcAddress, transport: 'grpc', insecure: true } }).summary();

    const durations = await points('rpc.client.call.duration');
    const cancels = durations.find(p => p.attributes['rpc.method'] === 'google.longrunning.Operations/CancelOperation'
      && p.attributes['rpc.system.name'] === 'grpc' && p.attributes['rpc.response.status_code'] === 'OK');
    assert.ok(cancels !== undefined && cancels.value >= 21 && (cancels.sum ?? 0) > 0, JSON.stringify(durations));
    assert.equal(cancels.attributes['server.address'], '127.0.0.1');
    const failedCall = durations.find(p => p.attributes['rpc.system.name'] === 'http' && p.attributes['error.type'] === 'UNAVAILABLE');
    assert.equal(failedCall?.value, 1);

    const attempts = await points('lro_cancel.client.attempts');
    assert.equal(await unavailableAttempts() - unavailableBefore, 2, 'one failed attempt per client');
    assert.ok(attempts.some(p => p.attributes['lro_cancel.transport'] === 'grpc' && p.attributes['rpc.response.status_code'] === 'OK' && p.value >= 21));

    assert.deepEqual((await points('lro_cancel.client.retries_refused')).map(p => [p.attributes['rpc.method'], p.value]),
      [['google.longrunning.Operations/CancelOperation', 1]]);
    const outcomes = await points('lro_cancel.cancel.outcomes');
    assert.ok(outcomes.some(p => p.attributes['lro_cancel.outcome'] === 'requested' && p.value >= 21));
    assert.ok(outcomes.some(p => p.attributes['lro_cancel.outcome'] === 'error' && p.value === 1));
    assert.deepEqual((await points('lro_cancel.batch.names')).map(p => [p.attributes['lro_cancel.outcome'], p.value]), [['requested', 20]]);
    assert.equal((await points('lro_cancel.batch.rate')).length, 1, 'the gauge observes the running batches (none now: 0)');
    assert.deepEqual(await points('lro_cancel.batch.pauses'), []);
  });
});
