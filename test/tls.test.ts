import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Code } from '../src/code.js';
import { createCanceller, type Canceller } from '../src/index.js';
import type { CancellerOptions } from '../src/client/options.js';
import { loadProtos } from '../src/protos.js';
import { errorOf } from '../src/client/outcome.js';

/**
 * TLS to loopback servers whose certificate is self-signed, made fresh for this run with openssl (no key is kept in
 * the repository): refused on both wires, quickly and without a request reaching the server, unless the client is
 * given that certificate as its CA; then the call goes through, credentials included.
 */

function openssl(): string | undefined {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return 'openssl';
  } catch {
    return undefined;
  }
}

const available = openssl() !== undefined;
const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-tls-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const NAME = 'projects/p/locations/l/operations/op-1';
const TOKEN = 'ya29.tls-test-token';
const credentials = { getRequestHeaders: async () => ({ authorization: `Bearer ${TOKEN}` }) };
const RETRY = { maxAttempts: 2, initialBackoffMs: 10, maxBackoffMs: 20, attemptTimeoutMs: 2000, totalTimeoutMs: 3000 };

describe('TLS to a server with a self-signed certificate', { skip: available ? false : 'openssl is not installed' }, () => {
  let key: Buffer;
  let cert: Buffer;
  let https: Server;
  let grpcServer: grpc.Server;
  let grpcPort = 0;
  const seen = { rest: [] as string[], grpc: [] as string[] };

  before(async () => {
    execFileSync('openssl', [
      'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=localhost',
      '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ], { stdio: 'ignore' });
    key = readFileSync(join(dir, 'key.pem'));
    cert = readFileSync(join(dir, 'cert.pem'));
    https = createServer({ key, cert }, (req, res) => {
      seen.rest.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>(resolve => https.listen(0, '127.0.0.1', resolve));
    grpcServer = new grpc.Server();
    grpcServer.addService(loadProtos().OperationsClient.service as grpc.ServiceDefinition, {
      CancelOperation: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        seen.grpc.push(String(call.metadata.get('authorization')[0] ?? ''));
        callback(null, {});
      },
    });
    grpcPort = await new Promise<number>((resolve, reject) => grpcServer.bindAsync('127.0.0.1:0',
      grpc.ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }]), (error, port) => (error ? reject(error) : resolve(port))));
  });
  after(async () => {
    grpcServer?.forceShutdown();
    https?.closeAllConnections();
    await new Promise(resolve => https?.close(resolve));
  });

  function client(transport: 'rest' | 'grpc', options: CancellerOptions = {}): Canceller {
    const endpoint = transport === 'rest'
      ? { restEndpoint: `https://127.0.0.1:${(https.address() as AddressInfo).port}` }
      : { grpcEndpoint: `127.0.0.1:${grpcPort}` };
    return createCanceller({ ...endpoint, transport, credentials, retry: RETRY, ...options });
  }

  for (const transport of ['rest', 'grpc'] as const) {
    test(`${transport}: refused without the CA, in a normalized error naming the certificate, before any request`, async () => {
      const before = seen[transport].length;
      const canceller = client(transport);
      try {
        const started = Date.now();
        const result = await canceller.cancel(NAME);
        assert.equal(result.outcome, 'error');
        assert.ok(errorOf(result) !== undefined);
        const message = errorOf(result)?.message ?? '';
        assert.ok([Code.UNAVAILABLE, Code.UNKNOWN].includes(result.code), message);
        assert.match(message, /self[- ]signed certificate/i);
        assert.ok(!message.includes(TOKEN));
        assert.ok(Date.now() - started < 3000 + 1500, 'within the deadline');
        assert.equal(seen[transport].length, before, 'no request reached the server');
      } finally {
        await canceller.close();
      }
    });

    test(`${transport}: accepted with the certificate as CA, and the bearer token travels inside TLS`, async () => {
      const canceller = client(transport, { caCertificate: cert.toString('utf8') });
      try {
        const result = await canceller.cancel(NAME);
        assert.equal(result.outcome, 'requested', errorOf(result)?.message);
        assert.equal(result.transport, transport);
        assert.equal(seen[transport].at(-1), `Bearer ${TOKEN}`);
      } finally {
        await canceller.close();
      }
    });

    test(`${transport}: a google-auth-library 11 client's token (fetch Headers) travels inside TLS too`, async () => {
      const { OAuth2Client } = await import('google-auth-library');
      const oauth = new OAuth2Client();
      oauth.setCredentials({ access_token: `${TOKEN}-oauth2`, expiry_date: Date.now() + 3_600_000 });
      const canceller = client(transport, { caCertificate: cert.toString('utf8'), credentials: oauth });
      try {
        const result = await canceller.cancel(NAME);
        assert.equal(result.outcome, 'requested', errorOf(result)?.message);
        assert.equal(seen[transport].at(-1), `Bearer ${TOKEN}-oauth2`);
      } finally {
        await canceller.close();
      }
    });
  }

  test('a CA that is not the signer is refused too', async () => {
    const other = join(dir, 'other.pem');
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', join(dir, 'other-key.pem'), '-out', other, '-subj', '/CN=localhost'], { stdio: 'ignore' });
    for (const transport of ['rest', 'grpc'] as const) {
      const canceller = client(transport, { caCertificate: readFileSync(other) });
      try {
        const result = await canceller.cancel(NAME);
        assert.equal(result.outcome, 'error', transport);
        assert.notEqual(result.code, Code.OK);
      } finally {
        await canceller.close();
      }
    }
  });
});

describe('TLS to a plaintext port', () => {
  test('fails in one attempt, well within a second once the client is warm, on both wires: FAILED_PRECONDITION with the fix', async () => {
    const { startTestEmulator } = await import('./helpers/emulator.js');
    const emulator = await startTestEmulator();
    const credentials = { getRequestHeaders: async () => ({ authorization: 'Bearer any' }) };
    try {
      for (const [transport, endpoint] of [['grpc', { grpcEndpoint: emulator.grpcAddress }], ['rest', { restEndpoint: emulator.restUrl.replace('http:', 'https:') }]] as const) {
        const canceller = createCanceller({ ...endpoint, transport, credentials });
        try {
          await canceller.cancel('projects/p/locations/l/operations/warm-up'); // loads undici, makes the channel
          const result = await canceller.cancel('projects/p/locations/l/operations/timed');
          assert.equal(result.accepted, false);
          assert.deepEqual([result.codeName, result.attempts.length], ['FAILED_PRECONDITION', 1], transport);
          assert.ok(result.latencyMs < 1000, `${transport}: ${result.latencyMs} ms`);
          assert.match(errorOf(result)?.hint ?? '', /for an emulator use --insecure/);
        } finally {
          await canceller.close();
        }
      }
    } finally {
      await emulator.close();
    }
  });
});
