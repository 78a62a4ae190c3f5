import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as grpc from '@grpc/grpc-js';
import type { Emulator } from '../src/emulator/index.js';
import { createCanceller } from '../src/index.js';
import { grpcError, plainGrpcClient, startTestEmulator, unary } from './helpers/emulator.js';
import { cliPath } from './helpers/paths.js';

/**
 * What reaches the wire. Names that could make a REST path (or a gRPC routing header) name another resource are
 * never sent, by the library or by the batch command. The emulator, which tests and benchmarks expose to anything on
 * the machine, refuses oversized headers, bodies and metadata and malformed JSON, and keeps serving.
 */

const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-security-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Names that walk, split or escape a transcoded path, inject headers, or hide in Unicode look-alikes. */
const HOSTILE = [
  'projects/p/locations/l/operations/../../../v1/projects/q/locations/l/operations/x',
  'projects/p/locations/l/operations/..',
  'projects/p/locations/l/operations/.',
  'projects/p/locations/l/operations/a%2F..%2Fb',
  'projects/p/locations/l/operations/a?alt=media',
  'projects/p/locations/l/operations/a#frag',
  'projects/p/locations/l/operations/a\\..\\b',
  'projects/p/locations/l/operations/a\r\nx-injected: 1',
  'projects/p/locations/l/operations/a b',
  'projects/p/locations/l/operations/a:cancel',
  'projects/p/locations/l/operations/a\u2215b',
  'projects/p/locations/l/operations/a\uff0e\uff0e',
  'projects/p/locations/l/operations/a\u0000',
  'projects/p/locations/l/operations/a/b',
  'projects/../locations/l/operations/x',
  '/projects/p/locations/l/operations/x',
  'projects/p/locations/l/operations/',
  'https://evil.example/projects/p/locations/l/operations/x',
  `projects/p/locations/l/operations/${'a'.repeat(300)}`,
];

describe('names that could change a REST path never reach the wire', () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(() => emulator.close());

  test('the library sends nothing for them, on either wire, and reports each as invalid', async () => {
    for (const transport of ['rest', 'grpc', 'auto'] as const) {
      const canceller = createCanceller({ grpcEndpoint: emulator.grpcAddress, restEndpoint: emulator.restUrl, transport, insecure: true });
      try {
        emulator.resetStats();
        for (const name of HOSTILE) {
          const result = await canceller.cancel(name);
          assert.equal(result.outcome, 'invalid', `${transport}: ${JSON.stringify(name)}`);
          assert.equal(result.attempts.length, 0);
          await assert.rejects(canceller.get(name), /INVALID_ARGUMENT/);
        }
        const stats = emulator.stats();
        assert.equal(stats.total + stats.rejected, 0, `${transport}: the server saw ${stats.total} calls and ${stats.rejected} rejected requests`);
      } finally {
        await canceller.close();
      }
    }
  });

  test('the batch command reports them invalid with their line numbers and sends nothing', async () => {
    const input = join(dir, 'hostile.txt');
    const output = join(dir, 'hostile-out.jsonl');
    writeFileSync(input, `${HOSTILE.map(name => name.replace(/[\r\n]/g, ' ')).join('\n')}\n${HOSTILE.map(name => JSON.stringify({ name })).join('\n')}\n`);
    emulator.resetStats();
    const child = spawn(process.execPath, [cliPath(), 'batch', '--input', input, '--output', output, '--progress', 'none'], {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, LRO_CANCEL_EMULATOR_HOST: emulator.grpcAddress, LRO_CANCEL_EMULATOR_REST: emulator.restUrl },
    });
    const [code] = await once(child, 'exit') as [number | null];
    assert.equal(code, 0);
    const records = readFileSync(output, 'utf8').trim().split('\n').map(line => JSON.parse(line) as { outcome: string; line: number });
    assert.equal(records.length, HOSTILE.length * 2);
    assert.ok(records.every(record => record.outcome === 'invalid' && Number.isInteger(record.line)));
    assert.equal(emulator.stats().total + emulator.stats().rejected, 0);
  });
});

/** One raw HTTP/1.1 exchange; resolves with the status line's code (0 when the connection just closed). */
function rawRequest(port: number, head: string, body: Buffer | string = '', drip = false): Promise<number> {
  return new Promise(resolve => {
    const socket: Socket = connect(port, '127.0.0.1', () => {
      socket.write(head);
      if (!drip) socket.end(body);
      else socket.write(body);
    });
    let text = '';
    socket.on('data', (chunk: Buffer) => { text += chunk.toString('latin1'); });
    socket.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0)));
    socket.on('error', () => undefined);
    socket.setTimeout(5000, () => socket.destroy());
  });
}

