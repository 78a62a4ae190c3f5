import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import * as grpc from '@grpc/grpc-js';
import { resultRecord } from '../src/batch/records.js';
import { Code } from '../src/code.js';
import { resolveCancellerOptions } from '../src/client/options.js';
import type { CancelResult } from '../src/client/outcome.js';
import { OperationsError } from '../src/errors.js';
import { createCanceller } from '../src/index.js';
import { loadProtos } from '../src/protos.js';
import { cliPath } from './helpers/paths.js';
import { hasOpenssl, selfSignedCertificate } from './helpers/tls.js';
import { errorOf } from '../src/client/outcome.js';

/**
 * Credentials never leave the request they were made for: servers that echo the bearer token back in messages,
 * error details and pages, and credential sources that fail with secrets in their errors, must leave no trace of
 * them in results, errors, stacks or anything printed. Plaintext goes only to loopback unless asked for, and names
 * that could change a REST path are never sent.
 */

const SECRET = 'a0-security-test-TOKEN-9f8e7d6c5b';
const TOKEN = `ya29.${SECRET}`;
const OTHER_SECRET = 'Zq9-plain-bearer-secret-77'; // a token without Google's ya29. prefix, seen only after "Bearer"
const NAME = 'projects/p/locations/l/operations/op-1';

/** Every way a result or error is turned into text that a person or a file could see. */
function everyRendering(result: CancelResult): string[] {
  const error = errorOf(result);
  return [
    JSON.stringify(result),
    inspect(result, { depth: Infinity }),
    JSON.stringify(resultRecord(result)),
    ...(error === undefined ? [] : [error.message, error.stack ?? '', inspect(error, { depth: Infinity }), JSON.stringify(error.toJSON()), String(error)]),
  ];
}

function assertNoSecret(texts: readonly string[], secrets: readonly string[], where: string): void {
  for (const text of texts) {
    for (const secret of secrets) assert.ok(!text.includes(secret), `${where}: a secret was shown:\n${text.slice(Math.max(0, text.indexOf(secret) - 200), text.indexOf(secret) + 100)}`);
  }
}

