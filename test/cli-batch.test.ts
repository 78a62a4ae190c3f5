import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Emulator } from '../src/emulator/index.js';
import { createNames, jsonLines, readJsonLines, runCli } from './helpers/cli.js';
import { startTestEmulator } from './helpers/emulator.js';

const PARENT = 'projects/demo/locations/global';

let dir: string;
before(() => { dir = mkdtempSync(join(tmpdir(), 'lro-cancel-cli-batch-')); });
after(() => { rmSync(dir, { recursive: true, force: true }); });

/** Names in the output, each with how many lines it has. */
function countByName(records: ReadonlyArray<Record<string, unknown>>): Map<string, number> {
  const counts = new Map<string, number>();
  for (const record of records) counts.set(String(record['name']), (counts.get(String(record['name'])) ?? 0) + 1);
  return counts;
}

describe('lro-cancel batch', { concurrency: true }, () => {
  let emulator: Emulator;
  before(async () => { emulator = await startTestEmulator(); });
  after(async () => { await emulator.close(); });

  test('a file with valid, invalid, duplicate, blank and comment lines: one output line per input name, each valid name cancelled once', async () => {
    const names = createNames(emulator, 300, 'mix-');
    const unknown = `${PARENT}/operations/mix-unknown`;
    const lines = [
      '# a comment',
      ...names.slice(0, 150),
      '',
      `{"name": "${names[150]}"}`,
      ...names.slice(151),
      names[0], names[7], `{"name": "${names[7]}", "note": "a JSON duplicate"}`,
      'not a name',
      '{"nam": "typo"}',
      unknown,
      '   ',
    ];
    const input = join(dir, 'mix.txt');
    writeFileSync(input, `${lines.join('\n')}\n`);
    const output = join(dir, 'mix.jsonl');
    const run = await runCli(['batch', '--input', input, '--output', output, '--concurrency', '8'], { emulator });
    assert.equal(run.code, 0, run.stderr);

    const records = readJsonLines(output);
    assert.equal(records.length, 300 + 3, 'each distinct valid name, two invalid lines and the unknown name');
    assert.ok([...countByName(records).values()].every(n => n === 1), 'no name twice');
    assert.deepEqual(records.filter(r => r['outcome'] === 'requested').map(r => r['name']).sort(), [...names].sort());
    const invalid = records.filter(r => r['outcome'] === 'invalid').map(r => [r['line'], r['name']]);
    assert.deepEqual(invalid.sort(), [[306, 'not a name'], [307, '{"nam": "typo"}']]);
    assert.equal(records.find(r => r['name'] === unknown)?.['outcome'], 'not_found');

    const received = emulator.stats().cancels.byName;
    assert.ok(names.every(n => received.get(n)?.received === 1), 'every valid name was sent exactly once');
    assert.match(run.stderr, /^\[batch\] 303 done/m, 'log lines, not a bar, when stderr is not a terminal');
    assert.match(run.stderr, /^Done: 303 names in /m);
    assert.match(run.stderr, /outcomes: +requested 300, invalid 2, not_found 1/);
    assert.match(run.stderr, /skipped: +3 duplicates/);
  });

  test('a small batch gives its wall time in ms below a second (not "0.0 s"), in seconds above', async () => {
    const names = createNames(emulator, 3, 'small-');
    const run = await runCli(['batch', '--input', '-', '--progress', 'none'], { emulator, stdin: `${names.join('\n')}\n` });
    assert.equal(run.code, 0, run.stderr);
    const [, ms, seconds] = /^Done: 3 names in (?:(\d+) ms|(\d+\.\d) s) \(\d+\/s\)$/m.exec(run.stderr) ?? [];
    assert.ok(ms !== undefined || seconds !== undefined, run.stderr);
    if (ms !== undefined) assert.ok(Number(ms) < 1000, run.stderr);
    else assert.ok(Number(seconds) >= 1, run.stderr);
  });

  test('--input - reads names from stdin; --json prints one record per name on stdout', async () => {
    const names = createNames(emulator, 120, 'stdin-');
    const run = await runCli(['batch', '--input', '-', '--json', '--progress', 'none'], {
      emulator,
      stdin: `${names.join('\r\n')}\r\n${names[3]}\n# done\n`,
    });
    assert.equal(run.code, 0, run.stderr);
    const records = jsonLines(run.stdout);
    assert.deepEqual(records.map(r => r['name']).sort(), [...names].sort());
    assert.ok(records.every(r => r['outcome'] === 'requested' && r['transport'] === 'grpc' && r['attempts'] === 1));
    assert.match(run.stderr, /skipped: +1 duplicate$/m);
    assert.doesNotMatch(run.stderr, /\[batch\]/, '--progress none prints no progress lines');
  });

  test('--verify proves each outcome: cancelled for running operations, completed for done ones', async () => {
    const names = createNames(emulator, 60, 'verify-', 0.5);
    const running = new Set(names.filter(n => emulator.getOperation(n)?.done === false));
    const input = join(dir, 'verify.txt');
    writeFileSync(input, `${names.join('\n')}\n`);
    const lists = emulator.stats().byMethod.ListOperations;
    const run = await runCli(['batch', '--input', input, '--verify', '--json', '--progress', 'none'], { emulator });
    assert.equal(run.code, 0, run.stderr);
    const records = jsonLines(run.stdout);
    assert.equal(records.length, 60);
    assert.match(run.stderr, /verify: +60 by listing in \d+ pages?, 0 by GetOperation/, 'the outcomes came from listing their parent');
    assert.ok(emulator.stats().byMethod.ListOperations > lists);
    for (const record of records) {
      assert.equal(record['outcome'], running.has(String(record['name'])) ? 'cancelled' : 'completed', String(record['name']));
    }
  });

  test('--from-list with --filter done=false cancels exactly the running operations under the parent, each once', async () => {
    const parent = 'projects/listed/locations/europe-west4';
    const names = emulator.createOperations({ count: 400, parent, idPrefix: 'fl-', doneFraction: 0.3 });
    const running = names.filter(n => emulator.getOperation(n)?.done === false);
    const output = join(dir, 'from-list.jsonl');
    const run = await runCli(['batch', '--from-list', parent, '--filter', 'done=false', '--output', output, '--concurrency', '16'], { emulator });
    assert.equal(run.code, 0, run.stderr);
    const records = readJsonLines(output);
    assert.deepEqual(records.map(r => r['name']).sort(), [...running].sort());
    const received = emulator.stats().cancels.byName;
    assert.ok(names.every(n => (received.get(n)?.received ?? 0) === (running.includes(n) ? 1 : 0)), 'no done operation was sent a cancel');
    assert.ok(names.every(n => (received.get(n)?.afterDone ?? 0) === 0));
  });

  test('an input that is only invalid lines sends nothing and exits 0 with each line reported', async () => {
    const input = join(dir, 'invalid.txt');
    writeFileSync(input, 'a\nb\n{"name": 5}\n');
    const run = await runCli(['batch', '--input', input, '--json', '--progress', 'none'], { emulator });
    assert.equal(run.code, 0, run.stderr);
    assert.deepEqual(jsonLines(run.stdout).map(r => [r['line'], r['outcome']]), [[1, 'invalid'], [2, 'invalid'], [3, 'invalid']]);
  });
});

