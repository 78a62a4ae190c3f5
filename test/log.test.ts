import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setBackend, type DebugLogBackend, type LogFields } from 'google-logging-utils';
import { createCanceller } from '../src/index.js';
import { DebugLog } from '../src/log.js';
import { runCli } from './helpers/cli.js';
import { withEmulator } from './helpers/emulator.js';
import { batchThroughOutage } from './helpers/outage.js';
import { closedPort, fallBackAndReturn, withClient } from './helpers/client.js';

/**
 * Debug logs go through google-logging-utils and its switch, GOOGLE_SDK_NODE_LOGGING, as google-gax's do. The real
 * CLI shows what a user sees on stderr; in this process a backend set with the library's own setBackend catches the
 * lines of the library's calls (the variable is set below, before any log is first read).
 */

const ENV = 'GOOGLE_SDK_NODE_LOGGING';
const LEAK = 'ya29.logged-secret-0123456789';

interface Caught {
  readonly namespace: string;
  readonly fields: LogFields;
  readonly text: string;
}

const caught: Caught[] = [];
const backend: DebugLogBackend = {
  log(namespace, fields, ...args) {
    caught.push({ namespace, fields, text: args.map(String).join(' ') });
  },
  setFilters() {},
};

/** The lines of one namespace in what the CLI wrote to stderr (google-logging-utils' Node backend format). */
function logLines(stderr: string, namespace: string): string[] {
  return stderr.split('\n').filter(line => line.includes(`[${namespace}|DEBUG]`));
}

describe('debug logging through google-logging-utils', () => {
  const saved = process.env[ENV];
  before(() => {
    process.env[ENV] = 'lro-cancel:*';
    setBackend(backend);
  });
  after(() => {
    setBackend(undefined);
    if (saved === undefined) delete process.env[ENV];
    else process.env[ENV] = saved;
  });

  test('a line goes to the backend as DEBUG in its namespace, message and fields redacted', () => {
    caught.length = 0;
    const log = new DebugLog('batch');
    assert.equal(log.enabled, true);
    log.debug(`pass 2: the server said Bearer ${LEAK} and 100% of calls failed`, { authorization: `Bearer ${LEAK}`, pass: 2, note: `token=${LEAK}` });
    assert.equal(caught.length, 1);
    const [line] = caught as [Caught];
    assert.equal(line.namespace, 'lro-cancel:batch');
    assert.equal(line.fields.severity, 'DEBUG');
    assert.deepEqual(line.fields.other, { authorization: '[REDACTED]', pass: 2, note: 'token=[REDACTED]' });
    assert.equal(line.text, '%s pass 2: the server said Bearer [REDACTED] and 100% of calls failed');
    assert.doesNotMatch(JSON.stringify(caught), /logged-secret/);
  });

  test('the variable chooses namespaces as it does for Google\'s libraries', () => {
    const cases: Array<[string, boolean]> = [
      ['all', true], ['true', true], ['*', true], ['lro-cancel:*', true], ['LRO-CANCEL:RETRY', true],
      ['google-gax,lro-cancel:retry', true], ['lro-cancel:batch', false], ['google-gax', false], ['lro-cancel', false],
    ];
    for (const [filter, admitted] of cases) {
      process.env[ENV] = filter;
      assert.equal(new DebugLog('retry').enabled, admitted, `${ENV}=${filter}`);
    }
    process.env[ENV] = 'lro-cancel:*';
  });

  test('the auto transport logs its fallback to REST, the probe, and its return to gRPC', async () => {
    caught.length = 0;
    const port = await closedPort();
    await withEmulator({}, emulator => withClient(createCanceller({
      grpcEndpoint: `127.0.0.1:${port}`, restEndpoint: emulator.restUrl, insecure: true, grpcProbeIntervalMs: 200,
    }), async client => {
      const [fellBack, returned] = await fallBackAndReturn(client, emulator, port, 200);
      assert.deepEqual([fellBack.transport, returned.transport], ['rest', 'grpc']);
    }));
    const lines = caught.filter(line => line.namespace === 'lro-cancel:transport').map(line => line.text);
    assert.equal(lines.length, 3, lines.join('\n'));
    assert.match(lines[0] as string, /gRPC did not reach a server \(UNAVAILABLE: .+\): this call and the next ones go over REST; gRPC is probed again in 200 ms/);
    assert.match(lines[1] as string, /probing gRPC again on a fresh channel/);
    assert.match(lines[2] as string, /gRPC reached its server again: calls go over gRPC/);
  });

  test('a batch logs its pause for an outage, its resume, and each pass after the first', async () => {
    caught.length = 0;
    await withEmulator({}, async emulator => {
      const names = emulator.createOperations({ count: 100, idPrefix: 'log-outage-' });
      const summary = await batchThroughOutage(emulator, names, () => caught.some(line => line.text.includes('paused for the service')));
      assert.equal(summary.outcomes['requested'], 100);
    });
    const lines = caught.filter(line => line.namespace === 'lro-cancel:batch').map(line => line.text);
    for (const expected of [/paused for the service \(unavailable\): \d+ names waiting$/, /resumed after \d+ ms paused \(unavailable\)$/,
      /pass 2: \d+ names that met a degraded service are tried again$/]) {
      assert.ok(lines.some(line => expected.test(line)), `${String(expected)} in:\n${lines.join('\n')}`);
    }
  });

  test('a call logs one line per retry decision: retry, or stop and why; nothing when it succeeds at once', async () => {
    await withEmulator({}, async emulator => {
      const [name, other] = emulator.createOperations({ count: 2 });
      caught.length = 0;
      await withClient(createCanceller({
        grpcEndpoint: emulator.grpcAddress, transport: 'grpc', insecure: true,
        retry: { maxAttempts: 3, initialBackoffMs: 10, maxBackoffMs: 20 },
      }), async client => {
        assert.equal((await client.cancel(other as string)).outcome, 'requested');
        assert.equal(caught.length, 0, 'an answer at the first attempt decides nothing');
        const result = await client.cancel(name as string, { headers: { 'x-emulator-fault': 'code=UNAVAILABLE;times=2' } });
        assert.equal(result.outcome, 'requested');
        assert.equal((await client.cancel('projects/p/locations/l/operations/missing')).outcome, 'not_found');
      });
      const lines = caught.filter(line => line.namespace === 'lro-cancel:retry').map(line => line.text);
      assert.equal(lines.length, 3, lines.join('\n'));
      assert.match(lines[0] as string, /attempt 1 of 3 failed: UNAVAILABLE over grpc \(.+\): retry in \d+ ms/);
      assert.match(lines[1] as string, /attempt 2 of 3 failed: UNAVAILABLE over grpc \(.+\): retry in \d+ ms/);
      assert.match(lines[2] as string, /attempt 1 of 3 failed: NOT_FOUND over grpc \(.+\): stop, not retryable/);
    });
  });
});

