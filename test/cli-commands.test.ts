import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Emulator } from '../src/emulator/index.js';
import { createNames, jsonLines, runCli, spawnCli, waitFor } from './helpers/cli.js';
import { startTestEmulator } from './helpers/emulator.js';

const PARENT = 'projects/demo/locations/global';
const UNKNOWN = `${PARENT}/operations/no-such-op`;
const JSON_FIELDS = ['attempts', 'code', 'codeName', 'httpStatus', 'latencyMs', 'name', 'outcome', 'transport', 'v'];

function sortedKeys(record: Record<string, unknown>): string[] {
  return Object.keys(record).sort();
}

/** Some fields of a record, to compare with deepEqual. */
function fields(record: Record<string, unknown> | undefined, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map(key => [key, record?.[key]]));
}

// The tests of a describe run at once where they share nothing but an emulator: each spawn is mostly start-up time.
describe('lro-cancel cancel, get and list against the emulator', { concurrency: true }, () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  test('cancel prints one human line per name, exits 0, and the operation is cancelled on the server', async () => {
    const [name] = createNames(emulator, 1, 'human-');
    const run = await runCli(['cancel', name as string], { emulator });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^→ requested +projects\/demo\/locations\/global\/operations\/human-000001 \(grpc, 1 attempt, \d+ ms\)\n$/);
    assert.equal(emulator.getOperation(name as string)?.state, 'cancelled');
  });

  test('cancel --json prints exactly the documented fields, in argument order; an unknown name is not_found with a message and still exits 0', async () => {
    const [running, done] = [...createNames(emulator, 1, 'json-run-'), ...createNames(emulator, 1, 'json-done-', 1)];
    const run = await runCli(['cancel', '--json', running as string, UNKNOWN, done as string], { emulator });
    assert.equal(run.code, 0, `not_found and requested are final outcomes: ${run.stderr}`);
    const lines = jsonLines(run.stdout);
    assert.deepEqual(lines.map(l => [l['name'], l['outcome']]), [[running, 'requested'], [UNKNOWN, 'not_found'], [done, 'requested']]);
    assert.deepEqual(sortedKeys(lines[0] as Record<string, unknown>), JSON_FIELDS);
    const wire = ['code', 'codeName', 'httpStatus', 'transport', 'attempts'];
    assert.deepEqual(fields(lines[0], wire), { code: 0, codeName: 'OK', httpStatus: 200, transport: 'grpc', attempts: 1 });
    assert.equal(typeof lines[0]?.['latencyMs'], 'number');
    assert.deepEqual(sortedKeys(lines[1] as Record<string, unknown>), [...JSON_FIELDS, 'message'].sort());
    assert.deepEqual(fields(lines[1], wire), { code: 5, codeName: 'NOT_FOUND', httpStatus: 404, transport: 'grpc', attempts: 1 });
    assert.match(String(lines[1]?.['message']), /not found/);
    assert.equal(run.stderr, '');
  });

  test('cancel --verify --transport rest proves cancelled for a running operation and completed for a done one', async () => {
    const [running, done] = [...createNames(emulator, 1, 'verify-run-'), ...createNames(emulator, 1, 'verify-done-', 1)];
    const run = await runCli(['cancel', '--json', '--verify', '--transport', 'rest', running as string, done as string], { emulator });
    assert.equal(run.code, 0, run.stderr);
    const lines = jsonLines(run.stdout);
    assert.deepEqual(lines.map(l => [l['outcome'], l['transport']]), [['cancelled', 'rest'], ['completed', 'rest']]);
    // --verify adds what GetOperation showed: the operation's own error code (1 = CANCELLED) when it has one.
    assert.equal(lines[0]?.['operationErrorCode'], 1);
  });

  test('cancel with a malformed name among good ones cancels the good ones, reports the bad one as invalid, and exits 2', async () => {
    const [good] = createNames(emulator, 1, 'mixed-');
    const run = await runCli(['cancel', '--json', good as string, 'projects/demo/oops'], { emulator });
    assert.equal(run.code, 2);
    const lines = jsonLines(run.stdout);
    assert.deepEqual(lines.map(l => l['outcome']), ['requested', 'invalid']);
    assert.deepEqual(fields(lines[1], ['transport', 'attempts', 'code', 'codeName']), { transport: null, attempts: 0, code: 3, codeName: 'INVALID_ARGUMENT' });
    assert.match(String(lines[1]?.['message']), /expected projects\/\{project\}\/locations\/\{location\}\/operations\/\{operation\}/);
    assert.equal(run.stderr, 'lro-cancel: invalid operation name "projects/demo/oops": 3 path segments instead of 6; expected projects/{project}/locations/{location}/operations/{operation}\n');
    const received = emulator.stats().cancels.byName;
    assert.equal(received.get(good as string)?.received, 1);
    assert.equal(received.has('projects/demo/oops'), false, 'the malformed name was never sent');
  });

  test('cancel in text prints a malformed name\'s line without the reason, which is said once on stderr', async () => {
    const [good] = createNames(emulator, 1, 'mixed-text-');
    const run = await runCli(['cancel', good as string, 'projects/demo/oops'], { emulator });
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stdout, /^→ requested +\S+ \(grpc, 1 attempt, \d+ ms\)\n✗ invalid +projects\/demo\/oops \(not sent\)\n$/);
    assert.equal(run.stderr, 'lro-cancel: invalid operation name "projects/demo/oops": 3 path segments instead of 6; expected projects/{project}/locations/{location}/operations/{operation}\n');
  });

  test('get prints the operation as a line or as JSON; an unknown name exits 1 and a malformed one exits 2', async () => {
    const [name] = createNames(emulator, 1, 'get-');
    await runCli(['cancel', name as string], { emulator });
    const human = await runCli(['get', name as string], { emulator });
    assert.equal(human.code, 0, human.stderr);
    assert.equal(human.stdout, `${name}  done, error 1 (CANCELLED): Operation cancelled\n`);
    const json = await runCli(['get', '--json', name as string], { emulator });
    assert.deepEqual(jsonLines(json.stdout), [{ name, done: true, error: { code: 1, message: 'Operation cancelled', details: [] } }]);

    const unknown = await runCli(['get', UNKNOWN], { emulator });
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /^lro-cancel: \[NOT_FOUND\] .*no-such-op.* not found/);
    const unknownJson = await runCli(['get', '--json', UNKNOWN], { emulator });
    assert.equal(unknownJson.code, 1);
    assert.equal((jsonLines(unknownJson.stdout)[0]?.['error'] as Record<string, unknown>)['codeName'], 'NOT_FOUND');
    const malformed = await runCli(['get', 'operations/x'], { emulator });
    assert.equal(malformed.code, 2);
    assert.match(malformed.stderr, /invalid operation name "operations\/x".*expected projects\//);
  });

  test('list piped into a reader that stops after one line (| head -1) exits 0 without an error', async () => {
    createNames(emulator, 120, 'head-');
    const child = spawnCli(['list', PARENT, '--page-size', '5'], { emulator });
    child.child.stdout?.once('data', () => child.child.stdout?.destroy());
    const run = await child.done;
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stderr, '');
  });

  test('help piped into a reader that has already closed the pipe (| true) exits 0 without a stack trace', async () => {
    for (const args of [['--help'], ['batch', '--help']]) {
      const child = spawnCli(args, { emulator });
      child.child.stdout?.destroy(); // closed before the child writes: its write meets EPIPE
      const run = await child.done;
      assert.equal(run.code, 0, `${args.join(' ')}: ${run.stderr}`);
      assert.doesNotMatch(run.stderr, /EPIPE|Error|at /, args.join(' '));
    }
  });

  test('list --filter done=false prints each running operation once and no done one; --limit stops early', async () => {
    const parent = 'projects/listing/locations/us-central1';
    const names = emulator.createOperations({ count: 250, parent, idPrefix: 'l-', doneFraction: 0.4 });
    const running = names.filter(n => emulator.getOperation(n)?.done === false);
    assert.ok(running.length > 50 && running.length < 250, `seeded mix: ${running.length} running`);

    const list = await runCli(['list', parent, '--filter', 'done=false', '--page-size', '40', '--json'], { emulator });
    assert.equal(list.code, 0, list.stderr);
    const listed = jsonLines(list.stdout);
    assert.deepEqual(listed.map(o => o['name']).sort(), [...running].sort());
    assert.ok(listed.every(o => o['done'] !== true));

    const all = await runCli(['list', parent], { emulator });
    assert.equal(all.stdout.trim().split('\n').length, 250);
    const limited = await runCli(['list', parent, '--limit', '7'], { emulator });
    assert.equal(limited.stdout.trim().split('\n').length, 7);
  });
});

