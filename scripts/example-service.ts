import { once } from 'node:events';
import { createServer } from 'node:http';
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { ConsoleMetricExporter, MeterProvider, PeriodicExportingMetricReader } from '@opentelemetry/sdk-metrics';
import { ConsoleSpanExporter, SimpleSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { cancelMany } from '../src/index.js';

// OpenTelemetry first: lro-cancel uses whatever the application registers (here, the console).
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
propagation.setGlobalPropagator(new W3CTraceContextPropagator());
const tracerProvider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: new ConsoleSpanExporter() })] });
trace.setGlobalTracerProvider(tracerProvider);
const meterProvider = new MeterProvider({
  readers: [new PeriodicExportingMetricReader({ exporter: new ConsoleMetricExporter(), exportIntervalMillis: 60_000 })],
});
metrics.setGlobalMeterProvider(meterProvider);
const tracer = trace.getTracer('operations-janitor');

// POST /cancel {"names": [...]}: cancels them, verified, and answers one JSON line per name as each ends, then the
// summary. Credentials: Application Default Credentials (or LRO_CANCEL_EMULATOR_HOST for the emulator).
const server = createServer((req, res) => {
  if (req.method !== 'POST' || req.url !== '/cancel') {
    res.writeHead(404).end();
    return;
  }
  void tracer.startActiveSpan('POST /cancel', async span => {
    const stop = new AbortController();
    res.once('close', () => stop.abort()); // the caller went away: the batch stops, calls in flight finish
    try {
      let body = '';
      for await (const chunk of req) body += String(chunk);
      const { names } = JSON.parse(body) as { names: string[] };
      const run = cancelMany(names, { verify: true, concurrency: 16, giveUpAfterMs: 60_000, signal: stop.signal });
      res.writeHead(200, { 'content-type': 'application/x-ndjson' });
      for await (const result of run) {
        // Waiting for a slow reader waits the batch too: nothing piles up in memory.
        if (!res.write(`${JSON.stringify({ name: result.name, outcome: result.outcome })}\n`)) await once(res, 'drain', { signal: stop.signal });
      }
      const summary = await run.summary();
      span.setAttribute('cancelled', summary.outcomes['cancelled'] ?? 0);
      res.end(`${JSON.stringify({ summary })}\n`);
    } catch (error) {
      span.recordException(error as Error);
      if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain' });
      res.end(`${(error as Error).message}\n`);
    } finally {
      span.end();
    }
  });
});

server.listen(Number(process.env['PORT'] ?? 8080), '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  console.log(`listening on http://127.0.0.1:${port}`);
});

// Kubernetes sends SIGTERM: stop taking requests, then flush what the exporters hold.
process.once('SIGTERM', () => {
  server.close(() => {
    void Promise.all([tracerProvider.shutdown(), meterProvider.shutdown()]);
  });
});
