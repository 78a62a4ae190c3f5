import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type IncomingMessage, type Server as HttpServer, type ServerResponse } from 'node:http';
import { createServer as createHttp2Server, type Http2Server, type ServerHttp2Stream } from 'node:http2';
import { createServer as createTcpServer, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { Code } from '../src/code.js';
import { OperationsError } from '../src/errors.js';
import { createCanceller, type Canceller } from '../src/index.js';
import type { CancellerOptions } from '../src/client/options.js';
import { startTestEmulator } from './helpers/emulator.js';
import { errorOf } from '../src/client/outcome.js';

/**
 * Servers that misbehave on the wire, one per way a real network or a broken proxy can fail a call. Every call must
 * end in an OperationsError with a normalized code, within its deadline plus a little, and leave nothing open.
 */

const NAME = 'projects/p/locations/l/operations/op-1';
/** Two attempts of at most 400 ms inside 1.2 s: a stall must end by then. */
const RETRY = { maxAttempts: 2, attemptTimeoutMs: 400, totalTimeoutMs: 1200, initialBackoffMs: 10, maxBackoffMs: 20 };
/** Deadline plus what a loaded 2-core machine may add to timers. */
const LATE_MS = 1200 + 1500;

function portOf(server: HttpServer | Http2Server | TcpServer): number {
  return (server.address() as AddressInfo).port;
}

async function listen<T extends HttpServer | Http2Server | TcpServer>(server: T): Promise<T> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return server;
}

function closeServer(server: HttpServer | Http2Server | TcpServer, sockets: Set<Socket>): Promise<void> {
  for (const socket of sockets) socket.destroy();
  return new Promise(resolve => server.close(() => resolve()));
}

function tracked<T extends HttpServer | Http2Server | TcpServer>(server: T, sockets: Set<Socket>): T {
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  return server;
}

function restClient(port: number, options: CancellerOptions = {}): Canceller {
  return createCanceller({ restEndpoint: `http://127.0.0.1:${port}`, transport: 'rest', insecure: true, retry: RETRY, ...options });
}

function grpcClient(port: number): Canceller {
  return createCanceller({ grpcEndpoint: `127.0.0.1:${port}`, transport: 'grpc', insecure: true, retry: RETRY });
}

/** Runs a get that must fail; returns its error and how long it took. */
async function failedGet(client: Canceller): Promise<{ error: OperationsError; elapsedMs: number }> {
  const started = Date.now();
  try {
    await client.get(NAME);
  } catch (error) {
    assert.ok(error instanceof OperationsError, `an OperationsError, got ${String(error)}`);
    return { error, elapsedMs: Date.now() - started };
  }
  assert.fail('the call should have failed');
}