describe('lro-cancel exit codes for failures the server reports', { concurrency: true }, () => {
  test('a cancel the server refuses for want of credentials is denied and exits 1', async () => {
    const emulator = await startTestEmulator({ requireAuth: true });
    try {
      const [name] = createNames(emulator, 1, 'auth-');
      const run = await runCli(['cancel', '--json', name as string], { emulator });
      assert.equal(run.code, 1);
      assert.deepEqual(jsonLines(run.stdout).map(l => [l['outcome'], l['codeName'], l['httpStatus']]), [['denied', 'UNAUTHENTICATED', 401]]);
    } finally {
      await emulator.close();
    }
  });

  test('a cancel that fails with INTERNAL is error and exits 1; --max-attempts 1 sends it once', async () => {
    const emulator = await startTestEmulator({ failRate: 1, failCode: 'INTERNAL' });
    try {
      const [name] = createNames(emulator, 1, 'err-');
      const run = await runCli(['cancel', '--json', '--max-attempts', '1', name as string], { emulator });
      assert.equal(run.code, 1);
      const [line] = jsonLines(run.stdout);
      assert.deepEqual([line?.['outcome'], line?.['codeName'], line?.['attempts']], ['error', 'INTERNAL', 1]);
      assert.equal(emulator.stats().cancels.received, 1);
    } finally {
      await emulator.close();
    }
  });
});

