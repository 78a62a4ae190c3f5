import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { connect as connectHttp2, type ClientHttp2Session } from 'node:http2';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/index.js';
import { emulatorCliCommand, startTestEmulator } from './helpers/emulator.js';
import { runProcess } from './helpers/process.js';

/**
 * The emulator listens on loopback only, but everything on the machine can reach it, a web page in the developer's
 * browser included (cross-site requests, DNS rebinding), and its token file is a file of secrets. It refuses
 * browser-made requests, closes connections that send nothing, bounds what one client can hold, and never quotes a
 * token file back.
 */

const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-emulator-security-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** One HTTP/1.1 request with a Host header of our choosing (fetch does not allow setting it). */
function requestWithHost(url: string, host: string, method = 'GET', headers: Record<string, string> = {}, body = ''): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { host, ...headers }, agent: false }, res => {
      let text = '';
      res.setEncoding('utf8').on('data', (chunk: string) => { text += chunk; }).on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

// Everything at once: the test of a silent connection only waits for the server to close it.
describe('the emulator against what else runs on the machine', { concurrency: true }, () => {
  describe('the emulator serves no web page and holds no client forever', { concurrency: true }, () => {
    let emulator: Emulator;
    let name = '';
    before(async () => {
      emulator = await startTestEmulator();
      [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'guard-' });
    });
    after(() => emulator.close());

    test('a cross-site simple POST (text/plain, a foreign Origin) cannot change the faults', async () => {
      const forms: Array<Record<string, string>> = [
        { 'content-type': 'text/plain', origin: 'http://evil.example' },
        { 'content-type': 'text/plain' },
        { 'content-type': 'application/x-www-form-urlencoded', origin: 'null' },
        { 'content-type': 'application/json', origin: 'https://evil.example' },
      ];
      for (const headers of forms) {
        const response = await fetch(`${emulator.restUrl}/emulator/v1/faults`, { method: 'POST', headers, body: '{"failRate": 1}' });
        assert.ok([403, 415].includes(response.status), `${JSON.stringify(headers)}: ${response.status}`);
      }
      assert.equal(emulator.faults.failRate, 0, 'the faults are unchanged');
      const reset = await fetch(`${emulator.restUrl}/emulator/v1/stats:reset`, { method: 'POST', headers: { origin: 'http://evil.example' } });
      assert.equal(reset.status, 403);
      const cancel = await fetch(`${emulator.restUrl}/v1/${name}:cancel`, { method: 'POST', headers: { 'content-type': 'text/plain', origin: 'http://evil.example' }, body: '' });
      assert.equal(cancel.status, 403, 'the API refuses a cross-site request too');
      assert.equal(emulator.getOperation(name)?.state, 'running');
    });

    test('a request addressed to another host name (DNS rebinding) is refused; loopback names and origins are served', async () => {
      for (const path of ['/emulator/v1/stats', '/emulator/v1/faults', `/v1/${name}`]) {
        const refused = await requestWithHost(`${emulator.restUrl}${path}`, 'rebound.evil.example:80');
        assert.equal(refused.status, 403, `${path}: ${refused.body}`);
        assert.match(refused.body, /not a loopback name/);
      }
      const port = new URL(emulator.restUrl).port;
      for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]) {
        assert.equal((await requestWithHost(`${emulator.restUrl}/emulator/v1/stats?names=false`, host)).status, 200, host);
      }
      const allowed = await requestWithHost(`${emulator.restUrl}/emulator/v1/faults`, `localhost:${port}`, 'POST',
        { 'content-type': 'application/json; charset=utf-8', origin: `http://localhost:${port}` }, '{"latencyMs": 0}');
      assert.equal(allowed.status, 200, allowed.body);
    });

    test('a connection that sends nothing is closed within seconds', async () => {
      const socket = connect(Number(new URL(emulator.restUrl).port), '127.0.0.1');
      let answer = '';
      socket.on('data', (chunk: Buffer) => { answer += chunk.toString('latin1'); });
      const started = Date.now();
      let timer: NodeJS.Timeout | undefined;
      const closed = await Promise.race([
        once(socket, 'close').then(() => true),
        new Promise<boolean>(resolve => { timer = setTimeout(() => resolve(false), 15_000); }),
      ]);
      clearTimeout(timer);
      socket.destroy();
      assert.ok(closed, 'closed by the server');
      assert.ok(Date.now() - started < 9000, `after ${Date.now() - started} ms`);
      assert.match(answer, /^HTTP\/1\.1 408/);
    });

    test('the gRPC server announces a limit of concurrent calls per connection', async () => {
      const session: ClientHttp2Session = connectHttp2(`http://${emulator.grpcAddress}`);
      try {
        const [settings] = await once(session, 'remoteSettings') as [{ maxConcurrentStreams?: number }];
        assert.equal(settings.maxConcurrentStreams, 1000);
      } finally {
        session.destroy();
      }
    });
  });

  describe('the emulator holds a bounded number of operations', () => {
    test('past 20,000,000 operations, creating more is refused', async () => {
      const full = await startTestEmulator({ ops: 20_000_000 });
      try {
        assert.throws(() => full.createOperations({ count: 1 }), /holds at most 20000000 operations/);
        const response = await fetch(`${full.restUrl}/emulator/v1/operations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"count": 1000000}' });
        assert.equal(response.status, 400);
      } finally {
        await full.close();
      }
    });
  });

  describe('emulator --tokens never quotes the token file', () => {
    test('a token file that is not JSON is reported by line and column, without any of its text', async () => {
      const cases = [
        ['plain-secret-token-xyz', 'line 1, column 1'],
        ['{\n  "secret-token-in-json-123": ["cloudaicompanion.operations.cancel"],\n}', 'line 3, column 1'],
        ['{"secret-token-cut-off-456": [', 'the end of the file'],
      ] as const;
      for (const [text, where] of cases) {
        const file = join(dir, 'tokens.json');
        writeFileSync(file, text);
        const { command, args } = emulatorCliCommand();
        const { code, out: output } = await runProcess(command, [...args, '--tokens', file]);
        assert.equal(code, 2, output);
        assert.ok(output.includes(where), `${JSON.stringify(text)}: ${output}`);
        for (const secret of ['plain-secret', 'secret-token', 'token-xyz', '-123', '-456']) assert.ok(!output.includes(secret), `${JSON.stringify(text)} was quoted: ${output}`);
      }
    });
  });
});
