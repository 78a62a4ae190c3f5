import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { open } from 'node:fs/promises';
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { openJsonLines, readJsonLines, type JsonLinesReadCounts, type JsonLineRecord } from '../src/batch/jsonl.js';

let dir = '';
let fileCount = 0;
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'lro-batch-journal-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function freshPath(): string {
  fileCount += 1;
  return join(dir, `journal-${fileCount}.jsonl`);
}

const record = (i: number, outcome = 'cancelled'): JsonLineRecord => ({ name: `projects/p/locations/l/operations/${i}`, outcome, code: 0 });

async function readAll(path: string): Promise<{ records: JsonLineRecord[]; counts: JsonLinesReadCounts }> {
  const counts: JsonLinesReadCounts = { records: 0, garbled: 0, cutOff: false };
  const records: JsonLineRecord[] = [];
  for await (const item of readJsonLines(path, { counts })) records.push(item);
  return { records, counts };
}

const nextTick = (): Promise<void> => new Promise(resolve => setImmediate(resolve));

describe('journal', () => {
  test('with syncIntervalMs, what was written is fdatasynced within that interval, not only at close', async () => {
    const path = freshPath();
    const writer = await openJsonLines(path, { syncIntervalMs: 50 });
    const probe = await open(path, 'r');
    const prototype = Object.getPrototypeOf(probe) as { datasync: () => Promise<void> };
    await probe.close();
    const original = prototype.datasync;
    let syncs = 0;
    prototype.datasync = function (this: unknown) {
      syncs += 1;
      return original.call(this);
    };
    try {
      writer.append(record(1));
      await nextTick();
      assert.equal(syncs, 0, 'not at once');
      await new Promise(resolve => setTimeout(resolve, 120));
      assert.equal(syncs, 1, 'once, within the interval');
    } finally {
      prototype.datasync = original;
      await writer.close();
    }
  });

  test('reads back what was appended, in order', async () => {
    const path = freshPath();
    const journal = await openJsonLines(path);
    for (let i = 0; i < 5; i += 1) journal.append(record(i));
    journal.append({ name: 'projects/p/locations/l/operations/x', outcome: 'invalid', line: 7, message: 'line 7: "quoted"\nand a newline' });
    await journal.flush();
    assert.equal(readFileSync(path, 'utf8').split('\n').length, 7, 'flush wrote all six');
    await journal.close();
    const { records, counts } = await readAll(path);
    assert.deepEqual(records, [...[0, 1, 2, 3, 4].map(i => record(i)), {
      name: 'projects/p/locations/l/operations/x', outcome: 'invalid', line: 7, message: 'line 7: "quoted"\nand a newline',
    }]);
    assert.deepEqual(counts, { records: 6, garbled: 0, cutOff: false });
    assert.equal(readFileSync(path, 'utf8').split('\n').length, 7, 'one line per record and a final newline');
  });

  test('writes what was appended in one tick with the next, without waiting for flush', async () => {
    const path = freshPath();
    const journal = await openJsonLines(path);
    journal.append(record(1));
    journal.append(record(2));
    assert.equal(readFileSync(path, 'utf8'), '', 'nothing written within the tick of the appends');
    await nextTick();
    assert.equal(readFileSync(path, 'utf8'), `${JSON.stringify(record(1))}\n${JSON.stringify(record(2))}\n`);
    await journal.close();
  });

  test('appends to an existing file, or starts it empty with truncate', async () => {
    const path = freshPath();
    const first = await openJsonLines(path);
    first.append(record(1));
    await first.close();
    const second = await openJsonLines(path);
    second.append(record(2));
    await second.close();
    assert.deepEqual((await readAll(path)).records, [record(1), record(2)]);
    const fresh = await openJsonLines(path, { truncate: true });
    fresh.append(record(3));
    await fresh.close();
    assert.deepEqual((await readAll(path)).records, [record(3)]);
  });

  test('reads every complete record of a file cut off mid-line, and the next append starts on a fresh line', async () => {
    const path = freshPath();
    const whole = `${JSON.stringify(record(1))}\n${JSON.stringify(record(2))}\n`;
    writeFileSync(path, `${whole}{"name":"projects/p/locations/l/operations/3","outc`);
    const cut = await readAll(path);
    assert.deepEqual(cut.records, [record(1), record(2)]);
    assert.deepEqual(cut.counts, { records: 2, garbled: 0, cutOff: true });

    const journal = await openJsonLines(path);
    journal.append(record(3));
    await journal.close();
    assert.equal(readFileSync(path, 'utf8'), `${whole}{"name":"projects/p/locations/l/operations/3","outc\n${JSON.stringify(record(3))}\n`);
    const resumed = await readAll(path);
    assert.deepEqual(resumed.records, [record(1), record(2), record(3)]);
    assert.deepEqual(resumed.counts, { records: 3, garbled: 1, cutOff: false });
  });

  test('skips and counts garbled lines, never throwing', async () => {
    const path = freshPath();
    writeFileSync(path, [
      JSON.stringify(record(1)),
      'not json at all',
      '[1, 2, 3]',
      '{"name": "projects/p/locations/l/operations/x"}',
      '{"name": 5, "outcome": "cancelled"}',
      'null',
      '',
      '\u0000\u0001binary',
      `${JSON.stringify(record(2))}\r`,
      '',
    ].join('\n'));
    const { records, counts } = await readAll(path);
    assert.deepEqual(records, [record(1), record(2)]);
    assert.deepEqual(counts, { records: 2, garbled: 6, cutOff: false });
  });

  test('reads a journal that does not exist yet as empty', async () => {
    assert.deepEqual(await readAll(join(dir, 'never-written.jsonl')), { records: [], counts: { records: 0, garbled: 0, cutOff: false } });
  });

  test('refuses appends after close, and close twice is harmless', async () => {
    const journal = await openJsonLines(freshPath());
    await journal.close();
    await journal.close();
    assert.throws(() => journal.append(record(1)), /is closed/);
  });

  test('a failed write (a full disk) is thrown by the next append, flush and close', { skip: !existsSync('/dev/full') }, async () => {
    const journal = await openJsonLines('/dev/full');
    journal.append(record(1));
    await nextTick();
    assert.throws(() => journal.append(record(2)), /ENOSPC/);
    await assert.rejects(journal.flush(), /ENOSPC/);
    await assert.rejects(journal.close(), /ENOSPC/);
  });

  test('leaves a readable journal holding every earlier tick when the process is killed with SIGKILL', async () => {
    const path = freshPath();
    const child = startChild(path, `
      let next = 0;
      const tick = () => {
        for (let i = 0; i < 50; i += 1) journal.append({ name: 'projects/p/locations/l/operations/' + next, outcome: 'cancelled', seq: next++ });
        setImmediate(() => { process.stdout.write(next + '\\n'); tick(); });
      };
      tick();
    `);
    let reported = 0;
    for await (const chunk of child.stdout) {
      const lines = String(chunk).trim().split('\n');
      reported = Number(lines[lines.length - 1]);
      if (reported >= 5_000) break;
    }
    child.kill('SIGKILL');
    const [, signal] = await new Promise<[number | null, string | null]>(resolve => child.once('exit', (code, sig) => resolve([code, sig])));
    assert.equal(signal, 'SIGKILL');

    const { records, counts } = await readAll(path);
    assert.ok(records.length >= reported, `${records.length} records, but ${reported} were appended in earlier ticks`);
    records.forEach((item, i) => assert.equal(item['seq'], i));
    assert.equal(counts.garbled, 0);

    const resumed = await openJsonLines(path);
    resumed.append(record(-1));
    await resumed.close();
    const after = await readAll(path);
    assert.deepEqual(after.records.at(-1), record(-1));
    assert.equal(after.counts.garbled, 0);
  });

  test('writes records still pending when the process exits in the tick of the appends', async () => {
    const path = freshPath();
    const child = startChild(path, `
      for (let i = 0; i < 3; i += 1) journal.append({ name: 'projects/p/locations/l/operations/' + i, outcome: 'requested' });
      process.exit(0);
    `);
    const code = await new Promise(resolve => child.once('exit', resolve));
    assert.equal(code, 0);
    assert.deepEqual((await readAll(path)).records.map(item => item.outcome), ['requested', 'requested', 'requested']);
  });
});

/** A Node child that opens `path` as a journal and runs `body`, loaded as this test is (tsx or compiled). */
function startChild(path: string, body: string) {
  const loaders = process.execArgv.flatMap((flag, i, all) =>
    (flag === '--require' || flag === '--import') && all[i + 1] !== undefined ? [flag, all[i + 1] as string] : []);
  const code = `const { openJsonLines } = await import(process.env.JOURNAL_MODULE);
    const journal = await openJsonLines(process.env.JOURNAL_PATH);
    ${body}`;
  return spawn(process.execPath, [...loaders, '--input-type=module', '-e', code], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, JOURNAL_MODULE: new URL('../src/batch/jsonl.js', import.meta.url).href, JOURNAL_PATH: path },
  });
}
