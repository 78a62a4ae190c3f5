/**
 * Prints the OpenTelemetry trace of one verified cancel whose first attempt meets UNAVAILABLE, as a text span tree,
 * against the emulator in this process (the README's "OpenTelemetry" shape, measured rather than drawn).
 *
 *   npm run build && node dist/scripts/trace-tree.js [--transport grpc|rest]
 */
import { context, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { InMemorySpanExporter, SimpleSpanProcessor, TracerProvider, type ReadableSpan } from '@opentelemetry/sdk-trace';
import { startEmulator } from '../src/emulator/index.js';
import { createCanceller } from '../src/index.js';

const transport = process.argv.includes('rest') ? 'rest' : 'grpc';
const spans = new InMemorySpanExporter();
context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
trace.setGlobalTracerProvider(new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter: spans })] }));

const emulator = await startEmulator({ seed: 1 });
const [name] = emulator.createOperations({ count: 1 }) as [string];
const client = createCanceller({ grpcEndpoint: emulator.grpcAddress, restEndpoint: emulator.restUrl, transport, insecure: true });
const result = await client.cancel(name, { verify: true, headers: { 'x-emulator-fault': 'code=UNAVAILABLE;times=1' } });
await client.close();
const received = emulator.traceContexts();
await emulator.close();

const all = spans.getFinishedSpans();
const ms = (span: ReadableSpan): string => `${(span.duration[0] * 1000 + span.duration[1] / 1e6).toFixed(1)} ms`;
const kinds = ['INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];
const shown = (span: ReadableSpan): string => Object.entries(span.attributes).map(([k, v]) => `${k}=${String(v)}`).join(' ');
function print(span: ReadableSpan, prefix: string, last: boolean, root: boolean): void {
  const line = `${root ? '' : `${prefix}${last ? '└─ ' : '├─ '}`}${span.name} [${kinds[span.kind]}] ${ms(span)}${span.status.code === 2 ? ' ERROR' : ''}`;
  process.stdout.write(`${line}\n`);
  const inner = root ? '' : `${prefix}${last ? '   ' : '│  '}`;
  process.stdout.write(`${inner}${span.kind === 2 || root ? '' : ''}    ${shown(span)}\n`);
  for (const event of span.events) process.stdout.write(`${inner}    event ${event.name}: ${JSON.stringify(event.attributes)}\n`);
  const children = all.filter(s => s.parentSpanContext?.spanId === span.spanContext().spanId);
  children.forEach((child, i) => print(child, inner, i === children.length - 1, false));
}
process.stdout.write(`outcome ${result.outcome}, ${result.attempts.length} cancel attempts over ${transport}\n\n`);
for (const root of all.filter(s => s.parentSpanContext === undefined)) print(root, '', true, true);
process.stdout.write(`\ntraceparent the emulator received: ${received.map(r => `${r.method} ${r.traceparent}`).join(', ')}\n`);
