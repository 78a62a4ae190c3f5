import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer as createH2Server, type Http2Server } from 'node:http2';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator } from '../src/emulator/index.js';
import { batchFiles, createNames, readJsonLines, runCli } from './helpers/cli.js';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'lro-cancel-cli-systemic-')); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

const FINAL = new Set(['cancelled', 'completed', 'failed', 'not_found', 'requested']);

/**
 * Failures that every name would meet stop a batch early with one message and the fix, journal nothing as final,
 * and exit 3; the rerun after the fix does the work.
 */
describe('lro-cancel batch on a systemic failure', () => {
  test('without the permission it sends at most 100 of 2,000 calls, names the permission, exits 3; the rerun with it finishes', async () => {
    const state = join(dir, 'denied.state');
    const first = await startEmulator({ seed: 5, requireAuth: true, stateFile: state });
    const names = createNames(first, 2000, 'denied-');
    const { journal, output, args } = batchFiles(dir, 'denied', names, ['--verify']);
    const env = { LRO_CANCEL_EMULATOR_HOST: first.grpcAddress, LRO_CANCEL_EMULATOR_REST: first.restUrl };
    const ports = { grpcPort: Number(first.grpcAddress.split(':')[1]), restPort: Number(new URL(first.restUrl).port) };
    const denied = await runCli(args, { env });
    const sent = first.stats().cancels.received;
    await first.close();
    assert.equal(denied.code, 3, denied.stderr);
    assert.ok(sent <= 100, `${sent} cancels sent`);
    assert.match(denied.stderr, /stopped: the credentials were refused \(UNAUTHENTICATED\): no credentials were sent: run "gcloud auth application-default login"/);
    assert.ok(readJsonLines(journal).every(r => !FINAL.has(String(r['outcome']))), 'nothing journaled as final');

    // The same emulator, now without auth: its state (every operation) and its ports are kept.
    const fixed = await startEmulator({ seed: 5, stateFile: state, ...ports });
    try {
      const rerun = await runCli(args, { env });
      assert.equal(rerun.code, 0, rerun.stderr);
      const records = readJsonLines(output);
      assert.equal(records.length, 2000);
      assert.ok(records.every(r => r['outcome'] === 'cancelled'));
    } finally {
      await fixed.close();
    }
  });

  test('a batch smaller than the threshold whose every call met the same failure says the fix and exits 3; one name that got through makes it the names\' own', async () => {
    const emulator = await startEmulator({ seed: 6, failReason: 'SERVICE_DISABLED' });
    try {
      const names = createNames(emulator, 3, 'few-');
      const few = batchFiles(dir, 'few', names);
      const run = await runCli([...few.args, '--progress', 'none'], { env: { LRO_CANCEL_EMULATOR_HOST: emulator.grpcAddress, LRO_CANCEL_EMULATOR_REST: emulator.restUrl } });
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, /stopped: .*enable cloudaicompanion.googleapis.com in project demo/);
      assert.ok(readJsonLines(few.journal).every(r => !FINAL.has(String(r['outcome']))), 'nothing journaled as final');
    } finally {
      await emulator.close();
    }
    const healthy = await startEmulator({ seed: 6 });
    try {
      const [ok] = createNames(healthy, 1, 'mixed-');
      const mixed = batchFiles(dir, 'mixed', [ok as string, 'projects/demo/locations/global/operations/not-there']);
      const run = await runCli([...mixed.args, '--progress', 'none'], { env: { LRO_CANCEL_EMULATOR_HOST: healthy.grpcAddress, LRO_CANCEL_EMULATOR_REST: healthy.restUrl } });
      assert.equal(run.code, 0, run.stderr);
      assert.doesNotMatch(run.stderr, /stopped:/);
    } finally {
      await healthy.close();
    }
  });

  describe('against a host that is not the Operations API (HTTP 404 on both wires)', () => {
    let h2: Http2Server;
    let h1: HttpServer;
    let calls = 0;
    before(async () => {
      h2 = createH2Server();
      h2.on('stream', stream => {
        calls += 1;
        stream.respond({ ':status': 404, 'content-type': 'text/html' });
        stream.end('<html><body>404 Not Found</body></html>');
      });
      h1 = createHttpServer((_req, res) => {
        calls += 1;
        res.writeHead(404, { 'content-type': 'text/html' });
        res.end('<html><body>Not Found</body></html>');
      });
      await Promise.all([
        new Promise<void>(resolve => h2.listen(0, '127.0.0.1', resolve)),
        new Promise<void>(resolve => h1.listen(0, '127.0.0.1', resolve)),
      ]);
    });
    after(async () => {
      h1.closeAllConnections();
      await Promise.all([new Promise(resolve => h2.close(resolve)), new Promise(resolve => h1.close(resolve))]);
    });

    for (const transport of ['grpc', 'rest', 'auto']) {
      test(`--transport ${transport}: at most 100 of 2,000 calls, "Is this the right API host?", exit 3, no name final`, async () => {
        const names = Array.from({ length: 2000 }, (_, i) => `projects/p/locations/l/operations/wrong-${transport}-${i}`);
        const { output, args } = batchFiles(dir, `wrong-${transport}`, names, [
          '--endpoint', `127.0.0.1:${(h2.address() as AddressInfo).port}`, '--rest-endpoint', `http://127.0.0.1:${(h1.address() as AddressInfo).port}`,
          '--insecure', '--transport', transport, '--concurrency', '256',
        ]);
        const before = calls;
        const run = await runCli(args);
        assert.equal(run.timedOut, false, 'the command exits');
        assert.equal(run.code, 3, run.stderr);
        assert.ok(calls - before <= 100, `${calls - before} calls made`);
        assert.match(run.stderr, /the endpoint answered 404 without a Google API error: .*Is this the right API host\? Check --endpoint and --rest-endpoint/);
        assert.ok(readJsonLines(output).every(r => !FINAL.has(String(r['outcome']))), 'no wrong-host 404 became not_found');
      });
    }

    test('--transport grpc to an HTTP/1.1 server\'s port: "does not speak HTTP/2", exit 3 at once, no name final', async () => {
      const names = Array.from({ length: 2000 }, (_, i) => `projects/p/locations/l/operations/h1-${i}`);
      const { output, args } = batchFiles(dir, 'grpc-to-h1', names, [
        '--endpoint', `127.0.0.1:${(h1.address() as AddressInfo).port}`, '--insecure', '--transport', 'grpc', '--concurrency', '256',
      ]);
      const run = await runCli(args);
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, /stopped: .*check --endpoint \(or LRO_CANCEL_EMULATOR_HOST\): it must be a gRPC host:port/);
      const records = readJsonLines(output);
      assert.ok(records.length <= 100, `${records.length} names tried`);
      assert.ok(records.every(r => !FINAL.has(String(r['outcome']))));
    });
  });
});
