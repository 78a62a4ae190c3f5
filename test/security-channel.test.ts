import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import dns from 'node:dns';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import * as grpc from '@grpc/grpc-js';
import { Code } from '../src/code.js';
import { resolveCancellerOptions } from '../src/client/options.js';
import type { Emulator } from '../src/emulator/index.js';
import { OperationsError } from '../src/errors.js';
import { createCanceller } from '../src/index.js';
import { loadProtos } from '../src/protos.js';
import { runCli } from './helpers/cli.js';
import { startFakeDns } from './helpers/dns-server.js';
import { startTestEmulator } from './helpers/emulator.js';
import { errorOf } from '../src/client/outcome.js';

/**
 * What the gRPC channel will not do, whatever the environment says: send plaintext or loopback traffic through a
 * proxy named by `grpc_proxy` / `https_proxy` / `http_proxy`, take a retry policy from a DNS TXT record, accept a
 * message (compressed or not) larger than 4 MiB, or count a name under `.localhost` as loopback.
 */

const NAME = 'projects/p/locations/l/operations/op-1';
const PROXY_VARIABLES = ['grpc_proxy', 'https_proxy', 'http_proxy', 'no_proxy', 'no_grpc_proxy', 'GRPC_PROXY', 'HTTPS_PROXY', 'HTTP_PROXY', 'NO_PROXY'];

/** An HTTP CONNECT proxy on loopback that records every CONNECT and tunnels it (or refuses it with 403). */
async function startRecordingProxy(tunnel: boolean): Promise<{ url: string; connects: string[]; close(): Promise<void> }> {
  const connects: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer(client => {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => undefined);
    client.once('data', (head: Buffer) => {
      const line = head.toString('latin1').split('\r\n')[0] ?? '';
      connects.push(line);
      const target = /^CONNECT (\S+):(\d+) /.exec(line);
      if (!tunnel || target === null) {
        client.end('HTTP/1.1 403 Forbidden\r\ncontent-length: 0\r\n\r\n');
        return;
      }
      const upstream = connect(Number(target[2]), (target[1] ?? '').replace(/^\[|\]$/g, ''), () => {
        client.write('HTTP/1.1 200 Connection established\r\n\r\n');
        client.pipe(upstream).pipe(client);
      });
      sockets.add(upstream);
      upstream.on('close', () => sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
    });
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    connects,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise(resolve => server.close(resolve));
    },
  };
}