describe('REST against servers that misbehave', () => {
  const sockets = new Set<Socket>();
  let server: HttpServer;
  let bytesSentBeforeClose = 0;
  const routes: Record<string, (req: IncomingMessage, res: ServerResponse) => void> = {
    stall: res => { void res; },
    'headers-then-stall': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"name": "proj');
    },
    'close-mid-body': (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': '100' });
      res.write('{"name": "proj', () => req.socket.destroy());
    },
    'invalid-json': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"name": "projects/p/locations/l/operations/op-1", "done": tru');
    },
    'json-not-operation': (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"name": 7, "done": "yes"}');
    },
    'ten-megabytes': (_req, res) => {
      const body = Buffer.alloc(10 * 1024 * 1024, 0x20);
      body.write('{"name": "x", "pad": "', 0);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(body.length) });
      res.end(body);
    },
    'endless-chunked': (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const pump = (): void => {
        while (!res.destroyed && sent < 1024 * 1024 * 1024) {
          sent += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
      };
      req.socket.once('close', () => { bytesSentBeforeClose = sent; });
      pump();
    },
    'error-ten-megabytes-html': (_req, res) => {
      const body = `<html><body><h1>Bad gateway</h1>${'<p>filler</p>'.repeat(800_000)}</body></html>`;
      res.writeHead(502, { 'content-type': 'text/html' });
      res.end(body);
    },
  };

  before(async () => {
    server = tracked(await listen(createHttpServer((req, res) => {
      const route = (req.headers['x-route'] as string | undefined) ?? 'stall';
      routes[route]?.(req, res);
    })), sockets);
  });
  after(() => closeServer(server, sockets));

  async function getVia(route: string, options: CancellerOptions = {}): Promise<{ error: OperationsError; elapsedMs: number }> {
    const client = restClient(portOf(server), options);
    try {
      const started = Date.now();
      try {
        await client.get(NAME, { headers: { 'x-route': route } });
      } catch (error) {
        assert.ok(error instanceof OperationsError, `an OperationsError, got ${String(error)}`);
        return { error, elapsedMs: Date.now() - started };
      }
      assert.fail('the call should have failed');
    } finally {
      await client.close();
    }
  }

  test('a server that never answers ends in DEADLINE_EXCEEDED within the deadline, each attempt cut at its timeout', async () => {
    const { error, elapsedMs } = await getVia('stall');
    assert.equal(error.code, Code.DEADLINE_EXCEEDED);
    assert.equal(error.attempts.length, 2);
    assert.ok(elapsedMs < LATE_MS, `${elapsedMs} ms`);
  });

  test('headers and then nothing ends in DEADLINE_EXCEEDED within the deadline', async () => {
    const { error, elapsedMs } = await getVia('headers-then-stall');
    assert.equal(error.code, Code.DEADLINE_EXCEEDED);
    assert.equal(error.transport, 'rest');
    assert.ok(elapsedMs < LATE_MS, `${elapsedMs} ms`);
  });

  test('a connection closed in the middle of the body is UNAVAILABLE, retried, and never a parse of half a body', async () => {
    const { error, elapsedMs } = await getVia('close-mid-body');
    assert.equal(error.code, Code.UNAVAILABLE);
    assert.deepEqual(error.attempts.map(a => a.code), [Code.UNAVAILABLE, Code.UNAVAILABLE]);
    assert.ok(elapsedMs < LATE_MS, `${elapsedMs} ms`);
  });

  test('200 with invalid JSON, or JSON that is not an Operation, is INTERNAL naming the problem, not retried', async () => {
    for (const route of ['invalid-json', 'json-not-operation']) {
      const { error } = await getVia(route);
      assert.equal(error.code, Code.INTERNAL, route);
      assert.match(error.message, /malformed Operation in the REST response/, route);
      assert.equal(error.attempts.length, 1, `${route}: a broken answer is not retried`);
    }
  });

  test('a 10 MB success body is refused from its length without being read: INTERNAL naming the limit', async () => {
    const { error, elapsedMs } = await getVia('ten-megabytes');
    assert.equal(error.code, Code.INTERNAL);
    assert.match(error.message, /larger than maxResponseBytes/);
    assert.ok(elapsedMs < LATE_MS, `${elapsedMs} ms`);
  });

  test('an endless body is read only up to the limit, then the connection is dropped', async () => {
    bytesSentBeforeClose = 0;
    const { error, elapsedMs } = await getVia('endless-chunked');
    assert.equal(error.code, Code.INTERNAL);
    assert.match(error.message, /larger than maxResponseBytes \(4194304\)/);
    assert.ok(elapsedMs < LATE_MS, `${elapsedMs} ms`);
    for (let i = 0; i < 100 && bytesSentBeforeClose === 0; i++) await new Promise(resolve => setTimeout(resolve, 20));
    assert.ok(bytesSentBeforeClose > 0 && bytesSentBeforeClose < 32 * 1024 * 1024,
      `the server could write ${bytesSentBeforeClose} bytes (the limit plus socket buffers) before the client hung up`);
  });

  test('a 10 MB error page gives the status\'s code and a short snippet', async () => {
    const { error } = await getVia('error-ten-megabytes-html', { retry: { ...RETRY, maxAttempts: 1 } });
    assert.equal(error.code, Code.UNAVAILABLE, '502 from a proxy');
    assert.equal(error.httpStatus, 502);
    assert.ok(error.message.length < 300, `message of ${error.message.length} characters`);
    assert.match(error.message, /Bad gateway/);
  });
});

