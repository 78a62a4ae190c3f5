import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer as createNetServer } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { setTimeout as delay } from 'node:timers/promises';
import assert from 'node:assert/strict';
import * as grpc from '@grpc/grpc-js';
import type { Emulator } from '../src/emulator/index.js';
import { Code, createCanceller } from '../src/index.js';
import { startTestEmulator } from './helpers/emulator.js';
import { cancelsReceived, closedPort, fallBackAndReturn, withClient } from './helpers/client.js';
import { errorOf } from '../src/client/outcome.js';
import { loadProtos } from '../src/protos.js';

function autoClient(grpcEndpoint: string, emulator: Emulator, probeMs = 30_000) {
  return createCanceller({
    grpcEndpoint, restEndpoint: emulator.restUrl, insecure: true, grpcProbeIntervalMs: probeMs,
    retry: { initialBackoffMs: 10, maxBackoffMs: 20 },
  });
}

/** A gRPC server whose CancelOperation holds every call until `release()`; `received` settles at the first call. */
interface HoldingServer {
  readonly port: number;
  readonly server: grpc.Server;
  readonly received: Promise<void>;
  calls(): number;
  release(): void;
}

async function startHoldingServer(port = 0): Promise<HoldingServer> {
  let calls = 0;
  let release = (): void => undefined;
  const released = new Promise<void>(resolve => { release = resolve; });
  let onCall = (): void => undefined;
  const received = new Promise<void>(resolve => { onCall = resolve; });
  const server = new grpc.Server();
  server.addService(loadProtos().OperationsClient.service as grpc.ServiceDefinition, {
    CancelOperation: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      calls += 1;
      onCall();
      void released.then(() => callback(null, {}));
    },
  });
  const bound = await new Promise<number>((resolve, reject) =>
    server.bindAsync(`127.0.0.1:${port}`, grpc.ServerCredentials.createInsecure(), (error, p) => (error ? reject(error) : resolve(p))));
  return { port: bound, server, received, calls: () => calls, release };
}