describe('credentials never appear in what a call returns', () => {
  const sockets = new Set<Socket>();
  let rest: Server;
  let grpcServer: grpc.Server;
  let grpcPort = 0;

  before(async () => {
    // A server that echoes the caller's Authorization header in everything it answers.
    rest = createServer((req, res) => {
      const auth = req.headers.authorization ?? '';
      const bare = auth.replace(/^Bearer /, '');
      if (req.method === 'GET') {
        res.writeHead(500, { 'content-type': 'text/html' });
        res.end(`<html><body><h1>Error</h1><p>Request headers: authorization: ${auth}</p><p>token=${bare}</p></body></html>`);
        return;
      }
      res.writeHead(403, { 'content-type': 'application/json', 'www-authenticate': `Bearer error="invalid_token" ${auth}` });
      res.end(JSON.stringify({
        error: {
          code: 403, status: 'PERMISSION_DENIED', message: `The caller with ${auth} is not allowed (access_token=${bare})`,
          details: [
            { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'DENIED', domain: 'x', metadata: { authorization: auth, access_token: bare } },
            { '@type': 'type.googleapis.com/google.rpc.DebugInfo', detail: `authorization: ${auth}`, stackEntries: [`at check(${auth})`] },
          ],
        },
      }));
    });
    rest.on('connection', (socket: Socket) => { sockets.add(socket); socket.on('close', () => sockets.delete(socket)); });
    await new Promise<void>(resolve => rest.listen(0, '127.0.0.1', resolve));

    const root = loadProtos().root;
    const status = root.lookupType('google.rpc.Status');
    const encodeAny = (type: string, fields: Record<string, unknown>) => {
      const message = root.lookupType(type);
      return { type_url: `type.googleapis.com/${type}`, value: message.encode(message.fromObject(fields)).finish() };
    };
    grpcServer = new grpc.Server();
    grpcServer.addService(loadProtos().OperationsClient.service as grpc.ServiceDefinition, {
      CancelOperation: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        const auth = String(call.metadata.get('authorization')[0] ?? '');
        const metadata = new grpc.Metadata();
        metadata.set('grpc-status-details-bin', Buffer.from(status.encode(status.fromObject({
          code: Code.PERMISSION_DENIED,
          message: `denied for ${auth}`,
          details: [
            encodeAny('google.rpc.ErrorInfo', { reason: 'DENIED', domain: 'x', metadata: { authorization: auth } }),
            encodeAny('google.rpc.DebugInfo', { detail: `metadata: authorization=${auth}`, stackEntries: [auth] }),
          ],
        })).finish()));
        callback({ code: grpc.status.PERMISSION_DENIED, details: `The caller ${auth} is denied`, metadata });
      },
    });
    grpcPort = await new Promise<number>((resolve, reject) => grpcServer.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))));
  });
  after(async () => {
    grpcServer.forceShutdown();
    for (const socket of sockets) socket.destroy();
    await new Promise(resolve => rest.close(resolve));
  });

  for (const [label, token, secrets] of [['a Google token', TOKEN, [SECRET]], ['another bearer token', OTHER_SECRET, [OTHER_SECRET]]] as const) {
    test(`${label} echoed by a REST server in its message, details, headers and error page is never shown`, async () => {
      const canceller = createCanceller({
        restEndpoint: `http://127.0.0.1:${(rest.address() as AddressInfo).port}`, transport: 'rest', insecure: true,
        credentials: { getRequestHeaders: async () => ({ authorization: `Bearer ${token}` }) }, retry: { maxAttempts: 1 },
      });
      try {
        const result = await canceller.cancel(NAME);
        assert.equal(result.outcome, 'denied');
        assert.ok((errorOf(result)?.details.length ?? 0) >= 2, 'the details are kept, with the token cut out');
        assertNoSecret(everyRendering(result), secrets, 'REST cancel');
        const error = await canceller.get(NAME).then(() => undefined, (caught: unknown) => caught);
        assert.ok(error instanceof OperationsError);
        assert.equal(error.code, Code.INTERNAL);
        assertNoSecret([error.message, error.stack ?? '', inspect(error, { depth: Infinity }), JSON.stringify(error)], secrets, 'REST get');
      } finally {
        await canceller.close();
      }
    });

    test(`${label} echoed by a gRPC server in its status message and grpc-status-details-bin is never shown`, async () => {
      const canceller = createCanceller({
        grpcEndpoint: `127.0.0.1:${grpcPort}`, transport: 'grpc', insecure: true,
        credentials: { getRequestHeaders: async () => ({ authorization: `Bearer ${token}` }) }, retry: { maxAttempts: 1 },
      });
      try {
        const result = await canceller.cancel(NAME);
        assert.equal(result.outcome, 'denied');
        assert.ok((errorOf(result)?.details.length ?? 0) >= 2);
        assertNoSecret(everyRendering(result), secrets, 'gRPC cancel');
      } finally {
        await canceller.close();
      }
    });
  }

  test('a credential source failing with secrets in its error, or with anything at all, is denied and shows none of them', async () => {
    const pem = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----';
    const failures: unknown[] = [
      new Error(`invalid_grant: refresh_token=1//0g-refresh-${SECRET} client_secret=GOCSPX-${SECRET}`),
      new Error(`could not sign: {"private_key": "${pem}"}`),
      Object.assign(new Error('request failed'), { config: { headers: { authorization: `Bearer ${TOKEN}` } }, response: { data: TOKEN } }),
      `Bearer ${TOKEN}`,
      Object.create(null),
      42,
    ];
    for (const transport of ['rest', 'grpc'] as const) {
      for (const failure of failures) {
        const canceller = createCanceller({
          restEndpoint: `http://127.0.0.1:${(rest.address() as AddressInfo).port}`, grpcEndpoint: `127.0.0.1:${grpcPort}`, transport, insecure: true,
          credentials: { getRequestHeaders: () => Promise.reject(failure) }, retry: { maxAttempts: 1 },
        });
        try {
          const result = await canceller.cancel(NAME);
          assert.equal(result.outcome, 'denied', `${transport}, ${inspect(failure).slice(0, 60)}: ${errorOf(result)?.message ?? ''}`);
          assert.equal(result.code, Code.UNAUTHENTICATED);
          assertNoSecret(everyRendering(result), [SECRET, 'MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7'], `${transport} credential failure`);
        } finally {
          await canceller.close();
        }
      }
    }
  });
});

