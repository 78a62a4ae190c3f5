import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/index.js';
import type { FailReason } from '../src/emulator/api-error.js';
import { createCanceller } from '../src/index.js';
import { createNames, jsonLines, runCli } from './helpers/cli.js';
import { startTestEmulator } from './helpers/emulator.js';

/** Errors that say what to do, over the real CLI (issue 14, item 6). */

const dir = mkdtempSync(join(tmpdir(), 'lro-cancel-cli-errors-'));
after(() => rmSync(dir, { recursive: true, force: true }));
/** Any token: TLS runs need credentials that are not ADC, which would stop them before the handshake. */
const token = join(dir, 'token');
writeFileSync(token, 'any-token\n');

/** Each ErrorInfo reason the emulator can answer with, and the fix its hint must name. */
const REASONS: ReadonlyArray<[FailReason, RegExp]> = [
  ['SERVICE_DISABLED', /enable cloudaicompanion.googleapis.com in project demo: gcloud services enable cloudaicompanion.googleapis.com --project demo, or open https:\/\/console.developers.google.com\/apis\/api\/cloudaicompanion.googleapis.com\/overview\?project=demo/],
  ['IAM_PERMISSION_DENIED', /grant cloudaicompanion.operations.cancel to the caller on projects\/demo \(roles\/cloudaicompanion.user, or a custom role\)/],
  ['ACCESS_TOKEN_SCOPE_INSUFFICIENT', /the access token lacks the https:\/\/www.googleapis.com\/auth\/cloud-platform scope/],
  ['USER_PROJECT_DENIED', /may not use project demo for quota: set --quota-project to a project where it has serviceusage.services.use/],
  ['RATE_LIMIT_EXCEEDED', /slow down: try again later; a batch goes slower with a lower --rps or --concurrency; or ask for a higher quota/],
  ['BILLING_DISABLED', /enable billing for project demo/],
  ['ACCESS_TOKEN_EXPIRED', /the access token has expired: get a new one/],
];

/** A library option named in parentheses after a flag, as `OperationsError.hint` does: `--quota-project (quotaProject)`. */
const LIBRARY_OPTION = /\([a-z]+[A-Z][A-Za-z]*\)/;