describe('the emulator refuses what is too big or malformed, and keeps serving', () => {
  let emulator: Emulator;
  let port = 0;
  let name = '';
  before(async () => {
    emulator = await startTestEmulator();
    port = Number(new URL(emulator.restUrl).port);
    [name = ''] = emulator.createOperations({ count: 1, idPrefix: 'hard-' });
  });
  after(() => emulator.close());

  async function stillServes(): Promise<void> {
    assert.equal((await fetch(`${emulator.restUrl}/v1/${name}`)).status, 200);
    const client = plainGrpcClient(emulator.grpcAddress);
    try {
      assert.equal((await unary<{ name: string }>(client, 'GetOperation', { name })).name, name);
    } finally {
      client.close();
    }
    assert.equal(emulator.getOperation(name)?.state, 'running', 'nothing above changed the operation');
  }

  test('a chunked body past 1 MiB without a length is cut off with 413, whatever it is', async () => {
    const chunk = `${(64 * 1024).toString(16)}\r\n${'x'.repeat(64 * 1024)}\r\n`;
    const status = await rawRequest(port, `POST /v1/${name}:cancel HTTP/1.1\r\nhost: 127.0.0.1\r\ntransfer-encoding: chunked\r\ncontent-type: application/json\r\n\r\n`, chunk.repeat(20));
    assert.equal(status, 413);
    await stillServes();
  });

  test('malformed, non-object and deeply nested JSON bodies are 400 INVALID_ARGUMENT, on the API and on the control endpoints', async () => {
    const bodies = ['{', '{"a":', 'null', '[1,2]', '"x"', '{"extra": 1}', '\u0000\u0001', '['.repeat(200_000), `{"a":${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}}`];
    for (const body of bodies) {
      const response = await fetch(`${emulator.restUrl}/v1/${name}:cancel`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      assert.equal(response.status, 400, JSON.stringify(body.slice(0, 20)));
      assert.equal(((await response.json()) as { error: { status: string } }).error.status, 'INVALID_ARGUMENT');
    }
    for (const body of ['{', '[]', '['.repeat(200_000), '{"failRate": "x"}', '{"failMix": {"UNAVAILABLE": 7}}']) {
      const response = await fetch(`${emulator.restUrl}/emulator/v1/faults`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      assert.equal(response.status, 400, JSON.stringify(body.slice(0, 20)));
    }
    assert.equal(emulator.faults.failRate, 0);
    await stillServes();
  });

  test('headers past the HTTP limit are 431, a flood of headers and a request that never finishes do not stop it', async () => {
    assert.equal(await rawRequest(port, `GET /v1/${name} HTTP/1.1\r\nhost: 127.0.0.1\r\nx-big: ${'y'.repeat(64 * 1024)}\r\n\r\n`), 431);
    const many = Array.from({ length: 3000 }, (_, i) => `x-h${i}: v\r\n`).join('');
    const flooded = await rawRequest(port, `GET /v1/${name} HTTP/1.1\r\nhost: 127.0.0.1\r\n${many}\r\n`);
    assert.ok([200, 431].includes(flooded), `a flood of small headers: ${flooded}`);
    const stuck = rawRequest(port, `POST /v1/${name}:cancel HTTP/1.1\r\nhost: 127.0.0.1\r\ncontent-length: 100\r\n\r\n`, '{"partial', true);
    await stillServes();
    assert.equal(await new Promise(resolve => {
      const req = httpRequest(`${emulator.restUrl}/emulator/v1/stats?names=false`, res => { res.resume(); resolve(res.statusCode); });
      req.end();
    }), 200);
    void stuck;
  });

  test('gRPC metadata and messages past the limits end the call with a status and leave the server serving', async () => {
    const client = plainGrpcClient(emulator.grpcAddress);
    try {
      const bigMetadata = await grpcError(unary(client, 'GetOperation', { name }, { 'x-emulator-fault': 'y'.repeat(64 * 1024) }));
      assert.notEqual(bigMetadata.code, grpc.status.OK);
      const bigMessage = await grpcError(unary(client, 'CancelOperation', { name: 'x'.repeat(8 * 1024 * 1024) }));
      assert.ok([grpc.status.RESOURCE_EXHAUSTED, grpc.status.INVALID_ARGUMENT].includes(bigMessage.code), `${bigMessage.code} ${bigMessage.details}`);
    } finally {
      client.close();
    }
    await stillServes();
  });
});