describe('a credential value that no transport can send', () => {
  const BROKEN = `Bearer ${TOKEN}\n`; // a token read from a file with its trailing newline, passed on as a plain record
  const received: string[] = [];
  let rest: Server;
  let plain: grpc.Server;
  let tls: grpc.Server | undefined;
  let cert: Buffer | undefined;
  const ports = { rest: 0, plain: 0, tls: 0 };
  const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-security-'));

  before(async () => {
    rest = createServer((req, res) => {
      received.push(req.headers.authorization ?? '');
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{}');
    });
    await new Promise<void>(resolve => rest.listen(0, '127.0.0.1', resolve));
    ports.rest = (rest.address() as AddressInfo).port;
    const service = {
      CancelOperation: (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>) => {
        received.push(String(call.metadata.get('authorization')[0] ?? ''));
        callback(null, {});
      },
    };
    const bind = async (credentials: grpc.ServerCredentials): Promise<[grpc.Server, number]> => {
      const server = new grpc.Server();
      server.addService(loadProtos().OperationsClient.service as grpc.ServiceDefinition, service);
      const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (e, p) => (e ? reject(e) : resolve(p))));
      return [server, port];
    };
    [plain, ports.plain] = await bind(grpc.ServerCredentials.createInsecure());
    if (hasOpenssl()) {
      const made = selfSignedCertificate(dir);
      cert = made.cert;
      [tls, ports.tls] = await bind(grpc.ServerCredentials.createSsl(null, [{ cert_chain: made.cert, private_key: made.key }]));
    }
  });
  after(async () => {
    plain.forceShutdown();
    tls?.forceShutdown();
    rest.closeAllConnections();
    await new Promise(resolve => rest.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  for (const wire of ['REST', 'plaintext gRPC', 'TLS gRPC'] as const) {
    test(`over ${wire}, a token with a trailing newline is denied as UNAUTHENTICATED, is never sent and never shown, and nothing crashes`, { skip: wire === 'TLS gRPC' && !hasOpenssl() ? 'openssl is not installed' : false }, async () => {
      const endpoint = wire === 'REST'
        ? { restEndpoint: `http://127.0.0.1:${ports.rest}`, transport: 'rest' as const, insecure: true }
        : wire === 'plaintext gRPC'
          ? { grpcEndpoint: `127.0.0.1:${ports.plain}`, transport: 'grpc' as const, insecure: true }
          : { grpcEndpoint: `127.0.0.1:${ports.tls}`, transport: 'grpc' as const, caCertificate: cert as Buffer };
      const canceller = createCanceller({ ...endpoint, credentials: { getRequestHeaders: async () => ({ authorization: BROKEN }) }, retry: { maxAttempts: 1 } });
      const unhandled: unknown[] = [];
      const onUnhandled = (reason: unknown): void => { unhandled.push(reason); };
      process.on('unhandledRejection', onUnhandled);
      try {
        const before = received.length;
        const result = await canceller.cancel(NAME);
        await new Promise(resolve => setImmediate(resolve));
        assert.equal(result.outcome, 'denied', errorOf(result)?.message);
        assert.equal(result.code, Code.UNAUTHENTICATED);
        assert.match(errorOf(result)?.message ?? '', /cannot be sent/);
        assert.equal(received.length, before, 'nothing reached the server');
        assert.deepEqual(unhandled.map(reason => inspect(reason).slice(0, 200)), [], 'no rejection escaped');
        assertNoSecret(everyRendering(result), [SECRET], wire);
      } finally {
        process.off('unhandledRejection', onUnhandled);
        await canceller.close();
      }
    });
  }
});

describe('plaintext only to loopback unless asked for', () => {
  const remote = ['10.1.2.3:443', '192.0.2.10:8443', 'example.com:443', '[2001:db8::1]:443'];

  test('the library refuses insecure to a non-loopback host, naming it and the way out, and allows it when asked', () => {
    for (const endpoint of remote) {
      assert.throws(() => resolveCancellerOptions({ grpcEndpoint: endpoint, insecure: true }), (error: unknown) => {
        assert.ok(error instanceof OperationsError && error.code === Code.INVALID_ARGUMENT);
        assert.match(error.message, /allowInsecureRemote/);
        assert.ok(error.message.includes(endpoint), error.message);
        return true;
      });
      assert.equal(resolveCancellerOptions({ grpcEndpoint: endpoint, insecure: true, allowInsecureRemote: true }).insecure, true);
    }
    assert.throws(() => resolveCancellerOptions({}, { LRO_CANCEL_EMULATOR_HOST: '10.0.0.5:7000' }), /allowInsecureRemote/);
    assert.throws(() => resolveCancellerOptions({ restEndpoint: 'http://10.0.0.5:80' }), /plain http: credentials would travel in clear text/);
    for (const loopback of ['127.0.0.1:1', 'localhost:1', '[::1]:1', '127.9.9.9:1']) {
      assert.equal(resolveCancellerOptions({ grpcEndpoint: loopback, insecure: true }).insecure, true, loopback);
    }
  });

  test('the CLI exits 2 at once for --insecure to a remote host without --allow-insecure-remote, sending nothing', async () => {
    for (const args of [
      ['cancel', NAME, '--insecure', '--endpoint', '192.0.2.10:443', '--transport', 'grpc'],
      ['batch', '--input', '-', '--insecure', '--rest-endpoint', 'http://192.0.2.10:80', '--transport', 'rest'],
    ]) {
      const child = spawn(process.execPath, [cliPath(), ...args], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, LRO_CANCEL_EMULATOR_HOST: '', LRO_CANCEL_EMULATOR_REST: '' } });
      child.stdin.end(`${NAME}\n`);
      let stderr = '';
      child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
      const started = Date.now();
      const [code] = await once(child, 'exit') as [number | null];
      assert.equal(code, 2, `${args.join(' ')}: ${stderr}`);
      assert.match(stderr, /--allow-insecure-remote/);
      assert.ok(Date.now() - started < 10_000, 'refused before any connection attempt to an unroutable address');
    }
  });
});
