import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createHttpsServer, type Server as HttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliPath } from './helpers/paths.js';

/**
 * The real command with real Application Default Credentials: google-auth-library gets an access token from a
 * metadata server on loopback (as on GCE / Cloud Run), and the command calls an HTTPS endpoint that echoes the
 * Authorization header back in every error it sends. Nothing the command prints or writes (stdout, stderr, journal,
 * output) may contain the token.
 */

const SECRET = 'c.c0ASRK0GZ-cli-security-token-5a4b3c2d1e';
const TOKEN = `ya29.${SECRET}`;
const NAME = 'projects/p/locations/l/operations/op-1';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-security-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('the CLI never shows the access token it uses', { skip: hasOpenssl() ? false : 'openssl is not installed' }, () => {
  let metadata: HttpServer;
  let api: HttpsServer;
  const authorizations: string[] = [];
  let env: NodeJS.ProcessEnv;
  let endpoint = '';

  before(async () => {
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1',
      '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-subj', '/CN=localhost', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
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
    api = createHttpsServer({ key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) }, (req, res) => {
      const auth = req.headers.authorization ?? '';
      authorizations.push(auth);
      const bare = auth.replace(/^Bearer /, '');
      const listing = req.url?.includes('/operations?') === true || req.url?.endsWith('/operations') === true;
      if (req.method === 'GET' && !listing) {
        res.writeHead(500, { 'content-type': 'text/html' });
        res.end(`<html><p>Debug: authorization=${auth}</p><p>token=${bare}</p></html>`);
        return;
      }
      if (listing) {
        res.writeHead(401, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error: { code: 401, status: 'UNAUTHENTICATED', message: `bad ${auth}`, details: [{ '@type': 'type.googleapis.com/google.rpc.DebugInfo', detail: auth, stackEntries: [bare] }] } }));
        return;
      }
      const degraded = req.url?.includes('op-3') === true;
      res.writeHead(degraded ? 503 : 403, { 'content-type': 'application/json', 'www-authenticate': `Bearer ${bare}` });
      res.end(JSON.stringify({
        error: {
          code: degraded ? 503 : 403, status: degraded ? 'UNAVAILABLE' : 'PERMISSION_DENIED', message: `${auth} may not do this (access_token=${bare})`,
          details: [{ '@type': 'type.googleapis.com/google.rpc.ErrorInfo', reason: 'X', domain: 'x', metadata: { authorization: auth, token: bare } }],
        },
      }));
    });
    await new Promise<void>(resolve => api.listen(0, '127.0.0.1', resolve));
    endpoint = `https://127.0.0.1:${(api.address() as AddressInfo).port}`;
    const home = join(dir, 'home');
    mkdirSync(home);
    env = {
      ...Object.fromEntries(Object.entries(process.env).filter(([key]) => !/^(GOOGLE_|LRO_CANCEL_|GCE_|CLOUDSDK_)/.test(key))),
      HOME: home,
      CLOUDSDK_CONFIG: join(home, 'gcloud'),
      GCE_METADATA_HOST: `127.0.0.1:${(metadata.address() as AddressInfo).port}`,
      METADATA_SERVER_DETECTION: 'assume-present',
      NODE_EXTRA_CA_CERTS: join(dir, 'cert.pem'),
    };
  });
  after(async () => {
    metadata.closeAllConnections();
    api.closeAllConnections();
    await Promise.all([new Promise(resolve => metadata.close(resolve)), new Promise(resolve => api.close(resolve))]);
  });

  async function run(args: readonly string[]): Promise<{ code: number | null; out: string }> {
    const child = spawn(process.execPath, [cliPath(), ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { out += chunk.toString(); });
    const code = await new Promise<number | null>(resolve => child.once('exit', resolve));
    return { code, out };
  }

  test('cancel, get, list and batch (with --json, a journal and an output) show and write no trace of the token', async () => {
    // A generous deadline: seven cold processes load google-auth-library and fetch a token at once on a busy machine.
    const connection = ['--rest-endpoint', endpoint, '--transport', 'rest', '--max-attempts', '2', '--deadline-ms', '30000'];
    const input = join(dir, 'names.txt');
    const journal = join(dir, 'journal.jsonl');
    const output = join(dir, 'output.jsonl');
    writeFileSync(input, ['op-1', 'op-2', 'op-3'].map(id => `projects/p/locations/l/operations/${id}`).join('\n'));
    const commands = [
      ['cancel', NAME, ...connection],
      ['cancel', NAME, '--json', ...connection],
      ['get', NAME, ...connection],
      ['get', NAME, '--json', ...connection],
      ['list', 'projects/p/locations/l', ...connection],
      ['list', 'projects/p/locations/l', '--json', ...connection],
      ['batch', '--input', input, '--journal', journal, '--output', output, '--json', '--progress', 'log', '--give-up-after', '10s', '--pass-delay-ms', '10', ...connection],
    ];
    const texts: string[] = [];
    for (const [i, { code, out }] of (await Promise.all(commands.map(run))).entries()) {
      assert.notEqual(code, 0, `${(commands[i] ?? []).join(' ')} fails (every answer is an error):\n${out}`);
      texts.push(out);
    }
    texts.push(readFileSync(journal, 'utf8'), readFileSync(output, 'utf8'));
    assert.ok(authorizations.length >= 7 && authorizations.every(auth => auth === `Bearer ${TOKEN}`), 'the token did reach the server on every call');
    assert.ok(texts.some(text => text.includes('PERMISSION_DENIED') || text.includes('denied')), 'the errors themselves were reported');
    assert.ok(existsSync(output));
    for (const text of texts) {
      assert.ok(!text.includes(SECRET), `the token was shown:\n${text.slice(Math.max(0, text.indexOf(SECRET) - 300), text.indexOf(SECRET) + 50)}`);
    }
  });
});