describe('gRPC against servers that misbehave', () => {
  test('a server that accepts the connection and never speaks ends in a normalized error within the deadline', async () => {
    const sockets = new Set<Socket>();
    const server = tracked(await listen(createTcpServer(() => undefined)), sockets);
    const client = grpcClient(portOf(server));
    try {
      const { error, elapsedMs } = await failedGet(client);
      assert.ok([Code.DEADLINE_EXCEEDED, Code.UNAVAILABLE].includes(error.code), error.message);
      assert.ok(elapsedMs < LATE_MS, `${elapsedMs} ms`);
    } finally {
      await client.close();
      await closeServer(server, sockets);
    }
  });

  test('headers and then nothing ends in DEADLINE_EXCEEDED within the deadline', async () => {
    const sockets = new Set<Socket>();
    const streams = new Set<ServerHttp2Stream>();
    const server = tracked(await listen(createHttp2Server()), sockets);
    server.on('stream', stream => {
      streams.add(stream);
      stream.on('error', () => undefined);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
    });
    const client = grpcClient(portOf(server));
    try {
      const { error, elapsedMs } = await failedGet(client);
      assert.equal(error.code, Code.DEADLINE_EXCEEDED);
      assert.equal(error.transport, 'grpc');
      assert.equal(error.attempts.length, 2);
      assert.ok(elapsedMs < LATE_MS, `${elapsedMs} ms`);
    } finally {
      await client.close();
      for (const stream of streams) stream.destroy();
      await closeServer(server, sockets);
    }
  });

  /** An HTTP/2 server that answers every gRPC call with `frames` (each a gRPC message) and then `grpc-status: 0`. */
  async function answeringWith(frames: readonly Buffer[]): Promise<{ client: Canceller; close: () => Promise<void> }> {
    const sockets = new Set<Socket>();
    const server = tracked(await listen(createHttp2Server()), sockets);
    server.on('stream', stream => {
      stream.on('error', () => undefined);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers({ 'grpc-status': '0', 'grpc-message': '' }));
      for (const frame of frames) {
        const header = Buffer.alloc(5);
        header.writeUInt32BE(frame.length, 1);
        stream.write(Buffer.concat([header, frame]));
      }
      stream.end();
    });
    const client = grpcClient(portOf(server));
    return { client, close: async () => { await client.close(); await closeServer(server, sockets); } };
  }

  test('OK without a response message is UNIMPLEMENTED, not a success with nothing in it', async () => {
    const { client, close } = await answeringWith([]);
    try {
      const { error } = await failedGet(client);
      assert.equal(error.codeName, 'UNIMPLEMENTED');
      assert.match(error.message, /No message received/);
    } finally {
      await close();
    }
  });

  test('a response that does not decode as an Operation is INTERNAL naming the parse error', async () => {
    const { client, close } = await answeringWith([Buffer.from([0xff, 0xff, 0xff, 0xff])]);
    try {
      const { error } = await failedGet(client);
      assert.equal(error.codeName, 'INTERNAL');
      assert.match(error.message, /Response message parsing error/);
    } finally {
      await close();
    }
  });

  test('a caller\'s abort ends an in-flight call at once with CANCELLED, and the server sees the stream reset', async () => {
    const sockets = new Set<Socket>();
    const server = tracked(await listen(createHttp2Server()), sockets);
    const reset = new Promise<void>(resolve => {
      server.on('stream', stream => {
        stream.on('error', () => undefined);
        stream.on('close', () => resolve());
        stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      });
    });
    const client = grpcClient(portOf(server));
    try {
      const controller = new AbortController();
      const pending = client.get(NAME, { signal: controller.signal }).then(() => undefined, (error: unknown) => error);
      setTimeout(() => controller.abort(), 100);
      const started = Date.now();
      const error = await pending;
      assert.ok(error instanceof OperationsError);
      assert.equal(error.codeName, 'CANCELLED');
      assert.ok(Date.now() - started < 300, `${Date.now() - started} ms`);
      await reset;
    } finally {
      await client.close();
      await closeServer(server, sockets);
    }
  });

  test('a server shutting down mid-call, or cutting the connection under other calls, is UNAVAILABLE (never CANCELLED or INTERNAL)', async () => {
    const emulator = await startTestEmulator();
    const names = emulator.createOperations({ count: 6 });
    const client = createCanceller({ grpcEndpoint: emulator.grpcAddress, transport: 'grpc', insecure: true, retry: { maxAttempts: 1 } });
    try {
      await client.get(names[0] as string);
      const slow = { headers: { 'x-emulator-delay-ms': '2000' } };
      const cutUnder = names.slice(1, 4).map(name => client.get(name, slow).then(() => undefined, (error: unknown) => error));
      await new Promise(resolve => setTimeout(resolve, 100));
      await client.get(names[0] as string, { headers: { 'x-emulator-fault': 'code=DROP' } }).catch(() => undefined);
      for (const error of await Promise.all(cutUnder)) {
        assert.ok(error instanceof OperationsError);
        assert.equal(error.codeName, 'UNAVAILABLE', error.message);
      }
      const beforeClose = names.slice(4).map(name => client.cancel(name, slow));
      await new Promise(resolve => setTimeout(resolve, 100));
      await emulator.close();
      for (const result of await Promise.all(beforeClose)) {
        assert.equal(result.codeName, 'UNAVAILABLE', errorOf(result)?.message);
        assert.equal(result.outcome, 'error');
      }
    } finally {
      await client.close();
      await emulator.close();
    }
  });
});