describe('debug logging of the real CLI', () => {
  let hostile: Server;
  let hostileUrl = '';
  before(async () => {
    // A REST endpoint that is always UNAVAILABLE and puts a token in its error, as a proxy echoing a header might.
    hostile = createServer((_req, res) => {
      res.writeHead(503, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 503, status: 'UNAVAILABLE', message: `upstream refused Bearer ${LEAK} (access_token=${LEAK})` } }));
    });
    await new Promise<void>(resolve => hostile.listen(0, '127.0.0.1', resolve));
    hostileUrl = `http://127.0.0.1:${(hostile.address() as AddressInfo).port}`;
  });
  after(async () => {
    hostile.closeAllConnections();
    await new Promise(resolve => hostile.close(resolve));
  });

  const NAME = 'projects/p/locations/l/operations/op-1';
  const args = () => ['cancel', NAME, '--rest-endpoint', hostileUrl, '--transport', 'rest', '--insecure', '--max-attempts', '3', '--deadline-ms', '30000'];

  test(`${ENV}=lro-cancel:* writes each retry decision to stderr, with no trace of the token`, async () => {
    const run = await runCli(args(), { env: { [ENV]: 'lro-cancel:*' } });
    assert.equal(run.code, 1, run.stderr);
    const lines = logLines(run.stderr, 'lro-cancel:retry');
    assert.equal(lines.length, 3, run.stderr);
    assert.match(lines[0] as string, /attempt 1 of 3 failed: UNAVAILABLE over rest \(upstream refused Bearer \[REDACTED\].*\): retry in \d+ ms/);
    assert.match(lines[1] as string, /attempt 2 of 3 failed: UNAVAILABLE over rest .*: retry in \d+ ms/);
    assert.match(lines[2] as string, /attempt 3 of 3 failed: UNAVAILABLE over rest .*: stop, no attempt left/);
    assert.doesNotMatch(run.stderr + run.stdout, /logged-secret/);
  });

  test(`without ${ENV}, or with it naming only another library, the CLI writes no debug line`, async () => {
    for (const value of [undefined, 'google-gax']) {
      const run = await runCli(args(), { env: { [ENV]: value } });
      assert.equal(run.code, 1, run.stderr);
      assert.doesNotMatch(run.stderr, /lro-cancel:(retry|transport)/, `${ENV}=${value}`);
      assert.match(run.stdout + run.stderr, /UNAVAILABLE/);
    }
  });
});