describe('auto transport', () => {
  let emulator: Emulator;
  let http1: Server;
  before(async () => {
    emulator = await startTestEmulator();
    http1 = createHttpServer((_req, res) => { res.writeHead(200, { 'content-type': 'text/html' }).end('<html>not gRPC</html>'); });
    await new Promise<void>(resolve => http1.listen(0, '127.0.0.1', resolve));
  });
  after(async () => {
    await emulator.close();
    await new Promise<void>(resolve => http1.close(() => resolve()));
  });

  test('uses gRPC first when it gets through', async () => {
    const [name] = emulator.createOperations({ count: 1 });
    await withClient(autoClient(emulator.grpcAddress, emulator), async client => {
      const result = await client.cancel(name as string, { verify: true });
      assert.equal(result.outcome, 'cancelled');
      assert.equal(result.transport, 'grpc');
    });
  });

  test('falls back to REST when the gRPC port is closed: the failed gRPC attempt is in the history, the call is served on REST', async () => {
    const [name] = emulator.createOperations({ count: 1 });
    await withClient(autoClient(`127.0.0.1:${await closedPort()}`, emulator), async client => {
      const before = cancelsReceived(emulator, 'rest');
      const started = Date.now();
      const result = await client.cancel(name as string, { verify: true });
      assert.equal(result.outcome, 'cancelled');
      assert.equal(result.transport, 'rest');
      assert.equal(result.attempts.length, 2);
      assert.deepEqual(result.attempts.map(a => [a.codeName, a.transport]), [['UNAVAILABLE', 'grpc'], ['OK', 'rest']]);
      assert.ok(Date.now() - started < 2000, 'made again on REST at once, no backoff');
      assert.equal(cancelsReceived(emulator, 'rest') - before, 1);
      assert.equal(client.currentTransport, 'rest');
    });
  });

  test('falls back to REST when the gRPC port accepts TCP and never speaks (no connection before the attempt timeout)', async () => {
    const sockets = new Set<import('node:net').Socket>();
    const silent = createNetServer(socket => {
      sockets.add(socket);
      socket.on('data', () => undefined);
      socket.on('error', () => undefined);
    });
    await new Promise<void>(resolve => silent.listen(0, '127.0.0.1', resolve));
    const [name] = emulator.createOperations({ count: 1 });
    try {
      const client = createCanceller({
        grpcEndpoint: `127.0.0.1:${(silent.address() as { port: number }).port}`, restEndpoint: emulator.restUrl, insecure: true,
        retry: { attemptTimeoutMs: 500, initialBackoffMs: 10, maxBackoffMs: 20 },
      });
      await withClient(client, async c => {
        const result = await c.cancel(name as string);
        assert.equal(result.outcome, 'requested', errorOf(result)?.message);
        assert.deepEqual(result.attempts.map(a => [a.codeName, a.transport]), [['DEADLINE_EXCEEDED', 'grpc'], ['OK', 'rest']]);
      });
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>(resolve => silent.close(() => resolve()));
    }
  });

  test('reading currentTransport changes nothing: the probe slot stays for the next call', async () => {
    const port = await closedPort();
    const client = autoClient(`127.0.0.1:${port}`, emulator, 100);
    const late = await startTestEmulator({ grpcPort: port });
    try {
      const [first] = emulator.createOperations({ count: 1 });
      await late.close();
      // Closed again: the first call falls back.
      assert.equal((await client.cancel(first as string)).transport, 'rest');
      await new Promise(resolve => setTimeout(resolve, 150));
      for (let i = 0; i < 5; i++) assert.equal(client.currentTransport, 'grpc', 'the next call would probe gRPC');
    } finally {
      await client.close();
    }
  });

  test('falls back to REST when the gRPC port is answered by a plain HTTP/1.1 server', async () => {
    const [name] = emulator.createOperations({ count: 1 });
    const { port } = http1.address() as { port: number };
    await withClient(autoClient(`127.0.0.1:${port}`, emulator), async client => {
      const result = await client.cancel(name as string);
      assert.equal(result.outcome, 'requested');
      assert.equal(result.transport, 'rest');
    });
  });

  test('does not switch on a NOT_FOUND sent by the gRPC server', async () => {
    await withClient(autoClient(emulator.grpcAddress, emulator), async client => {
      const before = cancelsReceived(emulator, 'rest');
      const result = await client.cancel('projects/demo/locations/global/operations/nope');
      assert.equal(result.outcome, 'not_found');
      assert.equal(result.transport, 'grpc');
      assert.equal(cancelsReceived(emulator, 'rest') - before, 0);
      assert.equal(client.currentTransport, 'grpc');
    });
  });

  test('does not switch on UNAVAILABLE sent by the gRPC server itself', async () => {
    const [name] = emulator.createOperations({ count: 1 });
    await withClient(autoClient(emulator.grpcAddress, emulator), async client => {
      const before = cancelsReceived(emulator, 'rest');
      const result = await client.cancel(name as string, { retry: { maxAttempts: 2 }, headers: { 'x-emulator-fault': 'code=UNAVAILABLE' } });
      assert.equal(result.code, Code.UNAVAILABLE);
      assert.ok(result.attempts.every(a => a.transport === 'grpc'));
      assert.equal(cancelsReceived(emulator, 'rest') - before, 0);
    });
  });

  test('probes gRPC again after the interval and returns to it', async () => {
    const port = await closedPort();
    await withClient(autoClient(`127.0.0.1:${port}`, emulator, 200), async client => {
      const [fellBack, returned] = await fallBackAndReturn(client, emulator, port, 200);
      assert.equal(fellBack.transport, 'rest');
      assert.equal(returned.transport, 'grpc');
      assert.equal(returned.outcome, 'requested');
    });
  });

  test('a slow gRPC success that lands after the fallback leaves the client on REST until its probe', async () => {
    // Generous on purpose: every check between the fallback and the probe must run within it on a loaded machine.
    const probeMs = 5000;
    const slow = await startHoldingServer();
    const client = autoClient(`127.0.0.1:${slow.port}`, emulator, probeMs);
    let back: HoldingServer | undefined;
    try {
      const [held, fallingBack, afterSwitch, probe] = emulator.createOperations({ count: 4 }) as [string, string, string, string];
      const slowCall = client.cancel(held);
      await slow.received;
      // The server goes away: GOAWAY on the held call's connection (that call may still finish), the port refuses
      // new connections. The wait lets the client read the GOAWAY, so the next call needs a new connection (it passed
      // with no wait at all three times out of three; 200 ms is margin for a loaded machine).
      const shutdown = new Promise<void>(resolve => slow.server.tryShutdown(() => resolve()));
      await delay(200);
      const switchFrom = performance.now();
      const fellBack = await client.cancel(fallingBack);
      const switchBy = performance.now();
      assert.equal(fellBack.outcome, 'requested', errorOf(fellBack)?.message);
      assert.deepEqual(fellBack.attempts.map(a => [a.codeName, a.transport]), [['UNAVAILABLE', 'grpc'], ['OK', 'rest']],
        'the gRPC attempt that did not reach a server is in the attempts');

      slow.release();
      const landed = await slowCall;
      assert.equal(landed.outcome, 'requested', errorOf(landed)?.message);
      assert.deepEqual(landed.attempts.map(a => [a.codeName, a.transport]), [['OK', 'grpc']]);
      await shutdown;
      assert.equal(client.currentTransport, 'rest', 'an answer to a call sent before the switch says nothing about gRPC now');
      const onRest = await client.cancel(afterSwitch);
      assert.deepEqual(onRest.attempts.map(a => [a.codeName, a.transport]), [['OK', 'rest']], 'no gRPC attempt before the probe');
      assert.ok(performance.now() < switchFrom + probeMs, 'the checks above ran before the probe was due');

      back = await startHoldingServer(slow.port);
      back.release();
      await delay(switchBy + probeMs + 50 - performance.now());
      assert.equal(client.currentTransport, 'grpc', 'the probe is due');
      const probed = await client.cancel(probe);
      assert.deepEqual(probed.attempts.map(a => [a.codeName, a.transport]), [['OK', 'grpc']]);
      assert.equal(slow.calls() + back.calls(), 2, 'gRPC saw the held call and the probe, nothing between');
    } finally {
      await client.close();
      slow.server.forceShutdown();
      back?.server.forceShutdown();
    }
  });
});
