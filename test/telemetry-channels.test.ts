import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/index.js';
import { CHANNELS, type AttemptMessage, type BatchPassMessage, type BatchPauseMessage, type RetryMessage, type TransportMessage } from '../src/index.js';
import { clientFor, closedPort, fallBackAndReturn, withClient } from './helpers/client.js';
import { startTestEmulator } from './helpers/emulator.js';
import { batchThroughOutage } from './helpers/outage.js';
import { runProcess } from './helpers/process.js';
import { projectRoot } from './helpers/paths.js';

/** Collects what `channel` publishes while `body` runs. */
async function heard<T>(channel: string, body: () => Promise<unknown>): Promise<T[]> {
  const messages: T[] = [];
  const listener = (message: unknown): void => { messages.push(message as T); };
  subscribe(channel, listener);
  try {
    await body();
  } finally {
    unsubscribe(channel, listener);
  }
  return messages;
}

describe('diagnostics_channel events', () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  test('every attempt and every retry of a call is published, with method, name, code and the wait', async () => {
    const [name] = emulator.createOperations({ count: 1, idPrefix: 'events-' }) as [string];
    const retries: RetryMessage[] = [];
    const attempts = await heard<AttemptMessage>(CHANNELS.attempt, () => heard<RetryMessage>(CHANNELS.retry, () => withClient(clientFor(emulator, 'grpc'),
      client => client.cancel(name, { headers: { 'x-emulator-fault': 'code=UNAVAILABLE;times=2' } }))).then(r => retries.push(...r)));
    assert.deepEqual(attempts.map(a => [a.method, a.name, a.attempt, a.transport, a.codeName]), [
      ['CancelOperation', name, 1, 'grpc', 'UNAVAILABLE'], ['CancelOperation', name, 2, 'grpc', 'UNAVAILABLE'], ['CancelOperation', name, 3, 'grpc', 'OK'],
    ]);
    assert.ok(attempts.every(a => a.durationMs >= 0));
    assert.deepEqual(retries.map(r => [r.attempt, r.codeName]), [[1, 'UNAVAILABLE'], [2, 'UNAVAILABLE']]);
    assert.ok(retries.every(r => (r.delayMs ?? -1) >= 0));
  });

  test('a retry the budget refuses is published on its own channel', async () => {
    const [name] = emulator.createOperations({ count: 1, idPrefix: 'refused-' }) as [string];
    const refused = await heard<RetryMessage>(CHANNELS.retryRefused, () => withClient(
      clientFor(emulator, 'rest', { retryBudget: { kind: 'tokens', maxTokens: 2, tokenRatio: 0.1 } }),
      client => client.cancel(name, { headers: { 'x-emulator-fault': 'code=UNAVAILABLE' } })));
    assert.deepEqual(refused.map(r => [r.method, r.name, r.attempt, r.codeName]), [['CancelOperation', name, 1, 'UNAVAILABLE']]);
  });

  test('auto falling back to REST, probing gRPC and coming back are published', async () => {
    const port = await closedPort();
    const client = clientFor(emulator, 'auto', { grpcEndpoint: `127.0.0.1:${port}`, grpcProbeIntervalMs: 300 });
    const events: Array<[string, TransportMessage]> = [];
    const listeners = (['fallback', 'probe', 'restore'] as const).map(kind => {
      const listener = (message: unknown): void => { events.push([kind, message as TransportMessage]); };
      subscribe(CHANNELS[kind], listener);
      return () => unsubscribe(CHANNELS[kind], listener);
    });
    try {
      const [first, second] = await withClient(client, c => fallBackAndReturn(c, emulator, port, 300));
      assert.equal(first.transport, 'rest');
      assert.equal(second.transport, 'grpc');
    } finally {
      for (const stop of listeners) stop();
    }
    assert.deepEqual(events.map(([kind, message]) => [kind, message.transport]), [['fallback', 'rest'], ['probe', 'grpc'], ['restore', 'grpc']]);
    assert.equal(events[0]?.[1].codeName, 'UNAVAILABLE');
    assert.equal(events[0]?.[1].probeAfterMs, 300);
  });

  test('a batch publishes its passes, and a pause for an outage and the resume when the service answers again', async () => {
    const names = emulator.createOperations({ count: 200, idPrefix: 'outage-' });
    const passes: BatchPassMessage[] = [];
    const pauses: BatchPauseMessage[] = [];
    const resumes: unknown[] = [];
    const stops = ([[CHANNELS.pass, passes], [CHANNELS.pause, pauses], [CHANNELS.resume, resumes]] as const).map(([channel, into]) => {
      const listener = (message: unknown): void => { (into as unknown[]).push(message); };
      subscribe(channel, listener);
      return () => unsubscribe(channel, listener);
    });
    try {
      const summary = await batchThroughOutage(emulator, names, () => pauses.length > 0, 32);
      assert.equal(summary.outcomes['requested'], 200);
      assert.ok(summary.pauses >= 1);
    } finally {
      for (const stop of stops) stop();
    }
    assert.equal(pauses[0]?.reason, 'unavailable');
    assert.ok((pauses[0]?.waitingNames ?? 0) > 0);
    assert.equal(resumes.length, pauses.length, 'each pause ends');
    assert.deepEqual(passes[0], { pass: 1, names: 0 });
    assert.ok(passes.length >= 2 && (passes[1]?.names ?? 0) > 0, 'names that met the outage get another pass');
  });

  test('with @opentelemetry/api installed and no SDK registered, calls never ask it for a provider: one property read per call', async () => {
    // A fresh process: this file's other tests subscribed to channels. google-gax loads the API itself, so it is
    // there; what must not happen is a provider looked up, or a span or context made, per call.
    const script = `
      const { createRequire } = await import('node:module');
      const api = createRequire(${JSON.stringify(join(projectRoot(), 'package.json'))})('@opentelemetry/api');
      const asked = { tracer: 0, meter: 0, registry: 0 };
      const tracerProvider = api.trace.getTracerProvider.bind(api.trace);
      const meterProvider = api.metrics.getMeterProvider.bind(api.metrics);
      api.trace.getTracerProvider = () => { asked.tracer += 1; return tracerProvider(); };
      api.metrics.getMeterProvider = () => { asked.meter += 1; return meterProvider(); };
      Object.defineProperty(globalThis, Symbol.for('opentelemetry.js.api.1'), { get() { asked.registry += 1; return undefined; }, configurable: true });
      const { startEmulator } = await import(${JSON.stringify(join(projectRoot(), 'dist', 'src', 'emulator', 'index.js'))});
      const { createCanceller, cancelMany } = await import(${JSON.stringify(join(projectRoot(), 'dist', 'src', 'index.js'))});
      const emulator = await startEmulator({ seed: 1 });
      const names = emulator.createOperations({ count: 50 });
      const client = createCanceller({ grpcEndpoint: emulator.grpcAddress, transport: 'grpc', insecure: true });
      await client.cancel(names[0], { verify: true });
      await cancelMany(names.slice(1), { canceller: client }).summary();
      await client.close();
      await emulator.close();
      process.stdout.write(JSON.stringify(asked));
    `;
    const run = await runProcess(process.execPath, ['--input-type=module', '-e', script], { cwd: projectRoot() });
    assert.equal(run.code, 0, run.out);
    const asked = JSON.parse(run.out) as { tracer: number; meter: number; registry: number };
    assert.deepEqual({ tracer: asked.tracer, meter: asked.meter }, { tracer: 0, meter: 0 });
    assert.ok(asked.registry >= 50, `the registry was looked at ${asked.registry} times`);
  });
});