describe('each ErrorInfo reason becomes one line with the fix, over both wires', { concurrency: true }, () => {
  for (const [reason, fix] of REASONS) {
    test(`${reason}`, async () => {
      const emulator = await startTestEmulator({ failReason: reason });
      try {
        const [name] = createNames(emulator, 1, 'reason-');
        const runs = await Promise.all(['grpc', 'rest'].map(wire => runCli(['cancel', name as string, '--transport', wire], { emulator })));
        for (const [i, run] of runs.entries()) {
          assert.equal(run.code, 1, run.stderr);
          // One style: the error on the result line (stdout), then its fix alone as 'lro-cancel: hint: ...' on stderr;
          // the server's message is not said twice.
          const [, message = ''] = /^✗ \w+ +\S+ \([^)]*\): (.*)\n$/.exec(run.stdout) ?? [];
          assert.match(message, /^\[[A-Z_]+\] \S/, run.stdout);
          assert.match(run.stderr, /^lro-cancel: hint: [^\n]+\n$/, `${i === 0 ? 'grpc' : 'rest'}: one hint line:\n${run.stderr}`);
          assert.match(run.stderr, fix);
          assert.ok(!run.stderr.includes(message.replace(/^\[[A-Z_]+\] /, '')), `the server's message is not repeated:\n${run.stderr}`);
          assert.doesNotMatch(run.stderr, LIBRARY_OPTION, 'the CLI names flags, not the library\'s options');
        }
        assert.equal(emulator.getOperation(name as string)?.state, 'running');
      } finally {
        await emulator.close();
      }
    });
  }

  test('USER_PROJECT_DENIED names --quota-project alone on the command line, on stderr and in --format json, though the library\'s hint names quotaProject too', async () => {
    const emulator = await startTestEmulator({ failReason: 'USER_PROJECT_DENIED' });
    try {
      const name = 'projects/demo/locations/global/operations/any';
      const [human, json] = await Promise.all([runCli(['get', name], { emulator }), runCli(['get', name, '--format', 'json'], { emulator })]);
      const fix = 'the caller may not use project demo for quota: set --quota-project to a project where it has serviceusage.services.use (roles/serviceusage.serviceUsageConsumer)';
      assert.ok(human.stderr.endsWith(`\nlro-cancel: hint: ${fix}\n`), human.stderr);
      assert.equal((jsonLines(json.stdout)[0]?.['error'] as Record<string, unknown> | undefined)?.['hint'], fix);
      const canceller = createCanceller({ grpcEndpoint: emulator.grpcAddress, insecure: true });
      try {
        await assert.rejects(canceller.get(name), (error: { hint?: string }) => {
          assert.match(error.hint ?? '', /set --quota-project \(quotaProject\) to a project/);
          return true;
        });
      } finally {
        await canceller.close();
      }
    } finally {
      await emulator.close();
    }
  });

  test('RATE_LIMIT_EXCEEDED tells get, which has no --rps, to try again later, and names the batch\'s flags as the batch\'s', async () => {
    const emulator = await startTestEmulator({ failReason: 'RATE_LIMIT_EXCEEDED' });
    try {
      const run = await runCli(['get', 'projects/demo/locations/global/operations/any', '--transport', 'rest'], { emulator });
      assert.equal(run.code, 1, run.stderr);
      assert.match(run.stderr, /^lro-cancel: \[RESOURCE_EXHAUSTED\] Quota exceeded .*\nlro-cancel: hint: slow down: try again later; a batch goes slower with a lower --rps or --concurrency; or ask for a higher quota\n$/);
    } finally {
      await emulator.close();
    }
  });

  test('get prints the error, then the hint on its own line; --format json carries it in the error object', async () => {
    const emulator = await startTestEmulator({ failReason: 'SERVICE_DISABLED' });
    try {
      const name = 'projects/demo/locations/global/operations/any';
      const [human, json] = await Promise.all([runCli(['get', name], { emulator }), runCli(['get', name, '--format', 'json'], { emulator })]);
      assert.equal(human.code, 1);
      assert.match(human.stderr, /^lro-cancel: \[PERMISSION_DENIED\] Gemini for Google Cloud API has not been used in project demo before or it is disabled\..*\nlro-cancel: hint: enable cloudaicompanion.googleapis.com in project demo: .*\n$/);
      const error = jsonLines(json.stdout)[0]?.['error'] as Record<string, unknown> | undefined;
      assert.match(String(error?.['hint']), /^enable cloudaicompanion.googleapis.com in project demo/);
    } finally {
      await emulator.close();
    }
  });
});