describe('lro-cancel bad usage exits 2 and says which flag and what was expected', { concurrency: true }, () => {
  const cases: Array<[string, string[], RegExp]> = [
    ['an unknown flag', ['batch', '--input', 'x.txt', '--bogus'], /unknown flag --bogus/],
    ['--concurrency 0', ['batch', '--input', 'x.txt', '--concurrency', '0'], /--concurrency expects an integer >= 1, got "0"/],
    ['--shard 5/4', ['batch', '--input', '-', '--shard', '5/4'], /--shard "5\/4": expected i\/n with 0 <= i < n/],
    ['no input', ['batch'], /batch needs exactly one of --input FILE\|- or --from-list \[PARENT\]/],
    ['a missing input file', ['batch', '--input', '/nonexistent/names.txt'], /--input "\/nonexistent\/names.txt": no such file/],
    ['--transport foo', ['cancel', '--transport', 'foo', `${PARENT}/operations/x`], /--transport expects one of auto\|grpc\|rest, got "foo"/],
    ['--insecure to a remote host', ['cancel', '--insecure', '--endpoint', '10.1.2.3:443', `${PARENT}/operations/x`], /10\.1\.2\.3:443 is not loopback.*--allow-insecure-remote/],
    ['--filter without --from-list', ['batch', '--input', '-', '--filter', 'done=false'], /--filter goes with --from-list/],
    ['--shard-count outside a job', ['batch', '--input', '-', '--shard-count', '4'], /--shard-count 4 needs JOB_COMPLETION_INDEX or CLOUD_RUN_TASK_INDEX/],
    ['a malformed --from-list parent', ['batch', '--from-list', 'projects/p'], /invalid parent name "projects\/p".*expected projects\/\{project\}\/locations\/\{location\}/],
    ['--deadline-ms abc', ['get', '--deadline-ms', 'abc', `${PARENT}/operations/x`], /--deadline-ms expects an integer >= 1, got "abc"/],
    ['no command', ['frobnicate'], /unknown command 'frobnicate'/],
    ['--input naming a folder', ['batch', '--input', '/tmp'], /--input "\/tmp" is a folder; expected a file of operation names \(or - for stdin\)/],
    ['--journal in a missing folder', ['batch', '--input', '-', '--journal', '/nonexistent/dir/j.jsonl'], /--journal "\/nonexistent\/dir\/j.jsonl": the folder \/nonexistent\/dir does not exist/],
    ['--output in a missing folder', ['batch', '--input', '-', '--output', '/nonexistent/dir/o.jsonl'], /--output "\/nonexistent\/dir\/o.jsonl": the folder \/nonexistent\/dir does not exist/],
    ['--output naming a folder', ['batch', '--input', '-', '--output', '/tmp'], /--output "\/tmp" is a folder; expected a file/],
    ['--give-up-after 10x', ['batch', '--input', '-', '--give-up-after', '10x'], /--give-up-after expects a duration such as 30m, 90s, 1h or 500ms/],
    ['--endpoint without a port', ['get', '--endpoint', 'example.com', `${PARENT}/operations/x`], /--endpoint must be host:port \(e.g. 127.0.0.1:7001\), got "example.com"/],
    ['--rest-endpoint over http without --insecure', ['get', '--rest-endpoint', 'http://example.com', `${PARENT}/operations/x`], /--rest-endpoint http:\/\/example.com is plain http: credentials would travel in clear text; use https:, or add --insecure for an emulator/],
    ['two credentials', ['get', '--access-token-file', 'a', '--key-file', 'b', `${PARENT}/operations/x`], /--access-token-file and --key-file are two credentials: give one of them/],
    ['wait --timeout 0', ['wait', '--timeout', '0', `${PARENT}/operations/x`], /--timeout expects a duration such as 30m, 90s, 1h or 500ms .* of at least 1 ms, got "0"/],
    ['get without a name', ['get'], /missing the NAME argument \(see lro-cancel get --help\)/],
    ['a flag without its value', ['get', `${PARENT}/operations/x`, '--endpoint'], /--endpoint argument missing/],
  ];
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => {
    const sent = emulator.stats().total;
    await emulator.close();
    assert.equal(sent, 0, 'no bad usage may send anything to the server');
  });

  for (const [what, args, message] of cases) {
    test(`${what}`, async () => {
      const run = await runCli(args, { emulator });
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message);
      // One style: every line is the CLI's own, and none is commander's "error: option '--x <n>' argument ...".
      assert.match(run.stderr, /^(lro-cancel: [^\n]+\n)+$/);
      assert.doesNotMatch(run.stderr, /error: |option '/);
      assert.equal(run.stdout, '');
    });
  }

  test('a malformed name or parent is said on stderr in every format, naming it and the form expected, as every usage error is', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['cancel', 'bad/name', '--format', 'json'], /^lro-cancel: invalid operation name "bad\/name": 2 path segments instead of 6; expected projects\/\{project\}\/locations\/\{location\}\/operations\/\{operation\}\n$/],
      [['delete', 'bad/name'], /^lro-cancel: invalid operation name "bad\/name": 2 path segments instead of 6; expected projects\/\{project\}\/locations\/\{location\}\/operations\/\{operation\}\n$/],
      [['delete', 'bad/name', '--format', 'value(name,outcome)'], /^lro-cancel: invalid operation name "bad\/name": 2 path segments instead of 6; expected projects\//],
      [['get', 'bad/name', '--format', 'json'], /^lro-cancel: invalid operation name "bad\/name": 2 path segments instead of 6; expected projects\//],
      [['wait', 'bad/name', '--format', 'yaml'], /^lro-cancel: bad\/name: invalid operation name "bad\/name": 2 path segments instead of 6; expected projects\//],
      [['list', 'projects/p', '--format', 'json'], /^lro-cancel: invalid parent name "projects\/p": .*expected projects\/\{project\}\/locations\/\{location\}\n$/],
    ];
    const runs = await Promise.all(cases.map(([args]) => runCli(args, { emulator })));
    for (const [i, run] of runs.entries()) {
      const [args, message] = cases[i] as [string[], RegExp];
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, message, args.join(' '));
      assert.match(run.stderr, /^(lro-cancel: [^\n]+\n)+$/);
    }
    // The records on stdout stay what each format gives: the invalid result, or the error object.
    assert.equal(jsonLines(runs[0]?.stdout ?? '')[0]?.['outcome'], 'invalid');
    assert.equal(runs[1]?.stdout, '✗ invalid       bad/name (not sent)\n');
    assert.equal(runs[2]?.stdout, 'bad/name\tinvalid\n');
    assert.equal((jsonLines(runs[3]?.stdout ?? '')[0]?.['error'] as Record<string, unknown> | undefined)?.['codeName'], 'INVALID_ARGUMENT');
  });

  test('--help and --version exit 0', async () => {
    const help = await runCli(['--help']);
    assert.equal(help.code, 0);
    assert.match(help.stdout, /Usage: lro-cancel/);
    assert.match(help.stdout, /LRO_CANCEL_EMULATOR_HOST/);
    const version = await runCli(['--version']);
    assert.equal(version.code, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+/);
  });
});