/** Runs `body` with the proxy variables set to `proxy` in this process (grpc-js reads them when a channel is made). */
async function withProxyEnv<T>(proxy: string, body: () => Promise<T>): Promise<T> {
  const saved = Object.fromEntries(PROXY_VARIABLES.map(name => [name, process.env[name]]));
  for (const name of PROXY_VARIABLES) delete process.env[name];
  Object.assign(process.env, { grpc_proxy: proxy, https_proxy: proxy, http_proxy: proxy });
  try {
    return await body();
  } finally {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

describe('plaintext and loopback channels never use a proxy', () => {
  let emulator: Emulator;
  let proxy: Awaited<ReturnType<typeof startRecordingProxy>>;
  before(async () => {
    emulator = await startTestEmulator();
    proxy = await startRecordingProxy(true);
  });
  after(async () => {
    await proxy.close();
    await emulator.close();
  });

  test('the library with insecure to 127.0.0.1 and to localhost connects directly, whatever grpc_proxy says', async () => {
    const [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'direct-' });
    const port = emulator.grpcAddress.split(':')[1] ?? '';
    for (const endpoint of [emulator.grpcAddress, `localhost:${port}`]) {
      await withProxyEnv(proxy.url, async () => {
        const canceller = createCanceller({ grpcEndpoint: endpoint, transport: 'grpc', insecure: true, retry: { maxAttempts: 1 } });
        try {
          const result = await canceller.cancel(name);
          assert.equal(result.outcome, 'requested', errorOf(result)?.message);
        } finally {
          await canceller.close();
        }
      });
    }
    assert.deepEqual(proxy.connects, [], 'nothing went through the proxy');
  });

  test('the CLI with LRO_CANCEL_EMULATOR_HOST connects directly, whatever the proxy variables say', async () => {
    const [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'cli-direct-' });
    const run = await runCli(['cancel', name, '--transport', 'grpc', '--json'], {
      emulator,
      env: { grpc_proxy: proxy.url, https_proxy: proxy.url, http_proxy: proxy.url, no_proxy: undefined, NO_PROXY: undefined, no_grpc_proxy: undefined },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal((JSON.parse(run.stdout) as { outcome: string }).outcome, 'requested');
    assert.deepEqual(proxy.connects, [], 'nothing went through the proxy');
    assert.equal(emulator.stats().cancels.byName.get(name)?.received, 1, 'the emulator itself got the cancel');
  });

  test('a TLS channel to a remote name still goes through the proxy the environment names', async () => {
    const refusing = await startRecordingProxy(false);
    try {
      await withProxyEnv(refusing.url, async () => {
        const canceller = createCanceller({
          grpcEndpoint: 'operations.example.invalid:443', transport: 'grpc',
          credentials: { getRequestHeaders: async () => ({ authorization: 'Bearer not-sent-anywhere-1234' }) },
          retry: { maxAttempts: 1, totalTimeoutMs: 5000 },
        });
        try {
          const result = await canceller.cancel(NAME);
          assert.equal(result.outcome, 'error');
          assert.equal(result.code, Code.UNAVAILABLE, errorOf(result)?.message);
        } finally {
          await canceller.close();
        }
      });
      assert.deepEqual(refusing.connects.map(line => line.split(' ').slice(0, 2).join(' ')), ['CONNECT operations.example.invalid:443']);
    } finally {
      await refusing.close();
    }
  });
});

/** A gRPC server on loopback whose GetOperation answers `respond(call)`, counting the calls it received. */
async function startGetServer(
  respond: (callback: grpc.sendUnaryData<unknown>) => void, options: grpc.ServerOptions = {},
): Promise<{ port: number; calls: () => number; close(): void }> {
  let calls = 0;
  const server = new grpc.Server(options);
  server.addService(loadProtos().OperationsClient.service as grpc.ServiceDefinition, {
    GetOperation: (_call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
      calls += 1;
      respond(callback);
    },
  });
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  return { port, calls: () => calls, close: () => server.forceShutdown() };
}

describe('the gRPC channel takes no orders from DNS and no message past 4 MiB', () => {
  test('a service config in a DNS TXT record does not add retries to ours', async () => {
    const retryOnNotFound = JSON.stringify([{ serviceConfig: { methodConfig: [{
      name: [{ service: 'google.longrunning.Operations' }],
      retryPolicy: { maxAttempts: 5, initialBackoff: '0.01s', maxBackoff: '0.01s', backoffMultiplier: 1, retryableStatusCodes: ['NOT_FOUND'] },
    }] } }]);
    const fakeDns = await startFakeDns({ localhost: `grpc_config=${retryOnNotFound}` });
    const servers = dns.getServers();
    dns.setServers([fakeDns.address]);
    dns.promises.setServers([fakeDns.address]);
    const server = await startGetServer(callback => callback({ code: grpc.status.NOT_FOUND, details: 'no such operation' }));
    const canceller = createCanceller({ grpcEndpoint: `localhost:${server.port}`, transport: 'grpc', insecure: true, retry: { maxAttempts: 1 } });
    try {
      for (let i = 0; i < 3; i++) {
        await assert.rejects(canceller.get(NAME), (error: unknown) => error instanceof OperationsError && error.code === Code.NOT_FOUND);
      }
      assert.equal(server.calls(), 3, `3 reads with maxAttempts 1 reached the server as ${server.calls()} calls (DNS asked: ${fakeDns.questions.join(', ')})`);
    } finally {
      await canceller.close();
      server.close();
      dns.setServers(servers);
      dns.promises.setServers(servers);
      await fakeDns.close();
    }
  });

  test('a response over 4 MiB is refused, also when it arrives gzip-compressed to a few KiB', async () => {
    const huge = `projects/p/locations/l/operations/${'a'.repeat(5 * 1024 * 1024)}`;
    for (const compression of [0, 2]) { // none, gzip
      const server = await startGetServer(callback => callback(null, { name: huge, done: false }), { 'grpc.default_compression_algorithm': compression });
      const canceller = createCanceller({ grpcEndpoint: `127.0.0.1:${server.port}`, transport: 'grpc', insecure: true, retry: { maxAttempts: 1 } });
      try {
        await assert.rejects(canceller.get(NAME), (error: unknown) => {
          assert.ok(error instanceof OperationsError, String(error));
          assert.equal(error.code, Code.RESOURCE_EXHAUSTED, error.message);
          assert.match(error.message, /larger than max/i);
          return true;
        });
      } finally {
        await canceller.close();
        server.close();
      }
    }
  });
});

describe('loopback by what the host is, not by what a resolver says', () => {
  test('loopback IP literals in any spelling and the name localhost are loopback; names under .localhost are not', () => {
    const plaintextAllowed = (host: string): boolean => {
      try {
        return resolveCancellerOptions({ grpcEndpoint: `${host}:7000`, insecure: true }).insecure;
      } catch {
        return false;
      }
    };
    for (const host of ['127.0.0.1', '127.3.2.1', '[::1]', '[0:0:0:0:0:0:0:1]', '[::ffff:127.0.0.1]', 'localhost', 'LOCALHOST']) {
      assert.equal(plaintextAllowed(host), true, host);
    }
    for (const host of ['evil.localhost', 'a.b.localhost', 'localhost.evil.example', '127.0.0.1.nip.io', '0.0.0.0', '[::]', '10.0.0.1', '[::2]']) {
      assert.equal(plaintextAllowed(host), false, host);
    }
  });

  test('insecure to a name under .localhost is refused without allowInsecureRemote, by the library and by the CLI', async () => {
    assert.throws(() => resolveCancellerOptions({ grpcEndpoint: 'evil.localhost:7000', insecure: true }), /allowInsecureRemote/);
    assert.throws(() => resolveCancellerOptions({}, { LRO_CANCEL_EMULATOR_HOST: 'evil.localhost:7000' }), /allowInsecureRemote/);
    assert.throws(() => resolveCancellerOptions({ restEndpoint: 'http://evil.localhost:7000', insecure: true }), /allowInsecureRemote/);
    const run = await runCli(['cancel', NAME, '--insecure', '--endpoint', 'evil.localhost:7000', '--transport', 'grpc']);
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /evil\.localhost:7000 is not loopback/);
  });
});