describe('TLS to a plaintext port', { concurrency: true }, () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  for (const wire of ['grpc', 'rest'] as const) {
    test(`fails at once over ${wire}, saying the server answered in plaintext and to use --insecure, with no OpenSSL text nor Node warning`, async () => {
      const [name] = createNames(emulator, 1, `tls-${wire}-`);
      const endpoint = wire === 'grpc' ? ['--endpoint', emulator.grpcAddress] : ['--rest-endpoint', emulator.restUrl.replace('http:', 'https:')];
      const run = await runCli(['cancel', name as string, '--json', '--access-token-file', token, ...endpoint], { emulator: undefined });
      assert.equal(run.code, 1, run.stderr);
      const [line] = jsonLines(run.stdout);
      assert.deepEqual([line?.['outcome'], line?.['codeName'], line?.['attempts']], ['error', 'FAILED_PRECONDITION', 1]);
      // One attempt, not ten over 26 s. The call's latency here includes loading undici and making the channel in a
      // process started a moment ago on a shared machine; test/tls.test.ts times a warm client's (well under 1 s).
      assert.ok(Number(line?.['latencyMs']) < 5000, `answered in ${String(line?.['latencyMs'])} ms`);
      assert.match(String(line?.['message']), /the server answered in plaintext: for an emulator use --insecure/);
      const variable = wire === 'grpc' ? 'LRO_CANCEL_EMULATOR_HOST' : 'LRO_CANCEL_EMULATOR_REST';
      assert.equal(run.stderr, `lro-cancel: hint: the port serves plaintext: for an emulator use --insecure (or ${variable}); for a TLS endpoint, check the port\n`);
      assert.doesNotMatch(run.stdout + run.stderr, /wrong version number|SSL routines|DEP0123|DeprecationWarning/);
      assert.equal(emulator.stats().cancels.byName.has(name as string), false);
    });
  }

  test('get over REST names the REST emulator variable in its hint, over gRPC the gRPC one', async () => {
    const [name] = createNames(emulator, 1, 'tls-get-');
    const [rest, grpc] = await Promise.all([
      runCli(['get', name as string, '--rest-endpoint', emulator.restUrl.replace('http:', 'https:'), '--transport', 'rest', '--access-token-file', token]),
      runCli(['get', name as string, '--endpoint', emulator.grpcAddress, '--access-token-file', token]),
    ]);
    const lines = (variable: string): string => 'lro-cancel: [FAILED_PRECONDITION] the server answered in plaintext: for an emulator use --insecure\n'
      + `lro-cancel: hint: the port serves plaintext: for an emulator use --insecure (or ${variable}); for a TLS endpoint, check the port\n`;
    assert.deepEqual([rest.code, rest.stderr], [1, lines('LRO_CANCEL_EMULATOR_REST')]);
    assert.deepEqual([grpc.code, grpc.stderr], [1, lines('LRO_CANCEL_EMULATOR_HOST')]);
  });

  test('a batch stops after its first calls with the fix, exit 3', async () => {
    const names = createNames(emulator, 200, 'tls-batch-');
    const input = join(dir, 'tls-batch.txt');
    writeFileSync(input, names.join('\n'));
    const run = await runCli(['batch', '--input', input, '--endpoint', emulator.grpcAddress, '--access-token-file', token, '--progress', 'none']);
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /lro-cancel: stopped: the port serves plaintext: for an emulator use --insecure/);
  });
});

describe('a gRPC port where nothing listens', () => {
  test('is retried until the deadline, then said in one line (the address, ECONNREFUSED) with a hint, still UNAVAILABLE', async () => {
    const closed = createServer();
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve));
    const endpoint = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise(resolve => closed.close(resolve));
    const name = 'projects/demo/locations/global/operations/nowhere';
    const [human, json] = await Promise.all([
      runCli(['get', name, '--endpoint', endpoint, '--insecure', '--deadline-ms', '2000']),
      runCli(['get', name, '--endpoint', endpoint, '--insecure', '--deadline-ms', '2000', '--format', 'json']),
    ]);
    assert.equal(human.code, 1, human.stderr);
    assert.equal(human.stderr, `lro-cancel: [UNAVAILABLE] could not connect to ${endpoint} (ECONNREFUSED): nothing listens there\n`
      + 'lro-cancel: hint: is the endpoint right (--endpoint, or LRO_CANCEL_EMULATOR_HOST)? Is its server, or the emulator, running?\n');
    const error = jsonLines(json.stdout)[0]?.['error'] as { codeName?: string; message?: string; attempts?: unknown[] } | undefined;
    assert.deepEqual([error?.codeName, error?.message], ['UNAVAILABLE', `could not connect to ${endpoint} (ECONNREFUSED): nothing listens there`]);
    assert.ok((error?.attempts?.length ?? 0) > 1, 'retried');
  });

  test('over REST, the same: retried, then the refused connection and a hint naming --rest-endpoint and its variable', async () => {
    const closed = createServer();
    await new Promise<void>(resolve => closed.listen(0, '127.0.0.1', resolve));
    const address = `127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise(resolve => closed.close(resolve));
    const run = await runCli(['get', 'projects/demo/locations/global/operations/nowhere', '--rest-endpoint', `http://${address}`, '--insecure', '--transport', 'rest', '--deadline-ms', '1500']);
    assert.equal(run.code, 1, run.stderr);
    assert.equal(run.stderr, `lro-cancel: [UNAVAILABLE] REST request failed before a response: connect ECONNREFUSED ${address}\n`
      + 'lro-cancel: hint: is the endpoint right (--rest-endpoint, or LRO_CANCEL_EMULATOR_REST)? Is its server, or the emulator, running?\n');
  });
});