describe('lro-cancel emulator', () => {
  test('prints its ports, serves the other commands through the emulator variables, and exits 0 on SIGINT', async () => {
    const server = spawnCli(['emulator', '--ops', '3'], { timeoutMs: 15_000 });
    let stdout = '';
    server.child.stdout?.on('data', (text: string) => { stdout += text; });
    await waitFor(() => stdout.includes('\n'), 'the emulator ready line');
    const ports = JSON.parse(stdout.split('\n')[0] as string) as { grpc: string; rest: string };
    const run = await runCli(['cancel', '--verify', `${PARENT}/operations/op-000002`], {
      env: { LRO_CANCEL_EMULATOR_HOST: ports.grpc, LRO_CANCEL_EMULATOR_REST: ports.rest },
    });
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^✓ cancelled +projects\/demo\/locations\/global\/operations\/op-000002 \(grpc/);
    server.child.kill('SIGINT');
    const end = await server.done;
    assert.equal(end.code, 0, end.stderr);
    assert.equal(end.timedOut, false);
  });

  test('seeds no operation unless --ops asks for some, as startEmulator does', async () => {
    const server = spawnCli(['emulator'], { timeoutMs: 15_000 });
    let stdout = '';
    server.child.stdout?.on('data', (text: string) => { stdout += text; });
    try {
      await waitFor(() => stdout.includes('\n'), 'the emulator ready line');
      const { rest } = JSON.parse(stdout.split('\n')[0] as string) as { rest: string };
      const listing = await (await fetch(`${rest}/v1/${PARENT}/operations?pageSize=1000`)).json() as { operations?: unknown[] };
      assert.deepEqual(listing.operations ?? [], []);
      assert.equal((await fetch(`${rest}/v1/${PARENT}/operations/op-000001`)).status, 404);
    } finally {
      server.child.kill('SIGINT');
    }
    const end = await server.done;
    assert.equal(end.code, 0, end.stderr);
  });
});
