import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createPublicKey, generateKeyPairSync, verify } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/index.js';
import { createNames, jsonLines, runCli } from './helpers/cli.js';
import { startTestEmulator } from './helpers/emulator.js';
import { startRecorder, type Recorder } from './helpers/recorder.js';
import { hasOpenssl, selfSignedCertificate } from './helpers/tls.js';

/**
 * Credentials from the command line (issue 14, item 1), each over the real CLI: an emulator started with a token
 * table accepts only the tokens it knows and answers 403 naming the permission; a loopback IAM Credentials server
 * answers impersonation; a recording server checks the JWT a key file signs; a metadata server that resets
 * connections stands in for ADC without one.
 */

const CANCEL = 'cloudaicompanion.operations.cancel';
const GET = 'cloudaicompanion.operations.get';
const TOKENS = {
  'tok-cancel': [CANCEL, GET],
  'tok-read': [GET],
  'tok-impersonated': [CANCEL, GET],
};
const SA_CHAIN = 'first@p.iam.gserviceaccount.com,target@p.iam.gserviceaccount.com';

const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-cli-auth-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text, { mode: 0o600 });
  return path;
}

async function listen(server: Server): Promise<number> {
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

async function body(req: IncomingMessage): Promise<string> {
  let text = '';
  for await (const chunk of req) text += String(chunk);
  return text;
}

describe('lro-cancel with credentials from its flags', { concurrency: true }, () => {
  let emulator: Emulator;
  let iam: Server;
  let iamUrl = '';
  const iamRequests: Array<{ url: string; authorization: string; body: Record<string, unknown> }> = [];

  before(async () => {
    emulator = await startTestEmulator({ requireAuth: true, tokens: TOKENS });
    iam = createServer(async (req, res) => {
      const request = { url: req.url ?? '', authorization: req.headers.authorization ?? '', body: JSON.parse(await body(req) || '{}') as Record<string, unknown> };
      iamRequests.push(request);
      res.setHeader('content-type', 'application/json');
      if (request.url.includes('refused@')) {
        res.statusCode = 403;
        res.end(JSON.stringify({ error: { code: 403, status: 'PERMISSION_DENIED', message: "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist)." } }));
        return;
      }
      res.end(JSON.stringify({ accessToken: 'tok-impersonated', expireTime: new Date(Date.now() + 3_600_000).toISOString() }));
    });
    iamUrl = `http://127.0.0.1:${await listen(iam)}/`;
  });
  after(async () => {
    await emulator.close();
    iam.closeAllConnections();
    await new Promise(resolve => iam.close(resolve));
  });

  test('a token with the permission cancels; one without it is denied with the permission to grant; none is refused with the flags to use', async () => {
    const [allowed, readOnly, none] = createNames(emulator, 3, 'token-');
    const [ok, denied, missing] = await Promise.all([
      runCli(['cancel', allowed as string, '--access-token-file', file('cancel.token', 'tok-cancel\n')], { emulator }),
      runCli(['cancel', readOnly as string, '--access-token-file', file('read.token', 'tok-read')], { emulator }),
      runCli(['cancel', none as string], { emulator }),
    ]);
    assert.equal(ok.code, 0, ok.stderr);
    assert.match(ok.stdout, /^→ requested /);
    assert.equal(emulator.getOperation(allowed as string)?.state, 'cancelled');
    assert.equal(denied.code, 1, denied.stderr);
    assert.match(denied.stdout, /^✗ denied /);
    assert.match(denied.stdout, /^✗ denied .*: \[PERMISSION_DENIED\] Permission 'cloudaicompanion.operations.cancel' denied on resource /);
    assert.equal(denied.stderr, `lro-cancel: hint: grant ${CANCEL} to the caller on projects/demo (roles/cloudaicompanion.user, or a custom role)\n`);
    assert.equal(missing.code, 1, missing.stderr);
    assert.match(missing.stderr, /^lro-cancel: hint: no credentials were sent: run "gcloud auth application-default login", .* or pass --access-token-file, --key-file or --impersonate-service-account\n$/);
    assert.equal(emulator.getOperation(readOnly as string)?.state, 'running');
  });

  test('the token may come from LRO_CANCEL_ACCESS_TOKEN or CLOUDSDK_AUTH_ACCESS_TOKEN_FILE, and --access-token-file wins over both', async () => {
    const [byValue, byFile, byFlag] = createNames(emulator, 3, 'token-env-');
    const runs = await Promise.all([
      runCli(['cancel', byValue as string, '--json', '--transport', 'rest'], { emulator, env: { LRO_CANCEL_ACCESS_TOKEN: 'tok-cancel' } }),
      runCli(['cancel', byFile as string, '--json'], { emulator, env: { CLOUDSDK_AUTH_ACCESS_TOKEN_FILE: file('env.token', 'tok-cancel\n') } }),
      runCli(['cancel', byFlag as string, '--json', '--access-token-file', file('flag.token', 'tok-cancel')], { emulator, env: { LRO_CANCEL_ACCESS_TOKEN: 'tok-read' } }),
    ]);
    for (const run of runs) assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(runs.map(run => jsonLines(run.stdout)[0]?.['outcome']), ['requested', 'requested', 'requested']);
  });

  test('a token file that is missing, empty, holds two lines, "Bearer TOKEN" or a control character is bad usage saying which, never showing what it holds', async () => {
    const cases = [
      [join(dir, 'absent.token'), /^lro-cancel: cannot read --access-token-file ".*absent.token" \(ENOENT\)\n$/],
      [file('empty.token', '\n'), /^lro-cancel: --access-token-file ".*empty.token" is empty; expected an OAuth 2 access token/],
      [file('two.token', 'tok-cancel\nsecret-second-line\n'), /^lro-cancel: --access-token-file ".*two.token" holds more than one line; expected the access token alone \(gcloud auth print-access-token\)\n$/],
      [file('bearer.token', 'Bearer tok-cancel\n'), /^lro-cancel: --access-token-file ".*bearer.token" starts with "Bearer " \(the header's word, which this tool adds\); expected the access token alone/],
      [file('control.token', 'tok-cancel\u0007secret\n'), /^lro-cancel: --access-token-file ".*control.token" holds a control character; expected the access token alone/],
      [file('space.token', 'tok-cancel secret\n'), /^lro-cancel: --access-token-file ".*space.token" holds a space; expected the access token alone/],
    ] as const;
    const runs = await Promise.all(cases.map(([path]) => runCli(['cancel', 'projects/demo/locations/global/operations/x', '--access-token-file', path], { emulator })));
    for (const [i, run] of runs.entries()) {
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, cases[i]?.[1] as RegExp);
      assert.ok(!run.stderr.includes('secret') && !run.stderr.includes('tok-cancel'), run.stderr);
    }
    const variable = await runCli(['cancel', 'projects/demo/locations/global/operations/x'], { emulator, env: { LRO_CANCEL_ACCESS_TOKEN: 'Bearer tok-cancel' } });
    assert.equal(variable.code, 2, variable.stderr);
    assert.match(variable.stderr, /^lro-cancel: LRO_CANCEL_ACCESS_TOKEN starts with "Bearer "/);
    assert.ok(!variable.stderr.includes('tok-cancel'), variable.stderr);
  });

  test('--impersonate-service-account with a delegation chain asks IAM with the caller\'s token, and calls carry the impersonated one', async () => {
    const [name] = createNames(emulator, 1, 'impersonated-');
    const run = await runCli(['cancel', name as string, '--json', '--access-token-file', file('source.token', 'tok-source'), '--impersonate-service-account', SA_CHAIN], {
      emulator, env: { CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS: iamUrl },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '', 'no library warning');
    assert.equal(jsonLines(run.stdout)[0]?.['outcome'], 'requested');
    const asked = iamRequests.find(request => request.url.includes('target@'));
    assert.equal(asked?.url, '/v1/projects/-/serviceAccounts/target@p.iam.gserviceaccount.com:generateAccessToken');
    assert.equal(asked?.authorization, 'Bearer tok-source');
    assert.deepEqual(asked?.body['delegates'], ['projects/-/serviceAccounts/first@p.iam.gserviceaccount.com']);
    assert.deepEqual(asked?.body['scope'], ['https://www.googleapis.com/auth/cloud-platform']);
    assert.equal(emulator.getOperation(name as string)?.state, 'cancelled');
  });

  test('an impersonation IAM refuses stops before anything is sent, exit 3, with the role to grant', async () => {
    const name = 'projects/demo/locations/global/operations/never';
    const run = await runCli(['cancel', name, '--access-token-file', file('source2.token', 'tok-source'),
      '--impersonate-service-account', 'refused@p.iam.gserviceaccount.com'], { emulator, env: { CLOUDSDK_API_ENDPOINT_OVERRIDES_IAMCREDENTIALS: iamUrl } });
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /^lro-cancel: \[UNAUTHENTICATED\] could not impersonate refused@p.iam.gserviceaccount.com: .*\nlro-cancel: hint: grant the caller roles\/iam.serviceAccountTokenCreator on refused@p.iam.gserviceaccount.com/);
    assert.equal(emulator.stats().cancels.byName.has(name), false, 'nothing reached the API');
    assert.equal(run.stdout, '');
  });

  test('--key-file that is not a service account key is bad usage that never shows the file', async () => {
    const user = file('user.json', JSON.stringify({ type: 'authorized_user', client_id: 'x', client_secret: 'GOCSPX-secret-value', refresh_token: '1//refresh' }));
    const broken = file('broken.json', '{"private_key": "-----BEGIN PRIVATE KEY-----\nMIIsecret');
    const runs = await Promise.all([user, broken].map(path => runCli(['get', 'projects/demo/locations/global/operations/x', '--key-file', path], { emulator })));
    assert.deepEqual(runs.map(run => run.code), [2, 2]);
    assert.match(runs[0]?.stderr ?? '', /--key-file ".*user.json" holds "authorized_user", not a service account key .*gcloud auth application-default login/);
    assert.match(runs[1]?.stderr ?? '', /--key-file ".*broken.json" is not JSON; expected a service account key file/);
    for (const run of runs) assert.ok(!/secret|refresh|MII/.test(run.stderr), run.stderr);
  });

  test('--key-file whose private_key is not a PEM private key is bad usage before anything is sent, never showing the key', async () => {
    const { publicKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    const keys = {
      garbled: '-----BEGIN PRIVATE KEY-----\nMIIsecretGarbledBody\n-----END PRIVATE KEY-----\n',
      bare: 'secret-not-a-pem-at-all',
      public: publicKey.export({ type: 'spki', format: 'pem' }),
    };
    const paths = Object.entries(keys).map(([kind, privateKey]) => file(`${kind}-key.json`, JSON.stringify({
      type: 'service_account', client_email: 'canceller@p.iam.gserviceaccount.com', private_key: privateKey,
    })));
    const name = 'projects/demo/locations/global/operations/key-never-sent';
    const runs = await Promise.all(paths.map(path => runCli(['cancel', name, '--key-file', path], { emulator })));
    for (const [i, run] of runs.entries()) {
      assert.equal(run.code, 2, run.stderr);
      assert.equal(run.stderr, `lro-cancel: --key-file ${JSON.stringify(paths[i])}: its private_key is not a PEM private key\n`);
      assert.equal(run.stdout, '');
    }
    assert.equal(emulator.stats().cancels.byName.has(name), false, 'nothing reached the emulator');
  });
});

describe('lro-cancel --key-file', () => {
  let recorder: Recorder;
  before(async () => { recorder = await startRecorder(); });
  after(async () => { await recorder.close(); });

  test('signs a JWT for the cloud-platform scope with the key: the server receives one that verifies with the public key', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const email = 'canceller@p.iam.gserviceaccount.com';
    const key = file('sa.json', JSON.stringify({
      type: 'service_account', project_id: 'p', private_key_id: 'key-1', client_email: email,
      private_key: privateKey.export({ type: 'pkcs8', format: 'pem' }),
    }));
    const run = await runCli(['cancel', 'projects/p/locations/l/operations/op-1', '--key-file', key, '--insecure', '--rest-endpoint', recorder.restEndpoint]);
    assert.deepEqual([run.code, run.stderr], [0, ''], 'exit 0 and no library warning');
    const authorization = recorder.calls.find(call => call.wire === 'rest')?.headers['authorization']?.[0] ?? '';
    const [header = '', payload = '', signature = ''] = authorization.replace(/^Bearer /, '').split('.');
    const decode = (part: string): Record<string, unknown> => JSON.parse(Buffer.from(part, 'base64url').toString()) as Record<string, unknown>;
    assert.deepEqual({ ...decode(header) }, { alg: 'RS256', typ: 'JWT', kid: 'key-1' });
    const claims = decode(payload);
    assert.deepEqual([claims['iss'], claims['sub'], claims['scope']], [email, email, 'https://www.googleapis.com/auth/cloud-platform']);
    assert.ok(verify('RSA-SHA256', Buffer.from(`${header}.${payload}`), createPublicKey(publicKey.export({ type: 'spki', format: 'pem' })), Buffer.from(signature, 'base64url')), 'the signature verifies');
  });
});

describe('lro-cancel without credentials', () => {
  let metadata: Server;
  before(async () => {
    // A metadata server that drops every connection: google-auth-library's lookup of it fails in a way that makes
    // gcp-metadata emit a MetadataLookupWarning, and Application Default Credentials then find nothing.
    metadata = createServer(req => req.socket.destroy());
    await listen(metadata);
  });
  after(async () => {
    metadata.closeAllConnections();
    await new Promise(resolve => metadata.close(resolve));
  });

  test('says in one line how to set them up, with no library warning, sends nothing and exits 3', async () => {
    const emulator = await startTestEmulator();
    try {
      const home = mkdtempSync(join(dir, 'home-'));
      const run = await runCli(['cancel', 'projects/demo/locations/global/operations/op-1', '--endpoint', emulator.grpcAddress], {
        env: { HOME: home, CLOUDSDK_CONFIG: home, GOOGLE_APPLICATION_CREDENTIALS: undefined, GCE_METADATA_HOST: `127.0.0.1:${(metadata.address() as AddressInfo).port}`, METADATA_SERVER_DETECTION: undefined },
      });
      assert.equal(run.code, 3, run.stderr);
      assert.equal(run.stderr, 'lro-cancel: [UNAUTHENTICATED] no credentials found: run "gcloud auth application-default login", set GOOGLE_APPLICATION_CREDENTIALS to a key file, or pass --access-token-file, --key-file or --impersonate-service-account\n');
      assert.equal(run.stdout, '');
      assert.equal(emulator.stats().total, 0);
    } finally {
      await emulator.close();
    }
  });
});

/**
 * Application Default Credentials as on GCE/GKE (a metadata server on loopback) and as with Workload Identity
 * Federation (an ADC file of type external_account whose STS is on loopback), against TLS servers that record what
 * they receive (issue 17, items 4 and 5).
 */
describe('lro-cancel with Application Default Credentials', { skip: hasOpenssl() ? false : 'openssl is not installed', concurrency: true }, () => {
  let recorder: Recorder;
  const servers: Server[] = [];
  let baseEnv: Record<string, string | undefined>;

  before(async () => {
    const tlsDir = mkdtempSync(join(dir, 'tls-'));
    const { key, cert, certPath } = selfSignedCertificate(tlsDir);
    recorder = await startRecorder({ key, cert });
    const home = mkdtempSync(join(dir, 'adc-home-'));
    baseEnv = {
      HOME: home, CLOUDSDK_CONFIG: home, GOOGLE_APPLICATION_CREDENTIALS: undefined, GCE_METADATA_HOST: undefined, METADATA_SERVER_DETECTION: undefined,
      NODE_EXTRA_CA_CERTS: certPath, GRPC_DEFAULT_SSL_ROOTS_FILE_PATH: certPath,
    };
  });
  after(async () => {
    await recorder.close();
    for (const server of servers) server.closeAllConnections();
    await Promise.all(servers.map(server => new Promise(resolve => server.close(resolve))));
  });

  /** A metadata server whose token endpoint answers `answer(n)` to its n-th request (1-based). */
  async function metadataServer(answer: (n: number, res: ServerResponse) => void): Promise<string> {
    let tokenRequests = 0;
    const server = createServer((req, res) => {
      res.setHeader('metadata-flavor', 'Google');
      if (req.url?.startsWith('/computeMetadata/v1/instance/service-accounts/default/token') === true) answer(++tokenRequests, res);
      else res.end('');
    });
    servers.push(server);
    return `127.0.0.1:${await listen(server)}`;
  }

  const calls = (name: string) => recorder.calls.filter(call => call.method.includes(name) || call.headers['x-goog-request-params']?.[0] === `name=${encodeURIComponent(name)}`);

  test('a metadata server that drops the token request is retried as unreachable, not taken as a refusal: the cancel goes through', async () => {
    const host = await metadataServer((n, res) => {
      // The first lookup (google-auth-library tries 4 times) meets a dropped connection; the next one gets a token.
      if (n <= 4) res.socket?.destroy();
      else res.end(JSON.stringify({ access_token: 'tok-metadata', expires_in: 3599, token_type: 'Bearer' }));
    });
    const name = 'projects/p/locations/l/operations/metadata-retry';
    const run = await runCli(['cancel', name, '--json', '--endpoint', recorder.grpcEndpoint, '--transport', 'grpc'], {
      env: { ...baseEnv, GCE_METADATA_HOST: host, METADATA_SERVER_DETECTION: 'assume-present' },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(jsonLines(run.stdout)[0]?.['outcome'], 'requested');
    assert.deepEqual(calls(name).map(call => call.headers['authorization']), [['Bearer tok-metadata']]);
  });

  test('a metadata server that refuses the token stops the command before anything is sent, exit 3', async () => {
    const host = await metadataServer((_n, res) => {
      res.statusCode = 403;
      res.end('The service account has no access to this scope');
    });
    const name = 'projects/p/locations/l/operations/metadata-refused';
    const run = await runCli(['cancel', name, '--endpoint', recorder.grpcEndpoint], {
      env: { ...baseEnv, GCE_METADATA_HOST: host, METADATA_SERVER_DETECTION: 'assume-present' },
    });
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /^lro-cancel: \[UNAUTHENTICATED\] could not get credentials: /);
    assert.deepEqual(calls(name), []);
  });

  test('--quota-project goes once, on both wires, when the ADC file names its own quota project; without the flag the file\'s does', async () => {
    const sts = createServer((_req, res) => {
      res.setHeader('content-type', 'application/json');
      res.end(JSON.stringify({ access_token: 'tok-federated', issued_token_type: 'urn:ietf:params:oauth:token-type:access_token', token_type: 'Bearer', expires_in: 3600 }));
    });
    servers.push(sts);
    const adc = file('external-account.json', JSON.stringify({
      type: 'external_account',
      audience: '//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/providers/provider',
      subject_token_type: 'urn:ietf:params:oauth:token-type:jwt',
      token_url: `http://127.0.0.1:${await listen(sts)}/v1/token`,
      credential_source: { file: file('subject.jwt', 'subject-token') },
      quota_project_id: 'adc-project',
    }));
    const env = { ...baseEnv, GOOGLE_APPLICATION_CREDENTIALS: adc };
    const names = ['quota-grpc', 'quota-rest', 'quota-file'].map(id => `projects/p/locations/l/operations/${id}`) as [string, string, string];
    const runs = await Promise.all([
      runCli(['cancel', names[0], '--quota-project', 'flag-project', '--endpoint', recorder.grpcEndpoint], { env }),
      runCli(['cancel', names[1], '--quota-project', 'flag-project', '--rest-endpoint', recorder.restEndpoint], { env }),
      runCli(['cancel', names[2], '--endpoint', recorder.grpcEndpoint], { env }),
    ]);
    for (const run of runs) assert.deepEqual([run.code, run.stderr], [0, ''], 'exit 0 and no library warning');
    assert.deepEqual(names.map(name => calls(name).map(call => [call.wire, call.headers['authorization'], call.headers['x-goog-user-project']])), [
      [['grpc', ['Bearer tok-federated'], ['flag-project']]],
      [['rest', ['Bearer tok-federated'], ['flag-project']]],
      [['grpc', ['Bearer tok-federated'], ['adc-project']]],
    ]);
  });
});