describe('the emulator variables', { concurrency: true }, () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  test('each works alone: LRO_CANCEL_EMULATOR_REST alone is REST, LRO_CANCEL_EMULATOR_HOST alone gRPC, both plaintext', async () => {
    const [a, b] = createNames(emulator, 2, 'vars-');
    const [rest, grpc] = await Promise.all([
      runCli(['cancel', a as string, '--json'], { env: { LRO_CANCEL_EMULATOR_REST: emulator.restUrl } }),
      runCli(['cancel', b as string, '--json'], { env: { LRO_CANCEL_EMULATOR_HOST: emulator.grpcAddress } }),
    ]);
    assert.deepEqual([rest.code, jsonLines(rest.stdout)[0]?.['transport']], [0, 'rest'], rest.stderr);
    assert.deepEqual([grpc.code, jsonLines(grpc.stdout)[0]?.['transport']], [0, 'grpc'], grpc.stderr);
  });

  test('with --endpoint or --rest-endpoint they are ignored, and the CLI says so; plaintext then needs --insecure', async () => {
    const [name] = createNames(emulator, 1, 'vars-flag-');
    const env = { LRO_CANCEL_EMULATOR_HOST: '127.0.0.1:1', LRO_CANCEL_EMULATOR_REST: 'http://127.0.0.1:1' };
    const run = await runCli(['cancel', name as string, '--endpoint', emulator.grpcAddress, '--insecure', '--json'], { env });
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, 'lro-cancel: note: LRO_CANCEL_EMULATOR_HOST and LRO_CANCEL_EMULATOR_REST are ignored: --endpoint names the endpoint\n');
    const tls = await runCli(['get', name as string, '--rest-endpoint', 'https://127.0.0.1:1', '--access-token-file', token, '--max-attempts', '1'], { env });
    assert.match(tls.stderr, /^lro-cancel: note: LRO_CANCEL_EMULATOR_HOST and LRO_CANCEL_EMULATOR_REST are ignored: --rest-endpoint names the endpoint \(TLS; add --insecure for an emulator\)\n/);
  });

  test('a variable that is not an endpoint, or that cannot serve the --transport asked for, is bad usage naming it', async () => {
    const [badHost, badRest, noGrpc, insecureNowhere] = await Promise.all([
      runCli(['get', 'projects/p/locations/l/operations/o'], { env: { LRO_CANCEL_EMULATOR_HOST: 'nonsense' } }),
      runCli(['get', 'projects/p/locations/l/operations/o'], { env: { LRO_CANCEL_EMULATOR_REST: 'ftp://x' } }),
      runCli(['get', 'projects/p/locations/l/operations/o', '--transport', 'grpc'], { env: { LRO_CANCEL_EMULATOR_REST: emulator.restUrl } }),
      runCli(['get', 'projects/p/locations/l/operations/o', '--insecure']),
    ]);
    assert.deepEqual([badHost.code, badRest.code, noGrpc.code, insecureNowhere.code], [2, 2, 2, 2]);
    assert.match(insecureNowhere.stderr, /^lro-cancel: --insecure needs an endpoint on this machine: --endpoint or --rest-endpoint \(or LRO_CANCEL_EMULATOR_HOST \/ LRO_CANCEL_EMULATOR_REST\); Google's endpoints are TLS only\n$/);
    assert.match(badHost.stderr, /^lro-cancel: LRO_CANCEL_EMULATOR_HOST must be host:port \(e.g. 127.0.0.1:7001\), got "nonsense"\n$/);
    assert.match(badRest.stderr, /^lro-cancel: LRO_CANCEL_EMULATOR_REST must use http: or https:, got "ftp:"\n$/);
    assert.match(noGrpc.stderr, /^lro-cancel: --transport grpc needs a gRPC endpoint: --endpoint HOST:PORT or LRO_CANCEL_EMULATOR_HOST\n$/);
  });
});