/** An emulator of its own, closed at the end of the test's scope: these tests count what the server received. */
async function ownEmulator(): Promise<Emulator & AsyncDisposable> {
  const emulator = await startTestEmulator();
  return Object.assign(emulator, { [Symbol.asyncDispose]: () => emulator.close() });
}

describe('lro-cancel batch --verify: by listing or one read at a time', { concurrency: true }, () => {
  test('--verify-by get proves the same outcomes with one GetOperation per name and no listing', async () => {
    await using emulator = await ownEmulator();
    const parent = 'projects/verify-get/locations/global';
    const names = emulator.createOperations({ count: 40, parent, idPrefix: 'vg-', doneFraction: 0.5 });
    const running = new Set(names.filter(n => emulator.getOperation(n)?.done === false));
    const before = emulator.stats().byMethod;
    const run = await runCli(['batch', '--input', '-', '--verify', '--verify-by', 'get', '--json', '--progress', 'none'], { emulator, stdin: names.join('\n') });
    assert.equal(run.code, 0, run.stderr);
    for (const record of jsonLines(run.stdout)) {
      assert.equal(record['outcome'], running.has(String(record['name'])) ? 'cancelled' : 'completed');
    }
    const after = emulator.stats().byMethod;
    assert.equal(after.ListOperations - before.ListOperations, 0);
    assert.ok(after.GetOperation - before.GetOperation >= 40);
  });

  test('--verify of names that are a small part of a large parent reads the rest one by one after a page: never more calls than a read per name', async () => {
    await using emulator = await ownEmulator();
    const parent = 'projects/verify-large/locations/global';
    // 3,000 operations already done in the parent, 30 of ours among them, running: a listing would mostly show others.
    emulator.createOperations({ count: 3000, parent, idPrefix: 'other-', doneFraction: 1 });
    const names = emulator.createOperations({ count: 30, parent, idPrefix: 'ours-' });
    const before = emulator.stats().byMethod;
    const run = await runCli(['batch', '--input', '-', '--verify', '--progress', 'none'], { emulator, stdin: names.join('\n') });
    assert.equal(run.code, 0, run.stderr);
    const after = emulator.stats().byMethod;
    const reads = after.ListOperations - before.ListOperations + after.GetOperation - before.GetOperation;
    assert.equal(after.ListOperations - before.ListOperations, 1, 'one page, then the listing stopped: it settled fewer than two names');
    assert.ok(reads <= 31, `${reads} reads for 30 names`);
    assert.match(run.stderr, /verify: +0 by listing in 1 page, 30 by GetOperation/);
  });

  test('--verify goes on listing from the page it reached when pages fail past their retries, instead of reading every name', async () => {
    await using emulator = await ownEmulator();
    const parent = 'projects/verify-brownout/locations/global';
    const names = emulator.createOperations({ count: 2500, parent, idPrefix: 'vb-' });
    // Half the listings fail and a call has two attempts: a page fails outright one time in four.
    emulator.setFaults({ failRate: 0.5, failCode: 'UNAVAILABLE', failMethods: ['ListOperations'] });
    const before = emulator.stats().byMethod;
    const run = await runCli(['batch', '--input', '-', '--verify', '--max-attempts', '2', '--json', '--progress', 'none'],
      { emulator, stdin: names.join('\n') });
    assert.equal(run.code, 0, run.stderr);
    assert.ok(jsonLines(run.stdout).every(r => r['outcome'] === 'cancelled'));
    const after = emulator.stats().byMethod;
    assert.match(run.stderr, /verify: +2500 by listing in \d+ pages, 0 by GetOperation/);
    assert.equal(after.GetOperation - before.GetOperation, 0, 'no name was left to GetOperation');
  });

});

