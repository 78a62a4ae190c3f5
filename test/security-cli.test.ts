import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import { Code } from '../src/code.js';
import { loadProtos } from '../src/protos.js';
import { cliPath } from './helpers/paths.js';
import { runProcess, type ProcessRun } from './helpers/process.js';
import { hasOpenssl, selfSignedCertificate } from './helpers/tls.js';

/**
 * The real command with real Application Default Credentials: google-auth-library gets an access token from a
 * metadata server on loopback (as on GCE / Cloud Run), and the command calls an HTTPS endpoint and a TLS gRPC endpoint
 * that echo the token back in every error they send, in every form an echo can take: as sent, URL-encoded, bare
 * (without `Bearer ` beside it), as a key of ErrorInfo metadata, base64-encoded in the bytes of a detail of an
 * unknown type, and 40 levels deep in a detail. The token has no `ya29.` prefix (a federated or third-party token
 * has none) and holds a `$`, which no token pattern expects. Nothing the command prints or writes (stdout, stderr,
 * `--json`, journal, output) may hold the token in any of those forms.
 */

const TOKEN = 'c0ASRK0GZ-cli~security$token-5a4b3c2d1e';
const NAME = 'projects/p/locations/l/operations/op-1';

/** The base64 text of `text` inside any larger base64 string, at each of the three byte offsets it can start at. */
function base64Forms(text: string): string[] {
  const bytes = Buffer.from(text);
  return [0, 1, 2].map(offset => Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64').slice(offset === 0 ? 0 : 4, -4));
}

/** Every form of the token an output must not hold. */
const TRACES = [TOKEN, TOKEN.slice(TOKEN.indexOf('$') + 1), encodeURIComponent(TOKEN), ...base64Forms(TOKEN)];

function assertNoTrace(text: string, where: string): void {
  for (const trace of TRACES) {
    const at = text.indexOf(trace);
    assert.ok(at === -1, `${where}: the token was shown (as ${JSON.stringify(trace)}):\n${text.slice(Math.max(0, at - 300), at + 80)}`);
  }
}

/** The message and details a server that echoes the Authorization header answers with. */
function echo(auth: string): { message: string; debug: string; unknownBytes: Buffer; metadata: Record<string, string> } {
  const bare = auth.replace(/^Bearer /, '');
  return {
    message: `${auth} may not do this; seen ${bare}, authorization=${encodeURIComponent(auth)}`,
    debug: `token in use: ${bare}`,
    unknownBytes: Buffer.from(`request headers: {"authorization": "${auth}"}`),
    metadata: { [bare]: 'the token as a key', echo: `authorization=${encodeURIComponent(auth)}` },
  };
}

const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-security-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the CLI never shows the access token it uses', { skip: hasOpenssl() ? false : 'openssl is not installed' }, () => {
  let metadata: HttpServer;
  let api: HttpsServer;
  let grpcServer: grpc.Server;
  const authorizations: string[] = [];
  let env: NodeJS.ProcessEnv;
  let restEndpoint = '';
  let grpcEndpoint = '';

  before(async () => {
    const { key, cert, certPath } = selfSignedCertificate(dir);
    metadata = createHttpServer((req, res) => {
      res.setHeader('metadata-flavor', 'Google');
      if (req.url?.startsWith('/computeMetadata/v1/instance/service-accounts/default/token') === true) {
        res.setHeader('content-type', 'application/json');
        res.end(JSON.stringify({ access_token: TOKEN, expires_in: 3599, token_type: 'Bearer' }));
      } else if (req.url?.startsWith('/computeMetadata/v1/project/project-id') === true) {
        res.end('test-project');
      } else {
        res.statusCode = req.url === '/' || req.url?.startsWith('/computeMetadata/v1/instance') === true ? 200 : 404;
        res.end('');
      }
    });
    await new Promise<void>(resolve => metadata.listen(0, '127.0.0.1', resolve));

    api = createHttpsServer({ key, cert }, (req, res) => {
      const auth = req.headers.authorization ?? '';
      authorizations.push(auth);
      const { message, debug, unknownBytes, metadata: errorMetadata } = echo(auth);
      const listing = req.url?.includes('/operations?') === true || req.url?.endsWith('/operations') === true;
      if (req.method === 'GET' && !listing) {
        res.writeHead(500, { 'content-type': 'text/html' });
        res.end(`<html><p>Debug: authorization=${encodeURIComponent(auth)}</p><p>token=${auth}</p></html>`);
        return;
      }
      let deep: unknown = { authorization: auth, note: debug };
      for (let level = 0; level < 40; level++) deep = { level, nested: deep };
      res.writeHead(listing ? 401 : 403, { 'content-type': 'application/json', 'www-authenticate': `Bearer ${auth}` });
      res.end(JSON.stringify({
        error: {
          code: listing ? 401 : 403, status: listing ? 'UNAUTHENTICATED' : 'PERMISSION_DENIED', message,
          details: [
            { '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'X', domain: 'x', metadata: errorMetadata },
            { '@type': 'type.googleapis.com/google.rpc.DebugInfo', detail: debug, stackEntries: [auth] },
            { '@type': 'type.googleapis.com/test.Unknown', value: unknownBytes.toString('base64') },
            { '@type': 'type.googleapis.com/test.Deep', deep },
          ],
        },
      }));
    });
    await new Promise<void>(resolve => api.listen(0, '127.0.0.1', resolve));
    restEndpoint = `https://127.0.0.1:${(api.address() as AddressInfo).port}`;

    const root = loadProtos().root;
    const status = root.lookupType('google.rpc.Status');
    const encode = (type: string, fields: Record<string, unknown>) => {
      const message = root.lookupType(type);
      return { type_url: `type.googleapis.com/${type}`, value: message.encode(message.fromObject(fields)).finish() };
    };
    const deny = (call: grpc.ServerUnaryCall<unknown, unknown>, callback: grpc.sendUnaryData<unknown>): void => {
      const auth = String(call.metadata.get('authorization')[0] ?? '');
      authorizations.push(auth);
      const { message, debug, unknownBytes, metadata: errorMetadata } = echo(auth);
      const trailers = new grpc.Metadata();
      trailers.set('grpc-status-details-bin', Buffer.from(status.encode(status.fromObject({
        code: Code.PERMISSION_DENIED,
        message,
        details: [
          encode('google.rpc.ErrorInfo', { reason: 'X', domain: 'x', metadata: errorMetadata }),
          encode('google.rpc.DebugInfo', { detail: debug, stackEntries: [auth] }),
          { type_url: 'type.googleapis.com/test.Unknown', value: unknownBytes },
        ],
      })).finish()));
      trailers.set('x-echo', auth);
      callback({ code: grpc.status.PERMISSION_DENIED, details: message, metadata: trailers });
    };
    grpcServer = new grpc.Server();
    grpcServer.addService(loadProtos().OperationsClient.service as grpc.ServiceDefinition, {
      CancelOperation: deny, GetOperation: deny, ListOperations: deny, DeleteOperation: deny,
    });
    const grpcPort = await new Promise<number>((resolve, reject) => grpcServer.bindAsync('127.0.0.1:0',
      grpc.ServerCredentials.createSsl(null, [{ cert_chain: cert, private_key: key }]), (error, port) => (error ? reject(error) : resolve(port))));
    grpcEndpoint = `127.0.0.1:${grpcPort}`;

    const home = join(dir, 'home');
    mkdirSync(home);
    env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^(GOOGLE_|LRO_CANCEL_|GCE_|CLOUDSDK_|GRPC_)/.test(name) && !/_proxy$/i.test(name))),
      HOME: home,
      CLOUDSDK_CONFIG: join(home, 'gcloud'),
      GCE_METADATA_HOST: `127.0.0.1:${(metadata.address() as AddressInfo).port}`,
      METADATA_SERVER_DETECTION: 'assume-present',
      NODE_EXTRA_CA_CERTS: certPath, // the REST transport (undici) trusts the test certificate
      GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: certPath, // and so does grpc-js
    };
  });
  after(async () => {
    grpcServer.forceShutdown();
    metadata.closeAllConnections();
    api.closeAllConnections();
    await Promise.all([new Promise(resolve => metadata.close(resolve)), new Promise(resolve => api.close(resolve))]);
  });

  function run(args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}): Promise<ProcessRun> {
    return runProcess(process.execPath, [cliPath(), ...args], { env: { ...env, ...extraEnv } });
  }

  test('cancel, get, list and batch (with --json, a journal and an output) show and write no trace of the token, on either wire', async () => {
    const input = join(dir, 'names.txt');
    writeFileSync(input, ['op-1', 'op-2', 'op-3'].map(id => `projects/p/locations/l/operations/${id}`).join('\n'));
    const files: string[] = [];
    const commands = (['rest', 'grpc'] as const).flatMap(wire => {
      const connection = [...(wire === 'rest' ? ['--rest-endpoint', restEndpoint] : ['--endpoint', grpcEndpoint]), '--transport', wire, '--max-attempts', '2', '--attempt-timeout-ms', '30000', '--deadline-ms', '60000'];
      const journal = join(dir, `journal-${wire}.jsonl`);
      const output = join(dir, `output-${wire}.jsonl`);
      files.push(journal, output);
      // Each way of printing once per wire: over gRPC cancel and list print human lines and get a JSON line, over REST
      // the other way round (cancel --json shows the REST error details, the deep one cut).
      const human = wire === 'grpc';
      return [
        ['cancel', NAME, ...(human ? [] : ['--json']), ...connection],
        ['get', NAME, ...(human ? ['--json'] : []), ...connection],
        ['list', 'projects/p/locations/l', ...(human ? [] : ['--json']), ...connection],
        ['batch', '--input', input, '--journal', journal, '--output', output, '--json', '--progress', 'log', ...connection],
      ];
    });
    // Four at a time: each loads google-auth-library, and a dozen at once on two busy cores ran past attempt timeouts.
    const runs: ProcessRun[] = [];
    for (let i = 0; i < commands.length; i += 4) runs.push(...await Promise.all(commands.slice(i, i + 4).map(args => run(args))));
    const texts: string[] = [];
    for (const [i, { code, out }] of runs.entries()) {
      assert.notEqual(code, 0, `${(commands[i] ?? []).join(' ')} fails (every answer is an error):\n${out}`);
      texts.push(out);
    }
    for (const file of files) {
      assert.ok(existsSync(file), file);
      texts.push(readFileSync(file, 'utf8'));
    }
    const sent = authorizations.filter(auth => auth === `Bearer ${TOKEN}`).length;
    assert.ok(sent >= 8 && sent === authorizations.length, `the token reached the servers on every call (${sent} of ${authorizations.length}):\n${
      runs.map((run, i) => `${(commands[i] ?? []).slice(0, 2).join(' ')} -> ${String(run.code)}: ${run.out.slice(0, 300)}`).join('\n')}`);
    assert.ok(texts.some(text => text.includes('PERMISSION_DENIED') || text.includes('denied')), 'the errors themselves were reported');
    assert.ok(texts.some(text => text.includes('test.Deep') && text.includes('[CUT: nested deeper than')), 'the deep detail is cut, not passed through');
    for (const [i, text] of texts.entries()) assertNoTrace(text, (commands[i] ?? [files[i - commands.length]]).join(' '));
  });

  test('with debug switches on, only the libraries that own them print the token, and the CLI warns that they do', async () => {
    const { code, out } = await run(['cancel', NAME, '--endpoint', grpcEndpoint, '--transport', 'grpc', '--max-attempts', '1'],
      { GOOGLE_SDK_NODE_LOGGING: '*', GRPC_TRACE: 'all', GRPC_VERBOSITY: 'DEBUG' });
    assert.equal(code, 1, out);
    assert.match(out, /\[LRO_CANCEL_DEBUG_SWITCH\] Warning: GOOGLE_SDK_NODE_LOGGING .* and GRPC_TRACE .* are set: debug output on stderr may hold credentials/);
    const lines = out.split('\n');
    // gcp-metadata's lines (`PID [gcp-metadata|INFO] ...`) and grpc-js's (`D 2026-...Z | v1.x.y PID | tracer | ...` and
    // the metadata dumps that follow them, indented) are theirs; every other line is ours.
    const theirs = (line: string): boolean => /^\d+ \[[\w-]+\|\w+\]/.test(line) || /^[DIE] \d{4}-\d\d-\d\dT[\d:.]+Z \| v\d/.test(line) || /^\s/.test(line);
    assert.ok(lines.some(line => theirs(line) && line.includes(TOKEN)), 'the switches did print the token (the README says so)');
    assertNoTrace(lines.filter(line => !theirs(line)).join('\n'), 'our own lines');
    assert.ok(lines.some(line => !theirs(line) && line.includes('denied')), 'our result line is there');
  });
});