describe('lro-cancel batch against a degraded service', { concurrency: true }, () => {
  test('names that meet UNAVAILABLE go back for later passes until each is final; the summary counts every request', async () => {
    const emulator = await startTestEmulator({ failRate: 0.4, failCode: 'UNAVAILABLE' });
    try {
      const names = createNames(emulator, 200, 'pass-');
      const input = join(dir, 'passes.txt');
      writeFileSync(input, `${names.join('\n')}\n`);
      const output = join(dir, 'passes.jsonl');
      const run = await runCli([
        'batch', '--input', input, '--output', output, '--max-attempts', '1', '--pass-delay-ms', '1', '--max-pass-delay-ms', '20',
      ], { emulator });
      assert.equal(run.code, 0, run.stderr);
      const records = readJsonLines(output);
      assert.deepEqual(records.map(r => r['name']).sort(), [...names].sort());
      assert.ok(records.every(r => r['outcome'] === 'requested'));
      assert.match(run.stderr, /^\[batch\] pass 2: \d+ names again/m);
      const sent = emulator.stats().cancels.received;
      const deferred = Number(/(\d+) deferred to a later pass/.exec(run.stderr)?.[1]);
      assert.ok(deferred > 20, `some names were deferred (${deferred})`);
      assert.match(run.stderr, new RegExp(`requests: +${sent} cancel attempts, 0 retries, 0 read-backs of accepted cancels, ${deferred} deferred`), 'attempts include those of deferred names');
      assert.equal(records.reduce((sum, r) => sum + Number(r['attempts']), 0), sent, "each record counts its name's attempts of every pass");
    } finally {
      await emulator.close();
    }
  });

  test('names still UNAVAILABLE at --give-up-after end as error with their last real code, and the batch exits 1', async () => {
    const emulator = await startTestEmulator({ failRate: 1, failCode: 'UNAVAILABLE' });
    try {
      const names = createNames(emulator, 20, 'down-');
      const started = Date.now();
      const run = await runCli([
        'batch', '--input', '-', '--json', '--max-attempts', '1', '--give-up-after', '1.5s', '--pass-delay-ms', '1',
      ], { emulator, stdin: names.join('\n') });
      assert.equal(run.code, 1, run.stderr);
      assert.ok(Date.now() - started < 6000, `ended ${Date.now() - started} ms after the start, near its time bound`);
      const records = jsonLines(run.stdout);
      assert.equal(records.length, 20);
      assert.ok(records.every(r => r['outcome'] === 'error' && r['codeName'] === 'UNAVAILABLE'), JSON.stringify(records[0]));
      assert.match(run.stderr, /gave up: +names still meeting a degraded service after --give-up-after 2 s/);
      assert.match(run.stderr, /not final: +20 names/);
      // Passes of 20 attempts until 300 ms of nothing but UNAVAILABLE confirm the outage; then a probe a second.
      const sent = emulator.stats().cancels.received;
      assert.ok(sent >= 20 && sent <= 200, `${sent} cancels sent`);
      assert.match(run.stderr, /paused: +1 time/);
    } finally {
      await emulator.close();
    }
  });

  test('a healthy batch that runs longer than --give-up-after finishes every name: the bound counts from the service\'s last answer, not the start', async () => {
    const emulator = await startTestEmulator();
    try {
      const names = createNames(emulator, 2000, 'long-');
      const started = Date.now();
      const run = await runCli(['batch', '--input', '-', '--json', '--rps', '500', '--give-up-after', '1s', '--progress', 'none'], { emulator, stdin: names.join('\n'), timeoutMs: 60_000 });
      assert.ok(Date.now() - started > 3000, `ran ${Date.now() - started} ms, past three times its bound`);
      assert.equal(run.code, 0, run.stderr);
      const records = jsonLines(run.stdout);
      assert.equal(records.length, 2000);
      assert.ok(records.every(r => r['outcome'] === 'requested'), JSON.stringify(records.find(r => r['outcome'] !== 'requested')));
      assert.doesNotMatch(run.stderr, /gave up|paused/);
    } finally {
      await emulator.close();
    }
  });

  test('a batch whose few names are all denied the same way exits 3 with the fix, as a larger one stops', async () => {
    const emulator = await startTestEmulator({ requireAuth: true });
    try {
      const names = createNames(emulator, 5, 'deny-');
      const run = await runCli(['batch', '--input', '-', '--json', '--progress', 'none'], { emulator, stdin: names.join('\n') });
      assert.equal(run.code, 3, run.stderr);
      assert.match(run.stderr, /stopped: the credentials were refused \(UNAUTHENTICATED\)/);
      assert.ok(jsonLines(run.stdout).every(r => r['outcome'] === 'denied'));
      assert.match(run.stderr, /outcomes: +denied 5/);
    } finally {
      await emulator.close();
    }
  });
});
